//! The `nabla` facade: re-exports the member crates behind features (`tensor`, `activations`,
//! `losses`, `nn`, `optim`, `conv`, `recurrent`, `attention`, `train`, `generative`, `style`, `data`,
//! `plot`, on by default; `blas` for OpenBLAS matrix multiplies; `distributed`, and `mpi` for
//! its MPI backend, for data-parallel training), so one dependency gives the
//! whole toolkit, with [`Error`] (every crate's error converts into it, so `?` works across
//! crates) and a [`prelude`]. The README below is tested as part of these docs.
#![doc = include_str!("../README.md")]

mod error;
pub mod prelude;

pub use error::{Error, Result};

#[cfg(feature = "tensor")]
pub use nabla_tensor as tensor;

#[cfg(feature = "tensor")]
pub use nabla_tensor::{GradcheckOptions, Gradients, Indices, Tensor, gradcheck, no_grad};

#[cfg(feature = "activations")]
pub use nabla_activations as activations;

#[cfg(feature = "losses")]
pub use nabla_losses as losses;

#[cfg(feature = "data")]
pub use nabla_data as data;

#[cfg(feature = "plot")]
pub use nabla_plot as plot;

#[cfg(feature = "optim")]
pub use nabla_optim as optim;

#[cfg(feature = "nn")]
pub use nabla_nn as nn;

#[cfg(feature = "recurrent")]
pub use nabla_recurrent as recurrent;

#[cfg(feature = "conv")]
pub use nabla_conv as conv;

#[cfg(feature = "attention")]
pub use nabla_attention as attention;

#[cfg(feature = "train")]
pub use nabla_train as train;

#[cfg(feature = "generative")]
pub use nabla_generative as generative;

#[cfg(feature = "style")]
pub use nabla_style as style;

#[cfg(feature = "distributed")]
pub use nabla_distributed as distributed;
