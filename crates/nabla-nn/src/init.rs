//! Weight initialisers with PyTorch's definitions (`torch.nn.init`), drawing from an explicit
//! seeded generator.

use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor};

/// (fan_in, fan_out) of a weight as PyTorch computes them: `[out, in, k...]` gives
/// `in·Πk` and `out·Πk`.
///
/// # Errors
/// [`Error::InvalidArgument`] for fewer than two axes.
pub fn fans(shape: &[usize]) -> Result<(usize, usize)> {
    if shape.len() < 2 {
        return Err(Error::InvalidArgument {
            op: "init",
            reason: format!("fan in and fan out need at least 2 axes, got shape {shape:?}"),
        });
    }
    let receptive: usize = shape[2..].iter().product();
    Ok((shape[1] * receptive, shape[0] * receptive))
}

/// Which fan Kaiming initialisation preserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanMode {
    FanIn,
    FanOut,
}

/// The gain PyTorch recommends for a nonlinearity after the layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Nonlinearity {
    Linear,
    Sigmoid,
    Tanh,
    Relu,
    LeakyRelu(f32),
}

impl Nonlinearity {
    /// `torch.nn.init.calculate_gain`.
    pub fn gain(self) -> f32 {
        match self {
            Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
            Nonlinearity::Tanh => 5.0 / 3.0,
            Nonlinearity::Relu => 2f32.sqrt(),
            Nonlinearity::LeakyRelu(slope) => (2.0 / (1.0 + slope * slope)).sqrt(),
        }
    }
}

/// Xavier/Glorot uniform: U(±gain·√(6 / (fan_in + fan_out))) (`xavier_uniform_`).
///
/// # Errors
/// As [`fans`].
pub fn xavier_uniform<R: Rng + ?Sized>(shape: &[usize], gain: f32, rng: &mut R) -> Result<Tensor> {
    let (fan_in, fan_out) = fans(shape)?;
    let bound = gain * (6.0 / (fan_in + fan_out) as f32).sqrt();
    Tensor::uniform(shape, -bound, bound, rng)
}

/// Xavier/Glorot normal: N(0, gain²·2 / (fan_in + fan_out)) (`xavier_normal_`).
///
/// # Errors
/// As [`fans`].
pub fn xavier_normal<R: Rng + ?Sized>(shape: &[usize], gain: f32, rng: &mut R) -> Result<Tensor> {
    let (fan_in, fan_out) = fans(shape)?;
    Tensor::normal(shape, 0.0, gain * (2.0 / (fan_in + fan_out) as f32).sqrt(), rng)
}

fn kaiming_std(shape: &[usize], mode: FanMode, nonlinearity: Nonlinearity) -> Result<f32> {
    let (fan_in, fan_out) = fans(shape)?;
    let fan = if mode == FanMode::FanIn { fan_in } else { fan_out };
    Ok(nonlinearity.gain() / (fan as f32).sqrt())
}

/// Kaiming/He uniform: U(±√3·gain/√fan) (`kaiming_uniform_`).
///
/// # Errors
/// As [`fans`].
pub fn kaiming_uniform<R: Rng + ?Sized>(
    shape: &[usize],
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut R,
) -> Result<Tensor> {
    let bound = 3f32.sqrt() * kaiming_std(shape, mode, nonlinearity)?;
    Tensor::uniform(shape, -bound, bound, rng)
}

/// Kaiming/He normal: N(0, gain²/fan) (`kaiming_normal_`).
///
/// # Errors
/// As [`fans`].
pub fn kaiming_normal<R: Rng + ?Sized>(
    shape: &[usize],
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut R,
) -> Result<Tensor> {
    Tensor::normal(shape, 0.0, kaiming_std(shape, mode, nonlinearity)?, rng)
}
