//! # nabla-style
//!
//! Neural style transfer after Gatys, Ecker and Bethge (2016): keep one image's content, take
//! another's style, by optimising the pixels of a new image against losses on a convolutional
//! network's features.
//!
//! - [`FeatureExtractor`]: a convolutional network with named taps — the VGG-19 layout
//!   ([`FeatureExtractor::vgg19`], weights from a torchvision safetensors file) or seeded random
//!   filters ([`FeatureExtractor::random`], the default: no pretrained weights ship with nabla).
//! - [`gram_matrix`], [`content_loss`], [`style_loss`], [`total_variation`].
//! - [`stylize`]: the optimisation (Adam or L-BFGS, from the content or from noise), with
//!   several weighted style images, a content/style ratio and luminance-only transfer;
//!   [`stylize_files`] does the same from image files. Progress goes to a callback.
//! - [`images`]: the bundled astronaut, gravel, brick and Hubble images.

mod extractor;
mod gram;
pub mod images;
mod losses;
mod transfer;

pub use extractor::{FeatureExtractor, Pooling};
pub use losses::{content_loss, gram_matrix, style_loss, total_variation};
pub use transfer::{Init, StyleConfig, StyleError, StyleOptimizer, StyleProgress, stylize, stylize_files};

/// The README's example, run as a doc test.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
