//! `LayerNorm`: normalises over the last axes with the biased variance, as one fused op
//! (forward and backward per row: composed of ten element-wise ops it was a quarter of a
//! transformer's step).

use nabla_tensor::elementwise::contiguous;
use nabla_tensor::ndarray::IxDyn;
use nabla_tensor::{BackwardContext, Data, Error, Op, Result, Tensor, buffers};
use rayon::prelude::*;

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
        let width: usize = self.normalized_shape.iter().product();
        let flat = input.reshape(&[-1, width as isize])?;
        let flat_param = |t: &Tensor| t.reshape(&[width as isize]);
        let op = LayerNormOp { eps: self.eps, saved: Vec::new() };
        let output = match (&self.weight, &self.bias) {
            (Some(w), Some(b)) => Tensor::apply(op, &[&flat, &flat_param(w)?, &flat_param(b)?])?,
            (Some(w), None) => Tensor::apply(op, &[&flat, &flat_param(w)?])?,
            (None, None) => Tensor::apply(op, &[&flat])?,
            (None, Some(b)) => Tensor::apply(op, &[&flat])?.add(b)?,
        };
        output.reshape(&input.shape().iter().map(|&d| d as isize).collect::<Vec<_>>())
    }
}

/// `(x − mean) / √(var + eps) · weight + bias` over each row of `x` `[rows, width]`; inputs
/// `x`, then optionally `weight` `[width]` and `bias` `[width]`. Keeps each row's mean and
/// 1/σ for backward.
struct LayerNormOp {
    eps: f32,
    /// `(mean, 1/σ)` per row.
    saved: Vec<(f32, f32)>,
}

impl Op for LayerNormOp {
    fn name(&self) -> &'static str {
        "layer_norm"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let (rows, width) = (inputs[0].shape()[0], inputs[0].shape()[1]);
        let x = contiguous(inputs[0]);
        let (weight, bias) = (inputs.get(1).map(|w| contiguous(w)), inputs.get(2).map(|b| contiguous(b)));
        let mut y = buffers::buffer(rows * width);
        let mut saved = vec![(0.0, 0.0); rows];
        let eps = self.eps;
        y.par_chunks_mut(width.max(1)).zip(saved.par_iter_mut()).zip(x.par_chunks(width.max(1))).for_each(
            |((y, saved), x)| {
                let mean = x.iter().sum::<f32>() / width as f32;
                let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / width as f32;
                let inverse = 1.0 / (var + eps).sqrt();
                *saved = (mean, inverse);
                for (i, (y, &x)) in y.iter_mut().zip(x).enumerate() {
                    let normal = (x - mean) * inverse;
                    let scaled = weight.as_ref().map_or(normal, |w| normal * w[i]);
                    *y = bias.as_ref().map_or(scaled, |b| scaled + b[i]);
                }
            },
        );
        self.saved = saved;
        Ok(Data::from_shape_vec(IxDyn(&[rows, width]), y).expect("rows × width values"))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let (rows, width) = (ctx.inputs[0].shape()[0], ctx.inputs[0].shape()[1]);
        let (x, dy) = (contiguous(&ctx.inputs[0]), contiguous(ctx.grad_output));
        let weight = ctx.inputs.get(1).map(contiguous);
        let mut dx = buffers::buffer(rows * width);
        dx.par_chunks_mut(width.max(1))
            .zip(x.par_chunks(width.max(1)))
            .zip(dy.par_chunks(width.max(1)))
            .zip(self.saved.par_iter())
            .for_each(|(((dx, x), dy), &(mean, inverse))| {
                // dx = (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)) / σ, with dx̂ = dy · weight.
                let dxhat = |i: usize| weight.as_ref().map_or(dy[i], |w| dy[i] * w[i]);
                let (mut sum, mut dot) = (0.0f32, 0.0f32);
                for (i, &x) in x.iter().enumerate() {
                    sum += dxhat(i);
                    dot += dxhat(i) * (x - mean) * inverse;
                }
                let (sum, dot) = (sum / width as f32, dot / width as f32);
                for (i, (dx, &x)) in dx.iter_mut().zip(x).enumerate() {
                    *dx = (dxhat(i) - sum - (x - mean) * inverse * dot) * inverse;
                }
            });
        let mut grads =
            vec![ctx.needs_grad[0].then(|| Data::from_shape_vec(IxDyn(&[rows, width]), dx).expect("values"))];
        if ctx.inputs.len() > 1 {
            // dweight = Σ_rows dy · x̂, dbias = Σ_rows dy.
            let (mut dw, mut db) = (vec![0.0f32; width], vec![0.0f32; width]);
            for ((x, dy), &(mean, inverse)) in x.chunks(width.max(1)).zip(dy.chunks(width.max(1))).zip(&self.saved) {
                for i in 0..width {
                    dw[i] += dy[i] * (x[i] - mean) * inverse;
                    db[i] += dy[i];
                }
            }
            let vector = |v: Vec<f32>| Data::from_shape_vec(IxDyn(&[width]), v).expect("width values");
            grads.push(ctx.needs_grad[1].then(|| vector(dw)));
            if ctx.inputs.len() > 2 {
                grads.push(ctx.needs_grad[2].then(|| vector(db)));
            }
        }
        Ok(grads)
    }
}
