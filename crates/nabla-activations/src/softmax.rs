//! Softmax and log-softmax along an axis: one fused op each way, subtracting each lane's
//! maximum so no `exp` overflows.

use nabla_tensor::elementwise::PARALLEL_THRESHOLD;
use nabla_tensor::shape::normalize_axis;
use nabla_tensor::{BackwardContext, Data, Op, Result, Tensor};
use ndarray::{ArrayD, Axis, Zip};

struct Softmax {
    axis: usize,
    log: bool,
}

/// Runs `f(out_lane, in_lane, other_lane)` over every lane along `axis`, in parallel when large.
fn for_each_lane(
    out: &mut ArrayD<f32>,
    a: &Data,
    b: &Data,
    axis: usize,
    f: impl Fn(ndarray::ArrayViewMut1<f32>, ndarray::ArrayView1<f32>, ndarray::ArrayView1<f32>) + Sync + Send,
) {
    let large = out.len() >= PARALLEL_THRESHOLD;
    let zip = Zip::from(out.lanes_mut(Axis(axis))).and(a.lanes(Axis(axis))).and(b.lanes(Axis(axis)));
    if large { zip.par_for_each(f) } else { zip.for_each(f) }
}

impl Op for Softmax {
    fn name(&self) -> &'static str {
        if self.log { "log_softmax" } else { "softmax" }
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let x = inputs[0];
        let mut out = ArrayD::zeros(x.raw_dim());
        let log = self.log;
        for_each_lane(&mut out, x, x, self.axis, |mut out, x, _| {
            let max = x.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            let sum: f32 = x.iter().map(|&v| (v - max).exp()).sum();
            if log {
                let shift = max + sum.ln();
                out.zip_mut_with(&x, |o, &v| *o = v - shift);
            } else {
                out.zip_mut_with(&x, |o, &v| *o = (v - max).exp() / sum);
            }
        });
        Ok(out.into_shared())
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let (y, g) = (ctx.output, ctx.grad_output);
        let mut grad = ArrayD::zeros(y.raw_dim());
        let log = self.log;
        for_each_lane(&mut grad, y, g, self.axis, |mut grad, y, g| {
            if log {
                // y = log p: dx = g - p · Σg
                let total: f32 = g.sum();
                Zip::from(&mut grad).and(&y).and(&g).for_each(|d, &y, &g| *d = g - y.exp() * total);
            } else {
                // y = p: dx = p · (g - Σ g·p)
                let dot: f32 = y.iter().zip(g.iter()).map(|(y, g)| y * g).sum();
                Zip::from(&mut grad).and(&y).and(&g).for_each(|d, &y, &g| *d = y * (g - dot));
            }
        });
        Ok(vec![Some(grad.into_shared())])
    }
}

fn apply(x: &Tensor, axis: isize, log: bool) -> Result<Tensor> {
    let op = if log { "log_softmax" } else { "softmax" };
    let axis = normalize_axis(op, axis, x.shape())?;
    Tensor::apply(Softmax { axis, log }, &[x])
}

/// `e^x / Σ e^x` along `axis` (`torch.softmax(x, dim=axis)`); negative axes count from the end.
///
/// # Errors
/// [`Error::AxisOutOfRange`](nabla_tensor::Error::AxisOutOfRange).
pub fn softmax(x: &Tensor, axis: isize) -> Result<Tensor> {
    apply(x, axis, false)
}

/// `x - log Σ e^x` along `axis` (`torch.log_softmax(x, dim=axis)`), computed without forming
/// the softmax, so very negative log-probabilities stay exact.
///
/// # Errors
/// [`Error::AxisOutOfRange`](nabla_tensor::Error::AxisOutOfRange).
pub fn log_softmax(x: &Tensor, axis: isize) -> Result<Tensor> {
    apply(x, axis, true)
}
