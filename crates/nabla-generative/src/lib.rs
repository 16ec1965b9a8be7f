//! # nabla-generative
//!
//! Generative models for nabla. So far: the [`Gan`] of Goodfellow et al. with MLP generator
//! and discriminator (non-saturating generator loss, k discriminator steps, one-sided label
//! smoothing), and [`mode_coverage`] to measure it on a ring of Gaussians.

mod gan;
mod modes;

pub use gan::{Gan, GanConfig, GanLosses};
pub use modes::{ModeCoverage, mode_coverage};
