//! `Conv1d`: a 1-D convolution over `[N, C, L]`, run as a 2-D convolution with a kernel one
//! row high (same op, same kernels).

use nabla_nn::Module;
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor};

use crate::conv2d::{Conv2d, Conv2dConfig};

/// The options of a [`Conv1d`], PyTorch's defaults from [`Conv1dConfig::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv1dConfig {
    pub in_channels: usize,
    pub out_channels: usize,
    pub kernel_size: usize,
    pub stride: usize,
    pub padding: usize,
    pub dilation: usize,
    pub groups: usize,
    pub bias: bool,
}

impl Conv1dConfig {
    /// Stride 1, no padding, dilation 1, one group, a bias.
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: usize) -> Self {
        Conv1dConfig {
            in_channels,
            out_channels,
            kernel_size,
            stride: 1,
            padding: 0,
            dilation: 1,
            groups: 1,
            bias: true,
        }
    }

    fn as_2d(&self) -> Conv2dConfig {
        Conv2dConfig {
            kernel_size: (1, self.kernel_size),
            stride: (1, self.stride),
            padding: (0, self.padding),
            dilation: (1, self.dilation),
            groups: self.groups,
            bias: self.bias,
            ..Conv2dConfig::new(self.in_channels, self.out_channels, 1)
        }
    }
}

/// `nn.Conv1d`: `weight` `[out, in/groups, k]`, `bias` `[out]`.
#[derive(Debug, Clone, Module)]
pub struct Conv1d {
    #[module(skip)]
    pub config: Conv1dConfig,
    pub weight: Tensor,
    pub bias: Option<Tensor>,
}

impl Conv1d {
    /// A layer with PyTorch's default initialisation (U(±1/√(in/groups·k))).
    ///
    /// # Errors
    /// As [`Conv2d::new`].
    pub fn new<R: Rng + ?Sized>(config: Conv1dConfig, rng: &mut R) -> Result<Self> {
        let inner = Conv2d::new(config.as_2d(), rng)?;
        let weight = inner.weight.squeeze(2)?.detach().requires_grad(true);
        Ok(Conv1d { config, weight, bias: inner.bias })
    }
}

impl Module for Conv1d {
    /// # Shapes
    /// `[N, in, L]` → `[N, out, L']`, `L' = ⌊(L + 2p − d(k−1) − 1)/s⌋ + 1`. PyTorch: `nn.Conv1d`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        if input.ndim() != 3 {
            return Err(Error::ShapeMismatch {
                op: "Conv1d",
                lhs: input.shape().to_vec(),
                rhs: self.weight.shape().to_vec(),
                reason: "needs an input [N, C, L]".into(),
            });
        }
        let layer = Conv2d { config: self.config.as_2d(), weight: self.weight.unsqueeze(2)?, bias: self.bias.clone() };
        layer.forward(&input.unsqueeze(2)?)?.squeeze(2)
    }
}
