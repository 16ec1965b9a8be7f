//! Reductions over any set of axes: the reduced axes are moved last and made contiguous, so
//! every reduction is a fold over the rows of an `[outer, inner]` matrix, parallel over rows.

use std::borrow::Cow;

use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

use crate::kernels::elementwise::PARALLEL_THRESHOLD;
use crate::math::sum_f64;
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

/// Values per part of a long row's sum ([`row_sum`]).
const SUM_PART: usize = 1 << 16;

/// `Σ row` in f64: a long row (a full reduction's one) in parts of [`SUM_PART`] values on
/// rayon's threads, their sums added in order, so the result does not depend on the thread
/// count. W6's loss sums 4 million values; on one thread it was 2% of the step.
pub(crate) fn row_sum(row: &[f32]) -> f64 {
    if row.len() < 4 * SUM_PART {
        return sum_f64(row);
    }
    let parts: Vec<f64> = row.par_chunks(SUM_PART).map(sum_f64).collect();
    parts.iter().sum()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_row_sums_in_parts_to_the_same_bits_on_any_thread_count() {
        let row: Vec<f32> = (0..4 * SUM_PART + 3).map(|i| ((i * 7919) % 1000) as f32 * 1e-3 - 0.4).collect();
        let on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a pool");
            pool.install(|| row_sum(&row))
        };
        let one = on(1);
        assert_eq!(one.to_bits(), on(3).to_bits());
        let exact: f64 = row.iter().map(|&v| f64::from(v)).sum();
        assert!((one - exact).abs() < 1e-9 * exact.abs().max(1.0), "{one} vs {exact}");
    }
}
