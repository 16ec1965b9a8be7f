//! Selecting by mask (`where`) and constant padding.

use ndarray::{ArrayD, IxDyn, Slice};

use crate::error::{Error, Result};
use crate::kernels::elementwise::map3;
use crate::op::{BackwardContext, Op};
use crate::shape::{broadcast_shapes, sum_to_shape};
use crate::tensor::{Data, Tensor};

/// Inputs: the mask (no gradient), the values where it is non-zero, the values where it is 0.
struct WhereCond;

impl Op for WhereCond {
    fn name(&self) -> &'static str {
        "where_cond"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let (mask, a, b) = (inputs[0], inputs[1], inputs[2]);
        let values = broadcast_shapes("where_cond", a.shape(), b.shape())?;
        let shape = broadcast_shapes("where_cond", mask.shape(), &values)?;
        Ok(map3(mask, a, b, &shape, |m, x, y| if m != 0.0 { x } else { y }))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let (mask, g) = (&ctx.inputs[0], ctx.grad_output);
        let zero = Data::from_elem(IxDyn(&[]), 0.0);
        let side = |index: usize, keep_when_set: bool| {
            ctx.needs_grad[index].then(|| {
                let picked =
                    map3(mask, g, &zero, g.shape(), move |m, g, _| if (m != 0.0) == keep_when_set { g } else { 0.0 });
                sum_to_shape(picked, ctx.inputs[index].shape())
            })
        };
        Ok(vec![None, side(1, true).transpose()?, side(2, false).transpose()?])
    }
}

struct Pad {
    padding: Vec<(usize, usize)>,
    value: f32,
}

impl Pad {
    fn interior(&self, axis: usize, size: usize) -> Slice {
        let before = self.padding[axis].0;
        Slice::from(before..before + size)
    }
}

impl Op for Pad {
    fn name(&self) -> &'static str {
        "pad"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let x = inputs[0];
        let shape: Vec<usize> = x.shape().iter().zip(&self.padding).map(|(s, (b, a))| s + b + a).collect();
        let mut out = ArrayD::from_elem(IxDyn(&shape), self.value);
        out.slice_each_axis_mut(|ax| self.interior(ax.axis.index(), x.shape()[ax.axis.index()])).assign(x);
        Ok(out.into_shared())
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let input = ctx.inputs[0].shape();
        let grad = ctx.grad_output.slice_each_axis(|ax| self.interior(ax.axis.index(), input[ax.axis.index()]));
        Ok(vec![Some(grad.to_owned().into_shared())])
    }
}

impl Tensor {
    /// Where this mask is non-zero, `on_true`; elsewhere `on_false` (`torch.where(mask, a, b)`).
    /// All three broadcast together; the mask takes no gradient.
    ///
    /// # Errors
    /// [`Error::Broadcast`] when the shapes do not broadcast.
    pub fn where_cond(&self, on_true: &Tensor, on_false: &Tensor) -> Result<Tensor> {
        Tensor::apply(WhereCond, &[self, on_true, on_false])
    }

    /// Pads with `value`: `padding[axis] = (before, after)` elements added on each side of each
    /// axis (`F.pad(x, …, mode="constant")`, with one pair per axis, first axis first).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless there is one pair per axis.
    pub fn pad(&self, padding: &[(usize, usize)], value: f32) -> Result<Tensor> {
        if padding.len() != self.ndim() {
            return Err(Error::invalid(
                "pad",
                format!(
                    "needs one (before, after) pair per axis: {} pairs for shape {:?}",
                    padding.len(),
                    self.shape()
                ),
            ));
        }
        Tensor::apply(Pad { padding: padding.to_vec(), value }, &[self])
    }
}
