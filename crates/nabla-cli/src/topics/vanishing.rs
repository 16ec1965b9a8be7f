//! Sigmoid versus ReLU, the vanishing gradient: a 10-layer MLP (784 → 64 × 9 → 10) on MNIST
//! with sigmoid and PyTorch's default initialisation, and with ReLU and He initialisation; the
//! norm of each layer's weight gradient over the first SGD steps. Example 02 and the tour's
//! second section.

use nabla_activations::{relu, sigmoid};
use nabla_data::Mnist;
use nabla_losses::{CrossEntropyOptions, cross_entropy};
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Result, Tensor};

/// The widths: 784 → 64 × 9 → 10.
pub const WIDTHS: [usize; 11] = [784, 64, 64, 64, 64, 64, 64, 64, 64, 64, 10];

/// The two networks compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Sigmoid,
    Relu,
}

/// One linear layer in PyTorch's layout: `weight` `[out, in]`, `y = x Wᵀ + b`.
pub struct Layer {
    pub weight: Tensor,
    pub bias: Tensor,
}

/// The layers, initialised as PyTorch's default (sigmoid) or He's (ReLU).
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

/// The network's logits for `x`.
///
/// # Errors
/// Shape errors for inputs that are not `[B, 784]`.
pub fn forward(layers: &[Layer], activation: Activation, x: &Tensor) -> Result<Tensor> {
    let mut h = x.clone();
    for (i, layer) in layers.iter().enumerate() {
        h = h.matmul(&layer.weight.t()?)?.add(&layer.bias)?;
        if i + 1 < layers.len() {
            h = match activation {
                Activation::Sigmoid => sigmoid(&h),
                Activation::Relu => relu(&h),
            };
        }
    }
    Ok(h)
}

fn norm(t: &Tensor) -> f32 {
    t.to_vec().iter().map(|v| v * v).sum::<f32>().sqrt()
}

/// The weight-gradient norm of each layer (first to last) at each of `steps` SGD steps (lr
/// 0.1) on consecutive batches of 64 of `mnist`'s training digits.
///
/// # Errors
/// Shape errors; [`nabla_tensor::Error::IndexOutOfRange`] for more steps than the digits fill.
pub fn gradient_norms(mnist: &Mnist, activation: Activation, steps: usize, seed: u64) -> Result<Vec<Vec<f32>>> {
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

/// The first layer's gradient norm over the last's at the first step.
pub fn first_over_last(norms: &[f32]) -> f32 {
    norms[0] / norms[norms.len() - 1]
}
