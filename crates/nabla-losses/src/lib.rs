//! # nabla-losses
//!
//! Loss functions and divergences for nabla, with PyTorch's semantics (defaults, conventions
//! at 0 and 1, reductions), each gradient-checked and compared with PyTorch's numbers.
//!
//! | function | PyTorch |
//! |---|---|
//! | [`mse`], [`l1`], [`huber`], [`smooth_l1`] | `F.mse_loss`, `F.l1_loss`, `F.huber_loss`, `F.smooth_l1_loss` |
//! | [`binary_cross_entropy`] | `F.binary_cross_entropy` (logs clamped at -100) |
//! | [`binary_cross_entropy_with_logits`] | `F.binary_cross_entropy_with_logits` (with `pos_weight`) |
//! | [`cross_entropy`], [`cross_entropy_with_probs`] | `F.cross_entropy` with class indices / probabilities |
//! | [`nll_loss`] | `F.nll_loss` |
//! | [`kl_div`] | `F.kl_div` (input log-probs; reductions incl. `batchmean`) |
//! | [`kl_divergence`], [`js_divergence`] | KL(p‖q) and JS(p, q) of plain distributions along an axis |
//!
//! Every loss takes a [`Reduction`] (`None`, `Sum`, `Mean`), and input/target shapes that do
//! not match are typed errors.
//!
//! ```
//! use nabla_losses::{mse, Reduction};
//! use nabla_tensor::Tensor;
//! let prediction = Tensor::from_vec(vec![1.0, 2.0], &[2])?.requires_grad(true);
//! let target = Tensor::from_vec(vec![1.0, 4.0], &[2])?;
//! let loss = mse(&prediction, &target, Reduction::Mean)?;
//! assert_eq!(loss.item()?, 2.0);
//! assert_eq!(loss.backward()?.get(&prediction).unwrap().to_vec(), vec![0.0, -2.0]);
//! # Ok::<(), nabla_tensor::Error>(())
//! ```

mod binary;
mod cross_entropy;
mod divergence;
mod kl_div;
mod nll;
mod reduction;
mod regression;

pub use binary::{BceOptions, BceWithLogitsOptions, binary_cross_entropy, binary_cross_entropy_with_logits};
pub use cross_entropy::{CrossEntropyOptions, cross_entropy, cross_entropy_with_probs};
pub use divergence::{js_divergence, kl_divergence};
pub use kl_div::{KlReduction, kl_div};
pub use nll::{NllOptions, nll_loss};
pub use reduction::Reduction;
pub use regression::{huber, l1, mse, smooth_l1};

/// The README's example, run as a doc test.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
