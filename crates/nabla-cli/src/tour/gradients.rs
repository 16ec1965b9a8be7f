//! Tour topic 2: in a 10-layer MLP the sigmoid's gradients vanish towards the input; ReLU
//! with He initialisation keeps them the same size.

use nabla_data::{MNIST_MEAN, MNIST_STD, normalize};
use nabla_losses::{CrossEntropyOptions, cross_entropy};
use nabla_nn::init::{FanMode, Nonlinearity, kaiming_normal};
use nabla_nn::{Activation, MlpConfig, Module, mlp};
use nabla_plot::{LineChart, Series};
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};

use super::Context;
use crate::error::CliError;
use crate::report::Section;

const WIDTHS: [usize; 11] = [784, 64, 64, 64, 64, 64, 64, 64, 64, 64, 10];

/// The norm of each layer's weight gradient (first to last) for one batch of 64 digits.
fn gradient_norms(context: &Context, activation: Activation) -> Result<Vec<f64>, CliError> {
    let mut rng = StdRng::seed_from_u64(0);
    let model = mlp(&MlpConfig { widths: WIDTHS.to_vec(), activation, dropout: 0.0 }, &mut rng)?;
    let weights: Vec<_> =
        model.named_parameters().into_iter().filter(|(n, _)| n.ends_with("weight")).map(|(_, t)| t).collect();
    if activation == Activation::Relu {
        for weight in &weights {
            weight.set_data(kaiming_normal(weight.shape(), FanMode::FanIn, Nonlinearity::Relu, &mut rng)?.data())?;
        }
    }
    let train = &context.mnist.train;
    let x = normalize(&train.images.narrow(0, 0, 64)?.flatten(1, -1)?, MNIST_MEAN, MNIST_STD)?;
    let labels: Vec<i64> = train.labels[..64].iter().map(|&l| l as i64).collect();
    let grads = cross_entropy(&model.forward(&x)?, &labels, &CrossEntropyOptions::default())?.backward()?;
    Ok(weights
        .iter()
        .map(|w| grads.get(w).map_or(0.0, |g| g.to_vec().iter().map(|v| (v * v) as f64).sum::<f64>().sqrt()))
        .collect())
}

pub fn run(context: &Context) -> Result<Section, CliError> {
    let sigmoid = gradient_norms(context, Activation::Sigmoid)?;
    let relu = gradient_norms(context, Activation::Relu)?;
    let ratio = |norms: &[f64]| norms[0] / norms[norms.len() - 1];
    let (sigmoid_ratio, relu_ratio) = (ratio(&sigmoid), ratio(&relu));
    let series = |label: &str, norms: &[f64]| {
        Series::new(label, norms.iter().enumerate().map(|(i, &n)| ((i + 1) as f64, n)).collect())
    };
    LineChart::new(
        "Weight-gradient norm per layer, 10-layer MLP on MNIST",
        "layer (1 = nearest the input)",
        "gradient norm (log scale)",
    )
    .series(series("sigmoid, PyTorch's default init", &sigmoid))
    .series(series("ReLU, He init", &relu))
    .log_y()
    .write_png(context.out.join("vanishing_gradient.png"))?;
    Ok(Section::new(
        "gradients",
        "Sigmoid versus ReLU: the vanishing gradient",
        "A 10-layer MLP (784 → 64 × 9 → 10) on one batch of 64 MNIST digits. The sigmoid's derivative is at most \
         1/4, so each layer shrinks the backpropagated gradient and the first layer's is orders of magnitude smaller \
         than the last's. ReLU passes the gradient through where it is active, and He initialisation keeps its size.",
    )
    .picture("vanishing_gradient.png", "the norm of each layer's weight gradient")
    .metric("sigmoid_first_over_last", "sigmoid: first-layer / last-layer gradient norm", sigmoid_ratio, "")
    .metric("relu_first_over_last", "ReLU + He: first-layer / last-layer gradient norm", relu_ratio, "")
    .check("sigmoid: the first layer's gradient is at least 100,000× smaller than the last's", sigmoid_ratio <= 1e-5)
    .check("ReLU + He: first and last layers within 10× of each other", (0.1..=10.0).contains(&relu_ratio)))
}
