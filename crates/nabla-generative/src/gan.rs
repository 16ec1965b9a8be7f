//! The GAN of Goodfellow et al. (2014): a generator maps noise to samples, a discriminator
//! scores samples as real or generated, trained in alternation — the discriminator `k` times
//! per generator step, with the non-saturating generator loss and optional one-sided label
//! smoothing. The networks are any [`Sequential`]s: MLPs here ([`Gan::mlp`]), convolutional
//! ones for DCGAN ([`Gan::dcgan`](crate::DcganConfig)).

use nabla_losses::{BceWithLogitsOptions, binary_cross_entropy_with_logits};
use nabla_nn::{Activation, MlpConfig, Module, Sequential, mlp};
use nabla_optim::{AdamConfig, Optimizer};
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor, no_grad};

use nabla_data::{Batch, TensorDataset};
use nabla_nn::{load_part, prefixed, state_dict_part};
use nabla_train::{TrainRng, Trainable};

/// How a GAN trains: the noise size, k, label smoothing and Adam for both networks.
#[derive(Debug, Clone, PartialEq)]
pub struct GanConfig {
    /// Noise dimensions fed to the generator.
    pub latent: usize,
    /// Discriminator steps per generator step (k).
    pub d_steps: usize,
    /// One-sided label smoothing: real samples are labelled `1 - label_smoothing`.
    pub label_smoothing: f32,
    /// Adam for both networks.
    pub adam: AdamConfig,
}

impl GanConfig {
    /// k = 1, no smoothing, Adam(2e-4, β = (0.5, 0.999)) as in the DCGAN paper.
    pub fn new(latent: usize) -> Self {
        GanConfig {
            latent,
            d_steps: 1,
            label_smoothing: 0.0,
            adam: AdamConfig { lr: 2e-4, betas: (0.5, 0.999), ..Default::default() },
        }
    }
}

/// The shape of an MLP generator and discriminator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MlpGanShape {
    /// Sample dimensions (2 for points in the plane, 784 for MNIST digits).
    pub data: usize,
    /// Width of the hidden layers of both MLPs.
    pub hidden: usize,
    /// Hidden layers in each MLP.
    pub depth: usize,
    /// The generator's output activation: `None` for unbounded samples, `Some(Tanh)` for
    /// images scaled to [-1, 1].
    pub output: Option<Activation>,
}

impl MlpGanShape {
    /// Two hidden layers of `hidden` units and no output activation.
    pub fn new(data: usize, hidden: usize) -> Self {
        MlpGanShape { data, hidden, depth: 2, output: None }
    }
}

/// The losses of one training step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GanLosses {
    /// The discriminator's binary cross-entropy on real plus generated samples (last of the k steps).
    pub discriminator: f32,
    /// The generator's non-saturating loss, −log D(G(z)).
    pub generator: f32,
}

/// A generator, a discriminator and their optimizers.
pub struct Gan {
    pub config: GanConfig,
    pub generator: Sequential,
    pub discriminator: Sequential,
    pub(crate) g_optimizer: Optimizer,
    pub(crate) d_optimizer: Optimizer,
}

impl Gan {
    /// A GAN over these networks: the generator maps `[N, latent]` noise to samples, the
    /// discriminator maps samples to one logit each, `[N, 1]`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero latent size or k, or smoothing outside [0, 1).
    pub fn new(generator: Sequential, discriminator: Sequential, config: GanConfig) -> Result<Self> {
        if config.latent == 0 || config.d_steps == 0 || !(0.0..1.0).contains(&config.label_smoothing) {
            return Err(Error::InvalidArgument {
                op: "Gan",
                reason: format!(
                    "needs latent >= 1, d_steps >= 1 and label_smoothing in [0, 1), got {}, {} and {}",
                    config.latent, config.d_steps, config.label_smoothing
                ),
            });
        }
        let g_optimizer = Optimizer::adam(generator.parameters(), config.adam)?;
        let d_optimizer = Optimizer::adam(discriminator.parameters(), config.adam)?;
        Ok(Gan { config, generator, discriminator, g_optimizer, d_optimizer })
    }

    /// MLP networks with PyTorch's default initialisation: ReLU in the generator,
    /// LeakyReLU(0.2) in the discriminator.
    ///
    /// # Errors
    /// As [`Gan::new`], and for a zero width.
    pub fn mlp<R: Rng + ?Sized>(shape: &MlpGanShape, config: GanConfig, rng: &mut R) -> Result<Self> {
        let widths = |from: usize, to: usize| {
            std::iter::once(from)
                .chain(std::iter::repeat_n(shape.hidden, shape.depth))
                .chain(std::iter::once(to))
                .collect()
        };
        let mut generator = mlp(
            &MlpConfig { widths: widths(config.latent, shape.data), activation: Activation::Relu, dropout: 0.0 },
            rng,
        )?;
        if let Some(output) = shape.output {
            generator = generator.push(output);
        }
        let discriminator = mlp(
            &MlpConfig { widths: widths(shape.data, 1), activation: Activation::LeakyRelu(0.2), dropout: 0.0 },
            rng,
        )?;
        Gan::new(generator, discriminator, config)
    }

    /// Standard normal noise `[n, latent]`.
    pub fn noise<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Tensor {
        Tensor::normal(&[n, self.config.latent], 0.0, 1.0, rng).expect("a standard deviation of 1 is valid")
    }

    /// `n` generated samples (no graph is recorded).
    ///
    /// # Errors
    /// None in practice.
    pub fn sample<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Result<Tensor> {
        let z = self.noise(n, rng);
        no_grad(|| self.generator.forward(&z))
    }

    /// One round: `d_steps` discriminator updates (each on the next batch from `real`) and one
    /// generator update with the non-saturating loss. As in PyTorch's DCGAN example, the last
    /// discriminator step's generated batch is reused (through its graph) for the generator step.
    ///
    /// # Errors
    /// [`Error::NonFinite`] when a loss is not finite (training has diverged; the update it
    /// would have made is not applied), or shape errors from the networks.
    pub fn train_step<R: Rng + ?Sized>(
        &mut self,
        mut real: impl FnMut(&mut R) -> Result<Tensor>,
        rng: &mut R,
    ) -> Result<GanLosses> {
        let plain = BceWithLogitsOptions::default();
        let mut d_loss = f32::NAN;
        let mut fake = None;
        for round in 0..self.config.d_steps {
            let samples = real(rng)?;
            let batch = samples.shape().first().copied().unwrap_or(0);
            let z = self.noise(batch, rng);
            let generated = if round + 1 == self.config.d_steps {
                let tracked = self.generator.forward(&z)?;
                let detached = tracked.detach();
                fake = Some(tracked);
                detached
            } else {
                no_grad(|| self.generator.forward(&z))?
            };
            let real_target = Tensor::full(&[batch, 1], 1.0 - self.config.label_smoothing);
            let fake_target = Tensor::zeros(&[batch, 1]);
            let loss =
                binary_cross_entropy_with_logits(&self.discriminator.forward(&samples)?, &real_target, &plain)?.add(
                    &binary_cross_entropy_with_logits(&self.discriminator.forward(&generated)?, &fake_target, &plain)?,
                )?;
            d_loss = finite("discriminator", loss.item()?)?;
            self.d_optimizer.step(&loss.backward()?)?;
        }
        let fake = fake.expect("d_steps >= 1 is checked in Gan::new");
        let scores = self.discriminator.forward(&fake)?;
        let loss = binary_cross_entropy_with_logits(&scores, &Tensor::ones(&[fake.shape()[0], 1]), &plain)?;
        let g_loss = finite("generator", loss.item()?)?;
        self.g_optimizer.step(&loss.backward()?)?;
        Ok(GanLosses { discriminator: d_loss, generator: g_loss })
    }
}

fn finite(which: &str, loss: f32) -> Result<f32> {
    if !loss.is_finite() {
        return Err(Error::NonFinite {
            op: "Gan::train_step",
            reason: format!("the {which} loss is {loss}: training diverged"),
        });
    }
    Ok(loss)
}

impl Trainable for Gan {
    fn kind(&self) -> &'static str {
        "gan"
    }

    fn loss_names(&self) -> Vec<&'static str> {
        vec!["discriminator", "generator"]
    }

    /// One round on the batch (the k discriminator steps of a round share it).
    fn train_step(&mut self, batch: &Batch, rng: &mut TrainRng) -> Result<Vec<f32>> {
        let losses = Gan::train_step(self, |_| Ok(batch.input.clone()), rng)?;
        Ok(vec![losses.discriminator, losses.generator])
    }

    fn fixed_input(&self, _data: &TensorDataset, n: usize, rng: &mut TrainRng) -> Result<Batch> {
        Ok(Batch { input: self.noise(n, rng), target: None })
    }

    /// The generator's images for the fixed noise, mapped from (-1, 1) to (0, 1).
    fn render(&self, fixed: &Batch) -> Result<Tensor> {
        no_grad(|| self.generator.forward(&fixed.input)?.add_scalar(1.0)?.mul_scalar(0.5))
    }

    fn state(&self) -> Vec<(String, Tensor)> {
        let mut state = prefixed("generator", self.generator.state_dict());
        state.extend(prefixed("discriminator", self.discriminator.state_dict()));
        state.extend(prefixed("g_optimizer", self.g_optimizer.state_dict()));
        state.extend(prefixed("d_optimizer", self.d_optimizer.state_dict()));
        state
    }

    fn load_state(&mut self, state: &[(String, Tensor)]) -> Result<()> {
        load_part(&mut self.generator, state, "generator")?;
        load_part(&mut self.discriminator, state, "discriminator")?;
        self.g_optimizer.load_state_dict(&state_dict_part(state, "g_optimizer"))?;
        self.d_optimizer.load_state_dict(&state_dict_part(state, "d_optimizer"))
    }
}
