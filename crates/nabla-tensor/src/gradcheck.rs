//! `gradcheck`: autodiff gradients against central finite differences.

use std::fmt;

use ndarray_rand::rand::SeedableRng;
use ndarray_rand::rand::rngs::StdRng;

use crate::autograd::no_grad;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// How [`gradcheck`] perturbs and what it accepts.
#[derive(Debug, Clone, Copy)]
pub struct GradcheckOptions {
    /// The finite-difference step. f32 round-off dominates below about 1e-3.
    pub eps: f32,
    /// Accepted absolute error.
    pub atol: f64,
    /// Accepted error relative to the finite-difference value.
    pub rtol: f64,
    /// Seed of the random upstream gradient a non-scalar output is projected with.
    pub seed: u64,
}

impl Default for GradcheckOptions {
    /// `eps` 1e-2, `atol` 1e-2, `rtol` 1e-2, seed 0: suited to f32 and inputs of order 1.
    fn default() -> Self {
        GradcheckOptions { eps: 1e-2, atol: 1e-2, rtol: 1e-2, seed: 0 }
    }
}

/// One compared element.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradcheckElement {
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
    /// How many elements were compared.
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
                "; worst: input {} element {}: autodiff {:.6e} vs finite difference {:.6e}",
                w.input, w.index, w.analytic, w.numeric
            )?;
        }
        Ok(())
    }
}

/// Compares the gradients autodiff gives for `f` at `inputs` with central finite differences.
///
/// A non-scalar output is reduced to `Σ output · r` with a fixed random `r`, so every output
/// element's gradient is checked. Every element of every input is perturbed by `±eps`.
///
/// # Errors
/// Whatever `f` or its backward returns.
pub fn gradcheck(
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
    inputs: &[Tensor],
    options: &GradcheckOptions,
) -> Result<GradcheckReport> {
    let tracked: Vec<Tensor> = inputs.iter().map(|t| t.detach().requires_grad(true)).collect();
    let output = f(&tracked)?;
    let mut rng = StdRng::seed_from_u64(options.seed);
    let projection = Tensor::uniform(output.shape(), -1.0, 1.0, &mut rng)?;
    if !output.is_tracked() {
        return Err(Error::invalid(
            "gradcheck",
            "the function's output does not depend on its inputs through tracked ops",
        ));
    }
    let grads = output.backward_with(&projection)?;
    let weights = projection.to_vec();
    let projected = |values: &[Tensor]| -> Result<f64> {
        let out = no_grad(|| f(values))?;
        Ok(out.to_vec().iter().zip(&weights).map(|(&o, &w)| o as f64 * w as f64).sum())
    };

    let mut report = GradcheckReport { max_abs_error: 0.0, max_rel_error: 0.0, worst: None, failures: 0, checked: 0 };
    let mut worst_excess = f64::NEG_INFINITY;
    for (input_index, input) in tracked.iter().enumerate() {
        let analytic = grads.get(input).map_or_else(|| vec![0.0; input.numel()], Tensor::to_vec);
        let base = input.to_array();
        for (index, &a) in analytic.iter().enumerate() {
            let shifted = |delta: f32| -> Result<f64> {
                let mut values = base.clone();
                values.as_slice_mut().expect("owned arrays are contiguous")[index] += delta;
                let mut args = tracked.clone();
                args[input_index] = Tensor::from_array(values);
                projected(&args)
            };
            let numeric = (shifted(options.eps)? - shifted(-options.eps)?) / (2.0 * options.eps as f64);
            let error = (a as f64 - numeric).abs();
            report.max_abs_error = report.max_abs_error.max(error);
            report.max_rel_error = report.max_rel_error.max(error / numeric.abs().max(1e-6));
            let allowed = options.atol + options.rtol * numeric.abs();
            if error > allowed || error.is_nan() {
                report.failures += 1;
            }
            if error - allowed > worst_excess || error.is_nan() {
                worst_excess = error - allowed;
                report.worst = Some(GradcheckElement { input: input_index, index, analytic: a as f64, numeric });
            }
            report.checked += 1;
        }
    }
    Ok(report)
}
