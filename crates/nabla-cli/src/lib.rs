//! # nabla-cli
//!
//! The `nabla` command and the library behind it:
//!
//! - [`topics`]: each topic of the course as library code, which the tour and the examples
//!   both run;
//! - [`tour`]: every topic of the course trained and measured on the bundled data, written as
//!   an HTML [`report`] with its pictures and `metrics.json`;
//! - [`train`]: MNIST classifiers ([`classifier`]: MLP, CNN, RNN, LSTM, GRU) and the generative
//!   models ([`models`]) trained with progress bars, checkpoints and `--resume`, on one
//!   process or as the ranks of an MPI job ([`distributed`]);
//! - [`sample`], [`style`] and [`bench`].
//!
//! Errors are [`CliError`]s, which `nabla` prints as one line before exiting non-zero.

pub mod bench;
pub mod classifier;
pub mod distributed;
pub mod error;
pub mod interrupt;
pub mod language;
pub mod models;
pub mod progress;
pub mod report;
pub mod sample;
pub mod style;
pub mod topics;
pub mod tour;
pub mod train;

pub use error::CliError;

/// The README's example, run as a doc test.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
