//! # nabla-generative
//!
//! Generative models for nabla, each trainable, samplable, savable and resumable:
//!
//! - [`Autoencoder`]: dense (W8's 784-256-64-256-784) or convolutional, with denoising
//!   variants ([`Noise`]); [`Vae`], the variational autoencoder.
//! - [`Gan`]: Goodfellow et al.'s GAN with MLPs ([`Gan::mlp`]) or DCGAN's convolutional
//!   networks ([`DcganConfig`], [`Gan::dcgan`]): non-saturating generator loss, k
//!   discriminator steps, one-sided label smoothing.
//! - Each model is [`nabla_train::Trainable`], so nabla-train's `Trainer` trains it with
//!   progress reports, sample grids, a loss log and exact-resume checkpoints.
//! - Measures: [`mode_coverage`] on a ring of Gaussians; [`Judge`], an MNIST classifier that
//!   scores generated digits (classes covered, confidence, Fréchet distance).

mod autoencoder;
mod dcgan;
mod frechet;
mod gan;
mod judge;
mod modes;
mod vae;

pub use autoencoder::{Autoencoder, Noise};
pub use dcgan::DcganConfig;
pub use frechet::frechet_distance;
pub use gan::{Gan, GanConfig, GanLosses, MlpGanShape};
pub use judge::{Judge, Verdict};
pub use modes::{ModeCoverage, mode_coverage};
pub use vae::{Vae, VaeLosses};

/// The README's example, run as a doc test.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
