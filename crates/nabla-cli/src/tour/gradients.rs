//! Tour topic 2: in a 10-layer MLP the sigmoid's gradients vanish towards the input; ReLU
//! with He initialisation keeps them the same size ([`topics::vanishing`](crate::topics::vanishing)).

use nabla_plot::{LineChart, Series};

use super::Context;
use crate::error::CliError;
use crate::report::Section;
use crate::topics::vanishing::{Activation, first_over_last, gradient_norms};

pub fn run(context: &Context) -> Result<Section, CliError> {
    let sigmoid = gradient_norms(&context.mnist, Activation::Sigmoid, 1, 0)?.remove(0);
    let relu = gradient_norms(&context.mnist, Activation::Relu, 1, 0)?.remove(0);
    let (sigmoid_ratio, relu_ratio) = (first_over_last(&sigmoid) as f64, first_over_last(&relu) as f64);
    let series = |label: &str, norms: &[f32]| {
        Series::new(label, norms.iter().enumerate().map(|(i, &n)| ((i + 1) as f64, n as f64)).collect())
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
