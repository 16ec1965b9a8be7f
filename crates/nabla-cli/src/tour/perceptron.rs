//! Tour topic 1: the perceptron learns AND but never XOR; one hidden layer learns XOR
//! ([`topics::perceptron`](crate::topics::perceptron)).

use nabla_data::synthetic::{and_gate, xor};
use nabla_plot::RegionMap;

use super::Context;
use crate::error::CliError;
use crate::report::Section;
use crate::topics::perceptron::{RANGE, grid, mlp_on_xor, panel, perceptron, probabilities};

pub fn run(context: &Context) -> Result<Section, CliError> {
    let (epochs, steps) = (100, 500);
    let (and, xor) = (and_gate(), xor());
    let (on_and, and_report, _) = perceptron(&and, epochs)?;
    let (on_xor, xor_report, xor_accuracies) = perceptron(&xor, epochs)?;
    // The perceptron rule on XOR: it never converges, and once it cycles, every epoch updates on
    // all four points and ends where the last one did.
    let cycling = xor_report.errors_per_epoch.iter().skip(2).all(|&errors| errors == 4)
        && xor_accuracies.windows(2).skip(1).all(|pair| pair[0] == pair[1]);
    let best_xor = xor_accuracies.iter().copied().fold(0.0, f32::max) as f64;
    let (model, mlp_accuracy, loss_value) = mlp_on_xor(0, steps)?;

    let cells = grid();
    let and_accuracy = crate::topics::perceptron::accuracy(&on_and.predict(&and.x)?, &and);
    let map = RegionMap::new("Decision regions", RANGE, RANGE)
        .panel(panel(format!("perceptron, AND: {:.0}%", and_accuracy * 100.0), &on_and.predict(&cells)?, &and))
        .panel(panel(format!("perceptron, XOR: best {:.0}%", best_xor * 100.0), &on_xor.predict(&cells)?, &xor))
        .panel(panel(format!("MLP 2-8-1, XOR: {:.0}%", mlp_accuracy * 100.0), &probabilities(&model, &cells)?, &xor));
    map.write_png(context.out.join("perceptron_xor.png"))?;

    Ok(Section::new(
        "perceptron",
        "The perceptron and XOR",
        "Rosenblatt's perceptron (one layer, a step, the perceptron rule) converges on AND, whose classes a line \
         separates. No line separates XOR's, so it never converges: from the third epoch on it misclassifies all four \
         points every epoch, and the four updates cancel, so its weights cycle back to the same place. A 2-8-1 network \
         with tanh hidden units, trained by backpropagation (Adam, binary cross-entropy), gets all four.",
    )
    .picture("perceptron_xor.png", "decision regions: the perceptron on AND and XOR, the MLP on XOR")
    .metric("and_epochs", "perceptron on AND: epochs to converge", and_report.epochs as f64, "epochs")
    .metric("xor_best_accuracy", &format!("perceptron on XOR: best accuracy in {epochs} epochs"), best_xor, "")
    .metric(
        "mlp_xor_accuracy",
        &format!("MLP 2-8-1 on XOR: accuracy after {steps} Adam steps"),
        mlp_accuracy as f64,
        "",
    )
    .metric("mlp_xor_loss", "MLP 2-8-1 on XOR: final loss", loss_value as f64, "BCE")
    .check("the perceptron converges on AND", and_report.converged)
    .check(
        "the perceptron rule cycles on XOR: no convergence, 4 updates an epoch from the third",
        !xor_report.converged && cycling,
    )
    .check("the MLP classifies all four XOR points", mlp_accuracy == 1.0))
}
