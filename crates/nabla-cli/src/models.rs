//! The models `nabla train` and `nabla sample` know, each with a fixed architecture (so that a
//! checkpoint says everything `sample` needs) and the training defaults it works well with.

use nabla_data::{Mnist, TensorDataset};
use nabla_generative::{Autoencoder, Gan, GanConfig, MlpGanShape, Noise, Vae};
use nabla_nn::Activation;
use nabla_optim::AdamConfig;
use nabla_tensor::Result;
use nabla_tensor::rand::Rng;

use crate::classifier::Architecture;

/// A model `nabla train` can train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelKind {
    /// MNIST classifier: 784-256-128-10 MLP, ReLU, dropout 0.2.
    Mlp,
    /// MNIST classifier: workload W3's CNN.
    Cnn,
    /// MNIST classifier: a tanh RNN (hidden 128) reading the digit row by row.
    Rnn,
    /// MNIST classifier: an LSTM (hidden 128) reading the digit row by row.
    Lstm,
    /// MNIST classifier: a GRU (hidden 128) reading the digit row by row.
    Gru,
    /// Dense autoencoder 784-256-64-256-784 (workload W8).
    Autoencoder,
    /// Variational autoencoder with a 2-D code (784-512-2-512-784).
    Vae,
    /// GAN with MLPs (100-D noise, two hidden layers of 256).
    Gan,
    /// DCGAN (workload W4's networks).
    Dcgan,
}

/// The GAN's and DCGAN's noise size.
pub const GAN_LATENT: usize = 100;
/// The VAE's code size.
pub const VAE_LATENT: usize = 2;

impl ModelKind {
    /// The classifier architecture, for the five classifiers.
    pub fn architecture(self) -> Option<Architecture> {
        match self {
            ModelKind::Mlp => Some(Architecture::Mlp),
            ModelKind::Cnn => Some(Architecture::Cnn),
            ModelKind::Rnn => Some(Architecture::Rnn),
            ModelKind::Lstm => Some(Architecture::Lstm),
            ModelKind::Gru => Some(Architecture::Gru),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self.architecture() {
            Some(architecture) => architecture.name(),
            None => match self {
                ModelKind::Autoencoder => "autoencoder",
                ModelKind::Vae => "vae",
                ModelKind::Gan => "gan",
                _ => "dcgan",
            },
        }
    }

    /// (epochs, batch size, learning rate) that train it well on the bundled digits.
    pub fn defaults(self) -> (usize, usize, f64) {
        match self {
            ModelKind::Mlp => (8, 64, 2e-3),
            ModelKind::Cnn => (5, 64, 2e-3),
            ModelKind::Rnn => (3, 64, Architecture::Rnn.default_lr()),
            ModelKind::Lstm | ModelKind::Gru => (3, 64, 2e-3),
            ModelKind::Autoencoder => (10, 128, 1e-3),
            ModelKind::Vae => (20, 128, 1e-3),
            ModelKind::Gan => (30, 64, 2e-4),
            ModelKind::Dcgan => (20, 64, 2e-4),
        }
    }

    /// The training data the model takes, from the training split: pixels in [0, 1] flat
    /// for the autoencoders, in [-1, 1] for the GANs (flat for the MLP GAN, images for the
    /// DCGAN), digits with their labels for the classifiers.
    ///
    /// # Errors
    /// Shape errors for digits that are not 28×28.
    pub fn training_data(self, mnist: &Mnist) -> Result<TensorDataset> {
        let images = &mnist.train.images;
        let unlabelled = match self {
            ModelKind::Autoencoder | ModelKind::Vae => images.flatten(1, -1)?,
            ModelKind::Gan => images.flatten(1, -1)?.mul_scalar(2.0)?.add_scalar(-1.0)?,
            ModelKind::Dcgan => images.mul_scalar(2.0)?.add_scalar(-1.0)?,
            _ => return crate::classifier::labelled(&mnist.train),
        };
        TensorDataset::unlabelled(unlabelled)
    }
}

pub fn autoencoder<R: Rng + ?Sized>(lr: f64, rng: &mut R) -> Result<Autoencoder> {
    Autoencoder::new(&[784, 256, 64], Noise::None, AdamConfig { lr, ..Default::default() }, rng)
}

pub fn vae<R: Rng + ?Sized>(lr: f64, rng: &mut R) -> Result<Vae> {
    Vae::new(784, 512, VAE_LATENT, AdamConfig { lr, ..Default::default() }, rng)
}

fn gan_config(lr: f64) -> GanConfig {
    GanConfig { adam: AdamConfig { lr, betas: (0.5, 0.999), ..Default::default() }, ..GanConfig::new(GAN_LATENT) }
}

pub fn gan<R: Rng + ?Sized>(lr: f64, rng: &mut R) -> Result<Gan> {
    let shape = MlpGanShape { output: Some(Activation::Tanh), ..MlpGanShape::new(784, 256) };
    Gan::mlp(&shape, gan_config(lr), rng)
}

pub fn dcgan<R: Rng + ?Sized>(lr: f64, rng: &mut R) -> Result<Gan> {
    let config = nabla_generative::DcganConfig { latent: GAN_LATENT, ..Default::default() };
    Gan::new(config.generator(rng)?, config.discriminator(rng)?, gan_config(lr))
}
