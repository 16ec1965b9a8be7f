//! The course's topics as library code: each module trains and measures one topic, and both
//! the `nabla tour` section and the matching example (`examples/`) call it, so each training
//! loop exists once.

pub mod adding;
pub mod autoencoder;
pub mod divergences;
pub mod gan_ring;
pub mod mnist;
pub mod perceptron;
pub mod vanishing;
