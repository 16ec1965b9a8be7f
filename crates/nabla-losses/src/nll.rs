//! Negative log-likelihood of class-index targets, with class weights and an ignored index:
//! one fused op over `[rows, classes]` log-probabilities.

use nabla_tensor::{BackwardContext, Data, Error, Indices, Op, Result, Tensor};
use ndarray::{ArrayD, IxDyn};

use crate::reduction::Reduction;

/// Options of [`nll_loss`] (and the class-target form of
/// [`cross_entropy`](crate::cross_entropy)).
#[derive(Debug, Clone)]
pub struct NllOptions {
    /// One weight per class (`weight=`); all 1 when absent.
    pub weight: Option<Vec<f32>>,
    /// A target value that contributes nothing, neither loss nor gradient (`ignore_index=`,
    /// PyTorch's default -100).
    pub ignore_index: i64,
    pub reduction: Reduction,
}

impl Default for NllOptions {
    fn default() -> Self {
        NllOptions { weight: None, ignore_index: -100, reduction: Reduction::Mean }
    }
}

/// The validated targets of a `[rows, classes]` input: each row's class (None if ignored)
/// and that class's weight.
pub(crate) struct ClassTargets {
    pub(crate) classes: Vec<Option<usize>>,
    pub(crate) weights: Vec<f32>,
}

impl ClassTargets {
    /// Checks `targets` against the caller's `input` of shape `[N, C]` or `[N, C, d…]`: one
    /// target per `[N, d…]` position, in row-major order whatever their shape (`[N, d…]`,
    /// flat, or a batch of sequences for flattened logits), each in `0..C` or the ignored
    /// index. Errors name `op` and the caller's shapes.
    pub(crate) fn new(op: &'static str, targets: &Indices, input: &[usize], options: &NllOptions) -> Result<Self> {
        let classes = input[1];
        let positions: Vec<usize> = input.iter().enumerate().filter(|&(a, _)| a != 1).map(|(_, &s)| s).collect();
        let rows: usize = positions.iter().product();
        if targets.len() != rows {
            return Err(Error::ShapeMismatch {
                op,
                lhs: input.to_vec(),
                rhs: targets.shape().to_vec(),
                reason: format!("needs one target per position of {positions:?}: {rows}, got {}", targets.len()),
            });
        }
        let weights = options.weight.clone().unwrap_or_else(|| vec![1.0; classes]);
        if weights.len() != classes {
            return Err(Error::ShapeMismatch {
                op,
                lhs: input.to_vec(),
                rhs: vec![weights.len()],
                reason: format!("needs one weight per class ({classes})"),
            });
        }
        let classes = targets
            .values()
            .iter()
            .map(|&t| match t {
                t if t == options.ignore_index => Ok(None),
                t if t >= 0 && (t as usize) < classes => Ok(Some(t as usize)),
                t => Err(Error::IndexOutOfRange { op, index: t, axis: 1, size: classes, shape: input.to_vec() }),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ClassTargets { classes, weights })
    }

    /// The weight of each row's target (0 for an ignored row).
    pub(crate) fn row_weights(&self) -> Vec<f32> {
        self.classes.iter().map(|c| c.map_or(0.0, |c| self.weights[c])).collect()
    }

    /// The sum of the targets' weights: what a mean divides by, as in PyTorch.
    pub(crate) fn total_weight(&self, op: &'static str) -> Result<f32> {
        let total: f32 = self.row_weights().iter().sum();
        if total == 0.0 {
            return Err(Error::InvalidArgument {
                op,
                reason: "the mean is undefined: every target is ignored or has weight 0 (PyTorch returns NaN)".into(),
            });
        }
        Ok(total)
    }
}

struct Nll {
    targets: ClassTargets,
    reduction: Reduction,
    /// What the per-row losses are divided by (the total weight for a mean, else 1).
    divisor: f32,
}

impl Op for Nll {
    fn name(&self) -> &'static str {
        "nll_loss"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let logp = inputs[0];
        let row_weights = self.targets.row_weights();
        let losses: Vec<f32> = self
            .targets
            .classes
            .iter()
            .zip(&row_weights)
            .enumerate()
            .map(|(row, (class, w))| class.map_or(0.0, |c| -w * logp[[row, c]]))
            .collect();
        Ok(match self.reduction {
            Reduction::None => Data::from_shape_vec(IxDyn(&[losses.len()]), losses).expect("one loss per row"),
            _ => ArrayD::from_elem(IxDyn(&[]), losses.iter().sum::<f32>() / self.divisor).into_shared(),
        })
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let mut grad = ArrayD::zeros(ctx.inputs[0].raw_dim());
        let g = ctx.grad_output;
        for (row, (class, w)) in self.targets.classes.iter().zip(self.targets.row_weights()).enumerate() {
            if let Some(c) = class {
                let upstream = if self.reduction == Reduction::None { g[[row]] } else { g[[]] };
                grad[[row, *c]] = -w * upstream / self.divisor;
            }
        }
        Ok(vec![Some(grad.into_shared())])
    }
}

/// `input` `[N, C, d…]` as `[N·d…, C]` rows (classes last), the layout the fused ops use.
pub(crate) fn class_rows(op: &'static str, input: &Tensor) -> Result<Tensor> {
    if input.ndim() < 2 {
        return Err(Error::InvalidArgument {
            op,
            reason: format!("needs input of shape [N, C] or [N, C, d...], got {:?}", input.shape()),
        });
    }
    let classes = input.shape()[1] as isize;
    if input.ndim() == 2 {
        return Ok(input.clone());
    }
    let mut order: Vec<isize> = (0..input.ndim() as isize).filter(|&a| a != 1).collect();
    order.push(1);
    input.permute(&order)?.reshape(&[-1, classes])
}

/// The shape of per-element losses for input `[N, C, d…]`: `[N, d…]`.
pub(crate) fn per_element_shape(input: &Tensor) -> Vec<isize> {
    input.shape().iter().enumerate().filter(|&(a, _)| a != 1).map(|(_, &s)| s as isize).collect()
}

/// Negative log-likelihood of class `targets` under log-probabilities `input` `[N, C]` or
/// `[N, C, d…]` (`F.nll_loss`); `targets` hold one class per `[N, d…]` position in row-major
/// order, of any shape (any slice of integers, or [`Indices`]). A mean divides by the
/// total weight of the non-ignored targets, as PyTorch.
///
/// # Errors
/// [`Error::InvalidArgument`] for input of fewer than 2 axes or a mean over no weight;
/// [`Error::ShapeMismatch`] for the wrong number of targets or weights;
/// [`Error::IndexOutOfRange`] for a class outside `0..C` other than `ignore_index`.
pub fn nll_loss(input: &Tensor, targets: impl Into<Indices>, options: &NllOptions) -> Result<Tensor> {
    const OP: &str = "nll_loss";
    let rows = class_rows(OP, input)?;
    let targets = ClassTargets::new(OP, &targets.into(), input.shape(), options)?;
    let losses = nll_of_rows(OP, &rows, targets, options.reduction)?;
    match options.reduction {
        Reduction::None => losses.reshape(&per_element_shape(input)),
        _ => Ok(losses),
    }
}

/// The negative log-likelihood of checked targets under `[rows, C]` log-probabilities, per row
/// or reduced (before the reshape to the caller's positions).
pub(crate) fn nll_of_rows(
    op: &'static str,
    rows: &Tensor,
    targets: ClassTargets,
    reduction: Reduction,
) -> Result<Tensor> {
    let divisor = if reduction == Reduction::Mean { targets.total_weight(op)? } else { 1.0 };
    Tensor::apply(Nll { targets, reduction, divisor }, &[rows])
}
