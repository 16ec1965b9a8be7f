//! Resampling a plane by fixed taps: each output pixel is a weighted sum of input pixels of the
//! same plane. Nearest and bilinear upsampling and reflection and replication padding are all
//! such maps; one op runs them, forward (gather) and backward (scatter), planes in parallel.

use nabla_tensor::elementwise::zeros_written;
use nabla_tensor::{BackwardContext, Data, Op, Result};
use rayon::prelude::*;

/// For each output pixel of a plane (row-major), the `(input pixel, weight)` taps it sums.
#[derive(Debug, Clone)]
pub(crate) struct Taps {
    pub out_hw: (usize, usize),
    pub taps: Vec<Vec<(usize, f32)>>,
}

impl Taps {
    /// Builds taps from a per-axis rule: `rows(out_row)` and `cols(out_col)` give the
    /// `(input index, weight)` pairs along each axis; a pixel's taps are their products.
    pub fn separable(
        in_w: usize,
        out_hw: (usize, usize),
        rows: impl Fn(usize) -> Vec<(usize, f32)>,
        cols: impl Fn(usize) -> Vec<(usize, f32)>,
    ) -> Taps {
        let cols: Vec<Vec<(usize, f32)>> = (0..out_hw.1).map(cols).collect();
        let mut taps = Vec::with_capacity(out_hw.0 * out_hw.1);
        for r in 0..out_hw.0 {
            let row_taps = rows(r);
            for col_taps in &cols {
                taps.push(
                    row_taps
                        .iter()
                        .flat_map(|&(i, a)| col_taps.iter().map(move |&(j, b)| (i * in_w + j, a * b)))
                        .collect(),
                );
            }
        }
        Taps { out_hw, taps }
    }
}

/// The op over `[N, C, H, W]`.
pub(crate) struct ResampleOp {
    pub name: &'static str,
    pub taps: Taps,
}

impl Op for ResampleOp {
    fn name(&self) -> &'static str {
        self.name
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let x = inputs[0].as_standard_layout();
        let shape = x.shape().to_vec();
        let (plane, out_plane) = (shape[2] * shape[3], self.taps.taps.len());
        let mut out = vec![0.0f32; shape[0] * shape[1] * out_plane];
        out.par_chunks_mut(out_plane.max(1)).zip(x.as_slice().expect("standard").par_chunks(plane.max(1))).for_each(
            |(out, input)| {
                for (o, taps) in out.iter_mut().zip(&self.taps.taps) {
                    *o = taps.iter().map(|&(i, w)| w * input[i]).sum();
                }
            },
        );
        let out_shape = [shape[0], shape[1], self.taps.out_hw.0, self.taps.out_hw.1];
        Ok(Data::from_shape_vec(nabla_tensor::ndarray::IxDyn(&out_shape), out).expect("one value per output"))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let shape = ctx.inputs[0].shape();
        let (plane, out_plane) = (shape[2] * shape[3], self.taps.taps.len());
        let g = ctx.grad_output.as_standard_layout();
        let mut dx = zeros_written(shape.iter().product());
        dx.par_chunks_mut(plane.max(1)).zip(g.as_slice().expect("standard").par_chunks(out_plane.max(1))).for_each(
            |(dx, g)| {
                for (&gv, taps) in g.iter().zip(&self.taps.taps) {
                    taps.iter().for_each(|&(i, w)| dx[i] += w * gv);
                }
            },
        );
        Ok(vec![Some(Data::from_shape_vec(ctx.inputs[0].raw_dim(), dx).expect("input shape"))])
    }
}
