//! The fused element-wise parts of the LSTM and GRU steps: given the gate pre-activations
//! (from one matmul per input and per hidden state), one forward kernel computes the new state
//! and one backward kernel all the gradients, instead of a chain of a dozen small ops. Their
//! tanh and sigmoid are the core's branch-free ones (`nabla_tensor::math`), so the loops
//! vectorise; the activations use the same two.

use nabla_tensor::elementwise::contiguous;
use nabla_tensor::math::{logistic as sigmoid, tanh};
use nabla_tensor::{BackwardContext, Data, Op, Result};
use ndarray::{ArrayD, IxDyn};

/// The LSTM's gates (i, f, g, o) for hidden unit `j` of one row of pre-activations.
#[inline(always)]
fn lstm_gates(g: &[f32], h: usize, j: usize) -> (f32, f32, f32, f32) {
    (sigmoid(g[j]), sigmoid(g[h + j]), tanh(g[2 * h + j]), sigmoid(g[3 * h + j]))
}

/// LSTM step: inputs `gates` `[B, 4H]` (i, f, g, o pre-activations, biases included) and
/// `c` `[B, H]`; output `[B, 2H]` = `[h' | c']` with `c' = f·c + i·g`, `h' = o·tanh(c')`.
pub(crate) struct LstmStep;

impl Op for LstmStep {
    fn name(&self) -> &'static str {
        "lstm_cell"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let (gates, c) = (contiguous(inputs[0]), contiguous(inputs[1]));
        let (b, h) = (inputs[1].shape()[0], inputs[1].shape()[1]);
        let mut out = vec![0.0f32; b * 2 * h];
        for row in 0..b {
            let g = &gates[row * 4 * h..(row + 1) * 4 * h];
            for j in 0..h {
                let (i, f, gg, o) = lstm_gates(g, h, j);
                let c_new = f * c[row * h + j] + i * gg;
                out[row * 2 * h + j] = o * tanh(c_new);
                out[row * 2 * h + h + j] = c_new;
            }
        }
        Ok(ArrayD::from_shape_vec(IxDyn(&[b, 2 * h]), out).expect("B×2H").into_shared())
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let (gates, c, out, grad) = (
            contiguous(&ctx.inputs[0]),
            contiguous(&ctx.inputs[1]),
            contiguous(ctx.output),
            contiguous(ctx.grad_output),
        );
        let (b, h) = (ctx.inputs[1].shape()[0], ctx.inputs[1].shape()[1]);
        let mut d_gates = vec![0.0f32; b * 4 * h];
        let mut d_c = vec![0.0f32; b * h];
        for row in 0..b {
            let g = &gates[row * 4 * h..(row + 1) * 4 * h];
            for j in 0..h {
                let (i, f, gg, o) = lstm_gates(g, h, j);
                let c_new = out[row * 2 * h + h + j];
                let tanh_c = tanh(c_new);
                let (dh, dc_out) = (grad[row * 2 * h + j], grad[row * 2 * h + h + j]);
                let dc = dc_out + dh * o * (1.0 - tanh_c * tanh_c);
                let d = &mut d_gates[row * 4 * h..(row + 1) * 4 * h];
                d[j] = dc * gg * i * (1.0 - i);
                d[h + j] = dc * c[row * h + j] * f * (1.0 - f);
                d[2 * h + j] = dc * i * (1.0 - gg * gg);
                d[3 * h + j] = dh * tanh_c * o * (1.0 - o);
                d_c[row * h + j] = dc * f;
            }
        }
        let d_gates = ArrayD::from_shape_vec(IxDyn(&[b, 4 * h]), d_gates).expect("B×4H").into_shared();
        let d_c = ArrayD::from_shape_vec(IxDyn(&[b, h]), d_c).expect("B×H").into_shared();
        Ok(vec![ctx.needs_grad[0].then_some(d_gates), ctx.needs_grad[1].then_some(d_c)])
    }
}

/// The GRU's gates (r, z, n) for hidden unit `j` of one row of `gi` and `gh`.
#[inline(always)]
fn gru_gates(x: &[f32], y: &[f32], h: usize, j: usize) -> (f32, f32, f32) {
    let r = sigmoid(x[j] + y[j]);
    let z = sigmoid(x[h + j] + y[h + j]);
    (r, z, tanh(x[2 * h + j] + r * y[2 * h + j]))
}

/// GRU step: inputs `gi` `[B, 3H]` (`x W_ihᵀ + b_ih`), `gh` `[B, 3H]` (`h W_hhᵀ + b_hh`) and
/// `h` `[B, H]`; output `h' = (1-z)·n + z·h` with `r = σ(gi_r + gh_r)`, `z = σ(gi_z + gh_z)`,
/// `n = tanh(gi_n + r·gh_n)` (PyTorch's order r, z, n; `r` scales the hidden part with its bias).
pub(crate) struct GruStep;

impl Op for GruStep {
    fn name(&self) -> &'static str {
        "gru_cell"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let (gi, gh, hp) = (contiguous(inputs[0]), contiguous(inputs[1]), contiguous(inputs[2]));
        let (b, h) = (inputs[2].shape()[0], inputs[2].shape()[1]);
        let mut out = vec![0.0f32; b * h];
        for row in 0..b {
            let (x, y) = (&gi[row * 3 * h..(row + 1) * 3 * h], &gh[row * 3 * h..(row + 1) * 3 * h]);
            for j in 0..h {
                let (_, z, n) = gru_gates(x, y, h, j);
                out[row * h + j] = (1.0 - z) * n + z * hp[row * h + j];
            }
        }
        Ok(ArrayD::from_shape_vec(IxDyn(&[b, h]), out).expect("B×H").into_shared())
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let (gi, gh, hp, grad) = (
            contiguous(&ctx.inputs[0]),
            contiguous(&ctx.inputs[1]),
            contiguous(&ctx.inputs[2]),
            contiguous(ctx.grad_output),
        );
        let (b, h) = (ctx.inputs[2].shape()[0], ctx.inputs[2].shape()[1]);
        let (mut d_gi, mut d_gh, mut d_h) = (vec![0.0f32; b * 3 * h], vec![0.0f32; b * 3 * h], vec![0.0f32; b * h]);
        for row in 0..b {
            let (x, y) = (&gi[row * 3 * h..(row + 1) * 3 * h], &gh[row * 3 * h..(row + 1) * 3 * h]);
            for j in 0..h {
                let (r, z, n) = gru_gates(x, y, h, j);
                let dh = grad[row * h + j];
                let dn = dh * (1.0 - z) * (1.0 - n * n);
                let dz = dh * (hp[row * h + j] - n) * z * (1.0 - z);
                let dr = dn * y[2 * h + j] * r * (1.0 - r);
                let base = row * 3 * h;
                (d_gi[base + j], d_gh[base + j]) = (dr, dr);
                (d_gi[base + h + j], d_gh[base + h + j]) = (dz, dz);
                (d_gi[base + 2 * h + j], d_gh[base + 2 * h + j]) = (dn, dn * r);
                d_h[row * h + j] = dh * z;
            }
        }
        let shape3 = IxDyn(&[b, 3 * h]);
        let d_gi = ArrayD::from_shape_vec(shape3.clone(), d_gi).expect("B×3H").into_shared();
        let d_gh = ArrayD::from_shape_vec(shape3, d_gh).expect("B×3H").into_shared();
        let d_h = ArrayD::from_shape_vec(IxDyn(&[b, h]), d_h).expect("B×H").into_shared();
        Ok(vec![ctx.needs_grad[0].then_some(d_gi), ctx.needs_grad[1].then_some(d_gh), ctx.needs_grad[2].then_some(d_h)])
    }
}
