//! # nabla
//!
//! A deep-learning toolkit for Rust. This facade re-exports the member crates behind features,
//! so one dependency gives the whole toolkit:
//!
//! - `tensor` (default): [`tensor`], the `Tensor` with reverse-mode autodiff
//!   ([`nabla-tensor`](https://docs.rs/nabla-tensor)).
//! - `blas`: matrix multiply through the system OpenBLAS.

#[cfg(feature = "tensor")]
pub use nabla_tensor as tensor;

#[cfg(feature = "tensor")]
pub use nabla_tensor::{Error, GradcheckOptions, Gradients, Result, Tensor, gradcheck, no_grad};
