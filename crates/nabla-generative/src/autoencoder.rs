//! Autoencoders: an encoder to a small code, a decoder back, trained to reproduce the input —
//! optionally from a corrupted copy (the denoising autoencoder of Vincent et al. 2008). Dense
//! (workload W8's 784-256-64-256-784) or convolutional (strided convolutions down, transposed
//! convolutions up).

use nabla_conv::{Conv2d, Conv2dConfig, ConvTranspose2d};
use nabla_losses::{BceWithLogitsOptions, binary_cross_entropy_with_logits};
use nabla_nn::{Activation, Flatten, Linear, LinearConfig, MlpConfig, Module, Sequential, Unflatten, mlp};
use nabla_optim::{AdamConfig, Optimizer};
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor, no_grad};

use nabla_data::{Batch, TensorDataset};
use nabla_nn::{load_part, prefixed, state_dict_part};
use nabla_train::{TrainRng, Trainable};

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
    pub(crate) optimizer: Optimizer,
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
        Autoencoder::from_parts(encoder, decoder, noise, adam)
    }

    /// A convolutional autoencoder for `[N, 1, 28, 28]` images: two 3×3 stride-2 convolutions
    /// (1 → 16 → 32 channels, 28 → 14 → 7 pixels) and a linear layer to `code` numbers; the
    /// decoder mirrors it with a linear layer and two 4×4 stride-2 transposed convolutions.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero code size.
    pub fn convolutional<R: Rng + ?Sized>(code: usize, noise: Noise, adam: AdamConfig, rng: &mut R) -> Result<Self> {
        let down = |from, to| Conv2dConfig { stride: (2, 2), padding: (1, 1), ..Conv2dConfig::new(from, to, 3) };
        let up = |from, to| Conv2dConfig { stride: (2, 2), padding: (1, 1), ..Conv2dConfig::new(from, to, 4) };
        let encoder = Sequential::new()
            .push(Conv2d::new(down(1, 16), rng)?)
            .push(Activation::Relu)
            .push(Conv2d::new(down(16, 32), rng)?)
            .push(Activation::Relu)
            .push(Flatten::default())
            .push(Linear::new(LinearConfig::new(32 * 7 * 7, code), rng)?);
        let decoder = Sequential::new()
            .push(Linear::new(LinearConfig::new(code, 32 * 7 * 7), rng)?)
            .push(Activation::Relu)
            .push(Unflatten { axis: 1, shape: vec![32, 7, 7] })
            .push(ConvTranspose2d::new(up(32, 16), rng)?)
            .push(Activation::Relu)
            .push(ConvTranspose2d::new(up(16, 1), rng)?);
        Autoencoder::from_parts(encoder, decoder, noise, adam)
    }

    /// An autoencoder from any encoder and a decoder that ends in logits (no sigmoid), trained
    /// with Adam on the binary cross-entropy of the reconstruction.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad Adam configuration.
    pub fn from_parts(encoder: Sequential, decoder: Sequential, noise: Noise, adam: AdamConfig) -> Result<Self> {
        let mut params = encoder.parameters();
        params.extend(decoder.parameters());
        let optimizer = Optimizer::adam(params, adam)?;
        Ok(Autoencoder { encoder, decoder, noise, optimizer })
    }

    /// The code of each input: `[N, input]` (dense) or `[N, 1, 28, 28]` (convolutional) →
    /// `[N, code]`.
    ///
    /// # Errors
    /// Shape errors from the layers.
    pub fn encode(&self, x: &Tensor) -> Result<Tensor> {
        self.encoder.forward(x)
    }

    /// Inputs from codes, `[N, code]` → the input's shape, in (0, 1).
    ///
    /// # Errors
    /// Shape errors from the layers.
    pub fn decode(&self, code: &Tensor) -> Result<Tensor> {
        Ok(nabla_activations::sigmoid(&self.decoder.forward(code)?))
    }

    /// `decode(encode(x))`, without recording a graph.
    ///
    /// # Errors
    /// Shape errors from the layers.
    pub fn reconstruct(&self, x: &Tensor) -> Result<Tensor> {
        no_grad(|| self.decode(&self.encode(x)?))
    }

    /// One Adam step on a batch with values in [0, 1]: the (corrupted) batch is
    /// encoded and decoded, and the reconstruction of the clean batch is scored by binary
    /// cross-entropy. Returns the loss.
    ///
    /// # Errors
    /// [`Error::NonFinite`] when the loss is not finite (no update is made); shape errors.
    pub fn train_step<R: Rng + ?Sized>(&mut self, x: &Tensor, rng: &mut R) -> Result<f32> {
        let input = self.noise.corrupt(x, rng)?;
        let logits = self.decoder.forward(&self.encoder.forward(&input)?)?;
        let loss = binary_cross_entropy_with_logits(&logits, x, &BceWithLogitsOptions::default())?;
        let value = loss.item()?;
        if !value.is_finite() {
            return Err(Error::NonFinite {
                op: "Autoencoder::train_step",
                reason: format!("the loss is {value}: training diverged"),
            });
        }
        self.optimizer.step(&loss.backward()?)?;
        Ok(value)
    }
}

impl Trainable for Autoencoder {
    fn kind(&self) -> &'static str {
        "autoencoder"
    }

    fn loss_names(&self) -> Vec<&'static str> {
        vec!["bce"]
    }

    fn train_step(&mut self, batch: &Batch, rng: &mut TrainRng) -> Result<Vec<f32>> {
        Ok(vec![Autoencoder::train_step(self, &batch.input, rng)?])
    }

    /// The first `n` training samples.
    fn fixed_input(&self, data: &TensorDataset, n: usize, _rng: &mut TrainRng) -> Result<Batch> {
        data.batch(&(0..n).collect::<Vec<_>>())
    }

    /// The fixed inputs followed by their reconstructions.
    fn render(&self, fixed: &Batch) -> Result<Tensor> {
        let reconstruction = self.reconstruct(&fixed.input)?;
        Tensor::concat(&[&fixed.input, &reconstruction], 0)
    }

    fn state(&self) -> Vec<(String, Tensor)> {
        let mut state = prefixed("encoder", self.encoder.state_dict());
        state.extend(prefixed("decoder", self.decoder.state_dict()));
        state.extend(prefixed("optimizer", self.optimizer.state_dict()));
        state
    }

    fn load_state(&mut self, state: &[(String, Tensor)]) -> Result<()> {
        load_part(&mut self.encoder, state, "encoder")?;
        load_part(&mut self.decoder, state, "decoder")?;
        self.optimizer.load_state_dict(&state_dict_part(state, "optimizer"))
    }
}
