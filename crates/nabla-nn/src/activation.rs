//! Activation functions as modules (wrapping nabla-activations), for use in a `Sequential`.

use nabla_activations as act;
use nabla_tensor::{Result, Tensor};

use crate::module::{Module, TensorKind, Visit};

/// An activation as a module: `nn.ReLU()`, `nn.Sigmoid()`, `nn.LeakyReLU(0.2)`, ….
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    Relu,
    Sigmoid,
    Tanh,
    LeakyRelu(f32),
    Elu(f32),
    Gelu,
    GeluTanh,
    /// Softplus with β = 1 and threshold 20 (PyTorch's defaults).
    Softplus,
    Silu,
    Softmax(isize),
    LogSoftmax(isize),
}

impl Activation {
    /// Applies the function.
    ///
    /// # Errors
    /// Those of the function (an axis out of range for softmax).
    pub fn apply(self, x: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Relu => Ok(act::relu(x)),
            Activation::Sigmoid => Ok(act::sigmoid(x)),
            Activation::Tanh => Ok(act::tanh(x)),
            Activation::LeakyRelu(slope) => act::leaky_relu(x, slope),
            Activation::Elu(alpha) => act::elu(x, alpha),
            Activation::Gelu => Ok(act::gelu(x)),
            Activation::GeluTanh => Ok(act::gelu_tanh(x)),
            Activation::Softplus => act::softplus(x, 1.0, 20.0),
            Activation::Silu => Ok(act::silu(x)),
            Activation::Softmax(axis) => act::softmax(x, axis),
            Activation::LogSoftmax(axis) => act::log_softmax(x, axis),
        }
    }
}

impl Module for Activation {
    /// # Shapes
    /// Any shape, unchanged.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        self.apply(input)
    }
}

/// Written by hand: the derive takes structs, and an activation holds no tensor.
impl Visit for Activation {
    fn visit(&self, _prefix: &str, _visit: &mut dyn FnMut(String, &Tensor, TensorKind)) {}
}
