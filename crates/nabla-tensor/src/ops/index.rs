//! Picking elements by index along an axis: index_select and gather. Repeated indices
//! accumulate their gradients.

use ndarray::{ArrayD, Axis, IxDyn};

use crate::error::{Error, Result};
use crate::indices::Indices;
use crate::op::{BackwardContext, Op};
use crate::shape::normalize_axis;
use crate::tensor::{Data, Tensor};

struct IndexSelect {
    axis: usize,
    indices: Vec<usize>,
}

impl Op for IndexSelect {
    fn name(&self) -> &'static str {
        "index_select"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        Ok(inputs[0].select(Axis(self.axis), &self.indices).into_shared())
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let mut grad = crate::kernels::elementwise::zeros_array(ctx.inputs[0].raw_dim());
        for (position, &index) in self.indices.iter().enumerate() {
            let mut row = grad.index_axis_mut(Axis(self.axis), index);
            row += &ctx.grad_output.index_axis(Axis(self.axis), position);
        }
        Ok(vec![Some(grad.into_shared())])
    }
}

struct Gather {
    axis: usize,
    index: ArrayD<usize>,
}

impl Gather {
    /// The input position that output position `at` reads.
    fn source(&self, at: &IxDyn, index: usize) -> IxDyn {
        let mut source = at.clone();
        source[self.axis] = index;
        source
    }
}

impl Op for Gather {
    fn name(&self) -> &'static str {
        "gather"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let x = inputs[0];
        let values = self.index.indexed_iter().map(|(at, &i)| x[self.source(&at, i)]).collect();
        Ok(Data::from_shape_vec(self.index.raw_dim(), values).expect("one value per index"))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let mut grad = crate::kernels::elementwise::zeros_array(ctx.inputs[0].raw_dim());
        for ((at, &i), &g) in self.index.indexed_iter().zip(ctx.grad_output.iter()) {
            grad[self.source(&at, i)] += g;
        }
        Ok(vec![Some(grad.into_shared())])
    }
}

impl Tensor {
    /// The slices at `indices` along `axis`, in that order (`torch.index_select`); the
    /// indices are taken in row-major order whatever their shape.
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`], [`Error::IndexOutOfRange`].
    pub fn index_select(&self, axis: isize, indices: impl Into<Indices>) -> Result<Tensor> {
        let a = normalize_axis("index_select", axis, self.shape())?;
        let indices = indices.into().positions("index_select", a, self.shape()[a], self.shape())?;
        Tensor::apply(IndexSelect { axis: a, indices }, &[self])
    }

    /// `out[i][j] = self[i][index[i][j]]` for `axis = 1`, and likewise for any axis
    /// (`torch.gather(self, axis, index)`). `index` has this tensor's rank and is no larger
    /// than it off `axis`; the output has `index`'s shape.
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`], [`Error::ShapeMismatch`] for an index of the wrong rank or
    /// size, [`Error::IndexOutOfRange`] for a value outside the axis.
    pub fn gather(&self, axis: isize, index: impl Into<Indices>) -> Result<Tensor> {
        let index = index.into();
        let a = normalize_axis("gather", axis, self.shape())?;
        let fits = index.shape().len() == self.ndim()
            && index.shape().iter().zip(self.shape()).enumerate().all(|(d, (i, s))| d == a || i <= s);
        if !fits {
            return Err(Error::ShapeMismatch {
                op: "gather",
                lhs: self.shape().to_vec(),
                rhs: index.shape().to_vec(),
                reason: format!("the index needs the input's rank and no larger size off axis {a}"),
            });
        }
        let positions = index.positions("gather", a, self.shape()[a], self.shape())?;
        let index = ArrayD::from_shape_vec(IxDyn(index.shape()), positions).expect("one position per index");
        Tensor::apply(Gather { axis: a, index }, &[self])
    }
}
