//! 2-D pooling over each channel plane: max (with its arg-max saved for the backward pass),
//! average, and adaptive average. The windows of one plane are computed once and reused for
//! every plane, planes in parallel.

use nabla_tensor::buffers;
use nabla_tensor::elementwise::zeros_written;
use nabla_tensor::{BackwardContext, Data, Op, Result};
use rayon::prelude::*;
use std::hint::select_unpredictable;

/// Which pooling, with the windows each output position reads (flat indices into an input
/// plane) and the divisor of an average.
#[derive(Debug, Clone)]
pub(crate) struct Windows {
    pub out_hw: (usize, usize),
    /// Every window's cells one after another: window `i` is `cells[starts[i]..starts[i + 1]]`
    /// (one flat table instead of a vector per window, which the forward pass chased).
    cells: Vec<usize>,
    starts: Vec<usize>,
    /// Per window: divide the sum by this (average pools); unused for max.
    divisors: Vec<f32>,
    /// Sliding windows without padding, which max pooling walks row by row instead of
    /// through `cells`.
    grid: Option<Grid>,
}

/// Sliding windows that all lie inside a plane `width` values wide.
#[derive(Debug, Clone, Copy)]
struct Grid {
    width: usize,
    out_width: usize,
    kernel: (usize, usize),
    stride: (usize, usize),
    dilation: (usize, usize),
}

impl Grid {
    /// Max pooling of one plane, a row of outputs at a time: each cell of the window in
    /// turn is compared with the running maximum of every window of the row. The first
    /// largest value wins and a NaN wins and stays, as through the table; the comparisons are
    /// selects across the row, not a branch per window on which value is larger (which the
    /// CPU mispredicts: the table's loop took about 16% of W3 on a Zen 3).
    fn max(&self, input: &[f32], out: &mut [f32], arg: &mut [usize]) {
        let (kernel, stride, dilation) = (self.kernel, self.stride, self.dilation);
        let rows = out.chunks_exact_mut(self.out_width).zip(arg.chunks_exact_mut(self.out_width));
        for (oh, (out, arg)) in rows.enumerate() {
            for ki in 0..kernel.0 {
                for kj in 0..kernel.1 {
                    let start = (oh * stride.0 + ki * dilation.0) * self.width + kj * dilation.1;
                    let cells = input[start..].iter().step_by(stride.1).zip((start..).step_by(stride.1));
                    let running = out.iter_mut().zip(arg.iter_mut());
                    if ki == 0 && kj == 0 {
                        running.zip(cells).for_each(|((top, best), (&value, at))| (*top, *best) = (value, at));
                    } else {
                        for ((top, best), (&value, at)) in running.zip(cells) {
                            let take = ((value > *top) | value.is_nan()) & !top.is_nan();
                            *best = select_unpredictable(take, at, *best);
                            // Read back, not selected: a select of two floats is compiled to a
                            // branch, even on their bits.
                            *top = input[*best];
                        }
                    }
                }
            }
        }
    }
}

impl Windows {
    /// Sliding windows of `kernel` every `stride` over a `height × width` plane padded by
    /// `padding` (padded cells are left out of the index lists), with `dilation`. `None` when
    /// the kernel does not fit. Average divisors count the padding (PyTorch's
    /// `count_include_pad=True`).
    pub fn sliding(
        hw: (usize, usize),
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
        dilation: (usize, usize),
    ) -> Option<Windows> {
        let extent = |n: usize, k: usize, s: usize, p: usize, d: usize| {
            let span = d * (k - 1) + 1;
            (n + 2 * p >= span).then(|| (n + 2 * p - span) / s + 1)
        };
        let out_hw = (
            extent(hw.0, kernel.0, stride.0, padding.0, dilation.0)?,
            extent(hw.1, kernel.1, stride.1, padding.1, dilation.1)?,
        );
        let mut windows = Windows::with_capacity(out_hw, kernel.0 * kernel.1);
        for oh in 0..out_hw.0 {
            for ow in 0..out_hw.1 {
                for ki in 0..kernel.0 {
                    for kj in 0..kernel.1 {
                        let ih = (oh * stride.0 + ki * dilation.0) as isize - padding.0 as isize;
                        let iw = (ow * stride.1 + kj * dilation.1) as isize - padding.1 as isize;
                        if ih >= 0 && iw >= 0 && (ih as usize) < hw.0 && (iw as usize) < hw.1 {
                            windows.cells.push(ih as usize * hw.1 + iw as usize);
                        }
                    }
                }
                windows.close((kernel.0 * kernel.1) as f32);
            }
        }
        windows.grid =
            (padding == (0, 0)).then_some(Grid { width: hw.1, out_width: out_hw.1, kernel, stride, dilation });
        Some(windows)
    }

    /// PyTorch's adaptive bins: output cell `i` of `n` covers `⌊i·H/n⌋ .. ⌈(i+1)·H/n⌉`.
    pub fn adaptive(hw: (usize, usize), out_hw: (usize, usize)) -> Windows {
        let bins = |size: usize, n: usize| (0..n).map(move |i| (i * size / n, ((i + 1) * size).div_ceil(n)));
        let mut windows = Windows::with_capacity(out_hw, 1);
        for (h0, h1) in bins(hw.0, out_hw.0) {
            for (w0, w1) in bins(hw.1, out_hw.1) {
                windows.cells.extend((h0..h1).flat_map(|h| (w0..w1).map(move |w| h * hw.1 + w)));
                windows.close(((h1 - h0) * (w1 - w0)) as f32);
            }
        }
        windows
    }

    fn with_capacity(out_hw: (usize, usize), cells_per_window: usize) -> Windows {
        let count = out_hw.0 * out_hw.1;
        let mut starts = Vec::with_capacity(count + 1);
        starts.push(0);
        Windows {
            out_hw,
            cells: Vec::with_capacity(count * cells_per_window),
            starts,
            divisors: Vec::with_capacity(count),
            grid: None,
        }
    }

    /// Ends the window whose cells were pushed since the last one.
    fn close(&mut self, divisor: f32) {
        self.starts.push(self.cells.len());
        self.divisors.push(divisor);
    }

    /// Windows per plane (output positions).
    pub fn len(&self) -> usize {
        self.divisors.len()
    }

    /// Whether some window holds no cell (it lies entirely in the padding).
    pub fn any_empty(&self) -> bool {
        self.starts.windows(2).any(|pair| pair[0] == pair[1])
    }

    /// Each window's cells with its divisor.
    fn iter(&self) -> impl Iterator<Item = (&[usize], f32)> {
        self.starts.windows(2).map(|pair| &self.cells[pair[0]..pair[1]]).zip(self.divisors.iter().copied())
    }
}

/// The pooling op over `[N, C, H, W]`.
pub(crate) struct PoolOp {
    pub name: &'static str,
    pub max: bool,
    pub windows: Windows,
    /// Max pooling: for each output element, the index within its input plane it came from.
    pub arg: Vec<usize>,
}

impl Op for PoolOp {
    fn name(&self) -> &'static str {
        self.name
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let x = inputs[0].as_standard_layout();
        let shape = x.shape().to_vec();
        let plane = (shape[2] * shape[3]).max(1);
        let out_plane = self.windows.len().max(1);
        let values = x.as_slice().expect("standard layout");
        let mut out = buffers::buffer(shape[0] * shape[1] * self.windows.len());
        let windows = &self.windows;
        if self.max {
            // Each output and the index in its plane of the input cell it came from.
            let mut arg = vec![0usize; out.len()];
            out.par_chunks_mut(out_plane).zip(arg.par_chunks_mut(out_plane)).zip(values.par_chunks(plane)).for_each(
                |((out, arg), input)| {
                    if let Some(grid) = windows.grid {
                        return grid.max(input, out, arg);
                    }
                    for ((o, a), (window, _)) in out.iter_mut().zip(arg).zip(windows.iter()) {
                        // The first largest value; a NaN wins and stays.
                        let mut best = window[0];
                        for &i in &window[1..] {
                            if !(input[i] <= input[best] || input[best].is_nan()) {
                                best = i;
                            }
                        }
                        (*o, *a) = (input[best], best);
                    }
                },
            );
            self.arg = arg;
        } else {
            out.par_chunks_mut(out_plane).zip(values.par_chunks(plane)).for_each(|(out, input)| {
                for (o, (window, divisor)) in out.iter_mut().zip(windows.iter()) {
                    *o = window.iter().map(|&i| input[i]).sum::<f32>() / divisor;
                }
            });
        }
        let out_shape = [shape[0], shape[1], self.windows.out_hw.0, self.windows.out_hw.1];
        Ok(Data::from_shape_vec(nabla_tensor::ndarray::IxDyn(&out_shape), out).expect("one value per output"))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let shape = ctx.inputs[0].shape();
        let plane = (shape[2] * shape[3]).max(1);
        let out_plane = self.windows.len().max(1);
        let g = ctx.grad_output.as_standard_layout();
        let g = g.as_slice().expect("standard layout");
        let mut dx = zeros_written(shape.iter().product());
        let planes = dx.par_chunks_mut(plane).zip(g.par_chunks(out_plane));
        if self.max {
            planes.zip(self.arg.par_chunks(out_plane)).for_each(|((dx, g), arg)| {
                arg.iter().zip(g).for_each(|(&i, &gv)| dx[i] += gv);
            });
        } else {
            planes.for_each(|(dx, g)| {
                for ((window, divisor), &gv) in self.windows.iter().zip(g) {
                    window.iter().for_each(|&i| dx[i] += gv / divisor);
                }
            });
        }
        Ok(vec![Some(Data::from_shape_vec(ctx.inputs[0].raw_dim(), dx).expect("input shape"))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nabla_tensor::ndarray::IxDyn;

    /// Max pooling through the window table and row by row: the same values and arg-maxes,
    /// bit for bit, on inputs with ties, −0.0 beside 0.0 and NaNs anywhere in a window.
    #[test]
    fn row_by_row_max_matches_the_table() {
        let cases = [
            ((6, 7), (2, 2), (2, 2), (1, 1)),
            ((9, 8), (3, 2), (1, 2), (1, 1)),
            ((10, 11), (2, 3), (3, 1), (2, 3)),
            ((5, 5), (5, 5), (1, 1), (1, 1)),
        ];
        for (hw, kernel, stride, dilation) in cases {
            let windows = Windows::sliding(hw, kernel, stride, (0, 0), dilation).expect("the kernel fits");
            assert!(windows.grid.is_some());
            let table = Windows { grid: None, ..windows.clone() };
            let shape = [2, 3, hw.0, hw.1];
            let values = (0..shape.iter().product::<usize>()).map(|i| match i * 7919 % 23 {
                0 => f32::NAN,
                1 => -0.0,
                r => (r % 5) as f32 - 2.0,
            });
            let x = Data::from_shape_vec(IxDyn(&shape), values.collect()).expect("one value per element");
            let max = |windows: Windows| {
                let mut op = PoolOp { name: "MaxPool2d", max: true, windows, arg: Vec::new() };
                let out = op.forward(&[&x]).expect("max pooling");
                (out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), op.arg)
            };
            assert_eq!(max(windows), max(table), "{hw:?} kernel {kernel:?} stride {stride:?} dilation {dilation:?}");
        }
    }
}
