//! `LayerNorm`: normalises over the last axes with the biased variance.

use nabla_tensor::{Error, Result, Tensor};

use crate::Module;

/// `nn.LayerNorm(normalized_shape, eps, elementwise_affine)`.
#[derive(Debug, Clone, Module)]
pub struct LayerNorm {
    #[module(skip)]
    normalized_shape: Vec<usize>,
    #[module(skip)]
    pub eps: f32,
    /// `[normalized_shape]`, ones at first (when elementwise-affine).
    pub weight: Option<Tensor>,
    /// `[normalized_shape]`, zeros at first (when elementwise-affine).
    pub bias: Option<Tensor>,
}

impl LayerNorm {
    /// Normalises over the trailing axes `normalized_shape`, with eps 1e-5 and a learned
    /// scale and shift (PyTorch's defaults).
    pub fn new(normalized_shape: &[usize]) -> Self {
        LayerNorm {
            normalized_shape: normalized_shape.to_vec(),
            eps: 1e-5,
            weight: Some(Tensor::ones(normalized_shape).requires_grad(true)),
            bias: Some(Tensor::zeros(normalized_shape).requires_grad(true)),
        }
    }

    /// Without the learned scale and shift (`elementwise_affine=False`).
    pub fn without_affine(mut self) -> Self {
        self.weight = None;
        self.bias = None;
        self
    }
}

impl Module for LayerNorm {
    /// # Shapes
    /// `[..., *normalized_shape]`, unchanged.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let k = self.normalized_shape.len();
        if input.ndim() < k || input.shape()[input.ndim() - k..] != self.normalized_shape[..] {
            return Err(Error::ShapeMismatch {
                op: "LayerNorm",
                lhs: input.shape().to_vec(),
                rhs: self.normalized_shape.clone(),
                reason: "the input must end with normalized_shape".into(),
            });
        }
        let axes: Vec<isize> = (input.ndim() - k..input.ndim()).map(|a| a as isize).collect();
        let mean = input.mean(&axes, true)?;
        let var = input.var(&axes, true, false)?;
        let mut y = input.sub(&mean)?.div(&var.add_scalar(self.eps)?.sqrt()?)?;
        if let Some(w) = &self.weight {
            y = y.mul(w)?;
        }
        if let Some(b) = &self.bias {
            y = y.add(b)?;
        }
        Ok(y)
    }
}
