//! The gradient-synchronisation hook: a scope on the current thread inside which every
//! [`Optimizer::step`](crate::Optimizer::step) first hands its gradients to a
//! [`GradientReducer`]. Data-parallel training (nabla-distributed, through nabla-train's
//! trainer) averages them over processes there, so a model's own step runs unchanged on one
//! process or on many, as a PyTorch model does inside `DistributedDataParallel`.

use std::cell::RefCell;
use std::rc::Rc;

use nabla_tensor::{Gradients, Result, Tensor};

/// Rewrites an optimizer's gradients before its update (for example, averages them over the
/// ranks of a data-parallel job). Every rank's optimizers must call it in the same order with
/// the same parameters, as collectives require.
pub trait GradientReducer {
    /// Replaces the gradients of `params` in `grads`.
    ///
    /// # Errors
    /// What the reduction reports; the optimizer then makes no update.
    fn reduce(&self, params: &[Tensor], grads: &mut Gradients) -> Result<()>;
}

thread_local! {
    /// The reducers of the scopes open on this thread, innermost last.
    static REDUCERS: RefCell<Vec<Rc<dyn GradientReducer>>> = const { RefCell::new(Vec::new()) };
}

/// Closes a scope when dropped, even when its body panics.
struct Scope;

impl Drop for Scope {
    fn drop(&mut self) {
        REDUCERS.with(|reducers| reducers.borrow_mut().pop());
    }
}

/// Runs `body` with `reducer` applied to the gradients of every optimizer step taken on this
/// thread inside it (the innermost scope's reducer, when scopes nest). Steps taken on other
/// threads, and [`Lbfgs`](crate::Lbfgs), which evaluates its objective itself, are not
/// reduced. Gradient clipping a model does before its step sees the gradients before the
/// reduction.
///
/// ```
/// use std::rc::Rc;
/// use nabla_optim::{GradientReducer, Optimizer, SgdConfig, with_gradient_reducer};
/// use nabla_tensor::{Gradients, Tensor};
///
/// /// Halves every gradient (a stand-in for averaging over two processes).
/// struct Halve;
/// impl GradientReducer for Halve {
///     fn reduce(&self, params: &[Tensor], grads: &mut Gradients) -> nabla_tensor::Result<()> {
///         for p in params {
///             if let Some(g) = grads.get(p).cloned() {
///                 grads.insert(p, g.mul_scalar(0.5)?)?;
///             }
///         }
///         Ok(())
///     }
/// }
///
/// let w = Tensor::zeros(&[1]).requires_grad(true);
/// let mut sgd = Optimizer::sgd(vec![w.clone()], SgdConfig { lr: 1.0, ..Default::default() })?;
/// let loss = w.sum_all()?; // gradient 1
/// with_gradient_reducer(Rc::new(Halve), || sgd.step(&loss.backward()?))?;
/// assert_eq!(w.to_vec(), [-0.5]);
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
pub fn with_gradient_reducer<T>(reducer: Rc<dyn GradientReducer>, body: impl FnOnce() -> T) -> T {
    REDUCERS.with(|reducers| reducers.borrow_mut().push(reducer));
    let _scope = Scope;
    body()
}

/// The reducer of the innermost open scope on this thread.
pub(crate) fn current_reducer() -> Option<Rc<dyn GradientReducer>> {
    REDUCERS.with(|reducers| reducers.borrow().last().cloned())
}
