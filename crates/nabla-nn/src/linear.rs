//! `Linear`: `y = x Wᵀ + b`, PyTorch's `nn.Linear`, computed by one fused op.

use nabla_tensor::elementwise::contiguous;
use nabla_tensor::linalg::{Matrix, matmul_into};
use nabla_tensor::ndarray::IxDyn;
use nabla_tensor::rand::Rng;
use nabla_tensor::{BackwardContext, Data, Error, Op, Result, Tensor, buffers};

use crate::Module;
use crate::init::{FanMode, Nonlinearity, kaiming_uniform};

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
#[derive(Debug, Clone, Module)]
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
        let out_features = self.weight.shape().first().copied().unwrap_or(0);
        let bias_fits = self.bias.as_ref().is_none_or(|b| b.shape() == [out_features]);
        if self.weight.ndim() != 2 || !bias_fits {
            return Err(Error::ShapeMismatch {
                op: "Linear",
                lhs: self.weight.shape().to_vec(),
                rhs: self.bias.as_ref().map_or(Vec::new(), |b| b.shape().to_vec()),
                reason: "the weight must be [out, in] and the bias [out]".into(),
            });
        }
        let in_features = self.weight.shape()[1];
        if input.shape().last() != Some(&in_features) {
            return Err(Error::ShapeMismatch {
                op: "Linear",
                lhs: input.shape().to_vec(),
                rhs: self.weight.shape().to_vec(),
                reason: format!("the input's last axis must be in_features = {in_features}"),
            });
        }
        // Leading axes are flattened into rows for the op and restored after.
        let leading = &input.shape()[..input.ndim() - 1];
        let rows: usize = leading.iter().product();
        let flat = input.reshape(&[rows as isize, in_features as isize])?;
        let output = match &self.bias {
            Some(bias) => Tensor::apply(LinearOp, &[&flat, &self.weight, bias])?,
            None => Tensor::apply(LinearOp, &[&flat, &self.weight])?,
        };
        let mut shape: Vec<isize> = leading.iter().map(|&d| d as isize).collect();
        shape.push(self.weight.shape()[0] as isize);
        output.reshape(&shape)
    }
}

/// `y = x Wᵀ + b` as one op: inputs `x` `[N, in]`, `weight` `[out, in]` and optionally `bias`
/// `[out]`. The backward writes each gradient in its input's layout (`dW = dyᵀ x` straight into
/// `[out, in]`), so no transposed view is copied and the bias needs no op of its own.
struct LinearOp;

impl Op for LinearOp {
    fn name(&self) -> &'static str {
        "linear"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let (rows, in_features, out_features) = (inputs[0].shape()[0], inputs[0].shape()[1], inputs[1].shape()[0]);
        let (x, weight) = (contiguous(inputs[0]), contiguous(inputs[1]));
        let mut y = buffers::buffer(rows * out_features);
        matmul_into([rows, out_features, in_features], Matrix::plain(&x), Matrix::transposed(&weight), &mut y);
        if let Some(bias) = inputs.get(2).filter(|_| out_features > 0) {
            let bias = contiguous(bias);
            for row in y.chunks_exact_mut(out_features) {
                row.iter_mut().zip(bias.iter()).for_each(|(v, b)| *v += b);
            }
        }
        Ok(Data::from_shape_vec(IxDyn(&[rows, out_features]), y).expect("rows × out values"))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let (rows, in_features) = (ctx.inputs[0].shape()[0], ctx.inputs[0].shape()[1]);
        let out_features = ctx.inputs[1].shape()[0];
        let dy = contiguous(ctx.grad_output);
        let dx = ctx.needs_grad[0].then(|| {
            let mut dx = buffers::buffer(rows * in_features);
            matmul_into(
                [rows, in_features, out_features],
                Matrix::plain(&dy),
                Matrix::plain(&contiguous(&ctx.inputs[1])),
                &mut dx,
            );
            Data::from_shape_vec(IxDyn(&[rows, in_features]), dx).expect("rows × in values")
        });
        let dw = ctx.needs_grad[1].then(|| {
            let mut dw = buffers::buffer(out_features * in_features);
            matmul_into(
                [out_features, in_features, rows],
                Matrix::transposed(&dy),
                Matrix::plain(&contiguous(&ctx.inputs[0])),
                &mut dw,
            );
            Data::from_shape_vec(IxDyn(&[out_features, in_features]), dw).expect("out × in values")
        });
        let mut grads = vec![dx, dw];
        if ctx.inputs.len() > 2 {
            grads.push(ctx.needs_grad[2].then(|| {
                let mut db = vec![0.0f32; out_features];
                if out_features > 0 {
                    for row in dy.chunks_exact(out_features) {
                        db.iter_mut().zip(row).for_each(|(sum, v)| *sum += v);
                    }
                }
                Data::from_shape_vec(IxDyn(&[out_features]), db).expect("out values")
            }));
        }
        Ok(grads)
    }
}
