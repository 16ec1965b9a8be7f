//! The perceptron and XOR: Rosenblatt's perceptron converges on AND and OR, whose classes a
//! line separates, and never classifies more than 3 of XOR's 4 points; a 2-8-1 tanh network
//! trained by backpropagation (Adam, binary cross-entropy) classifies all four. Example 01 and
//! the tour's first section.

use nabla_activations::sigmoid;
use nabla_data::synthetic::Labelled;
use nabla_data::synthetic::xor;
use nabla_losses::{BceWithLogitsOptions, binary_cross_entropy_with_logits};
use nabla_nn::{Activation, MlpConfig, Module, Perceptron, PerceptronReport, Sequential, mlp};
use nabla_optim::{AdamConfig, Optimizer};
use nabla_plot::RegionPanel;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Result, Tensor, no_grad};

/// Cells per side of a decision-region map.
pub const GRID: usize = 100;
/// The square a map covers.
pub const RANGE: (f64, f64) = (-0.5, 1.5);

/// The share of `outputs` (probabilities or 0/1) on the right side of 0.5.
pub fn accuracy(outputs: &[f32], data: &Labelled) -> f32 {
    let targets = data.targets();
    outputs.iter().zip(&targets).filter(|(o, t)| (**o > 0.5) == (**t > 0.5)).count() as f32 / targets.len() as f32
}

/// Trains a perceptron one epoch at a time for up to `epochs`: the model, its report, and
/// the accuracy of its weights after each epoch.
///
/// # Errors
/// Shape errors.
pub fn perceptron(data: &Labelled, epochs: usize) -> Result<(Perceptron, PerceptronReport, Vec<f32>)> {
    let mut model = Perceptron::new(2);
    let mut accuracies = Vec::new();
    let mut errors_per_epoch = Vec::new();
    let mut converged = false;
    for _ in 0..epochs {
        let report = model.fit(&data.x, &data.targets(), 1.0, 1)?;
        errors_per_epoch.extend(report.errors_per_epoch);
        accuracies.push(accuracy(&model.predict(&data.x)?, data));
        if report.converged {
            converged = true;
            break;
        }
    }
    let report = PerceptronReport { converged, epochs: errors_per_epoch.len(), errors_per_epoch };
    Ok((model, report, accuracies))
}

/// A 2-8-1 tanh network trained on XOR for `steps` full-batch Adam steps (lr 0.05): the
/// model, its accuracy and its final loss.
///
/// # Errors
/// Shape errors.
pub fn mlp_on_xor(seed: u64, steps: usize) -> Result<(Sequential, f32, f32)> {
    let data = xor();
    let targets = Tensor::from_vec(data.targets(), &[4, 1])?;
    let mut rng = StdRng::seed_from_u64(seed);
    let model = mlp(&MlpConfig { widths: vec![2, 8, 1], activation: Activation::Tanh, dropout: 0.0 }, &mut rng)?;
    let mut adam = Optimizer::adam(model.parameters(), AdamConfig { lr: 0.05, ..Default::default() })?;
    let mut loss_value = f32::NAN;
    for _ in 0..steps {
        let loss =
            binary_cross_entropy_with_logits(&model.forward(&data.x)?, &targets, &BceWithLogitsOptions::default())?;
        loss_value = loss.item()?;
        adam.step(&loss.backward()?)?;
    }
    let accuracy = accuracy(&probabilities(&model, &data.x)?, &data);
    Ok((model, accuracy, loss_value))
}

/// The MLP's probabilities for points `x`.
///
/// # Errors
/// Shape errors.
pub fn probabilities(model: &Sequential, x: &Tensor) -> Result<Vec<f32>> {
    Ok(sigmoid(&no_grad(|| model.forward(x))?).to_vec())
}

/// The cell centres of a [`GRID`] × [`GRID`] map over [`RANGE`]², rows bottom to top:
/// `[GRID², 2]`.
pub fn grid() -> Tensor {
    let step = (RANGE.1 - RANGE.0) / GRID as f64;
    let at = |i: usize| (RANGE.0 + i as f64 * step + step / 2.0) as f32;
    let points = (0..GRID * GRID).flat_map(|i| [at(i % GRID), at(i / GRID)]).collect();
    Tensor::from_vec(points, &[GRID * GRID, 2]).expect("two coordinates per cell")
}

/// A map panel of `outputs` over the [`grid`], with the data's points.
pub fn panel(title: String, outputs: &[f32], data: &Labelled) -> RegionPanel {
    let points = data.x.to_vec().chunks(2).zip(&data.labels).map(|(p, &l)| (p[0] as f64, p[1] as f64, l)).collect();
    RegionPanel { title, values: outputs.chunks(GRID).map(<[f32]>::to_vec).collect(), points }
}
