//! `InstanceNorm2d`: normalises each channel of each image over its own pixels (the feed-forward
//! style-transfer networks use it instead of batch norm).

use nabla_nn::Module;
use nabla_tensor::{Error, Result, Tensor};

/// `nn.InstanceNorm2d(num_features, eps=1e-5, affine=False)` (no running statistics, PyTorch's
/// default).
#[derive(Debug, Clone, Module)]
pub struct InstanceNorm2d {
    #[module(skip)]
    pub num_features: usize,
    #[module(skip)]
    pub eps: f32,
    /// `[C]`, when affine.
    pub weight: Option<Tensor>,
    /// `[C]`, when affine.
    pub bias: Option<Tensor>,
}

impl InstanceNorm2d {
    /// Without a learned scale and shift (PyTorch's default).
    pub fn new(num_features: usize) -> Self {
        InstanceNorm2d { num_features, eps: 1e-5, weight: None, bias: None }
    }

    /// With a learned per-channel scale (ones) and shift (zeros): `affine=True`.
    pub fn affine(num_features: usize) -> Self {
        InstanceNorm2d {
            weight: Some(Tensor::ones(&[num_features]).requires_grad(true)),
            bias: Some(Tensor::zeros(&[num_features]).requires_grad(true)),
            ..InstanceNorm2d::new(num_features)
        }
    }
}

impl Module for InstanceNorm2d {
    /// # Shapes
    /// `[N, C, H, W]`, unchanged; statistics per (image, channel) over H and W, biased variance.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let c = self.num_features;
        if input.ndim() != 4 || input.shape()[1] != c || input.shape()[2] * input.shape()[3] < 2 {
            return Err(Error::ShapeMismatch {
                op: "InstanceNorm2d",
                lhs: input.shape().to_vec(),
                rhs: vec![c],
                reason: format!("needs [N, {c}, H, W] with more than one pixel"),
            });
        }
        let mean = input.mean(&[2, 3], true)?;
        let var = input.var(&[2, 3], true, false)?;
        let mut y = input.sub(&mean)?.div(&var.add_scalar(self.eps)?.sqrt()?)?;
        if let (Some(w), Some(b)) = (&self.weight, &self.bias) {
            let shape = [1, c as isize, 1, 1];
            y = y.mul(&w.reshape(&shape)?)?.add(&b.reshape(&shape)?)?;
        }
        Ok(y)
    }
}
