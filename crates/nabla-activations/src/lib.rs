//! # nabla-activations
//!
//! Activation functions for nabla, each a fused differentiable op (one forward kernel, one
//! backward kernel) added through the core's [`Op`](nabla_tensor::Op) trait, each matching
//! PyTorch's values and gradients:
//!
//! | function | PyTorch |
//! |---|---|
//! | [`sigmoid`] | `torch.sigmoid` |
//! | [`tanh`] | `torch.tanh` |
//! | [`relu`] | `F.relu` (gradient 0 at 0) |
//! | [`leaky_relu`] | `F.leaky_relu(x, negative_slope)` (gradient `slope` at 0) |
//! | [`elu`] | `F.elu(x, alpha)` |
//! | [`gelu`] | `F.gelu(x)` (exact, with erf) |
//! | [`gelu_tanh`] | `F.gelu(x, approximate="tanh")` |
//! | [`softplus`] | `F.softplus(x, beta, threshold)` |
//! | [`silu`] | `F.silu` |
//! | [`softmax`] | `torch.softmax(x, dim)` |
//! | [`log_softmax`] | `torch.log_softmax(x, dim)` |
//!
//! All are stable at the extremes: inputs of ±100 give finite values and finite gradients
//! (the sigmoid never overflows `exp`; softmax and log-softmax subtract the maximum).
//!
//! ```
//! use nabla_activations::{relu, softmax};
//! use nabla_tensor::Tensor;
//! let x = Tensor::from_vec(vec![-1.0, 0.0, 2.0], &[3])?;
//! assert_eq!(relu(&x).to_vec(), vec![0.0, 0.0, 2.0]);
//! let p = softmax(&Tensor::from_vec(vec![100.0, 100.0], &[2])?, -1)?;
//! assert_eq!(p.to_vec(), vec![0.5, 0.5]);
//! # Ok::<(), nabla_tensor::Error>(())
//! ```

mod pointwise;
mod softmax;

pub use nabla_tensor::math::logistic;
pub use pointwise::{elu, gelu, gelu_tanh, leaky_relu, relu, sigmoid, silu, softplus, tanh};
pub use softmax::{log_softmax, softmax};

/// The README's example, run as a doc test.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
