//! The perceptron and the multi-layer perceptron on logic gates.
//!
//! Rosenblatt's perceptron — one layer, a step activation, the perceptron learning rule —
//! converges on AND and OR, whose classes a line separates. On XOR no line does, so it never
//! converges: from the third epoch on it misclassifies all four points and its four updates
//! cancel, so its weights cycle back to the same place every epoch. One hidden layer fixes
//! that: a 2-8-1 network (tanh hidden units, trained by backpropagation with Adam on the
//! binary cross-entropy) classifies all four.
//!
//! The experiment is `nabla_cli::topics::perceptron`, which the tour runs too. Writes
//! `docs/images/perceptron_xor.png` (the decision regions). Run with
//! `cargo run --release --example 01_perceptron_xor`.

use nabla::data::synthetic::{and_gate, or_gate, xor};
use nabla::plot::RegionMap;
use nabla_cli::topics::perceptron::{RANGE, grid, mlp_on_xor, panel, perceptron, probabilities};

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
            let outputs = model.predict(&grid())?;
            panels.push(panel(
                format!("perceptron, {name}: {:.0}%", accuracies.last().unwrap_or(&0.0) * 100.0),
                &outputs,
                &data,
            ));
        }
    }
    let (model, accuracy, loss) = mlp_on_xor(0, 500)?;
    println!("MLP 2-8-1 on XOR: {:.0}% accuracy, loss {loss:.4} after 500 Adam steps", accuracy * 100.0);
    let outputs = probabilities(&model, &grid())?;
    panels.push(panel(format!("MLP 2-8-1, XOR: {:.0}%", accuracy * 100.0), &outputs, &xor()));

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

    /// The perceptron rule written out again, independently of `nabla-nn`: from zero weights,
    /// one point at a time in order, `w += (target − output)·x` with output `w·x + b > 0`.
    /// Returns the errors of each epoch and the weights and bias after each.
    fn reference_rule(points: &[[f32; 2]], targets: &[f32], epochs: usize) -> Vec<(usize, [f32; 2], f32)> {
        let (mut w, mut b) = ([0.0f32; 2], 0.0f32);
        (0..epochs)
            .map(|_| {
                let mut errors = 0;
                for (x, &t) in points.iter().zip(targets) {
                    let delta = t - if w[0] * x[0] + w[1] * x[1] + b > 0.0 { 1.0 } else { 0.0 };
                    if delta != 0.0 {
                        errors += 1;
                        (w[0], w[1], b) = (w[0] + delta * x[0], w[1] + delta * x[1], b + delta);
                    }
                }
                (errors, w, b)
            })
            .collect()
    }

    #[test]
    fn on_xor_the_perceptron_rule_cycles_through_the_same_updates_every_epoch() {
        let data = xor();
        let points: Vec<[f32; 2]> = data.x.to_vec().chunks(2).map(|p| [p[0], p[1]]).collect();
        let reference = reference_rule(&points, &data.targets(), 20);
        let mut model = nabla::nn::Perceptron::new(2);
        for (epoch, &(errors, weights, bias)) in reference.iter().enumerate() {
            let report = model.fit(&data.x, &data.targets(), 1.0, 1).unwrap();
            assert_eq!(report.errors_per_epoch, vec![errors], "epoch {epoch}");
            assert_eq!((model.weights.as_slice(), model.bias), (&weights[..], bias), "epoch {epoch}");
        }
        // The rule never stops updating, yet the weights do not grow: from the third epoch on,
        // each epoch misclassifies all four points and its four updates cancel, so every epoch
        // ends where the last one did (the perceptron cycling theorem, period one here).
        assert!(reference[2..].iter().all(|&(errors, ..)| errors == 4), "{reference:?}");
        assert!(reference[2..].windows(2).all(|w| (w[0].1, w[0].2) == (w[1].1, w[1].2)), "{reference:?}");
        let (_, report, accuracies) = perceptron(&data, 200).unwrap();
        assert!(!report.converged && report.errors_per_epoch.len() == 200);
        assert!(accuracies.iter().all(|&a| a == 0.5), "{accuracies:?}");
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
