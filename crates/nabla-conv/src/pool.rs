//! Pooling layers: `MaxPool2d`, `AvgPool2d`, `AdaptiveAvgPool2d`.

use nabla_nn::Module;
use nabla_tensor::{Error, Result, Tensor};

use crate::kernels::pool::{PoolOp, Windows};

/// The options of [`MaxPool2d`] and [`AvgPool2d`]; pairs are (rows, columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool2dConfig {
    pub kernel_size: (usize, usize),
    /// Defaults to the kernel size (PyTorch's `stride=None`).
    pub stride: (usize, usize),
    /// At most half the kernel; max pooling pads with −∞, average pooling with zeros.
    pub padding: (usize, usize),
    /// Max pooling only; default (1, 1).
    pub dilation: (usize, usize),
}

impl Pool2dConfig {
    /// A square window of `kernel` moved by `kernel`, no padding.
    pub fn new(kernel: usize) -> Self {
        Pool2dConfig { kernel_size: (kernel, kernel), stride: (kernel, kernel), padding: (0, 0), dilation: (1, 1) }
    }

    fn windows(&self, op: &'static str, input: &Tensor) -> Result<Windows> {
        if input.ndim() != 4 {
            return Err(Error::ShapeMismatch {
                op,
                lhs: input.shape().to_vec(),
                rhs: vec![],
                reason: "needs an input [N, C, H, W]".into(),
            });
        }
        let (k, s, p, d) = (self.kernel_size, self.stride, self.padding, self.dilation);
        if k.0 == 0 || k.1 == 0 || s.0 == 0 || s.1 == 0 || d.0 == 0 || d.1 == 0 {
            return Err(Error::InvalidArgument {
                op,
                reason: format!("kernel {k:?}, stride {s:?} and dilation {d:?} must be at least 1"),
            });
        }
        if 2 * p.0 > k.0 || 2 * p.1 > k.1 {
            return Err(Error::InvalidArgument {
                op,
                reason: format!("padding {p:?} must be at most half the kernel {k:?}"),
            });
        }
        let hw = (input.shape()[2], input.shape()[3]);
        let windows = Windows::sliding(hw, k, s, p, d).ok_or_else(|| Error::ShapeMismatch {
            op,
            lhs: input.shape().to_vec(),
            rhs: vec![k.0, k.1],
            reason: format!("the window (dilation {d:?}) is larger than the padded input (padding {p:?})"),
        })?;
        if windows.any_empty() {
            return Err(Error::ShapeMismatch {
                op,
                lhs: input.shape().to_vec(),
                rhs: vec![k.0, k.1],
                reason: format!("a window (dilation {d:?}) falls entirely in the padding {p:?}"),
            });
        }
        Ok(windows)
    }
}

fn pool(name: &'static str, max: bool, windows: Windows, input: &Tensor) -> Result<Tensor> {
    Tensor::apply(PoolOp { name, max, windows, arg: Vec::new() }, &[input])
}

/// The maximum of each window (`nn.MaxPool2d`); the gradient goes to the arg-max.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Module)]
pub struct MaxPool2d(#[module(skip)] pub Pool2dConfig);

impl Module for MaxPool2d {
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C, H', W']`, `H' = ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        pool("MaxPool2d", true, self.0.windows("MaxPool2d", input)?, input)
    }
}

/// The mean of each window, counting the zero padding (`nn.AvgPool2d`, `count_include_pad=True`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Module)]
pub struct AvgPool2d(#[module(skip)] pub Pool2dConfig);

impl Module for AvgPool2d {
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C, H', W']`, `H' = ⌊(H + 2p − k)/s⌋ + 1`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        if self.0.dilation != (1, 1) {
            return Err(Error::InvalidArgument { op: "AvgPool2d", reason: "average pooling has no dilation".into() });
        }
        pool("AvgPool2d", false, self.0.windows("AvgPool2d", input)?, input)
    }
}

/// Averages over bins that cover the input to give a fixed output size
/// (`nn.AdaptiveAvgPool2d(output_size)`), with PyTorch's (possibly overlapping) bins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Module)]
pub struct AdaptiveAvgPool2d(#[module(skip)] pub (usize, usize));

impl Module for AdaptiveAvgPool2d {
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C, out_h, out_w]`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let op = "AdaptiveAvgPool2d";
        if input.ndim() != 4 || input.shape()[2] == 0 || input.shape()[3] == 0 || self.0.0 == 0 || self.0.1 == 0 {
            return Err(Error::ShapeMismatch {
                op,
                lhs: input.shape().to_vec(),
                rhs: vec![self.0.0, self.0.1],
                reason: "needs a non-empty input [N, C, H, W] and a non-zero output size".into(),
            });
        }
        pool(op, false, Windows::adaptive((input.shape()[2], input.shape()[3]), self.0), input)
    }
}
