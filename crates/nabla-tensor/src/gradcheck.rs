//! `gradcheck`: autodiff gradients against central finite differences.

use std::fmt;

use ndarray_rand::rand::SeedableRng;
use ndarray_rand::rand::rngs::StdRng;

use crate::autograd::no_grad;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// How [`gradcheck`] perturbs and what it accepts.
///
/// Each element of each input's gradient is compared on its own:
/// `|autodiff - finite difference| <= atol + rtol·|finite difference|`. The absolute part is a
/// small floor for elements whose true gradient is near zero, far below the gradients of
/// inputs of order 1, so a zeroed or doubled backward fails (nabla's tests check that it does).
#[derive(Debug, Clone, Copy)]
pub struct GradcheckOptions {
    /// The finite-difference step. Tensors are f32, whose round-off dominates below about 1e-3.
    pub eps: f32,
    /// Accepted absolute error per element.
    pub atol: f64,
    /// Accepted error per element, relative to its finite-difference value.
    pub rtol: f64,
    /// Seed of the first random projection of the output; projection `k` uses `seed + k`.
    pub seed: u64,
    /// How many random projections of the output are checked (each a separate backward pass;
    /// the perturbed forward passes are shared between them).
    pub projections: usize,
}

impl Default for GradcheckOptions {
    /// `eps` 1e-2, `atol` 1e-3, `rtol` 1e-2, seed 0, 3 projections: suited to f32 and inputs
    /// of order 1.
    fn default() -> Self {
        GradcheckOptions { eps: 1e-2, atol: 1e-3, rtol: 1e-2, seed: 0, projections: 3 }
    }
}

/// One compared element.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradcheckElement {
    /// Which projection of the output.
    pub projection: usize,
    /// Which input.
    pub input: usize,
    /// Row-major position in that input.
    pub index: usize,
    /// The autodiff value.
    pub analytic: f64,
    /// The finite-difference value.
    pub numeric: f64,
}

/// What [`gradcheck`] found: the worst absolute and relative errors over every element.
#[derive(Debug, Clone)]
pub struct GradcheckReport {
    /// The largest |analytic - numeric|.
    pub max_abs_error: f64,
    /// The largest |analytic - numeric| / max(|numeric|, 1e-6).
    pub max_rel_error: f64,
    /// The element with the largest error beyond the tolerance (or the largest error).
    pub worst: Option<GradcheckElement>,
    /// How many elements were outside `atol + rtol·|numeric|`.
    pub failures: usize,
    /// How many elements were compared (each input element once per projection).
    pub checked: usize,
}

impl GradcheckReport {
    /// Whether every element was within tolerance.
    pub fn passed(&self) -> bool {
        self.failures == 0
    }
}

impl fmt::Display for GradcheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradcheck: {} of {} elements outside tolerance; max abs error {:.3e}, max rel error {:.3e}",
            self.failures, self.checked, self.max_abs_error, self.max_rel_error
        )?;
        if let Some(w) = self.worst {
            write!(
                f,
                "; worst: projection {} input {} element {}: autodiff {:.6e} vs finite difference {:.6e}",
                w.projection, w.input, w.index, w.analytic, w.numeric
            )?;
        }
        Ok(())
    }
}

/// Compares the gradients autodiff gives for `f` at `inputs` with central finite differences.
///
/// The output is reduced to `Σ output · r` for `options.projections` random `r`, each of whose
/// elements has a magnitude in [0.5, 1.5] and a random sign, so every output element's gradient
/// is checked and none is weighted near zero. Every element of every input is perturbed by
/// `±eps` and compared on its own.
///
/// # Errors
/// Whatever `f` or its backward returns; an invalid-argument error when the output is not
/// tracked or `options.projections` is zero.
pub fn gradcheck(
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
    inputs: &[Tensor],
    options: &GradcheckOptions,
) -> Result<GradcheckReport> {
    if options.projections == 0 {
        return Err(Error::invalid("gradcheck", "options.projections must be at least 1"));
    }
    let tracked: Vec<Tensor> = inputs.iter().map(|t| t.detach().requires_grad(true)).collect();
    let output = f(&tracked)?;
    if !output.is_tracked() {
        return Err(Error::invalid(
            "gradcheck",
            "the function's output does not depend on its inputs through tracked ops",
        ));
    }
    let projections = (0..options.projections as u64)
        .map(|k| projection(output.shape(), options.seed.wrapping_add(k)))
        .collect::<Result<Vec<_>>>()?;
    // analytic[p][i]: the autodiff gradient of input i under projection p.
    let mut analytic = Vec::with_capacity(projections.len());
    for (p, weights) in projections.iter().enumerate() {
        // A backward pass may free its graph, so each projection gets a fresh forward pass.
        let output = if p == 0 { output.clone() } else { f(&tracked)? };
        let grads = output.backward_with(weights)?;
        analytic.push(
            tracked
                .iter()
                .map(|t| grads.get(t).map_or_else(|| vec![0.0; t.numel()], Tensor::to_vec))
                .collect::<Vec<_>>(),
        );
    }
    let weights: Vec<Vec<f32>> = projections.iter().map(Tensor::to_vec).collect();

    let mut report = GradcheckReport { max_abs_error: 0.0, max_rel_error: 0.0, worst: None, failures: 0, checked: 0 };
    let mut worst_excess = f64::NEG_INFINITY;
    for (input_index, input) in tracked.iter().enumerate() {
        let base = input.to_array();
        #[expect(
            clippy::needless_range_loop,
            reason = "`index` addresses the input, its perturbation and every projection's gradient"
        )]
        for index in 0..input.numel() {
            let shifted = |delta: f32| -> Result<Vec<f32>> {
                let mut values = base.clone();
                values.as_slice_mut().expect("owned arrays are contiguous")[index] += delta;
                let mut args = tracked.clone();
                args[input_index] = Tensor::from_array(values);
                Ok(no_grad(|| f(&args))?.to_vec())
            };
            let (plus, minus) = (shifted(options.eps)?, shifted(-options.eps)?);
            for (p, w) in weights.iter().enumerate() {
                // Σ w·(f(x+h) - f(x-h)) in f64: outputs the perturbation leaves alone cancel exactly.
                let difference: f64 =
                    plus.iter().zip(&minus).zip(w).map(|((&a, &b), &w)| (a as f64 - b as f64) * w as f64).sum();
                let numeric = difference / (2.0 * options.eps as f64);
                let a = analytic[p][input_index][index] as f64;
                let error = (a - numeric).abs();
                report.max_abs_error = report.max_abs_error.max(error);
                report.max_rel_error = report.max_rel_error.max(error / numeric.abs().max(1e-6));
                let allowed = options.atol + options.rtol * numeric.abs();
                if error > allowed || error.is_nan() {
                    report.failures += 1;
                }
                if error - allowed > worst_excess || error.is_nan() {
                    worst_excess = error - allowed;
                    report.worst =
                        Some(GradcheckElement { projection: p, input: input_index, index, analytic: a, numeric });
                }
                report.checked += 1;
            }
        }
    }
    Ok(report)
}

/// A projection of an output of `shape`: magnitudes uniform in [0.5, 1.5], signs at random.
fn projection(shape: &[usize], seed: u64) -> Result<Tensor> {
    let mut rng = StdRng::seed_from_u64(seed);
    let magnitude = Tensor::uniform(shape, 0.5, 1.5, &mut rng)?.to_vec();
    let sign = Tensor::uniform(shape, -1.0, 1.0, &mut rng)?.to_vec();
    let values = magnitude.iter().zip(&sign).map(|(&m, &s)| if s < 0.0 { -m } else { m }).collect();
    Tensor::from_vec(values, shape)
}
