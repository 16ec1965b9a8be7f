//! `Conv2d` and `ConvTranspose2d`: PyTorch's options, weight layouts and initialisation.

use nabla_nn::Module;
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor};

use crate::kernels::conv::{ConvOp, ConvSpec};

/// The options of a [`Conv2d`] or [`ConvTranspose2d`]; pairs are (rows, columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2dConfig {
    pub in_channels: usize,
    pub out_channels: usize,
    pub kernel_size: (usize, usize),
    /// Default (1, 1).
    pub stride: (usize, usize),
    /// Zeros added on each side; default (0, 0).
    pub padding: (usize, usize),
    /// Default (1, 1).
    pub dilation: (usize, usize),
    /// Channel groups (both channel counts must divide by it); default 1.
    pub groups: usize,
    /// A learned bias; default true.
    pub bias: bool,
}

impl Conv2dConfig {
    /// A square `kernel × kernel` convolution from `in_channels` to `out_channels` with
    /// PyTorch's defaults (stride 1, no padding, dilation 1, one group, a bias).
    pub fn new(in_channels: usize, out_channels: usize, kernel: usize) -> Self {
        Conv2dConfig {
            in_channels,
            out_channels,
            kernel_size: (kernel, kernel),
            stride: (1, 1),
            padding: (0, 0),
            dilation: (1, 1),
            groups: 1,
            bias: true,
        }
    }

    /// Checks the configuration; `output_padding` is `Some` for a transposed convolution.
    fn check(&self, op: &'static str, output_padding: Option<(usize, usize)>) -> Result<()> {
        let bad = |reason: String| Err(Error::InvalidArgument { op, reason });
        let (s, d, k) = (self.stride, self.dilation, self.kernel_size);
        let op_pad = output_padding.unwrap_or((0, 0));
        if s.0 == 0 || s.1 == 0 || d.0 == 0 || d.1 == 0 || k.0 == 0 || k.1 == 0 {
            return bad(format!("stride {s:?}, dilation {d:?} and kernel {k:?} must be at least 1"));
        }
        if self.in_channels == 0 || self.out_channels == 0 {
            return bad(format!("needs channels in and out, got {} and {}", self.in_channels, self.out_channels));
        }
        if self.groups == 0
            || !self.in_channels.is_multiple_of(self.groups)
            || !self.out_channels.is_multiple_of(self.groups)
        {
            return bad(format!(
                "groups {} must divide in_channels {} and out_channels {}",
                self.groups, self.in_channels, self.out_channels
            ));
        }
        if (op_pad.0 >= s.0 && op_pad.0 >= d.0) || (op_pad.1 >= s.1 && op_pad.1 >= d.1) {
            return bad(format!(
                "output_padding {op_pad:?} must be smaller than the stride {s:?} or the dilation {d:?}"
            ));
        }
        Ok(())
    }

    /// The kernel's description: `output_padding` is `Some` for a transposed convolution.
    fn spec(&self, output_padding: Option<(usize, usize)>) -> ConvSpec {
        ConvSpec {
            stride: self.stride,
            padding: self.padding,
            dilation: self.dilation,
            groups: self.groups,
            transposed: output_padding,
        }
    }
}

/// PyTorch's default initialisation for a weight of this shape: Kaiming-uniform with a = √5,
/// i.e. U(±1/√fan_in) with fan_in = `shape[1]·kh·kw`, and the bias from the same range.
fn init<R: Rng + ?Sized>(shape: [usize; 4], out: usize, bias: bool, rng: &mut R) -> Result<(Tensor, Option<Tensor>)> {
    let fan_in = shape[1] * shape[2] * shape[3];
    let bound = 1.0 / (fan_in as f32).sqrt();
    let weight = Tensor::uniform(&shape, -bound, bound, rng)?.requires_grad(true);
    let bias = bias.then(|| Tensor::uniform(&[out], -bound, bound, rng).map(|b| b.requires_grad(true))).transpose()?;
    Ok((weight, bias))
}

fn apply(spec: ConvSpec, x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    if x.numel() == 0 {
        return Err(Error::Empty { op: spec.name(), shape: x.shape().to_vec() });
    }
    match bias {
        Some(b) => Tensor::apply(ConvOp(spec), &[x, weight, b]),
        None => Tensor::apply(ConvOp(spec), &[x, weight]),
    }
}

/// A 2-D convolution (cross-correlation, as PyTorch): `weight` `[out, in/groups, kh, kw]`.
#[derive(Debug, Clone, Module)]
pub struct Conv2d {
    #[module(skip)]
    pub config: Conv2dConfig,
    pub weight: Tensor,
    pub bias: Option<Tensor>,
}

impl Conv2d {
    /// A layer with PyTorch's default initialisation.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a stride, dilation or kernel of 0, groups that do not
    /// divide the channels, or an output padding.
    pub fn new<R: Rng + ?Sized>(config: Conv2dConfig, rng: &mut R) -> Result<Self> {
        config.check("Conv2d", None)?;
        let shape =
            [config.out_channels, config.in_channels / config.groups, config.kernel_size.0, config.kernel_size.1];
        let (weight, bias) = init(shape, config.out_channels, config.bias, rng)?;
        Ok(Conv2d { config, weight, bias })
    }
}

impl Module for Conv2d {
    /// # Shapes
    /// `[N, in, H, W]` → `[N, out, H', W']` with `H' = ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1`.
    /// PyTorch: `nn.Conv2d`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        apply(self.config.spec(None), input, &self.weight, self.bias.as_ref())
    }
}

/// A 2-D transposed convolution (the gradient of a convolution with respect to its input):
/// `weight` `[in, out/groups, kh, kw]`.
#[derive(Debug, Clone, Module)]
pub struct ConvTranspose2d {
    #[module(skip)]
    pub config: Conv2dConfig,
    /// Extra rows and columns at the bottom and right of the output, smaller than the stride
    /// (or the dilation); (0, 0) unless set with [`ConvTranspose2d::with_output_padding`].
    #[module(skip)]
    pub output_padding: (usize, usize),
    pub weight: Tensor,
    pub bias: Option<Tensor>,
}

impl ConvTranspose2d {
    /// A layer with PyTorch's default initialisation.
    ///
    /// # Errors
    /// As [`Conv2d::new`], and for an output padding not smaller than the stride or dilation.
    pub fn new<R: Rng + ?Sized>(config: Conv2dConfig, rng: &mut R) -> Result<Self> {
        ConvTranspose2d::with_output_padding(config, (0, 0), rng)
    }

    /// A layer with `output_padding` extra rows and columns at the bottom and right of its
    /// output (`nn.ConvTranspose2d(…, output_padding=…)`), which picks among the output sizes
    /// a stride greater than 1 maps to the same input size.
    ///
    /// # Errors
    /// As [`Conv2d::new`], and for an output padding not smaller than the stride or dilation.
    pub fn with_output_padding<R: Rng + ?Sized>(
        config: Conv2dConfig,
        output_padding: (usize, usize),
        rng: &mut R,
    ) -> Result<Self> {
        config.check("ConvTranspose2d", Some(output_padding))?;
        let shape =
            [config.in_channels, config.out_channels / config.groups, config.kernel_size.0, config.kernel_size.1];
        let (weight, bias) = init(shape, config.out_channels, config.bias, rng)?;
        Ok(ConvTranspose2d { config, output_padding, weight, bias })
    }
}

impl Module for ConvTranspose2d {
    /// # Shapes
    /// `[N, in, H, W]` → `[N, out, H', W']` with `H' = (H−1)s − 2p + d(k−1) + output_padding + 1`.
    /// PyTorch: `nn.ConvTranspose2d`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        apply(self.config.spec(Some(self.output_padding)), input, &self.weight, self.bias.as_ref())
    }
}
