//! `Unflatten`: splits one axis into several (the inverse of `Flatten`).

use nabla_tensor::{Error, Result, Tensor};

use crate::Module;

/// `nn.Unflatten(axis, shape)`: `[N, 6272]` → `[N, 128, 7, 7]` for `Unflatten { axis: 1,
/// shape: vec![128, 7, 7] }`.
#[derive(Debug, Clone, PartialEq, Eq, Module)]
pub struct Unflatten {
    #[module(skip)]
    pub axis: usize,
    #[module(skip)]
    pub shape: Vec<usize>,
}

impl Module for Unflatten {
    /// # Shapes
    /// `[..., Π shape, ...]` → `[..., *shape, ...]` at `axis`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let size: usize = self.shape.iter().product();
        if self.axis >= input.ndim() || input.shape()[self.axis] != size {
            return Err(Error::ShapeMismatch {
                op: "Unflatten",
                lhs: input.shape().to_vec(),
                rhs: self.shape.clone(),
                reason: format!("axis {} must have {size} elements", self.axis),
            });
        }
        let dims = input.shape();
        let target: Vec<isize> =
            dims[..self.axis].iter().chain(&self.shape).chain(&dims[self.axis + 1..]).map(|&d| d as isize).collect();
        input.reshape(&target)
    }
}
