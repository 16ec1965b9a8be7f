//! Shape arithmetic for ops (the core's and those of crates above it): axis normalisation,
//! NumPy broadcasting, reducing a broadcast gradient back to an input's shape, and the size
//! limit that turns an absurd output size into an error instead of an allocation abort.

use ndarray::{Axis, IxDyn};

use crate::error::{Error, Result};
use crate::tensor::Data;

/// The most elements an op will allocate for one tensor (2³¹, 8 GiB of f32): a size computed
/// from a hyperparameter (a scale factor, a padding) or read from a file above it is refused
/// with an error rather than attempted, since a failed allocation aborts the process.
pub const MAX_ELEMENTS: usize = 1 << 31;

/// The number of elements of `shape`, checked against overflow and [`MAX_ELEMENTS`].
///
/// # Errors
/// [`Error::InvalidArgument`] naming `op` and the shape.
pub fn checked_numel(op: &'static str, shape: &[usize]) -> Result<usize> {
    shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).filter(|&n| n <= MAX_ELEMENTS).ok_or_else(|| {
        Error::InvalidArgument {
            op,
            reason: format!("an output of shape {shape:?} is larger than the {MAX_ELEMENTS} elements nabla allocates"),
        }
    })
}

/// Maps a possibly negative axis (`-1` is the last) into `0..shape.len()`.
///
/// # Errors
/// [`Error::AxisOutOfRange`] naming `op`.
pub fn normalize_axis(op: &'static str, axis: isize, shape: &[usize]) -> Result<usize> {
    normalize_axis_for_rank(op, axis, shape.len(), shape)
}

/// As [`normalize_axis`] against a rank other than the shape's own (`unsqueeze` takes rank + 1).
pub(crate) fn normalize_axis_for_rank(op: &'static str, axis: isize, rank: usize, shape: &[usize]) -> Result<usize> {
    let resolved = if axis < 0 { axis + rank as isize } else { axis };
    if resolved < 0 || resolved >= rank as isize {
        return Err(Error::AxisOutOfRange { op, axis, shape: shape.to_vec() });
    }
    Ok(resolved as usize)
}

/// Normalises a list of axes, sorted ascending; an empty list means every axis. Repeated axes
/// are an error, as in PyTorch.
///
/// # Errors
/// [`Error::AxisOutOfRange`] or [`Error::InvalidArgument`] naming `op`.
pub fn normalize_axes(op: &'static str, axes: &[isize], shape: &[usize]) -> Result<Vec<usize>> {
    if axes.is_empty() {
        return Ok((0..shape.len()).collect());
    }
    let mut resolved = axes.iter().map(|&a| normalize_axis(op, a, shape)).collect::<Result<Vec<_>>>()?;
    resolved.sort_unstable();
    if resolved.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::invalid(op, format!("axes {axes:?} repeat an axis (shape {shape:?})")));
    }
    Ok(resolved)
}

/// The shape two shapes broadcast to under NumPy's rules.
///
/// # Errors
/// [`Error::Broadcast`] naming `op` and both shapes.
pub fn broadcast_shapes(op: &'static str, lhs: &[usize], rhs: &[usize]) -> Result<Vec<usize>> {
    let rank = lhs.len().max(rhs.len());
    let dim = |s: &[usize], i: usize| if i < rank - s.len() { 1 } else { s[i - (rank - s.len())] };
    (0..rank)
        .map(|i| match (dim(lhs, i), dim(rhs, i)) {
            (a, b) if a == b || b == 1 => Ok(a),
            (1, b) => Ok(b),
            _ => Err(Error::Broadcast { op, lhs: lhs.to_vec(), rhs: rhs.to_vec() }),
        })
        .collect()
}

/// Sums a gradient of a broadcast shape back down to `shape`, the reverse of broadcasting:
/// what a custom [`Op`](crate::Op)'s backward returns for an input that was broadcast (a
/// per-feature parameter, a scalar).
///
/// ```
/// use nabla_tensor::{ndarray::ArrayD, shape::sum_to_shape};
/// let grad = ArrayD::from_elem(vec![4, 3], 1.0f32).into_shared();
/// assert_eq!(sum_to_shape(grad.clone(), &[3])?.as_slice().unwrap(), &[4.0, 4.0, 4.0]);
/// assert_eq!(sum_to_shape(grad.clone(), &[4, 1])?.shape(), &[4, 1]);
/// assert!(sum_to_shape(grad, &[2]).is_err());
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
///
/// # Errors
/// [`Error::Broadcast`] when `shape` does not broadcast to the gradient's shape.
pub fn sum_to_shape(grad: Data, shape: &[usize]) -> Result<Data> {
    if grad.shape() == shape {
        return Ok(grad);
    }
    if grad.ndim() < shape.len() || broadcast_shapes("sum_to_shape", grad.shape(), shape)? != grad.shape() {
        return Err(Error::Broadcast { op: "sum_to_shape", lhs: grad.shape().to_vec(), rhs: shape.to_vec() });
    }
    let extra = grad.ndim() - shape.len();
    let mut reduced = grad.into_owned();
    for _ in 0..extra {
        reduced = reduced.sum_axis(Axis(0));
    }
    for (axis, &size) in shape.iter().enumerate() {
        if size == 1 && reduced.shape()[axis] != 1 {
            reduced = reduced.sum_axis(Axis(axis)).insert_axis(Axis(axis));
        }
    }
    Ok(reduced.into_shape_with_order(IxDyn(shape)).expect("the same element count, checked above").into_shared())
}

/// The row-major strides of `shape`, in elements.
pub(crate) fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    strides
}
