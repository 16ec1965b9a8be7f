//! Reductions over any set of axes: the reduced axes are moved last and made contiguous, so
//! every reduction is a fold over the rows of an `[outer, inner]` matrix, parallel over rows.

use std::borrow::Cow;

use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

use crate::kernels::elementwise::PARALLEL_THRESHOLD;
use crate::tensor::Data;

/// An input laid out as rows to reduce: one row per output element.
pub(crate) struct Rows<'a> {
    /// Row-major `[outer, inner]` values, borrowed from the input when it is already laid out
    /// that way (reducing the trailing axes of a contiguous array), copied otherwise.
    pub values: Cow<'a, [f32]>,
    pub outer: usize,
    pub inner: usize,
    /// The permutation that moved the reduced axes last.
    permutation: Vec<usize>,
    /// The input's shape after that permutation.
    permuted_shape: Vec<usize>,
}

/// Lays `x` out so each group of elements reduced together is one contiguous row.
pub(crate) fn to_rows<'a>(x: &'a Data, axes: &[usize]) -> Rows<'a> {
    let kept: Vec<usize> = (0..x.ndim()).filter(|a| !axes.contains(a)).collect();
    let outer = kept.iter().map(|&a| x.shape()[a]).product();
    let inner = axes.iter().map(|&a| x.shape()[a]).product();
    let permutation: Vec<usize> = kept.into_iter().chain(axes.iter().copied()).collect();
    let permuted = x.view().permuted_axes(IxDyn(&permutation));
    let permuted_shape = permuted.shape().to_vec();
    let values = match permuted.to_slice() {
        Some(values) => Cow::Borrowed(values),
        None => Cow::Owned(permuted.as_standard_layout().into_owned().into_raw_vec_and_offset().0),
    };
    Rows { values, outer, inner, permutation, permuted_shape }
}

impl Rows<'_> {
    /// `f(row)` for each row, in parallel when there is enough work.
    pub(crate) fn map<T: Send>(&self, f: impl Fn(&[f32]) -> T + Sync + Send) -> Vec<T> {
        if self.inner == 0 {
            return (0..self.outer).map(|_| f(&[])).collect();
        }
        if self.values.len() >= PARALLEL_THRESHOLD {
            self.values.par_chunks(self.inner).map(f).collect()
        } else {
            self.values.chunks(self.inner).map(f).collect()
        }
    }

    /// Puts `[outer, inner]` row-major values (one per input element, in row order) back into
    /// the input's layout: the inverse of [`to_rows`].
    pub(crate) fn unrows(&self, values: Vec<f32>) -> Data {
        let mut inverse = vec![0; self.permutation.len()];
        for (position, &axis) in self.permutation.iter().enumerate() {
            inverse[axis] = position;
        }
        let permuted = ArrayD::from_shape_vec(IxDyn(&self.permuted_shape), values).expect("one value per element");
        permuted.permuted_axes(IxDyn(&inverse)).as_standard_layout().into_owned().into_shared()
    }
}
