//! The GAN of Goodfellow et al. (2014) with MLPs: a generator maps noise to samples, a
//! discriminator scores samples as real or generated, trained in alternation — the
//! discriminator `k` times per generator step, with the non-saturating generator loss and
//! optional one-sided label smoothing.

use nabla_losses::{BceWithLogitsOptions, binary_cross_entropy_with_logits};
use nabla_nn::{Activation, MlpConfig, Module, Sequential, mlp};
use nabla_optim::{AdamConfig, Optimizer};
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor, no_grad};

/// The shape of a GAN and how it trains.
#[derive(Debug, Clone, PartialEq)]
pub struct GanConfig {
    /// Noise dimensions fed to the generator.
    pub latent: usize,
    /// Sample dimensions (2 for points in the plane).
    pub data: usize,
    /// Width of the hidden layers of both MLPs.
    pub hidden: usize,
    /// Hidden layers in each MLP.
    pub depth: usize,
    /// Discriminator steps per generator step (k).
    pub d_steps: usize,
    /// One-sided label smoothing: real samples are labelled `1 - label_smoothing`.
    pub label_smoothing: f32,
    /// Adam for both networks (the GAN literature's β₁ = 0.5).
    pub adam: AdamConfig,
}

impl GanConfig {
    /// Two hidden layers of `hidden` ReLU units in each network, k = 1, no smoothing, Adam
    /// (1e-3, β = (0.5, 0.999)).
    pub fn new(latent: usize, data: usize, hidden: usize) -> Self {
        GanConfig {
            latent,
            data,
            hidden,
            depth: 2,
            d_steps: 1,
            label_smoothing: 0.0,
            adam: AdamConfig { lr: 1e-3, betas: (0.5, 0.999), ..Default::default() },
        }
    }
}

/// The losses of one training step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GanLosses {
    /// The discriminator's binary cross-entropy on real and generated samples (last of the k steps).
    pub discriminator: f32,
    /// The generator's non-saturating loss, −log D(G(z)).
    pub generator: f32,
}

/// A generator, a discriminator and their optimizers.
pub struct Gan {
    pub config: GanConfig,
    pub generator: Sequential,
    pub discriminator: Sequential,
    g_optimizer: Optimizer,
    d_optimizer: Optimizer,
}

impl Gan {
    /// Both networks with PyTorch's default initialisation.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero size or k, or smoothing outside [0, 1).
    pub fn new<R: Rng + ?Sized>(config: GanConfig, rng: &mut R) -> Result<Self> {
        if config.d_steps == 0 || !(0.0..1.0).contains(&config.label_smoothing) {
            return Err(Error::InvalidArgument {
                op: "Gan",
                reason: format!(
                    "needs d_steps >= 1 and label_smoothing in [0, 1), got {} and {}",
                    config.d_steps, config.label_smoothing
                ),
            });
        }
        let widths = |from: usize, to: usize| {
            std::iter::once(from)
                .chain(std::iter::repeat_n(config.hidden, config.depth))
                .chain(std::iter::once(to))
                .collect()
        };
        let generator = mlp(
            &MlpConfig { widths: widths(config.latent, config.data), activation: Activation::Relu, dropout: 0.0 },
            rng,
        )?;
        let discriminator = mlp(
            &MlpConfig { widths: widths(config.data, 1), activation: Activation::LeakyRelu(0.2), dropout: 0.0 },
            rng,
        )?;
        let g_optimizer = Optimizer::adam(generator.parameters(), config.adam)?;
        let d_optimizer = Optimizer::adam(discriminator.parameters(), config.adam)?;
        Ok(Gan { config, generator, discriminator, g_optimizer, d_optimizer })
    }

    /// Standard normal noise `[n, latent]`.
    ///
    /// # Errors
    /// None in practice.
    pub fn noise<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Result<Tensor> {
        Tensor::normal(&[n, self.config.latent], 0.0, 1.0, rng)
    }

    /// `n` generated samples (no graph is recorded).
    ///
    /// # Errors
    /// None in practice.
    pub fn sample<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Result<Tensor> {
        let z = self.noise(n, rng)?;
        no_grad(|| self.generator.forward(&z))
    }

    /// One round: `d_steps` discriminator updates (each on the next batch from `real`) and one
    /// generator update, with the non-saturating loss.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when a loss is not finite (training has diverged), or shape
    /// errors from the networks.
    pub fn train_step<R: Rng + ?Sized>(
        &mut self,
        mut real: impl FnMut(&mut R) -> Result<Tensor>,
        rng: &mut R,
    ) -> Result<GanLosses> {
        let plain = BceWithLogitsOptions::default();
        let mut d_loss = f32::NAN;
        let mut batch = 0;
        for _ in 0..self.config.d_steps {
            let samples = real(rng)?;
            batch = samples.shape()[0];
            let fake = self.sample(batch, rng)?;
            let real_target = Tensor::full(&[batch, 1], 1.0 - self.config.label_smoothing);
            let fake_target = Tensor::zeros(&[batch, 1]);
            let loss = binary_cross_entropy_with_logits(&self.discriminator.forward(&samples)?, &real_target, &plain)?
                .add(&binary_cross_entropy_with_logits(&self.discriminator.forward(&fake)?, &fake_target, &plain)?)?;
            d_loss = finite("discriminator", loss.item()?)?;
            self.d_optimizer.step(&loss.backward()?)?;
        }
        let z = self.noise(batch, rng)?;
        let scores = self.discriminator.forward(&self.generator.forward(&z)?)?;
        let loss = binary_cross_entropy_with_logits(&scores, &Tensor::ones(&[batch, 1]), &plain)?;
        let g_loss = finite("generator", loss.item()?)?;
        let grads = loss.backward()?;
        self.g_optimizer.step(&grads)?;
        Ok(GanLosses { discriminator: d_loss, generator: g_loss })
    }
}

fn finite(which: &str, loss: f32) -> Result<f32> {
    if !loss.is_finite() {
        return Err(Error::InvalidArgument {
            op: "Gan::train_step",
            reason: format!("the {which} loss is {loss}: training diverged"),
        });
    }
    Ok(loss)
}
