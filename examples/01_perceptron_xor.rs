//! The perceptron and the multi-layer perceptron on logic gates.
//!
//! Rosenblatt's perceptron — one layer, a step activation, the perceptron learning rule —
//! converges on AND and OR, whose classes a line separates. On XOR no line does, so it never
//! classifies more than 3 of the 4 points, however long it trains. One hidden layer fixes
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
