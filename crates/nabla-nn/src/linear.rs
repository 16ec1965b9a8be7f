//! `Linear`: `y = x Wᵀ + b`, PyTorch's `nn.Linear`.

use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor};

use crate::init::{FanMode, Nonlinearity, kaiming_uniform};
use crate::module::{Module, TensorKind, child_name};

/// The shape of a [`Linear`] layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinearConfig {
    pub in_features: usize,
    pub out_features: usize,
    /// Whether to add a learned bias (default true).
    pub bias: bool,
}

impl LinearConfig {
    /// `in_features → out_features` with a bias.
    pub fn new(in_features: usize, out_features: usize) -> Self {
        LinearConfig { in_features, out_features, bias: true }
    }
}

/// A fully connected layer: `weight` `[out, in]`, `bias` `[out]`.
#[derive(Debug, Clone)]
pub struct Linear {
    pub weight: Tensor,
    pub bias: Option<Tensor>,
}

impl Linear {
    /// A layer with PyTorch's default initialisation: weights Kaiming-uniform with a = √5,
    /// i.e. U(±1/√in), and biases U(±1/√in).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for zero input features.
    pub fn new<R: Rng + ?Sized>(config: LinearConfig, rng: &mut R) -> Result<Self> {
        if config.in_features == 0 {
            return Err(Error::InvalidArgument { op: "Linear", reason: "in_features must be at least 1".into() });
        }
        let shape = [config.out_features, config.in_features];
        let weight = kaiming_uniform(&shape, FanMode::FanIn, Nonlinearity::LeakyRelu(5f32.sqrt()), rng)?;
        let bound = 1.0 / (config.in_features as f32).sqrt();
        let bias = config.bias.then(|| Tensor::uniform(&[config.out_features], -bound, bound, rng)).transpose()?;
        Ok(Linear { weight: weight.requires_grad(true), bias: bias.map(|b| b.requires_grad(true)) })
    }
}

impl Module for Linear {
    /// # Shapes
    /// `[..., in]` → `[..., out]`. PyTorch: `nn.Linear(in, out, bias)`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let in_features = self.weight.shape()[1];
        if input.shape().last() != Some(&in_features) {
            return Err(Error::ShapeMismatch {
                op: "Linear",
                lhs: input.shape().to_vec(),
                rhs: self.weight.shape().to_vec(),
                reason: format!("the input's last axis must be in_features = {in_features}"),
            });
        }
        let product = input.matmul(&self.weight.t()?)?;
        match &self.bias {
            Some(bias) => product.add(bias),
            None => Ok(product),
        }
    }

    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, TensorKind)) {
        visit(child_name(prefix, "weight"), &self.weight, TensorKind::Parameter);
        if let Some(bias) = &self.bias {
            visit(child_name(prefix, "bias"), bias, TensorKind::Parameter);
        }
    }
}
