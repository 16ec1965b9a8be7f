//! # nabla-optim
//!
//! Optimizers for nabla with PyTorch's update rules and defaults — they reproduce
//! `torch.optim`'s parameter sequences to 1e-6:
//!
//! | rule | PyTorch | defaults |
//! |---|---|---|
//! | [`SgdConfig`] | `torch.optim.SGD` | lr 1e-3, momentum 0, dampening 0, weight decay 0, no Nesterov |
//! | [`AdamConfig`] | `torch.optim.Adam` | lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0, AMSGrad off |
//! | [`AdamW`] | `torch.optim.AdamW` | as Adam, weight decay 0.01 (decoupled) |
//! | [`RmsPropConfig`] | `torch.optim.RMSprop` | lr 1e-2, alpha 0.99, eps 1e-8, momentum 0, not centred |
//!
//! Each is an [`UpdateRule`], the trait a rule written outside this crate implements to get
//! the same [`Optimizer`]: parameter groups with their own learning rates, saving and restoring optimizer state,
//! [`clip_grad_norm`] / [`clip_grad_value`], and learning-rate schedules ([`LrSchedule`],
//! [`Scheduler`]), and a scoped hook ([`with_gradient_reducer`]) through which data-parallel
//! training averages every step's gradients over processes.

mod clip;
mod lbfgs;
mod optimizer;
mod reducer;
mod rules;
mod schedule;
mod update_rule;

pub use clip::{clip_grad_norm, clip_grad_value};
pub use lbfgs::{Lbfgs, LbfgsConfig, LineSearch, Objective};
pub use optimizer::{Optimizer, ParamGroup};
pub use reducer::{GradientReducer, with_gradient_reducer};
pub use rules::{AdamConfig, AdamW, RmsPropConfig, SgdConfig};
pub use schedule::{LrSchedule, Scheduler};
pub use update_rule::UpdateRule;

/// The README's example, run as a doc test.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
