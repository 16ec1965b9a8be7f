//! The 2-D convolution op and its transpose, forward and backward side by side: im2col plus one
//! matrix multiply per image and group, parallel over the images of the batch.

use nabla_tensor::elementwise::contiguous;
use nabla_tensor::linalg::matmul_slices;
use nabla_tensor::{BackwardContext, Data, Error, Op, Result};
use rayon::prelude::*;

use super::im2col::{Geometry, col2im, im2col};

/// The hyperparameters of a convolution (per axis: rows, columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConvSpec {
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub dilation: (usize, usize),
    pub groups: usize,
    /// `Some(output_padding)` for a transposed convolution.
    pub transposed: Option<(usize, usize)>,
}

/// Shapes of one call, derived from the input and weight.
struct Layout {
    batch: usize,
    groups: usize,
    /// Channels per group on the input side and the output side.
    in_per_group: usize,
    out_per_group: usize,
    in_hw: (usize, usize),
    out_hw: (usize, usize),
    /// The im2col geometry of one group: over the input image for a convolution, over the
    /// output image for a transposed one.
    geometry: Geometry,
}

impl Layout {
    fn in_len(&self) -> usize {
        self.in_per_group * self.groups * self.in_hw.0 * self.in_hw.1
    }
    fn out_len(&self) -> usize {
        self.out_per_group * self.groups * self.out_hw.0 * self.out_hw.1
    }
}

impl ConvSpec {
    pub(crate) fn name(&self) -> &'static str {
        if self.transposed.is_some() { "conv_transpose2d" } else { "conv2d" }
    }

    /// Validates shapes and computes the layout.
    fn layout(&self, x: &[usize], w: &[usize]) -> Result<Layout> {
        let op = self.name();
        let shapes = |reason: String| Error::ShapeMismatch { op, lhs: x.to_vec(), rhs: w.to_vec(), reason };
        let (&[batch, channels, h, wd], &[w0, w1, kh, kw]) = (x, w) else {
            return Err(shapes("needs an input [N, C, H, W] and a weight of 4 axes".into()));
        };
        let g = self.groups;
        let (in_per_group, out_per_group) = match self.transposed {
            None => (w1, w0 / g),
            Some(_) => (w0 / g, w1),
        };
        let weight_in = if self.transposed.is_some() { w0 } else { w1 * g };
        if channels != weight_in || !channels.is_multiple_of(g) {
            return Err(shapes(format!(
                "the input has {channels} channels, the weight expects {weight_in} (groups {g})"
            )));
        }
        let geometry = |channels, height, width| Geometry {
            channels,
            height,
            width,
            kernel: (kh, kw),
            stride: self.stride,
            padding: self.padding,
            dilation: self.dilation,
            positions: (0, 0),
        };
        let too_large = || {
            shapes(format!(
                "the kernel ({kh}×{kw}, dilation {:?}) is larger than the padded input ({h}×{wd}, padding {:?})",
                self.dilation, self.padding
            ))
        };
        match self.transposed {
            None => {
                let mut geometry = geometry(in_per_group, h, wd);
                let out_hw = geometry.convolution_positions().ok_or_else(too_large)?;
                geometry.positions = out_hw;
                Ok(Layout { batch, groups: g, in_per_group, out_per_group, in_hw: (h, wd), out_hw, geometry })
            }
            Some(output_padding) => {
                let size = |n: usize, s: usize, p: usize, d: usize, k: usize, op: usize| {
                    ((n - 1) * s + d * (k - 1) + op + 1).checked_sub(2 * p)
                };
                let (Some(oh), Some(ow)) = (
                    size(h, self.stride.0, self.padding.0, self.dilation.0, kh, output_padding.0),
                    size(wd, self.stride.1, self.padding.1, self.dilation.1, kw, output_padding.1),
                ) else {
                    return Err(shapes(format!("padding {:?} leaves no output", self.padding)));
                };
                if oh == 0 || ow == 0 {
                    return Err(shapes(format!("padding {:?} leaves no output", self.padding)));
                }
                // The kernel sits at each input position of the (larger) output image.
                let geometry = Geometry { positions: (h, wd), ..geometry(out_per_group, oh, ow) };
                Ok(Layout { batch, groups: g, in_per_group, out_per_group, in_hw: (h, wd), out_hw: (oh, ow), geometry })
            }
        }
    }
}

/// The op: inputs `x`, `weight`, and optionally `bias`.
pub(crate) struct ConvOp(pub(crate) ConvSpec);

impl Op for ConvOp {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let layout = self.0.layout(inputs[0].shape(), inputs[1].shape())?;
        let (x, w) = (contiguous(inputs[0]), contiguous(inputs[1]));
        let bias = inputs.get(2).map(|b| contiguous(b));
        let transposed = self.0.transposed.is_some();
        let (g, cig, cog) = (layout.groups, layout.in_per_group, layout.out_per_group);
        let (lin, lout) = (layout.in_hw.0 * layout.in_hw.1, layout.out_hw.0 * layout.out_hw.1);
        let rows = layout.geometry.rows();
        let mut out = vec![0.0f32; layout.batch * layout.out_len()];
        out.par_chunks_mut(layout.out_len()).zip(x.par_chunks(layout.in_len())).for_each(|(out, x)| {
            let mut cols = vec![0.0f32; rows * if transposed { lin } else { lout }];
            for group in 0..g {
                let x_g = &x[group * cig * lin..(group + 1) * cig * lin];
                let out_g = &mut out[group * cog * lout..(group + 1) * cog * lout];
                if transposed {
                    // cols = W_gᵀ x_g, folded into the output image.
                    let w_g = &w[group * cig * rows..(group + 1) * cig * rows];
                    matmul_slices(rows, lin, cig, w_g, true, x_g, false, &mut cols);
                    col2im(&layout.geometry, &cols, out_g);
                } else {
                    let w_g = &w[group * cog * rows..(group + 1) * cog * rows];
                    im2col(&layout.geometry, x_g, &mut cols);
                    matmul_slices(cog, lout, rows, w_g, false, &cols, false, out_g);
                }
            }
            if let Some(bias) = &bias {
                out.chunks_mut(lout).zip(bias.iter()).for_each(|(plane, b)| plane.iter_mut().for_each(|v| *v += b));
            }
        });
        let shape = [layout.batch, g * cog, layout.out_hw.0, layout.out_hw.1];
        Ok(Data::from_shape_vec(nabla_tensor::ndarray::IxDyn(&shape), out).expect("one value per output"))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let layout = self.0.layout(ctx.inputs[0].shape(), ctx.inputs[1].shape())?;
        let (x, w, dy) = (contiguous(&ctx.inputs[0]), contiguous(&ctx.inputs[1]), contiguous(ctx.grad_output));
        let transposed = self.0.transposed.is_some();
        let (g, cig, cog) = (layout.groups, layout.in_per_group, layout.out_per_group);
        let (lin, lout) = (layout.in_hw.0 * layout.in_hw.1, layout.out_hw.0 * layout.out_hw.1);
        let rows = layout.geometry.rows();
        let weight_len = w.len();
        let (need_dx, need_dw) = (ctx.needs_grad[0], ctx.needs_grad[1]);
        // Per image: its input gradient and its share of the weight gradient, each computed
        // only when needed (a frozen network needs no dw; a first layer no dx).
        let per_image: Vec<(Vec<f32>, Vec<f32>)> = x
            .par_chunks(layout.in_len())
            .zip(dy.par_chunks(layout.out_len()))
            .map(|(x, dy)| {
                let mut dx = if need_dx { vec![0.0f32; layout.in_len()] } else { Vec::new() };
                let mut dw = if need_dw { vec![0.0f32; weight_len] } else { Vec::new() };
                let mut cols = vec![0.0f32; rows * if transposed { lin } else { lout }];
                let mut partial = vec![0.0f32; if need_dw { weight_len / g } else { 0 }];
                for group in 0..g {
                    let (x_g, dx_range) =
                        (&x[group * cig * lin..(group + 1) * cig * lin], group * cig * lin..(group + 1) * cig * lin);
                    let dy_g = &dy[group * cog * lout..(group + 1) * cog * lout];
                    let w_range = group * weight_len / g..(group + 1) * weight_len / g;
                    if transposed {
                        // x = W_g · im2col(dy): dx_g = W_g im2col(dy_g); dW_g = x_g im2col(dy_g)ᵀ.
                        im2col(&layout.geometry, dy_g, &mut cols);
                        if need_dx {
                            matmul_slices(cig, lin, rows, &w[w_range.clone()], false, &cols, false, &mut dx[dx_range]);
                        }
                        if need_dw {
                            matmul_slices(cig, rows, lin, x_g, false, &cols, true, &mut partial);
                        }
                    } else {
                        // y_g = W_g im2col(x_g): dW_g = dy_g im2col(x_g)ᵀ; dx_g = col2im(W_gᵀ dy_g).
                        if need_dw {
                            im2col(&layout.geometry, x_g, &mut cols);
                            matmul_slices(cog, rows, lout, dy_g, false, &cols, true, &mut partial);
                        }
                        if need_dx {
                            matmul_slices(rows, lout, cog, &w[w_range.clone()], true, dy_g, false, &mut cols);
                            col2im(&layout.geometry, &cols, &mut dx[dx_range]);
                        }
                    }
                    if need_dw {
                        dw[w_range].iter_mut().zip(&partial).for_each(|(a, b)| *a += b);
                    }
                }
                (dx, dw)
            })
            .collect();
        let mut dx = Vec::with_capacity(if need_dx { layout.batch * layout.in_len() } else { 0 });
        let mut dw = vec![0.0f32; if need_dw { weight_len } else { 0 }];
        for (image_dx, image_dw) in per_image {
            dx.extend(image_dx);
            dw.iter_mut().zip(image_dw).for_each(|(a, b)| *a += b);
        }
        let grad_bias = (ctx.inputs.len() > 2 && ctx.needs_grad[2]).then(|| {
            let channels = g * cog;
            let mut db = vec![0.0f32; channels];
            dy.chunks(lout).enumerate().for_each(|(plane, values)| db[plane % channels] += values.iter().sum::<f32>());
            Data::from_shape_vec(nabla_tensor::ndarray::IxDyn(&[channels]), db).expect("one per channel")
        });
        let dx = need_dx.then(|| Data::from_shape_vec(ctx.inputs[0].raw_dim(), dx).expect("input shape"));
        let dw = need_dw.then(|| Data::from_shape_vec(ctx.inputs[1].raw_dim(), dw).expect("weight shape"));
        let mut grads = vec![dx, dw];
        if ctx.inputs.len() > 2 {
            grads.push(grad_bias);
        }
        Ok(grads)
    }
}
