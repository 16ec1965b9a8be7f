//! Matrix multiply: 2-D, batched with broadcast batch dimensions, and 1-D operands as in
//! `torch.matmul`.

use crate::error::{Error, Result};
use crate::kernels::gemm::{Operand, batched_matmul};
use crate::op::{BackwardContext, Op};
use crate::shape::{broadcast_shapes, sum_to_shape};
use crate::tensor::{Data, Tensor};

struct Matmul;

/// A matmul operand in a layout the kernel takes without copying: the stored (row-major)
/// values, their shape, and whether the logical matrices are their transposes. A transposed
/// view (`w.t()`) is used as it lies; only other strided layouts are copied.
struct Stored<'a> {
    values: std::borrow::Cow<'a, [f32]>,
    shape: Vec<usize>,
    transposed: bool,
}

impl<'a> Stored<'a> {
    fn new(data: &'a Data) -> Self {
        if let Some(values) = data.as_slice() {
            return Stored { values: values.into(), shape: data.shape().to_vec(), transposed: false };
        }
        let mut swapped = data.view();
        swapped.swap_axes(data.ndim() - 2, data.ndim() - 1);
        if let Some(values) = swapped.to_slice() {
            return Stored { values: values.into(), shape: swapped.shape().to_vec(), transposed: true };
        }
        let contiguous = data.as_standard_layout().into_owned().into_raw_vec_and_offset().0;
        Stored { values: contiguous.into(), shape: data.shape().to_vec(), transposed: false }
    }

    /// The logical matrices (transposed again when `transpose`).
    fn operand(&self, transpose: bool) -> Operand<'_> {
        Operand { values: &self.values, shape: &self.shape, transpose: self.transposed != transpose }
    }

    /// The logical shape `[..., rows, cols]`.
    fn logical_shape(&self) -> Vec<usize> {
        let mut shape = self.shape.clone();
        if self.transposed {
            let n = shape.len();
            shape.swap(n - 2, n - 1);
        }
        shape
    }
}

/// The broadcast batch shape of `[..., m, k] @ [..., k, n]`, checking the inner dimensions.
fn batch_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let (k_lhs, k_rhs) = (a[a.len() - 1], b[b.len() - 2]);
    if k_lhs != k_rhs {
        return Err(Error::MatmulMismatch { op: "matmul", lhs: a.to_vec(), rhs: b.to_vec(), k_lhs, k_rhs });
    }
    broadcast_shapes("matmul", &a[..a.len() - 2], &b[..b.len() - 2]).map_err(|_| Error::Broadcast {
        op: "matmul",
        lhs: a.to_vec(),
        rhs: b.to_vec(),
    })
}

impl Op for Matmul {
    fn name(&self) -> &'static str {
        "matmul"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let (a, b) = (Stored::new(inputs[0]), Stored::new(inputs[1]));
        let batch = batch_shape(&a.logical_shape(), &b.logical_shape())?;
        Ok(batched_matmul(&a.operand(false), &b.operand(false), &batch).into_shared())
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let (a, b, g) = (Stored::new(&ctx.inputs[0]), Stored::new(&ctx.inputs[1]), Stored::new(ctx.grad_output));
        let batch = &g.shape[..g.shape.len() - 2];
        // dA = G Bᵀ and dB = Aᵀ G per batch, then summed over the batch axes each side broadcast.
        let grad_a = ctx.needs_grad[0].then(|| {
            let full = batched_matmul(&g.operand(false), &b.operand(true), batch);
            sum_to_shape(full.into_shared(), ctx.inputs[0].shape())
        });
        let grad_a = grad_a.transpose()?;
        let grad_b = ctx.needs_grad[1].then(|| {
            let full = batched_matmul(&a.operand(true), &g.operand(false), batch);
            sum_to_shape(full.into_shared(), ctx.inputs[1].shape())
        });
        let grad_b = grad_b.transpose()?;
        Ok(vec![grad_a, grad_b])
    }
}

impl Tensor {
    /// The matrix product, as `torch.matmul`: `[..., m, k] @ [..., k, n] → [..., m, n]` with the
    /// batch dimensions broadcast; a 1-D left operand is a row vector and a 1-D right operand a
    /// column vector, and their added axis is removed from the result.
    ///
    /// ```
    /// use nabla_tensor::Tensor;
    /// let a = Tensor::ones(&[2, 1, 4, 6]);
    /// let b = Tensor::ones(&[3, 6, 5]);
    /// assert_eq!(a.matmul(&b)?.shape(), &[2, 3, 4, 5]);
    /// # Ok::<(), nabla_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::MatmulMismatch`] when the inner dimensions differ, [`Error::Broadcast`] when
    /// the batch dimensions do not broadcast, [`Error::InvalidArgument`] for a 0-d operand.
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        if self.ndim() == 0 || other.ndim() == 0 {
            return Err(Error::invalid(
                "matmul",
                format!("needs operands with at least one axis, got shapes {:?} and {:?}", self.shape(), other.shape()),
            ));
        }
        let lhs = if self.ndim() == 1 { self.unsqueeze(0)? } else { self.clone() };
        let rhs = if other.ndim() == 1 { other.unsqueeze(1)? } else { other.clone() };
        let product = Tensor::apply(Matmul, &[&lhs, &rhs]).map_err(|e| match e {
            Error::MatmulMismatch { op, k_lhs, k_rhs, .. } => {
                Error::MatmulMismatch { op, lhs: self.shape().to_vec(), rhs: other.shape().to_vec(), k_lhs, k_rhs }
            }
            other => other,
        })?;
        let product = if other.ndim() == 1 { product.squeeze(-1)? } else { product };
        match (self.ndim(), other.ndim()) {
            (1, 1) => product.squeeze(-1),
            (1, _) => product.squeeze(-2),
            _ => Ok(product),
        }
    }
}
