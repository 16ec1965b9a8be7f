//! Picking elements by index along an axis: index_select and gather. Repeated indices
//! accumulate their gradients.

use ndarray::{ArrayD, Axis, IxDyn};

use crate::error::{Error, Result};
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
    /// The slices at `indices` along `axis`, in that order (`torch.index_select`).
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`], [`Error::IndexOutOfRange`].
    pub fn index_select(&self, axis: isize, indices: &[usize]) -> Result<Tensor> {
        let a = normalize_axis("index_select", axis, self.shape())?;
        let size = self.shape()[a];
        if let Some(&bad) = indices.iter().find(|&&i| i >= size) {
            return Err(Error::IndexOutOfRange {
                op: "index_select",
                index: bad as i64,
                axis: a,
                size,
                shape: self.shape().to_vec(),
            });
        }
        Tensor::apply(IndexSelect { axis: a, indices: indices.to_vec() }, &[self])
    }

    /// `out[i][j] = self[i][index[i][j]]` for `axis = 1`, and likewise for any axis
    /// (`torch.gather(self, axis, index)`). `index` holds whole numbers (as f32, the only
    /// element type), has this tensor's rank, and is no larger than it off `axis`; the output
    /// has `index`'s shape.
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`], [`Error::ShapeMismatch`] for an index of the wrong rank or
    /// size, [`Error::IndexOutOfRange`] for a value outside the axis or not a whole number.
    pub fn gather(&self, axis: isize, index: &Tensor) -> Result<Tensor> {
        let a = normalize_axis("gather", axis, self.shape())?;
        let fits = index.ndim() == self.ndim()
            && index.shape().iter().zip(self.shape()).enumerate().all(|(d, (i, s))| d == a || i <= s);
        if !fits {
            return Err(Error::ShapeMismatch {
                op: "gather",
                lhs: self.shape().to_vec(),
                rhs: index.shape().to_vec(),
                reason: format!("the index needs the input's rank and no larger size off axis {a}"),
            });
        }
        let size = self.shape()[a];
        let positions = index
            .data()
            .mapv(|v| if v >= 0.0 && v.fract() == 0.0 && (v as usize) < size { Ok(v as usize) } else { Err(v) });
        if let Some(Err(bad)) = positions.iter().find(|p| p.is_err()) {
            return Err(Error::IndexOutOfRange {
                op: "gather",
                index: *bad as i64,
                axis: a,
                size,
                shape: self.shape().to_vec(),
            });
        }
        let index = positions.mapv(|p| p.unwrap_or_default());
        Tensor::apply(Gather { axis: a, index: index.into_owned() }, &[self])
    }
}
