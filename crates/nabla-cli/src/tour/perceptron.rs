//! Tour topic 1: the perceptron learns AND but never XOR; one hidden layer learns XOR.

use nabla_data::synthetic::{Labelled, and_gate, xor};
use nabla_losses::{BceWithLogitsOptions, binary_cross_entropy_with_logits};
use nabla_nn::{Activation, MlpConfig, Module, Perceptron, mlp};
use nabla_optim::{AdamConfig, Optimizer};
use nabla_plot::{RegionMap, RegionPanel};
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Tensor, no_grad};

use super::Context;
use crate::error::CliError;
use crate::report::Section;

const GRID: usize = 100;
const RANGE: (f64, f64) = (-0.5, 1.5);

fn accuracy(outputs: &[f32], data: &Labelled) -> f64 {
    let targets = data.targets();
    outputs.iter().zip(&targets).filter(|(o, t)| (**o > 0.5) == (**t > 0.5)).count() as f64 / targets.len() as f64
}

/// The cell centres of a GRID × GRID map over RANGE², rows bottom to top: `[GRID², 2]`.
fn grid() -> nabla_tensor::Result<Tensor> {
    let step = (RANGE.1 - RANGE.0) / GRID as f64;
    let at = |i: usize| (RANGE.0 + i as f64 * step + step / 2.0) as f32;
    Tensor::from_vec((0..GRID * GRID).flat_map(|i| [at(i % GRID), at(i / GRID)]).collect(), &[GRID * GRID, 2])
}

fn panel(title: String, outputs: &[f32], data: &Labelled) -> RegionPanel {
    let points = data.x.to_vec().chunks(2).zip(&data.labels).map(|(p, &l)| (p[0] as f64, p[1] as f64, l)).collect();
    RegionPanel { title, values: outputs.chunks(GRID).map(<[f32]>::to_vec).collect(), points }
}

pub fn run(context: &Context) -> Result<Section, CliError> {
    let epochs = 100;
    let (and, xor) = (and_gate(), xor());
    let mut on_and = Perceptron::new(2);
    let and_report = on_and.fit(&and.x, &and.targets(), 1.0, epochs)?;
    // Epoch by epoch on XOR, keeping the best accuracy the weights ever reach.
    let mut on_xor = Perceptron::new(2);
    let mut best_xor: f64 = 0.0;
    for _ in 0..epochs {
        on_xor.fit(&xor.x, &xor.targets(), 1.0, 1)?;
        best_xor = best_xor.max(accuracy(&on_xor.predict(&xor.x)?, &xor));
    }

    let steps = 500;
    let mut rng = StdRng::seed_from_u64(0);
    let model = mlp(&MlpConfig { widths: vec![2, 8, 1], activation: Activation::Tanh, dropout: 0.0 }, &mut rng)?;
    let mut adam = Optimizer::adam(model.parameters(), AdamConfig { lr: 0.05, ..Default::default() })?;
    let targets = Tensor::from_vec(xor.targets(), &[4, 1])?;
    let mut loss_value = f32::NAN;
    for _ in 0..steps {
        let loss =
            binary_cross_entropy_with_logits(&model.forward(&xor.x)?, &targets, &BceWithLogitsOptions::default())?;
        loss_value = loss.item()?;
        adam.step(&loss.backward()?)?;
    }
    let probability = |x: &Tensor| -> nabla_tensor::Result<Vec<f32>> {
        Ok(nabla_activations::sigmoid(&no_grad(|| model.forward(x))?)?.to_vec())
    };
    let mlp_accuracy = accuracy(&probability(&xor.x)?, &xor);

    let cells = grid()?;
    let map = RegionMap::new("Decision regions", RANGE, RANGE)
        .panel(panel(
            format!("perceptron, AND: {:.0}%", accuracy(&on_and.predict(&and.x)?, &and) * 100.0),
            &on_and.predict(&cells)?,
            &and,
        ))
        .panel(panel(format!("perceptron, XOR: best {:.0}%", best_xor * 100.0), &on_xor.predict(&cells)?, &xor))
        .panel(panel(format!("MLP 2-8-1, XOR: {:.0}%", mlp_accuracy * 100.0), &probability(&cells)?, &xor));
    map.write_png(context.out.join("perceptron_xor.png"))?;

    Ok(Section::new(
        "perceptron",
        "The perceptron and XOR",
        "Rosenblatt's perceptron (one layer, a step, the perceptron rule) converges on AND, whose classes a line \
         separates. No line separates XOR's, so it never gets more than 3 of the 4 points right. A 2-8-1 network \
         with tanh hidden units, trained by backpropagation (Adam, binary cross-entropy), gets all four.",
    )
    .picture("perceptron_xor.png", "decision regions: the perceptron on AND and XOR, the MLP on XOR")
    .metric("and_epochs", "perceptron on AND: epochs to converge", and_report.epochs as f64, "epochs")
    .metric("xor_best_accuracy", &format!("perceptron on XOR: best accuracy in {epochs} epochs"), best_xor, "")
    .metric("mlp_xor_accuracy", &format!("MLP 2-8-1 on XOR: accuracy after {steps} Adam steps"), mlp_accuracy, "")
    .metric("mlp_xor_loss", "MLP 2-8-1 on XOR: final loss", loss_value as f64, "BCE")
    .check("the perceptron converges on AND", and_report.converged)
    .check("the perceptron never exceeds 75% on XOR", best_xor <= 0.75)
    .check("the MLP classifies all four XOR points", mlp_accuracy == 1.0))
}
