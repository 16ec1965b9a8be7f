//! A dense autoencoder (workload W8's 784-256-64-256-784 by default): an encoder to a small
//! code, a decoder back, trained to reproduce its input — optionally from a corrupted copy (the
//! denoising autoencoder of Vincent et al. 2008).

use nabla_losses::{BceWithLogitsOptions, binary_cross_entropy_with_logits};
use nabla_nn::{Activation, MlpConfig, Module, Sequential, mlp};
use nabla_optim::{AdamConfig, Optimizer};
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor, no_grad};

/// How a denoising autoencoder corrupts its training inputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Noise {
    /// No corruption: a plain autoencoder.
    None,
    /// Add N(0, σ²) to each value.
    Gaussian(f32),
    /// Set each value to 0 with this probability.
    Masking(f32),
}

impl Noise {
    /// `x` corrupted (a new tensor; `x` is untouched).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a negative σ or a probability outside [0, 1).
    pub fn corrupt<R: Rng + ?Sized>(self, x: &Tensor, rng: &mut R) -> Result<Tensor> {
        match self {
            Noise::None => Ok(x.clone()),
            Noise::Gaussian(sigma) => x.add(&Tensor::normal(x.shape(), 0.0, sigma, rng)?),
            Noise::Masking(p) if (0.0..1.0).contains(&p) => {
                let keep: Vec<f32> = (0..x.numel()).map(|_| if rng.random::<f32>() < p { 0.0 } else { 1.0 }).collect();
                x.mul(&Tensor::from_vec(keep, x.shape())?)
            }
            Noise::Masking(p) => {
                Err(Error::InvalidArgument { op: "Noise::Masking", reason: format!("p must lie in [0, 1), got {p}") })
            }
        }
    }
}

/// An MLP encoder and decoder. The decoder ends in logits; [`Autoencoder::decode`] applies the
/// sigmoid, so outputs lie in (0, 1) like the pixels they reconstruct.
pub struct Autoencoder {
    pub encoder: Sequential,
    pub decoder: Sequential,
    pub noise: Noise,
    optimizer: Optimizer,
}

impl Autoencoder {
    /// An autoencoder through `widths` (input first, code last; the decoder mirrors them), ReLU
    /// inside, trained with Adam on the binary cross-entropy of the reconstruction.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for fewer than two widths.
    pub fn new<R: Rng + ?Sized>(widths: &[usize], noise: Noise, adam: AdamConfig, rng: &mut R) -> Result<Self> {
        let encoder = mlp(&MlpConfig { widths: widths.to_vec(), activation: Activation::Relu, dropout: 0.0 }, rng)?;
        let reversed: Vec<usize> = widths.iter().rev().copied().collect();
        let decoder = mlp(&MlpConfig { widths: reversed, activation: Activation::Relu, dropout: 0.0 }, rng)?;
        let mut params = encoder.parameters();
        params.extend(decoder.parameters());
        let optimizer = Optimizer::adam(params, adam)?;
        Ok(Autoencoder { encoder, decoder, noise, optimizer })
    }

    /// The code of each input `[N, input]` → `[N, code]`.
    ///
    /// # Errors
    /// Shape errors from the layers.
    pub fn encode(&self, x: &Tensor) -> Result<Tensor> {
        self.encoder.forward(x)
    }

    /// Inputs from codes `[N, code]` → `[N, input]`, in (0, 1).
    ///
    /// # Errors
    /// Shape errors from the layers.
    pub fn decode(&self, code: &Tensor) -> Result<Tensor> {
        nabla_activations::sigmoid(&self.decoder.forward(code)?)
    }

    /// `decode(encode(x))`, without recording a graph.
    ///
    /// # Errors
    /// Shape errors from the layers.
    pub fn reconstruct(&self, x: &Tensor) -> Result<Tensor> {
        no_grad(|| self.decode(&self.encode(x)?))
    }

    /// One Adam step on a batch `[N, input]` with values in [0, 1]: the (corrupted) batch is
    /// encoded and decoded, and the reconstruction of the clean batch is scored by binary
    /// cross-entropy. Returns the loss.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the loss is not finite; shape errors.
    pub fn train_step<R: Rng + ?Sized>(&mut self, x: &Tensor, rng: &mut R) -> Result<f32> {
        let input = self.noise.corrupt(x, rng)?;
        let logits = self.decoder.forward(&self.encoder.forward(&input)?)?;
        let loss = binary_cross_entropy_with_logits(&logits, x, &BceWithLogitsOptions::default())?;
        let value = loss.item()?;
        if !value.is_finite() {
            return Err(Error::InvalidArgument {
                op: "Autoencoder::train_step",
                reason: format!("the loss is {value}: training diverged"),
            });
        }
        self.optimizer.step(&loss.backward()?)?;
        Ok(value)
    }
}
