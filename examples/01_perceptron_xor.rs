//! The perceptron and the multi-layer perceptron on logic gates.
//!
//! Rosenblatt's perceptron — one layer, a step activation, the perceptron learning rule —
//! converges on AND and OR, whose classes a line separates. On XOR no line does, so it never
//! classifies more than 3 of the 4 points, however long it trains. One hidden layer fixes
//! that: a 2-8-1 network (tanh hidden units, trained by backpropagation with Adam on the
//! binary cross-entropy) classifies all four.
//!
//! Writes `docs/images/perceptron_xor.png` (the decision regions). Run with
//! `cargo run --release --example 01_perceptron_xor`.

use nabla::data::synthetic::{Labelled, and_gate, or_gate, xor};
use nabla::losses::{BceWithLogitsOptions, binary_cross_entropy_with_logits};
use nabla::nn::{Activation, MlpConfig, Module, Perceptron, PerceptronReport, Sequential, mlp};
use nabla::optim::{AdamConfig, Optimizer};
use nabla::plot::{RegionMap, RegionPanel};
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};
use nabla::{Result, Tensor};

const GRID: usize = 120;
const RANGE: (f64, f64) = (-0.5, 1.5);

fn accuracy(predictions: &[f32], targets: &[f32]) -> f32 {
    predictions.iter().zip(targets).filter(|(p, t)| (**p > 0.5) == (**t > 0.5)).count() as f32 / targets.len() as f32
}

/// Trains a perceptron one epoch at a time for `epochs`, returning it, its report, and the
/// accuracy of its weights after each epoch.
fn perceptron(data: &Labelled, epochs: usize) -> Result<(Perceptron, PerceptronReport, Vec<f32>)> {
    let mut model = Perceptron::new(2);
    let mut accuracies = Vec::new();
    let mut errors_per_epoch = Vec::new();
    let mut converged_at = None;
    for epoch in 1..=epochs {
        let report = model.fit(&data.x, &data.targets(), 1.0, 1)?;
        errors_per_epoch.extend(report.errors_per_epoch);
        accuracies.push(accuracy(&model.predict(&data.x)?, &data.targets()));
        if report.converged {
            converged_at = Some(epoch);
            break;
        }
    }
    let report =
        PerceptronReport { converged: converged_at.is_some(), epochs: errors_per_epoch.len(), errors_per_epoch };
    Ok((model, report, accuracies))
}

/// A 2-8-1 tanh network trained on XOR for `steps` full-batch Adam steps: the model, its
/// accuracy and final loss.
fn mlp_on_xor(seed: u64, steps: usize) -> Result<(Sequential, f32, f32)> {
    let data = xor();
    let targets = Tensor::from_vec(data.targets(), &[4, 1])?;
    let mut rng = StdRng::seed_from_u64(seed);
    let model = mlp(&MlpConfig { widths: vec![2, 8, 1], activation: Activation::Tanh, dropout: 0.0 }, &mut rng)?;
    let mut adam = Optimizer::adam(model.parameters(), AdamConfig { lr: 0.05, ..Default::default() })?;
    let mut loss_value = f32::NAN;
    for _ in 0..steps {
        let loss =
            binary_cross_entropy_with_logits(&model.forward(&data.x)?, &targets, &BceWithLogitsOptions::default())?;
        adam.step(&loss.backward()?)?;
        loss_value = loss.item()?;
    }
    let logits = nabla::no_grad(|| model.forward(&data.x))?.to_vec();
    Ok((
        model,
        accuracy(&logits.iter().map(|&z| if z > 0.0 { 1.0 } else { 0.0 }).collect::<Vec<_>>(), &data.targets()),
        loss_value,
    ))
}

/// The grid of cell centres over RANGE², rows bottom to top, as `[GRID², 2]`.
fn grid() -> Result<Tensor> {
    let step = (RANGE.1 - RANGE.0) / GRID as f64;
    let points: Vec<f32> = (0..GRID * GRID)
        .flat_map(|i| {
            [
                (RANGE.0 + (i % GRID) as f64 * step + step / 2.0) as f32,
                (RANGE.0 + (i / GRID) as f64 * step + step / 2.0) as f32,
            ]
        })
        .collect();
    Tensor::from_vec(points, &[GRID * GRID, 2])
}

fn panel(title: String, outputs: Vec<f32>, data: &Labelled) -> RegionPanel {
    let values = outputs.chunks(GRID).map(<[f32]>::to_vec).collect();
    let points = data.x.to_vec().chunks(2).zip(&data.labels).map(|(p, &l)| (p[0] as f64, p[1] as f64, l)).collect();
    RegionPanel { title, values, points }
}

/// Runs on rayon's pool, as the README recommends (`nabla::tensor::on_pool`).
fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    nabla::tensor::on_pool(run)
}

/// Errors of any crate (tensor, data, chart) end the run with their message.
fn run() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mut panels = Vec::new();
    for (name, data) in [("AND", and_gate()), ("OR", or_gate()), ("XOR", xor())] {
        let (model, report, accuracies) = perceptron(&data, 100)?;
        let best = accuracies.iter().cloned().fold(0.0, f32::max);
        match report.converged {
            true => println!(
                "perceptron on {name}: converged after {} epochs (errors per epoch {:?})",
                report.epochs, report.errors_per_epoch
            ),
            false => println!(
                "perceptron on {name}: no convergence in {} epochs; best accuracy {:.0}%",
                report.epochs,
                best * 100.0
            ),
        }
        if name != "OR" {
            let outputs = model.predict(&grid()?)?;
            panels.push(panel(
                format!("perceptron, {name}: {:.0}%", accuracies.last().unwrap_or(&0.0) * 100.0),
                outputs,
                &data,
            ));
        }
    }
    let (model, accuracy, loss) = mlp_on_xor(0, 500)?;
    println!("MLP 2-8-1 on XOR: {:.0}% accuracy, loss {loss:.4} after 500 Adam steps", accuracy * 100.0);
    let probabilities = nabla::activations::sigmoid(&nabla::no_grad(|| model.forward(&grid()?))?)?.to_vec();
    panels.push(panel(format!("MLP 2-8-1, XOR: {:.0}%", accuracy * 100.0), probabilities, &xor()));

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/images/perceptron_xor.png");
    let map = panels.into_iter().fold(RegionMap::new("Decision regions", RANGE, RANGE), RegionMap::panel);
    map.write_png(path)?;
    println!("wrote {path}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_perceptron_converges_on_and_and_or() {
        for data in [and_gate(), or_gate()] {
            let (_, report, accuracies) = perceptron(&data, 100).unwrap();
            assert!(report.converged && report.epochs < 10, "{report:?}");
            assert_eq!(accuracies.last(), Some(&1.0));
        }
    }

    #[test]
    fn the_perceptron_never_exceeds_75_percent_on_xor() {
        let (_, report, accuracies) = perceptron(&xor(), 200).unwrap();
        assert!(!report.converged);
        assert!(accuracies.iter().all(|&a| a <= 0.75), "{accuracies:?}");
    }

    #[test]
    fn a_hidden_layer_learns_xor() {
        for seed in 0..3 {
            let (_, accuracy, loss) = mlp_on_xor(seed, 500).unwrap();
            assert_eq!(accuracy, 1.0, "seed {seed}: loss {loss}");
            assert!(loss < 0.05, "seed {seed}: loss {loss}");
        }
    }
}
