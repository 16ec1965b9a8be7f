//! Rosenblatt's perceptron: a single layer with a step activation, trained by the perceptron
//! learning rule (not by gradient descent).

use nabla_tensor::{Error, Result, Tensor};

/// A single-layer perceptron over `inputs` features: predicts 1 when `w·x + b > 0`, else 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Perceptron {
    pub weights: Vec<f32>,
    pub bias: f32,
}

/// How training went.
#[derive(Debug, Clone, PartialEq)]
pub struct PerceptronReport {
    /// Whether an epoch passed with every point classified correctly.
    pub converged: bool,
    /// The epochs run (up to and including the first error-free one, if any).
    pub epochs: usize,
    /// Misclassified points in each epoch.
    pub errors_per_epoch: Vec<usize>,
}

impl Perceptron {
    /// A perceptron with zero weights and bias.
    pub fn new(inputs: usize) -> Self {
        Perceptron { weights: vec![0.0; inputs], bias: 0.0 }
    }

    fn rows(&self, op: &'static str, x: &Tensor) -> Result<Vec<Vec<f32>>> {
        let d = self.weights.len();
        if x.ndim() != 2 || x.shape()[1] != d {
            return Err(Error::ShapeMismatch {
                op,
                lhs: x.shape().to_vec(),
                rhs: vec![d],
                reason: format!("needs points of shape [N, {d}]"),
            });
        }
        Ok(x.to_vec().chunks(d).map(<[f32]>::to_vec).collect())
    }

    fn output(&self, point: &[f32]) -> f32 {
        let activation: f32 = self.weights.iter().zip(point).map(|(w, x)| w * x).sum::<f32>() + self.bias;
        if activation > 0.0 { 1.0 } else { 0.0 }
    }

    /// The 0/1 prediction for each point of `x` `[N, inputs]`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for points of the wrong width.
    pub fn predict(&self, x: &Tensor) -> Result<Vec<f32>> {
        Ok(self.rows("Perceptron::predict", x)?.iter().map(|p| self.output(p)).collect())
    }

    /// Trains with the perceptron rule `w += lr·(target - output)·x`, one point at a time in
    /// order, until an epoch has no errors (convergence, guaranteed for linearly separable
    /// data) or `max_epochs` have run.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for points of the wrong width or a target count that differs;
    /// [`Error::InvalidArgument`] for targets other than 0 and 1.
    pub fn fit(&mut self, x: &Tensor, targets: &[f32], lr: f32, max_epochs: usize) -> Result<PerceptronReport> {
        let points = self.rows("Perceptron::fit", x)?;
        if targets.len() != points.len() {
            return Err(Error::ShapeMismatch {
                op: "Perceptron::fit",
                lhs: x.shape().to_vec(),
                rhs: vec![targets.len()],
                reason: "needs one target per point".into(),
            });
        }
        if let Some(bad) = targets.iter().find(|&&t| t != 0.0 && t != 1.0) {
            return Err(Error::InvalidArgument {
                op: "Perceptron::fit",
                reason: format!("targets must be 0 or 1, found {bad}"),
            });
        }
        let mut errors_per_epoch = Vec::new();
        for _ in 0..max_epochs {
            let mut errors = 0;
            for (point, &target) in points.iter().zip(targets) {
                let delta = target - self.output(point);
                if delta != 0.0 {
                    errors += 1;
                    self.weights.iter_mut().zip(point).for_each(|(w, x)| *w += lr * delta * x);
                    self.bias += lr * delta;
                }
            }
            errors_per_epoch.push(errors);
            if errors == 0 {
                return Ok(PerceptronReport { converged: true, epochs: errors_per_epoch.len(), errors_per_epoch });
            }
        }
        Ok(PerceptronReport { converged: false, epochs: errors_per_epoch.len(), errors_per_epoch })
    }
}
