//! DCGAN (Radford et al. 2015): a GAN whose generator upsamples with transposed convolutions
//! and whose discriminator downsamples with strided ones — no pooling, batch norm in both
//! (not on G's output or D's input), ReLU in G with a tanh output, LeakyReLU(0.2) in D,
//! weights from N(0, 0.02), Adam(2e-4, β₁ = 0.5).
//!
//! The default is workload W4's 28×28 layout; `depth` adds stages for 32×32 or 64×64 images.

use nabla_conv::{Conv2d, Conv2dConfig, ConvTranspose2d, batch_norm_2d};
use nabla_nn::{
    Activation, BatchNormConfig, Flatten, Linear, LinearConfig, Module, Sequential, Unflatten, batch_norm_1d,
};
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor};

use crate::gan::{Gan, GanConfig};

/// The shape of a DCGAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DcganConfig {
    /// Noise dimensions (100 in the paper).
    pub latent: usize,
    /// Image channels (1 for MNIST, 3 for colour).
    pub channels: usize,
    /// Image height and width; must be `base · 2^depth` for a base size of at least 1.
    pub image_size: usize,
    /// Channels of the generator's last hidden stage and the discriminator's first; each
    /// stage further in doubles them.
    pub features: usize,
    /// Upsampling (and downsampling) stages, each doubling (halving) the size.
    pub depth: usize,
}

impl Default for DcganConfig {
    /// W4 (docs/benchmarks.md): 100-d noise → Linear → 128×7×7 → 64×14×14 → 1×28×28, and the mirror
    /// in the discriminator.
    fn default() -> Self {
        DcganConfig { latent: 100, channels: 1, image_size: 28, features: 64, depth: 2 }
    }
}

impl DcganConfig {
    /// A square image of `image_size` pixels with `channels`, with as many stages as halve it
    /// down to 4×4 (7×7 for 28): 32 → 3 stages, 64 → 4.
    pub fn for_images(channels: usize, image_size: usize) -> Self {
        let mut depth = 0;
        while image_size.is_multiple_of(1 << (depth + 1)) && image_size >> (depth + 1) >= 4 {
            depth += 1;
        }
        DcganConfig { channels, image_size, depth, ..Default::default() }
    }

    /// The size the generator starts from (7 for 28×28 with depth 2).
    fn base(&self) -> Result<usize> {
        let base = self.image_size >> self.depth;
        if self.depth == 0
            || base == 0
            || base << self.depth != self.image_size
            || self.latent == 0
            || self.channels == 0
            || self.features == 0
        {
            return Err(Error::InvalidArgument {
                op: "DcganConfig",
                reason: format!(
                    "image_size {} must be a base size times 2^depth (depth {} >= 1), and latent, channels \
                     and features must be non-zero: {self:?}",
                    self.image_size, self.depth
                ),
            });
        }
        Ok(base)
    }

    /// Channels at stage `i` counted from the image side (stage 0 has `features`).
    fn width(&self, stage: usize) -> usize {
        self.features << stage
    }

    /// The generator: `[N, latent]` → `[N, channels, image_size, image_size]` in (-1, 1).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an impossible configuration.
    pub fn generator<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<Sequential> {
        let base = self.base()?;
        let top = self.width(self.depth - 1);
        let mut g = Sequential::new()
            .push(Linear::new(LinearConfig::new(self.latent, top * base * base), rng)?)
            .push(batch_norm_1d(BatchNormConfig::new(top * base * base)))
            .push(Activation::Relu)
            .push(Unflatten { axis: 1, shape: vec![top, base, base] });
        for stage in (1..self.depth).rev() {
            g = g
                .push(ConvTranspose2d::new(stride_two(self.width(stage), self.width(stage - 1)), rng)?)
                .push(batch_norm_2d(BatchNormConfig::new(self.width(stage - 1))))
                .push(Activation::Relu);
        }
        g = g.push(ConvTranspose2d::new(stride_two(self.width(0), self.channels), rng)?).push(Activation::Tanh);
        paper_initialisation(&g, rng)?;
        Ok(g)
    }

    /// The discriminator: `[N, channels, image_size, image_size]` → one logit each, `[N, 1]`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an impossible configuration.
    pub fn discriminator<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<Sequential> {
        let base = self.base()?;
        let mut d = Sequential::new()
            .push(Conv2d::new(stride_two(self.channels, self.width(0)), rng)?)
            .push(Activation::LeakyRelu(0.2));
        for stage in 1..self.depth {
            d = d
                .push(Conv2d::new(stride_two(self.width(stage - 1), self.width(stage)), rng)?)
                .push(batch_norm_2d(BatchNormConfig::new(self.width(stage))))
                .push(Activation::LeakyRelu(0.2));
        }
        let features = self.width(self.depth - 1) * base * base;
        d = d.push(Flatten::default()).push(Linear::new(LinearConfig::new(features, 1), rng)?);
        paper_initialisation(&d, rng)?;
        Ok(d)
    }
}

impl Gan {
    /// A DCGAN with the paper's recipe: Adam(2e-4, β = (0.5, 0.999)), k = 1.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an impossible configuration.
    pub fn dcgan<R: Rng + ?Sized>(config: &DcganConfig, rng: &mut R) -> Result<Gan> {
        Gan::new(config.generator(rng)?, config.discriminator(rng)?, GanConfig::new(config.latent))
    }
}

/// A 4×4 kernel with stride 2 and padding 1: a convolution with it halves the size, a
/// transposed convolution doubles it.
fn stride_two(from: usize, to: usize) -> Conv2dConfig {
    Conv2dConfig { stride: (2, 2), padding: (1, 1), ..Conv2dConfig::new(from, to, 4) }
}

/// The paper's initialisation: convolution and linear weights from N(0, 0.02), batch-norm
/// scales from N(1, 0.02), every bias 0. Batch-norm scales are the only 1-D weights.
fn paper_initialisation<R: Rng + ?Sized>(model: &Sequential, rng: &mut R) -> Result<()> {
    for (name, param) in model.named_parameters() {
        let shape = param.shape().to_vec();
        let values = if name.ends_with("bias") {
            Tensor::zeros(&shape)
        } else if shape.len() == 1 {
            Tensor::normal(&shape, 1.0, 0.02, rng)?
        } else {
            Tensor::normal(&shape, 0.0, 0.02, rng)?
        };
        param.set_data(values.data())?;
    }
    Ok(())
}
