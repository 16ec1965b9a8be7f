//! # nabla-data
//!
//! Datasets for nabla. So far: [`Mnist`] — the bundled 10,000-digit subset
//! ([`Mnist::bundled`], compiled in, no files needed) or the full dataset from IDX files
//! ([`Mnist::from_dir`]) — and the IDX reader beneath it ([`read_idx_u8`]), which validates a
//! file's header before allocating for its contents.

mod error;
mod idx;
mod mnist;

pub use error::{DataError, Result};
pub use idx::{IdxArray, read_idx_u8};
pub use mnist::{Mnist, MnistSplit};
