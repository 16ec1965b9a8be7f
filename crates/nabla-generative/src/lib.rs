//! # nabla-generative
//!
//! Generative models for nabla. So far: the [`Gan`] of Goodfellow et al. with MLP generator
//! and discriminator (non-saturating generator loss, k discriminator steps, one-sided label
//! smoothing), [`mode_coverage`] to measure it on a ring of Gaussians, and the dense
//! [`Autoencoder`] with its denoising variants ([`Noise`]).

mod autoencoder;
mod gan;
mod modes;

pub use autoencoder::{Autoencoder, Noise};
pub use gan::{Gan, GanConfig, GanLosses};
pub use modes::{ModeCoverage, mode_coverage};
