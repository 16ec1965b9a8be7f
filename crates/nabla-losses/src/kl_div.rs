//! `kl_div` with PyTorch's semantics: the input holds log-probabilities, the target
//! probabilities (or log-probabilities), one fused element-wise op.

use nabla_tensor::elementwise::{map2, map3};
use nabla_tensor::{BackwardContext, Data, Op, Result, Tensor};

use crate::reduction::same_shape;

/// How [`kl_div`] reduces, as its `reduction=` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KlReduction {
    None,
    Sum,
    /// The mean over every element (PyTorch's default, which is not the KL divergence).
    #[default]
    Mean,
    /// The sum divided by the batch size (the first axis): the mathematically correct KL per sample.
    BatchMean,
}

struct KlDiv {
    log_target: bool,
}

impl KlDiv {
    /// `t·(log t - x)` (0 where t = 0) for probability targets, `e^t·(t - x)` for log targets.
    fn value(&self, x: f32, t: f32) -> f32 {
        if self.log_target {
            t.exp() * (t - x)
        } else if t > 0.0 {
            t * (t.ln() - x)
        } else {
            0.0
        }
    }

    /// (∂/∂x, ∂/∂t).
    fn partials(&self, x: f32, t: f32) -> (f32, f32) {
        if self.log_target {
            (-t.exp(), t.exp() * (t - x + 1.0))
        } else if t > 0.0 {
            (-t, t.ln() + 1.0 - x)
        } else {
            (0.0, 0.0)
        }
    }
}

impl Op for KlDiv {
    fn name(&self) -> &'static str {
        "kl_div"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        Ok(map2(inputs[0], inputs[1], inputs[0].shape(), |x, t| self.value(x, t)))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let (x, t, g) = (&ctx.inputs[0], &ctx.inputs[1], ctx.grad_output);
        let side = |which: usize| {
            ctx.needs_grad[which].then(|| {
                map3(g, x, t, g.shape(), |g, x, t| {
                    let (dx, dt) = self.partials(x, t);
                    g * if which == 0 { dx } else { dt }
                })
            })
        };
        Ok(vec![side(0), side(1)])
    }
}

/// The Kullback–Leibler divergence term `target·(log target - input)` with `input` holding
/// log-probabilities (`F.kl_div(input, target, reduction, log_target)`); `target·log target` is
/// taken as 0 where the target is 0. Use [`KlReduction::BatchMean`] for KL per sample.
///
/// # Errors
/// [`Error::ShapeMismatch`](nabla_tensor::Error::ShapeMismatch) when the shapes differ.
pub fn kl_div(input: &Tensor, target: &Tensor, log_target: bool, reduction: KlReduction) -> Result<Tensor> {
    same_shape("kl_div", input, target)?;
    let terms = Tensor::apply(KlDiv { log_target }, &[input, target])?;
    match reduction {
        KlReduction::None => Ok(terms),
        KlReduction::Sum => terms.sum_all(),
        KlReduction::Mean => terms.mean_all(),
        KlReduction::BatchMean => {
            terms.sum_all()?.div_scalar(input.shape().first().copied().unwrap_or(1).max(1) as f32)
        }
    }
}
