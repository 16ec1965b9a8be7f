//! Joining and cutting along an axis: concat, stack and narrow.

use ndarray::{Axis, Slice};

use crate::error::{Error, Result};
use crate::op::{BackwardContext, Op};
use crate::shape::{normalize_axis, normalize_axis_for_rank};
use crate::tensor::{Data, Tensor};

struct Concat {
    axis: usize,
}

impl Op for Concat {
    fn name(&self) -> &'static str {
        "concat"
    }

    /// The shapes are checked by [`Tensor::concat`].
    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let views: Vec<_> = inputs.iter().map(|d| d.view()).collect();
        ndarray::concatenate(Axis(self.axis), &views)
            .map(|a| a.into_shared())
            .map_err(|e| Error::invalid("concat", e.to_string()))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let mut start = 0;
        Ok(ctx
            .inputs
            .iter()
            .zip(ctx.needs_grad)
            .map(|(input, &needed)| {
                let len = input.shape()[self.axis];
                let part = ctx.grad_output.clone().slice_axis_move(Axis(self.axis), Slice::from(start..start + len));
                start += len;
                needed.then_some(part)
            })
            .collect())
    }
}

struct Narrow {
    axis: usize,
    start: usize,
    len: usize,
}

impl Op for Narrow {
    fn name(&self) -> &'static str {
        "narrow"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        Ok(inputs[0].clone().slice_axis_move(Axis(self.axis), Slice::from(self.start..self.start + self.len)))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let mut grad = crate::kernels::elementwise::zeros_array(ctx.inputs[0].raw_dim());
        grad.slice_axis_mut(Axis(self.axis), Slice::from(self.start..self.start + self.len)).assign(ctx.grad_output);
        Ok(vec![Some(grad.into_shared())])
    }
}

impl Tensor {
    /// Joins tensors along an existing axis (`torch.cat(tensors, dim=axis)`).
    ///
    /// # Errors
    /// [`Error::Empty`] for no tensors, [`Error::AxisOutOfRange`], [`Error::ShapeMismatch`] when
    /// the other axes differ.
    pub fn concat(tensors: &[&Tensor], axis: isize) -> Result<Tensor> {
        let first = tensors.first().ok_or(Error::Empty { op: "concat", shape: vec![0] })?;
        if first.ndim() == 0 {
            return Err(Error::invalid("concat", "0-d tensors cannot be concatenated; use stack"));
        }
        let axis = normalize_axis("concat", axis, first.shape())?;
        let fits = |t: &&&Tensor| {
            t.ndim() == first.ndim()
                && t.shape().iter().zip(first.shape()).enumerate().all(|(a, (x, y))| a == axis || x == y)
        };
        if let Some(odd) = tensors.iter().find(|t| !fits(t)) {
            return Err(Error::ShapeMismatch {
                op: "concat",
                lhs: first.shape().to_vec(),
                rhs: odd.shape().to_vec(),
                reason: format!("all sizes but axis {axis} must agree"),
            });
        }
        Tensor::apply(Concat { axis }, tensors)
    }

    /// Joins tensors of one shape along a new axis (`torch.stack(tensors, dim=axis)`).
    ///
    /// # Errors
    /// [`Error::Empty`] for no tensors, [`Error::AxisOutOfRange`], [`Error::ShapeMismatch`] when
    /// the shapes differ.
    pub fn stack(tensors: &[&Tensor], axis: isize) -> Result<Tensor> {
        let first = tensors.first().ok_or(Error::Empty { op: "stack", shape: vec![0] })?;
        if let Some(odd) = tensors.iter().find(|t| t.shape() != first.shape()) {
            return Err(Error::ShapeMismatch {
                op: "stack",
                lhs: first.shape().to_vec(),
                rhs: odd.shape().to_vec(),
                reason: "stacked tensors must have one shape".into(),
            });
        }
        let axis = normalize_axis_for_rank("stack", axis, first.ndim() + 1, first.shape())? as isize;
        let expanded = tensors.iter().map(|t| t.unsqueeze(axis)).collect::<Result<Vec<_>>>()?;
        Tensor::concat(&expanded.iter().collect::<Vec<_>>(), axis)
    }

    /// The elements `start..start + len` along `axis` (`x.narrow(axis, start, len)`), sharing
    /// the data.
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`], or [`Error::IndexOutOfRange`] when the range leaves the axis.
    pub fn narrow(&self, axis: isize, start: usize, len: usize) -> Result<Tensor> {
        let a = normalize_axis("narrow", axis, self.shape())?;
        let size = self.shape()[a];
        if start.checked_add(len).is_none_or(|end| end > size) {
            return Err(Error::IndexOutOfRange {
                op: "narrow",
                index: start.saturating_add(len) as i64,
                axis: a,
                size,
                shape: self.shape().to_vec(),
            });
        }
        Tensor::apply(Narrow { axis: a, start, len }, &[self])
    }
}
