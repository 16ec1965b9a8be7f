//! Reductions over chosen axes, with `keepdim`: sum, mean, max, min and var.

use ndarray::{ArrayD, IxDyn};

use crate::error::{Error, Result};
use crate::kernels::elementwise::fill_in_parallel;
use crate::kernels::reduce::{row_sum, to_rows};
use crate::op::{BackwardContext, Op};
use crate::shape::normalize_axes;
use crate::tensor::{Data, Tensor};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Sum,
    Mean,
    Max,
    Min,
    /// Variance with `correction` subtracted from the count (0 biased, 1 unbiased).
    Var {
        correction: usize,
    },
}

struct Reduce {
    kind: Kind,
    axes: Vec<usize>,
    keepdim: bool,
    /// For max/min: the position of the chosen element within each row.
    arg: Vec<usize>,
}

impl Reduce {
    fn name(kind: Kind) -> &'static str {
        match kind {
            Kind::Sum => "sum",
            Kind::Mean => "mean",
            Kind::Max => "max",
            Kind::Min => "min",
            Kind::Var { .. } => "var",
        }
    }

    fn output_shape(&self, input: &[usize]) -> Vec<usize> {
        input
            .iter()
            .enumerate()
            .filter_map(|(axis, &size)| match self.axes.contains(&axis) {
                true if self.keepdim => Some(1),
                true => None,
                false => Some(size),
            })
            .collect()
    }

    /// The output gradient shaped with the reduced axes kept as 1, ready to broadcast.
    fn expanded_grad(&self, g: &Data, input: &[usize]) -> Data {
        let kept: Vec<usize> =
            input.iter().enumerate().map(|(a, &s)| if self.axes.contains(&a) { 1 } else { s }).collect();
        g.clone().into_shape_with_order(IxDyn(&kept)).expect("same element count")
    }
}

/// The index of the first element that `better` prefers over all others (NaN wins, as in PyTorch).
fn arg_extreme(row: &[f32], better: impl Fn(f32, f32) -> bool) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate().skip(1) {
        if row[best].is_nan() {
            break;
        }
        if v.is_nan() || better(v, row[best]) {
            best = i;
        }
    }
    best
}

impl Op for Reduce {
    fn name(&self) -> &'static str {
        Reduce::name(self.kind)
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let x = inputs[0];
        let rows = to_rows(x, &self.axes);
        let empty = || Error::Empty { op: Reduce::name(self.kind), shape: x.shape().to_vec() };
        let values: Vec<f32> = match self.kind {
            Kind::Sum => rows.map(|r| row_sum(r) as f32),
            Kind::Mean if rows.inner == 0 => return Err(empty()),
            Kind::Mean => rows.map(|r| (row_sum(r) / r.len() as f64) as f32),
            Kind::Max | Kind::Min if rows.inner == 0 => return Err(empty()),
            Kind::Max | Kind::Min => {
                let is_max = self.kind == Kind::Max;
                self.arg = rows.map(|r| arg_extreme(r, |v, best| if is_max { v > best } else { v < best }));
                rows.values.chunks(rows.inner).zip(&self.arg).map(|(r, &i)| r[i]).collect()
            }
            Kind::Var { correction } if rows.inner <= correction => {
                return Err(Error::invalid(
                    "var",
                    format!(
                        "needs more than {correction} element(s) per group, input shape {:?} reduced over axes {:?}",
                        x.shape(),
                        self.axes
                    ),
                ));
            }
            Kind::Var { correction } => rows.map(|r| {
                let mean = r.iter().map(|&v| v as f64).sum::<f64>() / r.len() as f64;
                let squares: f64 = r.iter().map(|&v| (v as f64 - mean).powi(2)).sum();
                (squares / (r.len() - correction) as f64) as f32
            }),
        };
        let shape = self.output_shape(x.shape());
        Ok(Data::from_shape_vec(IxDyn(&shape), values).expect("one value per output element"))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let x = &ctx.inputs[0];
        let g = self.expanded_grad(ctx.grad_output, x.shape());
        let count: usize = self.axes.iter().map(|&a| x.shape()[a]).product();
        let grad = match self.kind {
            // Written through `Zip` into a pooled buffer: ndarray's `to_owned` of a broadcast
            // view went element by element (12 ms of W6's step for 4 million values).
            Kind::Sum => spread(&g, x.shape(), |v| v),
            Kind::Mean => spread(&g, x.shape(), |v| v / count as f32),
            Kind::Max | Kind::Min => {
                let rows = to_rows(x, &self.axes);
                let mut values = vec![0.0; rows.values.len()];
                for ((row, &arg), &gv) in values.chunks_mut(rows.inner).zip(&self.arg).zip(g.iter()) {
                    row[arg] = gv;
                }
                return Ok(vec![Some(rows.unrows(values))]);
            }
            Kind::Var { correction } => {
                let mean = to_rows(x, &self.axes).map(|r| r.iter().sum::<f32>() / r.len() as f32);
                let mean = Data::from_shape_vec(g.raw_dim(), mean).expect("one mean per output element");
                let scale = 2.0 / (count - correction) as f32;
                let mut grad = x.to_owned();
                ndarray::Zip::from(&mut grad)
                    .and_broadcast(&mean)
                    .and_broadcast(&g)
                    .for_each(|v, &m, &gv| *v = scale * (*v - m) * gv);
                grad
            }
        };
        Ok(vec![Some(grad.into_shared())])
    }
}

/// `f(g)` broadcast to `shape`, in a buffer from the pool.
fn spread(g: &Data, shape: &[usize], f: impl Fn(f32) -> f32) -> ArrayD<f32> {
    let len = shape.iter().product();
    let mut values = crate::buffers::buffer(len);
    if let Some(&v) = g.iter().next().filter(|_| g.len() == 1) {
        // A full reduction's gradient: one value everywhere, a plain fill (through `Zip`, a
        // broadcast of one element went one value at a time: 4% of W8), on every thread.
        let value = f(v);
        fill_in_parallel(&mut values, |_, part| part.fill(value));
        return ArrayD::from_shape_vec(IxDyn(shape), values).expect("one value per element");
    }
    let mut out = ArrayD::from_shape_vec(IxDyn(shape), values).expect("one value per element");
    ndarray::Zip::from(&mut out).and_broadcast(g).for_each(|o, &v| *o = f(v));
    out
}

impl Tensor {
    fn reduce(&self, kind: Kind, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        let axes = normalize_axes(Reduce::name(kind), axes, self.shape())?;
        Tensor::apply(Reduce { kind, axes, keepdim, arg: Vec::new() }, &[self])
    }

    /// The sum over `axes` (an empty list means all axes), as `x.sum(dim=axes, keepdim=…)`.
    /// Negative axes count from the end. Accumulates in f64.
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`] or a repeated axis.
    pub fn sum(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        self.reduce(Kind::Sum, axes, keepdim)
    }

    /// The sum of all elements, a 0-d tensor.
    pub fn sum_all(&self) -> Result<Tensor> {
        self.sum(&[], false)
    }

    /// The mean over `axes` (empty: all), as `x.mean(dim=axes, keepdim=…)`.
    ///
    /// # Errors
    /// As [`Tensor::sum`], and [`Error::Empty`] when the axes hold no elements.
    pub fn mean(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        self.reduce(Kind::Mean, axes, keepdim)
    }

    /// The mean of all elements, a 0-d tensor.
    ///
    /// # Errors
    /// [`Error::Empty`] for an empty tensor.
    pub fn mean_all(&self) -> Result<Tensor> {
        self.mean(&[], false)
    }

    /// The maximum over `axes` (empty: all), as `torch.amax`; the gradient goes to the first
    /// arg-max of each group, as `x.max(dim).values` does.
    ///
    /// # Errors
    /// As [`Tensor::mean`].
    pub fn max(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        self.reduce(Kind::Max, axes, keepdim)
    }

    /// The minimum over `axes` (empty: all); the gradient goes to the first arg-min.
    ///
    /// # Errors
    /// As [`Tensor::mean`].
    pub fn min(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        self.reduce(Kind::Min, axes, keepdim)
    }

    /// The variance over `axes` (empty: all), as `x.var(dim=axes, unbiased=…, keepdim=…)`:
    /// divided by n - 1 when `unbiased`, by n otherwise.
    ///
    /// # Errors
    /// As [`Tensor::sum`], and [`Error::InvalidArgument`] when a group has too few elements
    /// (one, unbiased) rather than returning NaN.
    pub fn var(&self, axes: &[isize], keepdim: bool, unbiased: bool) -> Result<Tensor> {
        self.reduce(Kind::Var { correction: usize::from(unbiased) }, axes, keepdim)
    }
}
