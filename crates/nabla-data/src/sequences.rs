//! Synthetic sequence tasks for recurrent networks: the adding problem (Hochreiter &
//! Schmidhuber 1997) and next-step prediction of a noisy sine wave. Tensors are time-major,
//! `[time, batch, features]`, PyTorch's default layout for recurrent modules.

use nabla_tensor::rand::Rng;
use nabla_tensor::rand_distr::{Distribution, Normal};
use nabla_tensor::{Error, Tensor};

/// Inputs and targets of a sequence task.
#[derive(Debug, Clone)]
pub struct SequenceBatch {
    /// `[time, batch, features]`.
    pub inputs: Tensor,
    /// `[batch, outputs]`.
    pub targets: Tensor,
}

/// `batch` adding-problem sequences of `length` steps. Each step has two features: a value
/// from U(0, 1) and a marker, 1 at exactly two steps (one in each half of the sequence) and 0
/// elsewhere. The target is the sum of the two marked values. Always answering 1 (the mean)
/// scores a mean squared error of 1/6 ≈ 0.167; solving it means remembering the first marked
/// value across up to `length` steps.
///
/// # Errors
/// [`Error::InvalidArgument`] for sequences shorter than 2 or an empty batch.
pub fn adding_problem<R: Rng + ?Sized>(batch: usize, length: usize, rng: &mut R) -> Result<SequenceBatch, Error> {
    if length < 2 || batch == 0 {
        return Err(Error::InvalidArgument {
            op: "adding_problem",
            reason: format!("needs length >= 2 and a batch, got length {length}, batch {batch}"),
        });
    }
    let mut inputs = vec![0.0f32; length * batch * 2];
    let mut targets = Vec::with_capacity(batch);
    let half = length / 2;
    for b in 0..batch {
        let marks = [rng.random_range(0..half), rng.random_range(half..length)];
        let mut sum = 0.0;
        for t in 0..length {
            let value: f32 = rng.random();
            let at = (t * batch + b) * 2;
            inputs[at] = value;
            if marks.contains(&t) {
                inputs[at + 1] = 1.0;
                sum += value;
            }
        }
        targets.push(sum);
    }
    Ok(SequenceBatch {
        inputs: Tensor::from_vec(inputs, &[length, batch, 2])?,
        targets: Tensor::from_vec(targets, &[batch, 1])?,
    })
}

/// A sine wave of `len` points with `period` points per cycle, starting at `phase` (radians),
/// plus Gaussian noise of spread `noise`.
///
/// # Errors
/// [`Error::InvalidArgument`] for a non-positive period or a bad noise level.
pub fn noisy_sine<R: Rng + ?Sized>(
    len: usize,
    period: f32,
    phase: f32,
    noise: f32,
    rng: &mut R,
) -> Result<Vec<f32>, Error> {
    if period.is_nan() || period <= 0.0 || noise.is_nan() || noise < 0.0 || noise.is_infinite() {
        return Err(Error::InvalidArgument {
            op: "noisy_sine",
            reason: format!("needs period > 0 and noise >= 0, got {period} and {noise}"),
        });
    }
    let jitter =
        Normal::new(0.0, noise).map_err(|e| Error::InvalidArgument { op: "noisy_sine", reason: e.to_string() })?;
    Ok((0..len).map(|t| (2.0 * std::f32::consts::PI * t as f32 / period + phase).sin() + jitter.sample(rng)).collect())
}

/// Next-step prediction windows over `series`: for each start `s`, the input is
/// `series[s..s + window]` and the target `series[s + window]`.
///
/// # Errors
/// [`Error::InvalidArgument`] when the series is not longer than the window.
pub fn next_step_windows(series: &[f32], window: usize) -> Result<SequenceBatch, Error> {
    if window == 0 || series.len() <= window {
        return Err(Error::InvalidArgument {
            op: "next_step_windows",
            reason: format!("a series of {} points has no windows of {window} with a next value", series.len()),
        });
    }
    let count = series.len() - window;
    let mut inputs = vec![0.0f32; window * count];
    for s in 0..count {
        for t in 0..window {
            inputs[t * count + s] = series[s + t];
        }
    }
    Ok(SequenceBatch {
        inputs: Tensor::from_vec(inputs, &[window, count, 1])?,
        targets: Tensor::from_vec(series[window..].to_vec(), &[count, 1])?,
    })
}
