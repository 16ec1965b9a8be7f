//! Sigmoid versus ReLU: why deep sigmoid networks barely train.
//!
//! A 10-layer MLP (784 → 64 × 9 → 10) on the bundled MNIST subset, built twice: with sigmoid
//! activations and PyTorch's default initialisation, and with ReLU and He initialisation. For
//! the first few SGD steps it prints the gradient norm of every layer's weights. The sigmoid's
//! derivative is at most 1/4, so each layer scales the backpropagated gradient down; ten layers
//! later the first layer's gradient is orders of magnitude smaller than the last's. ReLU passes
//! the gradient through unscaled where it is active, and He initialisation keeps its size.
//!
//! Writes `docs/images/vanishing_gradient.png`. Run with
//! `cargo run --release --example 02_vanishing_gradient`.

use nabla::activations::{relu, sigmoid};
use nabla::data::Mnist;
use nabla::losses::{CrossEntropyOptions, cross_entropy};
use nabla::plot::{LineChart, Series};
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};
use nabla::{Result, Tensor};

const WIDTHS: [usize; 11] = [784, 64, 64, 64, 64, 64, 64, 64, 64, 64, 10];

#[derive(Clone, Copy, Debug)]
enum Activation {
    Sigmoid,
    Relu,
}

/// One linear layer in PyTorch's layout: `weight` `[out, in]`, `y = x Wᵀ + b`.
struct Layer {
    weight: Tensor,
    bias: Tensor,
}

fn build(activation: Activation, rng: &mut StdRng) -> Result<Vec<Layer>> {
    WIDTHS
        .windows(2)
        .map(|w| {
            let (fan_in, fan_out) = (w[0], w[1]);
            let (weight, bias) = match activation {
                // PyTorch's nn.Linear default: U(±1/√fan_in) for weights and biases.
                Activation::Sigmoid => {
                    let bound = 1.0 / (fan_in as f32).sqrt();
                    (
                        Tensor::uniform(&[fan_out, fan_in], -bound, bound, rng)?,
                        Tensor::uniform(&[fan_out], -bound, bound, rng)?,
                    )
                }
                // He (Kaiming normal): N(0, 2/fan_in), zero biases.
                Activation::Relu => (
                    Tensor::normal(&[fan_out, fan_in], 0.0, (2.0 / fan_in as f32).sqrt(), rng)?,
                    Tensor::zeros(&[fan_out]),
                ),
            };
            Ok(Layer { weight: weight.requires_grad(true), bias: bias.requires_grad(true) })
        })
        .collect()
}

fn forward(layers: &[Layer], activation: Activation, x: &Tensor) -> Result<Tensor> {
    let mut h = x.clone();
    for (i, layer) in layers.iter().enumerate() {
        h = h.matmul(&layer.weight.t()?)?.add(&layer.bias)?;
        if i + 1 < layers.len() {
            h = match activation {
                Activation::Sigmoid => sigmoid(&h)?,
                Activation::Relu => relu(&h)?,
            };
        }
    }
    Ok(h)
}

fn norm(t: &Tensor) -> f32 {
    t.to_vec().iter().map(|v| v * v).sum::<f32>().sqrt()
}

/// The weight-gradient norm of each layer (first to last) at each of `steps` SGD steps.
fn gradient_norms(activation: Activation, steps: usize, seed: u64) -> Result<Vec<Vec<f32>>> {
    let mnist =
        Mnist::bundled().map_err(|e| nabla::Error::InvalidArgument { op: "load MNIST", reason: e.to_string() })?;
    let mut rng = StdRng::seed_from_u64(seed);
    let layers = build(activation, &mut rng)?;
    let batch = 64;
    let mut history = Vec::new();
    for step in 0..steps {
        let x = mnist.train.images.narrow(0, step * batch, batch)?.flatten(1, -1)?;
        let labels: Vec<i64> = mnist.train.labels[step * batch..(step + 1) * batch].iter().map(|&l| l as i64).collect();
        let loss = cross_entropy(&forward(&layers, activation, &x)?, &labels, &CrossEntropyOptions::default())?;
        let grads = loss.backward()?;
        history.push(layers.iter().map(|l| grads.get(&l.weight).map_or(0.0, norm)).collect());
        for layer in &layers {
            for p in [&layer.weight, &layer.bias] {
                let g = grads.get(p).expect("every parameter takes part").data();
                p.update_data(|mut v| v.zip_mut_with(&g, |w, &g| *w -= 0.1 * g))?;
            }
        }
    }
    Ok(history)
}

/// Runs on rayon's pool, as the README recommends (`nabla::tensor::on_pool`).
fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    nabla::tensor::on_pool(run)
}

/// Errors of any crate (tensor, data, chart) end the run with their message.
fn run() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let steps = 3;
    let mut chart =
        LineChart::new("Weight-gradient norm per layer (first SGD step)", "layer", "gradient norm (log scale)").log_y();
    for activation in [Activation::Sigmoid, Activation::Relu] {
        let history = gradient_norms(activation, steps, 0)?;
        println!("{activation:?}: gradient norm of each layer's weights (layer 1 … 10)");
        for (step, norms) in history.iter().enumerate() {
            let row: Vec<String> = norms.iter().map(|n| format!("{n:.1e}")).collect();
            println!("  step {step}: {}", row.join("  "));
        }
        let first = &history[0];
        println!("  first/last layer at step 0: {:.1e}\n", first[0] / first[first.len() - 1]);
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
        (0..3)
            .map(|seed| {
                let norms = &gradient_norms(activation, 1, seed).unwrap()[0];
                norms[0] / norms[norms.len() - 1]
            })
            .collect()
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
