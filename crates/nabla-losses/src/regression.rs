//! Regression losses: mean squared error, L1, Huber and smooth L1, as one fused element-wise
//! op (value and gradient from the difference `d = input - target`).

use nabla_tensor::elementwise::{map2, map3};
use nabla_tensor::{BackwardContext, Data, Error, Op, Result, Tensor};

use crate::reduction::{Reduction, reduce, same_shape};

#[derive(Clone, Copy)]
enum Kind {
    Mse,
    L1,
    /// `0.5·d²` inside `|d| < delta`, `delta·(|d| - 0.5·delta)` outside.
    Huber(f32),
    /// `0.5·d²/beta` inside `|d| < beta`, `|d| - 0.5·beta` outside.
    SmoothL1(f32),
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Mse => "mse_loss",
            Kind::L1 => "l1_loss",
            Kind::Huber(_) => "huber_loss",
            Kind::SmoothL1(_) => "smooth_l1_loss",
        }
    }

    fn value(self, d: f32) -> f32 {
        match self {
            Kind::Mse => d * d,
            Kind::L1 => d.abs(),
            Kind::Huber(delta) => {
                if d.abs() < delta {
                    0.5 * d * d
                } else {
                    delta * (d.abs() - 0.5 * delta)
                }
            }
            Kind::SmoothL1(beta) => {
                if d.abs() < beta {
                    0.5 * d * d / beta
                } else {
                    d.abs() - 0.5 * beta
                }
            }
        }
    }

    /// d value / d input (the target's derivative is its negative). L1's is 0 at d = 0, as PyTorch's.
    fn derivative(self, d: f32) -> f32 {
        let sign = if d > 0.0 {
            1.0
        } else if d < 0.0 {
            -1.0
        } else {
            0.0
        };
        match self {
            Kind::Mse => 2.0 * d,
            Kind::L1 => sign,
            Kind::Huber(delta) => {
                if d.abs() < delta {
                    d
                } else {
                    delta * sign
                }
            }
            Kind::SmoothL1(beta) => {
                if d.abs() < beta {
                    d / beta
                } else {
                    sign
                }
            }
        }
    }
}

struct Regression(Kind);

impl Op for Regression {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let kind = self.0;
        Ok(map2(inputs[0], inputs[1], inputs[0].shape(), move |x, t| kind.value(x - t)))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let kind = self.0;
        let g = ctx.grad_output;
        let grad = map3(g, &ctx.inputs[0], &ctx.inputs[1], g.shape(), move |g, x, t| g * kind.derivative(x - t));
        let grad_target = ctx.needs_grad[1].then(|| grad.mapv(|v| -v).into_shared());
        Ok(vec![ctx.needs_grad[0].then_some(grad), grad_target])
    }
}

fn regression(kind: Kind, input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    same_shape(kind.name(), input, target)?;
    reduce(Tensor::apply(Regression(kind), &[input, target])?, reduction)
}

/// Mean squared error `(input - target)²` (`F.mse_loss`).
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ.
pub fn mse(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    regression(Kind::Mse, input, target, reduction)
}

/// Absolute error `|input - target|` (`F.l1_loss`).
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ.
pub fn l1(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    regression(Kind::L1, input, target, reduction)
}

/// Huber loss with threshold `delta` (`F.huber_loss(input, target, delta=delta)`; PyTorch's
/// default delta is 1): quadratic near 0, linear with slope `delta` beyond it.
///
/// # Errors
/// [`Error::ShapeMismatch`]; [`Error::InvalidArgument`] unless `delta > 0`.
pub fn huber(input: &Tensor, target: &Tensor, delta: f32, reduction: Reduction) -> Result<Tensor> {
    positive("huber_loss", "delta", delta)?;
    regression(Kind::Huber(delta), input, target, reduction)
}

/// Smooth L1 loss with threshold `beta` (`F.smooth_l1_loss(input, target, beta=beta)`; default
/// 1): Huber divided by `beta`, so its linear part has slope 1.
///
/// # Errors
/// [`Error::ShapeMismatch`]; [`Error::InvalidArgument`] unless `beta > 0`.
pub fn smooth_l1(input: &Tensor, target: &Tensor, beta: f32, reduction: Reduction) -> Result<Tensor> {
    positive("smooth_l1_loss", "beta", beta)?;
    regression(Kind::SmoothL1(beta), input, target, reduction)
}

fn positive(op: &'static str, what: &str, value: f32) -> Result<()> {
    if !(value > 0.0 && value.is_finite()) {
        return Err(Error::InvalidArgument { op, reason: format!("{what} must be positive and finite, got {value}") });
    }
    Ok(())
}
