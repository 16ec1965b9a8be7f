//! # nabla-data
//!
//! Data for nabla:
//!
//! - [`Mnist`]: the bundled 10,000-digit subset ([`Mnist::bundled`], compiled in, no files
//!   needed) or the full dataset from IDX files ([`Mnist::from_dir`]), over the IDX reader
//!   [`read_idx_u8`], which validates a file's header before allocating for its contents.
//! - [`TensorDataset`] (inputs and targets) and [`DataLoader`]: seeded shuffling that depends
//!   only on the seed and the epoch, mini-batches ([`Batch`]), drop-last; [`normalize`].
//! - [`synthetic`]: XOR, AND, OR, Gaussian blobs, two moons, a ring of Gaussians;
//!   [`sequences`]: the adding problem and a noisy sine wave.
//! - [`text`]: the bundled Book of Genesis (King James Version), a character vocabulary, and
//!   random windows for next-character prediction.
//! - [`image`]: tensors to PNG (single images and grids) and back.

mod error;
mod idx;
pub mod image;
mod loader;
mod mnist;
pub mod sequences;
pub mod synthetic;
pub mod text;

pub use error::{DataError, Result};
pub use idx::{IdxArray, read_idx_u8};
pub use loader::{Batch, DataLoader, MNIST_MEAN, MNIST_STD, TensorDataset, normalize};
pub use mnist::{Mnist, MnistSplit};

/// The README's example, run as a doc test.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
