//! Batch normalisation with the batch's own statistics as one op: forward in two passes over
//! the input (the per-channel sums, then the scale and shift), backward in two (the sums of
//! the upstream gradient, then the input gradient), instead of the eleven element-wise ops the
//! formula takes when it is written with tensor ops.

use nabla_tensor::elementwise::{contiguous, fill_in_parallel};
use nabla_tensor::math::{dot_f64, sum_f64};
use nabla_tensor::ndarray::IxDyn;
use nabla_tensor::{BackwardContext, Data, Op, Result, Tensor, buffers};
use rayon::prelude::*;

/// An input seen as `[N, C, S]`: batch, channels, and the values of one channel in one sample
/// (1 for `[N, C]`, the pixels of an image for `[N, C, H, W]`).
#[derive(Debug, Clone, Copy)]
struct Dims {
    batch: usize,
    channels: usize,
    spread: usize,
}

impl Dims {
    fn of(shape: &[usize]) -> Dims {
        Dims { batch: shape[0], channels: shape[1], spread: shape[2..].iter().product() }
    }

    /// Values per channel over the whole batch.
    fn count(&self) -> usize {
        self.batch * self.spread
    }
}

/// Per channel: `Σ a` and `Σ a·b` over the batch, in f64, each channel summed in one fixed
/// order (so the result does not depend on the thread count).
fn channel_sums(a: &[f32], b: &[f32], dims: Dims) -> (Vec<f64>, Vec<f64>) {
    let Dims { batch, channels, spread } = dims;
    let mut sums = vec![(0.0f64, 0.0f64); channels];
    let block = 64usize;
    sums.par_chunks_mut(block).enumerate().for_each(|(index, block_sums)| {
        let first = index * block;
        for n in 0..batch {
            let row = (n * channels + first) * spread;
            let (a_row, b_row) = (&a[row..row + block_sums.len() * spread], &b[row..row + block_sums.len() * spread]);
            if spread == 1 {
                for ((sum, &x), &y) in block_sums.iter_mut().zip(a_row).zip(b_row) {
                    sum.0 += f64::from(x);
                    sum.1 += f64::from(x) * f64::from(y);
                }
            } else {
                for ((sum, xs), ys) in block_sums.iter_mut().zip(a_row.chunks(spread)).zip(b_row.chunks(spread)) {
                    sum.0 += sum_f64(xs);
                    sum.1 += dot_f64(xs, ys);
                }
            }
        }
    });
    sums.into_iter().unzip()
}

/// Per channel `c`, the coefficients of `α[c]·u + β[c]·v + γ[c]`, each kind in an array of its
/// own so that a run across channels reads them as vectors.
struct Affine {
    alpha: Vec<f32>,
    beta: Vec<f32>,
    gamma: Vec<f32>,
}

impl FromIterator<(f32, f32, f32)> for Affine {
    fn from_iter<I: IntoIterator<Item = (f32, f32, f32)>>(channels: I) -> Affine {
        let mut affine = Affine { alpha: Vec::new(), beta: Vec::new(), gamma: Vec::new() };
        for (alpha, beta, gamma) in channels {
            affine.alpha.push(alpha);
            affine.beta.push(beta);
            affine.gamma.push(gamma);
        }
        affine
    }
}

/// `out = α[c]·u + β[c]·v + γ[c]` element by element, `c` being each element's channel.
fn per_channel_affine(u: &[f32], v: &[f32], affine: &Affine, dims: Dims) -> Vec<f32> {
    let (channels, spread) = (dims.channels, dims.spread);
    let mut out = buffers::buffer(u.len());
    fill_in_parallel(&mut out, |start, part| {
        let mut done = 0;
        while done < part.len() {
            let at = start + done;
            let channel = (at / spread) % channels;
            if spread == 1 {
                // `[N, C]` (a layer's features): a run crosses the channels. One value per run,
                // with a division to find its channel, W4's batch norm over 6,272 features was
                // 3% of its time on the AVX2-only Zen 1.
                let run = (channels - channel).min(part.len() - done);
                let coefficients = (&affine.alpha[channel..], &affine.beta[channel..], &affine.gamma[channel..]);
                affine_across_channels(&mut part[done..done + run], &u[at..at + run], &v[at..at + run], coefficients);
                done += run;
            } else {
                let run = (spread - at % spread).min(part.len() - done);
                let coefficients = (affine.alpha[channel], affine.beta[channel], affine.gamma[channel]);
                affine_within_channel(&mut part[done..done + run], &u[at..at + run], &v[at..at + run], coefficients);
                done += run;
            }
        }
    });
    out
}

nabla_tensor::wide_kernel! {
    /// `out = α·u + β·v + γ` over a run of one channel's values.
    fn affine_within_channel(out: &mut [f32], u: &[f32], v: &[f32], coefficients: (f32, f32, f32)) {
        let (alpha, beta, gamma) = coefficients;
        for ((o, &x), &y) in out.iter_mut().zip(u).zip(v) {
            *o = alpha * x + beta * y + gamma;
        }
    }
}

nabla_tensor::wide_kernel! {
    /// `out[i] = α[i]·u[i] + β[i]·v[i] + γ[i]` over a run of consecutive channels.
    fn affine_across_channels(out: &mut [f32], u: &[f32], v: &[f32], coefficients: (&[f32], &[f32], &[f32])) {
        let (alphas, betas, gammas) = coefficients;
        for ((((o, &x), &y), &alpha), (&beta, &gamma)) in out.iter_mut().zip(u).zip(v).zip(alphas).zip(betas.iter().zip(gammas)) {
            *o = alpha * x + beta * y + gamma;
        }
    }
}

/// A batch's per-channel mean and biased variance, what batch normalisation uses in training.
#[derive(Debug, Clone)]
pub(crate) struct BatchStatistics {
    pub mean: Vec<f32>,
    pub variance: Vec<f32>,
}

impl BatchStatistics {
    /// The statistics of `input` (`[N, C, ...]`, at least one value per channel).
    pub(crate) fn of(input: &Tensor) -> BatchStatistics {
        let data = input.data();
        let values = contiguous(&data);
        let dims = Dims::of(input.shape());
        let (sums, squares) = channel_sums(&values, &values, dims);
        let count = dims.count() as f64;
        let (mean, variance) = sums
            .iter()
            .zip(&squares)
            .map(|(&sum, &square)| {
                let mean = sum / count;
                (mean as f32, (square / count - mean * mean).max(0.0) as f32)
            })
            .unzip();
        BatchStatistics { mean, variance }
    }
}

/// The op: inputs `x` and optionally `weight` and `bias` (both or neither); output
/// `(x − mean) / √(variance + eps) · weight + bias`, with the given statistics of `x`.
pub(crate) struct BatchNormOp {
    pub name: &'static str,
    pub statistics: BatchStatistics,
    pub eps: f32,
}

impl BatchNormOp {
    fn inverse_std(&self) -> impl Iterator<Item = f32> + '_ {
        self.statistics.variance.iter().map(|v| 1.0 / (v + self.eps).sqrt())
    }

    /// The per-channel scale, or ones without one.
    fn weights(weight: Option<&Data>, channels: usize) -> Vec<f32> {
        weight.map_or_else(|| vec![1.0; channels], |w| contiguous(w).into_owned())
    }
}

impl Op for BatchNormOp {
    fn name(&self) -> &'static str {
        self.name
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let x = contiguous(inputs[0]);
        let dims = Dims::of(inputs[0].shape());
        let weights = Self::weights(inputs.get(1).copied(), dims.channels);
        let biases = inputs.get(2).map_or_else(|| vec![0.0; dims.channels], |b| contiguous(b).into_owned());
        // y = x · scale + shift, with scale = w / σ and shift = b − mean · scale.
        let affine: Affine = self
            .inverse_std()
            .zip(&weights)
            .zip(&biases)
            .zip(&self.statistics.mean)
            .map(|(((inv_std, w), b), mean)| (w * inv_std, 0.0, b - mean * w * inv_std))
            .collect();
        let y = per_channel_affine(&x, &x, &affine, dims);
        Ok(Data::from_shape_vec(IxDyn(inputs[0].shape()), y).expect("the input's shape"))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let (x, dy) = (contiguous(&ctx.inputs[0]), contiguous(ctx.grad_output));
        let dims = Dims::of(ctx.inputs[0].shape());
        let count = dims.count() as f32;
        let (dy_sums, dy_x_sums) = channel_sums(&dy, &x, dims);
        let weights = Self::weights(ctx.inputs.get(1), dims.channels);
        // Per channel: Σ dy and Σ dy·x̂, with x̂ = (x − mean) / σ.
        let (sum_dy, sum_dy_xhat): (Vec<f32>, Vec<f32>) = dy_sums
            .iter()
            .zip(&dy_x_sums)
            .zip(self.inverse_std())
            .zip(&self.statistics.mean)
            .map(|(((&dy, &dy_x), inv_std), &mean)| {
                (dy as f32, ((dy_x - f64::from(mean) * dy) * f64::from(inv_std)) as f32)
            })
            .unzip();
        let dx = ctx.needs_grad[0].then(|| {
            // dx = w/σ · (dy − mean(dy) − x̂ · mean(dy·x̂)), affine in dy and x per channel.
            let affine: Affine = self
                .inverse_std()
                .zip(&weights)
                .zip(sum_dy.iter().zip(&sum_dy_xhat))
                .zip(&self.statistics.mean)
                .map(|(((inv_std, w), (sdy, sdx)), mean)| {
                    let k = w * inv_std;
                    let slope = -k * inv_std * sdx / count;
                    (k, slope, -k * sdy / count - slope * mean)
                })
                .collect();
            let values = per_channel_affine(&dy, &x, &affine, dims);
            Data::from_shape_vec(IxDyn(ctx.inputs[0].shape()), values).expect("the input's shape")
        });
        let per_channel = |values: Vec<f32>| Data::from_shape_vec(IxDyn(&[dims.channels]), values).expect("C");
        let mut grads = vec![dx];
        if ctx.inputs.len() == 3 {
            grads.push(ctx.needs_grad[1].then(|| per_channel(sum_dy_xhat)));
            grads.push(ctx.needs_grad[2].then(|| per_channel(sum_dy)));
        }
        Ok(grads)
    }
}
