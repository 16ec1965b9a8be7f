//! The gradient-reducer scope: which steps it reaches, nesting, errors and panics.

use std::rc::Rc;

use nabla_optim::{GradientReducer, Optimizer, SgdConfig, with_gradient_reducer};
use nabla_tensor::{Error, Gradients, Result, Tensor};

/// Multiplies every gradient by a factor, or fails.
struct Scale(Option<f32>);

impl GradientReducer for Scale {
    fn reduce(&self, params: &[Tensor], grads: &mut Gradients) -> Result<()> {
        let factor = self.0.ok_or_else(|| Error::invalid("Scale", "the reduction failed"))?;
        for param in params {
            if let Some(grad) = grads.get(param).cloned() {
                grads.insert(param, grad.mul_scalar(factor)?)?;
            }
        }
        Ok(())
    }
}

/// A parameter at 0 under SGD with lr 1, and the gradient of `sum(w)` (all ones).
fn setup() -> Result<(Tensor, Optimizer, Gradients)> {
    let w = Tensor::zeros(&[2]).requires_grad(true);
    let sgd = Optimizer::sgd(vec![w.clone()], SgdConfig { lr: 1.0, ..Default::default() })?;
    let grads = w.sum_all()?.backward()?;
    Ok((w, sgd, grads))
}

#[test]
fn the_innermost_scope_reduces_and_none_after_it_closes() -> Result<()> {
    let (w, mut sgd, grads) = setup()?;
    with_gradient_reducer(Rc::new(Scale(Some(2.0))), || {
        with_gradient_reducer(Rc::new(Scale(Some(3.0))), || sgd.step(&grads))?;
        sgd.step(&grads)
    })?;
    assert_eq!(w.to_vec(), [-5.0, -5.0], "3× in the inner scope, then 2× in the outer");
    sgd.step(&grads)?;
    assert_eq!(w.to_vec(), [-6.0, -6.0], "no reduction outside every scope");
    Ok(())
}

#[test]
fn a_failed_reduction_leaves_the_parameters_unchanged() -> Result<()> {
    let (w, mut sgd, grads) = setup()?;
    let result = with_gradient_reducer(Rc::new(Scale(None)), || sgd.step(&grads));
    assert!(matches!(result, Err(Error::InvalidArgument { op: "Scale", .. })), "{result:?}");
    assert_eq!(w.to_vec(), [0.0, 0.0]);
    Ok(())
}

#[test]
fn a_reduction_to_non_finite_gradients_is_refused() -> Result<()> {
    let (w, mut sgd, grads) = setup()?;
    let result = with_gradient_reducer(Rc::new(Scale(Some(f32::INFINITY))), || sgd.step(&grads));
    assert!(matches!(result, Err(Error::InvalidArgument { .. })), "{result:?}");
    assert_eq!(w.to_vec(), [0.0, 0.0]);
    Ok(())
}

#[test]
fn a_panic_inside_the_scope_closes_it() -> Result<()> {
    let (w, mut sgd, grads) = setup()?;
    let panicked = std::panic::catch_unwind(|| with_gradient_reducer(Rc::new(Scale(Some(2.0))), || panic!("body")));
    assert!(panicked.is_err());
    sgd.step(&grads)?;
    assert_eq!(w.to_vec(), [-1.0, -1.0], "the scope closed with the panic");
    Ok(())
}
