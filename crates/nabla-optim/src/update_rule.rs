//! `UpdateRule`: what an optimizer does to one parameter from its gradient. The built-in rules
//! (SGD, Adam, AdamW, RMSprop) implement it, and so can a rule written outside this crate:
//! [`Optimizer`](crate::Optimizer) keeps the groups, the per-parameter buffers and step counts,
//! the state dict and exact resume for any rule.

use std::fmt::Debug;
use std::sync::Arc;

/// One update rule: its name, its per-parameter buffers, its checks, and the update.
///
/// The optimizer gives `update` each parameter's values and gradient as flat slices in the
/// same order, the learning rate of the parameter's group, the parameter's buffers (one
/// slice of the parameter's length per name in [`UpdateRule::slots`], zero at first, kept
/// between steps and saved in the state dict as `state.{i}.{slot}`) and the step count, already
/// incremented for this step (1 on the first). A rule whose [`UpdateRule::elementwise`] is
/// true gets a parameter in pieces, on several threads at once: each piece with the same
/// stretch of its gradient and buffers.
///
/// ```
/// use nabla_optim::{Optimizer, UpdateRule};
/// use nabla_tensor::Tensor;
///
/// /// Sign descent: every weight moves by `lr` against its gradient's sign.
/// #[derive(Debug)]
/// struct SignSgd { lr: f64 }
///
/// impl UpdateRule for SignSgd {
///     fn name(&self) -> &'static str { "SignSGD" }
///     fn lr(&self) -> f64 { self.lr }
///     fn slots(&self) -> Vec<&'static str> { Vec::new() }
///     fn update(&self, lr: f64, param: &mut [f32], grad: &[f32], _: &mut [&mut [f32]], _: u64) {
///         for (w, g) in param.iter_mut().zip(grad) {
///             *w -= lr as f32 * g.signum();
///         }
///     }
/// }
///
/// let w = Tensor::from_vec(vec![1.0, -1.0], &[2])?.requires_grad(true);
/// let mut opt = Optimizer::new(vec![w.clone()], SignSgd { lr: 0.25 })?;
/// opt.step(&w.powf(2.0)?.sum_all()?.backward()?)?;
/// assert_eq!(w.to_vec(), [0.75, -0.75]);
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
pub trait UpdateRule: Debug + Send + Sync {
    /// The rule's name, as errors give it (`"Adam"`).
    fn name(&self) -> &'static str;

    /// The learning rate of a group that sets none of its own.
    fn lr(&self) -> f64;

    /// The names of the per-parameter buffers, as PyTorch's optimizer state calls them
    /// (`exp_avg`); they may depend on the configuration (SGD keeps a momentum buffer only
    /// with momentum).
    fn slots(&self) -> Vec<&'static str>;

    /// What is wrong with the hyperparameters, if anything; the optimizer refuses to be built
    /// with a rule that returns an error. Nothing by default.
    ///
    /// # Errors
    /// A sentence naming the bad hyperparameter and its value.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }

    /// Whether each value's update reads only that value, its gradient and its buffers (SGD,
    /// Adam and RMSprop do; a rule that takes a norm over the whole parameter, as LARS or LAMB,
    /// does not). The optimizer then updates a large parameter in pieces on all of rayon's
    /// threads. False by default.
    fn elementwise(&self) -> bool {
        false
    }

    /// Updates one parameter in place (see the trait's documentation for the arguments).
    fn update(&self, lr: f64, param: &mut [f32], grad: &[f32], slots: &mut [&mut [f32]], step: u64);
}

/// A shared rule is a rule: a list of rules of different types is `Vec<Arc<dyn UpdateRule>>`.
impl<T: UpdateRule + ?Sized> UpdateRule for Arc<T> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn lr(&self) -> f64 {
        (**self).lr()
    }

    fn slots(&self) -> Vec<&'static str> {
        (**self).slots()
    }

    fn validate(&self) -> Result<(), String> {
        (**self).validate()
    }

    fn elementwise(&self) -> bool {
        (**self).elementwise()
    }

    fn update(&self, lr: f64, param: &mut [f32], grad: &[f32], slots: &mut [&mut [f32]], step: u64) {
        (**self).update(lr, param, grad, slots, step);
    }
}
