//! Sigmoid versus ReLU: why deep sigmoid networks barely train.
//!
//! A 10-layer MLP (784 → 64 × 9 → 10) on the bundled MNIST subset, built twice: with sigmoid
//! activations and PyTorch's default initialisation, and with ReLU and He initialisation. For
//! the first few SGD steps it prints the gradient norm of every layer's weights. The sigmoid's
//! derivative is at most 1/4, so each layer scales the backpropagated gradient down; ten layers
//! later the first layer's gradient is orders of magnitude smaller than the last's. ReLU passes
//! the gradient through unscaled where it is active, and He initialisation keeps its size.
//!
//! The experiment is `nabla_cli::topics::vanishing`, which the tour runs too. Writes
//! `docs/images/vanishing_gradient.png`. Run with
//! `cargo run --release --example 02_vanishing_gradient`.

use nabla::data::Mnist;
use nabla::plot::{LineChart, Series};
use nabla_cli::topics::vanishing::{Activation, first_over_last, gradient_norms};

/// Runs on rayon's pool, as the README recommends (`nabla::tensor::on_pool`).
fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    nabla::tensor::on_pool(run)
}

/// Errors of any crate (tensor, data, chart) end the run with their message.
fn run() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mnist = Mnist::bundled()?;
    let steps = 3;
    let mut chart =
        LineChart::new("Weight-gradient norm per layer (first SGD step)", "layer", "gradient norm (log scale)").log_y();
    for activation in [Activation::Sigmoid, Activation::Relu] {
        let history = gradient_norms(&mnist, activation, steps, 0)?;
        println!("{activation:?}: gradient norm of each layer's weights (layer 1 … 10)");
        for (step, norms) in history.iter().enumerate() {
            let row: Vec<String> = norms.iter().map(|n| format!("{n:.1e}")).collect();
            println!("  step {step}: {}", row.join("  "));
        }
        let first = &history[0];
        println!("  first/last layer at step 0: {:.1e}\n", first_over_last(first));
        let points = first.iter().enumerate().map(|(i, &n)| ((i + 1) as f64, n as f64)).collect();
        chart = chart.series(Series::new(format!("{activation:?}"), points));
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/images/vanishing_gradient.png");
    chart.write_png(path)?;
    println!("wrote {path}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// first-layer norm / last-layer norm at the first step, for three seeds.
    fn ratios(activation: Activation) -> Vec<f32> {
        let mnist = Mnist::bundled().unwrap();
        (0..3).map(|seed| first_over_last(&gradient_norms(&mnist, activation, 1, seed).unwrap()[0])).collect()
    }

    /// The target was "at least 100× smaller"; measured ratios are 5.7e-8 to 6.8e-8, so the
    /// test asks for 1e-5 (five orders of magnitude), which still leaves a 100× margin.
    #[test]
    fn sigmoid_gradients_vanish_towards_the_input() {
        for ratio in ratios(Activation::Sigmoid) {
            println!("sigmoid first/last = {ratio:e}");
            assert!(ratio <= 1e-5, "first/last = {ratio:e}: expected at least 100,000× smaller");
        }
    }

    #[test]
    fn relu_with_he_initialisation_keeps_them_within_10x() {
        for ratio in ratios(Activation::Relu) {
            println!("relu first/last = {ratio:e}");
            assert!((0.1..=10.0).contains(&ratio), "first/last = {ratio:e}: expected within 10×");
        }
    }
}
