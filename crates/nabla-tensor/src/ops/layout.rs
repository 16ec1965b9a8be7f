//! Ops that rearrange elements without computing on them: permute and transpose (views),
//! reshape and its relatives flatten, squeeze and unsqueeze, and broadcast_to.

use ndarray::IxDyn;

use crate::error::{Error, Result};
use crate::op::{BackwardContext, Op};
use crate::shape::{broadcast_shapes, normalize_axis, normalize_axis_for_rank, sum_to_shape};
use crate::tensor::{Data, Tensor};

/// Axis `i` of the output is axis `permutation[i]` of the input.
struct Permute {
    permutation: Vec<usize>,
}

impl Op for Permute {
    fn name(&self) -> &'static str {
        "permute"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        Ok(inputs[0].clone().permuted_axes(IxDyn(&self.permutation)))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let mut inverse = vec![0; self.permutation.len()];
        for (position, &axis) in self.permutation.iter().enumerate() {
            inverse[axis] = position;
        }
        Ok(vec![Some(ctx.grad_output.clone().permuted_axes(IxDyn(&inverse)))])
    }
}

struct Reshape {
    op: &'static str,
    shape: Vec<usize>,
}

/// `x` in row-major order with a new shape of the same element count (shared when `x` is
/// already contiguous).
fn reshaped(x: &Data, shape: &[usize]) -> Data {
    let contiguous = if x.is_standard_layout() { x.clone() } else { x.as_standard_layout().into_owned().into_shared() };
    contiguous.into_shape_with_order(IxDyn(shape)).expect("element count checked")
}

impl Op for Reshape {
    fn name(&self) -> &'static str {
        self.op
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        Ok(reshaped(inputs[0], &self.shape))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        Ok(vec![Some(reshaped(ctx.grad_output, ctx.inputs[0].shape()))])
    }
}

struct BroadcastTo {
    shape: Vec<usize>,
}

impl Op for BroadcastTo {
    fn name(&self) -> &'static str {
        "broadcast_to"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let x = inputs[0];
        let fits = broadcast_shapes("broadcast_to", x.shape(), &self.shape).is_ok_and(|s| s == self.shape);
        match x.broadcast(IxDyn(&self.shape)) {
            Some(view) if fits => Ok(view.to_owned().into_shared()),
            _ => Err(Error::Broadcast { op: "broadcast_to", lhs: x.shape().to_vec(), rhs: self.shape.clone() }),
        }
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        Ok(vec![Some(sum_to_shape(ctx.grad_output.clone(), ctx.inputs[0].shape())?)])
    }
}

impl Tensor {
    /// Reorders the axes: axis `i` of the result is axis `axes[i]` of `self` (`x.permute(...)`).
    /// The result shares this tensor's data.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `axes` is a permutation of `0..ndim` (negative axes allowed).
    pub fn permute(&self, axes: &[isize]) -> Result<Tensor> {
        let bad = || {
            Error::invalid(
                "permute",
                format!("axes {axes:?} are not a permutation of the axes of shape {:?}", self.shape()),
            )
        };
        if axes.len() != self.ndim() {
            return Err(bad());
        }
        let permutation =
            axes.iter().map(|&a| normalize_axis("permute", a, self.shape())).collect::<Result<Vec<_>>>()?;
        let mut seen = vec![false; permutation.len()];
        for &axis in &permutation {
            if std::mem::replace(&mut seen[axis], true) {
                return Err(bad());
            }
        }
        Tensor::apply(Permute { permutation }, &[self])
    }

    /// Swaps two axes (`x.transpose(a, b)`), sharing the data.
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`].
    pub fn transpose(&self, axis0: isize, axis1: isize) -> Result<Tensor> {
        let (a, b) =
            (normalize_axis("transpose", axis0, self.shape())?, normalize_axis("transpose", axis1, self.shape())?);
        let mut permutation: Vec<usize> = (0..self.ndim()).collect();
        permutation.swap(a, b);
        Tensor::apply(Permute { permutation }, &[self])
    }

    /// The transpose of a matrix (`x.t()`): swaps the last two axes.
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`] for fewer than two axes.
    pub fn t(&self) -> Result<Tensor> {
        self.transpose(-2, -1)
    }

    fn reshape_exact(&self, op: &'static str, shape: Vec<usize>) -> Result<Tensor> {
        let numel: usize = shape.iter().product();
        if numel != self.numel() {
            return Err(Error::Reshape {
                op,
                from: self.shape().to_vec(),
                to: shape,
                from_numel: self.numel(),
                to_numel: numel,
            });
        }
        Tensor::apply(Reshape { op, shape }, &[self])
    }

    /// The same elements in row-major order with a new shape (`x.reshape(...)`); one entry may
    /// be `-1`, inferred from the rest.
    ///
    /// # Errors
    /// [`Error::Reshape`] when the element counts differ; [`Error::ReshapeInfer`] when the
    /// `-1` cannot be inferred, or the shape has more than one `-1` or another negative entry.
    pub fn reshape(&self, shape: &[isize]) -> Result<Tensor> {
        let bad = |reason: String| Error::ReshapeInfer {
            op: "reshape",
            from: self.shape().to_vec(),
            to: shape.to_vec(),
            from_numel: self.numel(),
            reason,
        };
        let inferred = shape.iter().filter(|&&d| d == -1).count();
        if inferred > 1 {
            return Err(bad(format!("only one size can be -1, got {inferred}")));
        }
        if let Some(d) = shape.iter().find(|&&d| d < -1) {
            return Err(bad(format!("a size is -1 (inferred) or at least 0, got {d}")));
        }
        let known: usize = shape.iter().filter(|&&d| d >= 0).map(|&d| d as usize).product();
        let resolved: Vec<usize> = if inferred == 1 {
            if known == 0 || !self.numel().is_multiple_of(known) {
                return Err(bad(format!(
                    "the -1 cannot be inferred: {} elements are not a whole number of {known} (the product of the other sizes)",
                    self.numel()
                )));
            }
            shape.iter().map(|&d| if d == -1 { self.numel() / known } else { d as usize }).collect()
        } else {
            shape.iter().map(|&d| d as usize).collect()
        };
        self.reshape_exact("reshape", resolved)
    }

    /// Merges axes `start..=end` into one (`torch.flatten(x, start, end)`).
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`], or [`Error::InvalidArgument`] when `start` comes after `end`.
    pub fn flatten(&self, start: isize, end: isize) -> Result<Tensor> {
        if self.ndim() == 0 {
            return self.reshape_exact("flatten", vec![1]);
        }
        let (s, e) = (normalize_axis("flatten", start, self.shape())?, normalize_axis("flatten", end, self.shape())?);
        if s > e {
            return Err(Error::invalid(
                "flatten",
                format!("start axis {start} comes after end axis {end} (shape {:?})", self.shape()),
            ));
        }
        let dims = self.shape();
        let shape = dims[..s]
            .iter()
            .copied()
            .chain([dims[s..=e].iter().product()])
            .chain(dims[e + 1..].iter().copied())
            .collect();
        self.reshape_exact("flatten", shape)
    }

    /// Removes an axis of size 1 (`x.squeeze(axis)`).
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`], or [`Error::InvalidArgument`] when the axis is not of size 1.
    pub fn squeeze(&self, axis: isize) -> Result<Tensor> {
        let a = normalize_axis("squeeze", axis, self.shape())?;
        if self.shape()[a] != 1 {
            return Err(Error::invalid(
                "squeeze",
                format!("axis {axis} has size {}, not 1 (shape {:?})", self.shape()[a], self.shape()),
            ));
        }
        let mut shape = self.shape().to_vec();
        shape.remove(a);
        self.reshape_exact("squeeze", shape)
    }

    /// Inserts an axis of size 1 at `axis` (`x.unsqueeze(axis)`; `-1` appends).
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`] outside `-(ndim+1)..=ndim`.
    pub fn unsqueeze(&self, axis: isize) -> Result<Tensor> {
        let a = normalize_axis_for_rank("unsqueeze", axis, self.ndim() + 1, self.shape())?;
        let mut shape = self.shape().to_vec();
        shape.insert(a, 1);
        self.reshape_exact("unsqueeze", shape)
    }

    /// Repeats this tensor along axes of size 1 (and new leading axes) to `shape`
    /// (`x.broadcast_to(shape)`, materialised).
    ///
    /// # Errors
    /// [`Error::Broadcast`] when this shape does not broadcast to `shape`.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        Tensor::apply(BroadcastTo { shape: shape.to_vec() }, &[self])
    }
}
