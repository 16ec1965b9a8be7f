//! The variational autoencoder of Kingma and Welling (2013): the encoder gives a Gaussian
//! (mean and log-variance) over the code, a code is drawn with the reparameterisation trick
//! (`z = μ + σ·ε`), and the loss is the reconstruction's binary cross-entropy plus the KL
//! divergence of the code's Gaussian from N(0, I). Sampling decodes codes drawn from N(0, I).

use nabla_losses::{BceWithLogitsOptions, Reduction, binary_cross_entropy_with_logits};
use nabla_nn::{Activation, Linear, LinearConfig, MlpConfig, Module, Sequential, mlp};
use nabla_optim::{AdamConfig, Optimizer};
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor, no_grad};

use nabla_data::{Batch, TensorDataset};
use nabla_nn::{load_part, prefixed, state_dict_part};
use nabla_train::{TrainRng, Trainable};

/// The two terms of the VAE's loss, each summed over a sample's values and averaged over the
/// batch (the negative ELBO is their sum).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VaeLosses {
    /// Binary cross-entropy of the reconstruction, per sample.
    pub reconstruction: f32,
    /// KL(q(z|x) ‖ N(0, I)), per sample.
    pub kl: f32,
}

/// An MLP encoder to a Gaussian over `latent` numbers and an MLP decoder back.
#[derive(Module)]
pub struct Vae {
    /// Input → hidden layers (ReLU), shared by the two heads.
    pub encoder: Sequential,
    /// Hidden → the code's mean.
    pub mean: Linear,
    /// Hidden → the code's log-variance.
    pub log_var: Linear,
    /// Code → hidden layers (ReLU) → logits of the input.
    pub decoder: Sequential,
    #[module(skip)]
    pub(crate) optimizer: Optimizer,
    #[module(skip)]
    latent: usize,
}

impl Vae {
    /// A VAE for inputs of `input` numbers in [0, 1] through one hidden layer of `hidden`
    /// ReLU units each way, with Adam.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero size.
    pub fn new<R: Rng + ?Sized>(
        input: usize,
        hidden: usize,
        latent: usize,
        adam: AdamConfig,
        rng: &mut R,
    ) -> Result<Self> {
        let encoder = mlp(&MlpConfig { widths: vec![input, hidden], activation: Activation::Relu, dropout: 0.0 }, rng)?
            .push(Activation::Relu);
        let mean = Linear::new(LinearConfig::new(hidden, latent), rng)?;
        let log_var = Linear::new(LinearConfig::new(hidden, latent), rng)?;
        let decoder =
            mlp(&MlpConfig { widths: vec![latent, hidden, input], activation: Activation::Relu, dropout: 0.0 }, rng)?;
        let mut vae = Vae { encoder, mean, log_var, decoder, optimizer: Optimizer::adam(vec![], adam)?, latent };
        vae.optimizer = Optimizer::adam(vae.parameters(), adam)?;
        Ok(vae)
    }

    /// The size of the code.
    pub fn latent(&self) -> usize {
        self.latent
    }

    /// The Gaussian over each input's code: `[N, input]` → (mean, log-variance), both
    /// `[N, latent]`.
    ///
    /// # Errors
    /// Shape errors from the layers.
    pub fn encode(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let hidden = self.encoder.forward(x)?;
        Ok((self.mean.forward(&hidden)?, self.log_var.forward(&hidden)?))
    }

    /// Inputs from codes `[N, latent]` → `[N, input]`, in (0, 1).
    ///
    /// # Errors
    /// Shape errors from the layers.
    pub fn decode(&self, code: &Tensor) -> Result<Tensor> {
        Ok(nabla_activations::sigmoid(&self.decoder.forward(code)?))
    }

    /// The decoded mean code of each input (no graph recorded).
    ///
    /// # Errors
    /// Shape errors from the layers.
    pub fn reconstruct(&self, x: &Tensor) -> Result<Tensor> {
        no_grad(|| self.decode(&self.encode(x)?.0))
    }

    /// `n` new samples: codes from N(0, I), decoded (no graph recorded).
    ///
    /// # Errors
    /// None in practice.
    pub fn sample<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Result<Tensor> {
        let z = Tensor::normal(&[n, self.latent], 0.0, 1.0, rng)?;
        no_grad(|| self.decode(&z))
    }

    /// One Adam step on a batch `[N, input]` with values in [0, 1], minimising the negative
    /// ELBO (reconstruction BCE + KL, per sample).
    ///
    /// # Errors
    /// [`Error::NonFinite`] when the loss is not finite (no update is made); [`Error::Empty`]
    /// for an empty batch; shape errors.
    pub fn train_step<R: Rng + ?Sized>(&mut self, x: &Tensor, rng: &mut R) -> Result<VaeLosses> {
        let (loss, losses) = self.loss(x, rng)?;
        self.optimizer.step(&loss.backward()?)?;
        Ok(losses)
    }

    /// The two terms of the loss on `x` (one code drawn per input), without training.
    ///
    /// # Errors
    /// As [`Vae::train_step`].
    pub fn evaluate<R: Rng + ?Sized>(&self, x: &Tensor, rng: &mut R) -> Result<VaeLosses> {
        no_grad(|| self.loss(x, rng)).map(|(_, losses)| losses)
    }

    /// The negative ELBO (a 0-d tensor, averaged over the batch) and its terms.
    fn loss<R: Rng + ?Sized>(&self, x: &Tensor, rng: &mut R) -> Result<(Tensor, VaeLosses)> {
        let batch = x.shape().first().copied().unwrap_or(0);
        if batch == 0 {
            return Err(Error::Empty { op: "Vae::train_step", shape: x.shape().to_vec() });
        }
        let (mean, log_var) = self.encode(x)?;
        let noise = Tensor::normal(mean.shape(), 0.0, 1.0, rng)?;
        let z = mean.add(&log_var.mul_scalar(0.5)?.exp()?.mul(&noise)?)?;
        let logits = self.decoder.forward(&z)?;
        let sum = BceWithLogitsOptions { reduction: Reduction::Sum, ..Default::default() };
        let reconstruction = binary_cross_entropy_with_logits(&logits, x, &sum)?.div_scalar(batch as f32)?;
        // KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ (μ² + σ² − 1 − log σ²)
        let kl = mean
            .mul(&mean)?
            .add(&log_var.exp()?)?
            .sub(&log_var)?
            .add_scalar(-1.0)?
            .sum_all()?
            .mul_scalar(0.5 / batch as f32)?;
        let losses = VaeLosses { reconstruction: reconstruction.item()?, kl: kl.item()? };
        if !(losses.reconstruction.is_finite() && losses.kl.is_finite()) {
            return Err(Error::NonFinite {
                op: "Vae::train_step",
                reason: format!("the losses are {losses:?}: training diverged"),
            });
        }
        Ok((reconstruction.add(&kl)?, losses))
    }
}

impl Module for Vae {
    /// The reconstruction of each input from its mean code, `[N, input]` → `[N, input]`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        self.decode(&self.encode(input)?.0)
    }
}

impl Trainable for Vae {
    fn kind(&self) -> &'static str {
        "vae"
    }

    fn loss_names(&self) -> Vec<&'static str> {
        vec!["reconstruction", "kl"]
    }

    fn train_step(&mut self, batch: &Batch, rng: &mut TrainRng) -> Result<Vec<f32>> {
        let losses = Vae::train_step(self, &batch.input, rng)?;
        Ok(vec![losses.reconstruction, losses.kl])
    }

    /// Codes drawn from N(0, I).
    fn fixed_input(&self, _data: &TensorDataset, n: usize, rng: &mut TrainRng) -> Result<Batch> {
        Ok(Batch { input: Tensor::normal(&[n, self.latent], 0.0, 1.0, rng)?, target: None })
    }

    /// The decoded fixed codes.
    fn render(&self, fixed: &Batch) -> Result<Tensor> {
        no_grad(|| self.decode(&fixed.input))
    }

    fn state(&self) -> Vec<(String, Tensor)> {
        let mut state = prefixed("model", self.state_dict());
        state.extend(prefixed("optimizer", self.optimizer.state_dict()));
        state
    }

    fn load_state(&mut self, state: &[(String, Tensor)]) -> Result<()> {
        load_part(self, state, "model")?;
        self.optimizer.load_state_dict(&state_dict_part(state, "optimizer"))
    }
}
