//! One LSTM layer over a whole sequence as a single op, as cuDNN and PyTorch's CPU path run
//! it: the input's gate products for every step in one matrix multiply, one product with
//! `W_hh` per step, and in the backward pass the weight gradients of all steps in one
//! product each — instead of a graph of a dozen small ops per step whose weight gradients
//! are allocated and summed step by step.

use nabla_tensor::elementwise::contiguous;
use nabla_tensor::linalg::{Matrix, PackedRhs, matmul_into, matmul_packed};
use nabla_tensor::{BackwardContext, Data, Error, Op, Result, buffers};
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

use nabla_tensor::math::{logistic as sigmoid, tanh};

/// The op: inputs `x` `[T, B, I]`, `h0` and `c0` `[B, H]`, `weight_ih` `[4H, I]`,
/// `weight_hh` `[4H, H]`, and optionally `bias_ih` and `bias_hh` `[4H]`; output `[T, B, 2H]`
/// holding `h_t | c_t` of every step (gates i, f, g, o as PyTorch orders them).
pub(crate) struct LstmSequence {
    /// Runs from the last step to the first (the reverse direction of a bidirectional layer).
    reverse: bool,
    /// Saved by the forward pass for the backward: every step's activated gates, `[T, B, 4H]`.
    gates: Vec<f32>,
}

impl LstmSequence {
    pub(crate) fn new(reverse: bool) -> Self {
        LstmSequence { reverse, gates: Vec::new() }
    }

    /// The time steps in the order the recurrence visits them.
    fn order(&self, steps: usize) -> Box<dyn Iterator<Item = usize>> {
        if self.reverse { Box::new((0..steps).rev()) } else { Box::new(0..steps) }
    }
}

/// Step `t` of `buffer`, which holds steps of `len` values.
fn step(buffer: &[f32], len: usize, t: usize) -> &[f32] {
    &buffer[t * len..(t + 1) * len]
}

/// The sizes of one call.
struct Sizes {
    steps: usize,
    batch: usize,
    input: usize,
    hidden: usize,
}

impl Sizes {
    fn of(inputs: &[&Data]) -> Result<Sizes> {
        if inputs.len() != 5 && inputs.len() != 7 {
            return Err(Error::InvalidArgument {
                op: "lstm",
                reason: format!("takes 5 inputs, or 7 with the biases; got {}", inputs.len()),
            });
        }
        let shapes: Vec<&[usize]> = inputs.iter().map(|d| d.shape()).collect();
        let mismatch = |reason: String| Error::ShapeMismatch {
            op: "lstm",
            lhs: shapes[0].to_vec(),
            rhs: shapes[4].to_vec(),
            reason,
        };
        let (&[steps, batch, input], &[gate_rows, hidden]) = (shapes[0], shapes[4]) else {
            return Err(mismatch("needs an input [T, B, I] and a weight_hh [4H, H]".into()));
        };
        let state = [batch, hidden];
        let biases_fit = shapes[5..].iter().all(|s| *s == [4 * hidden]);
        if gate_rows != 4 * hidden
            || shapes[1] != state
            || shapes[2] != state
            || shapes[3] != [4 * hidden, input]
            || !biases_fit
        {
            return Err(mismatch(format!(
                "h0 and c0 must be [{batch}, {hidden}], weight_ih [{}, {input}], the biases [{}]; got {:?}",
                4 * hidden,
                4 * hidden,
                &shapes[1..]
            )));
        }
        if steps == 0 || batch == 0 || hidden == 0 {
            return Err(Error::Empty { op: "lstm", shape: shapes[0].iter().copied().chain([hidden]).collect() });
        }
        Ok(Sizes { steps, batch, input, hidden })
    }
}

impl Op for LstmSequence {
    fn name(&self) -> &'static str {
        "lstm"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let Sizes { steps, batch, input, hidden } = Sizes::of(inputs)?;
        let [x, h0, c0, w_ih, w_hh] = [0, 1, 2, 3, 4].map(|i| contiguous(inputs[i]));
        let (width, rows) = (4 * hidden, steps * batch);
        let step_gates_len = batch * width;
        // Every step's input products at once, with both biases.
        let mut gates = buffers::buffer(rows * width);
        matmul_into([rows, width, input], Matrix::plain(&x), Matrix::transposed(&w_ih), &mut gates);
        if inputs.len() > 5 {
            let (b_ih, b_hh) = (contiguous(inputs[5]), contiguous(inputs[6]));
            let bias: Vec<f32> = b_ih.iter().zip(b_hh.iter()).map(|(a, b)| a + b).collect();
            gates.chunks_exact_mut(width).for_each(|row| row.iter_mut().zip(&bias).for_each(|(g, b)| *g += b));
        }
        // Every value is written, step by step.
        let mut out = buffers::buffer(rows * 2 * hidden);
        let (mut h, mut c) = (h0.to_vec(), c0.to_vec());
        let mut recurrent = vec![0.0f32; step_gates_len];
        // `W_hhᵀ` `[H, 4H]`, prepared once for every step's product.
        let w_hh_t = PackedRhs::new(hidden, width, &w_hh, true);
        let order: Vec<usize> = self.order(steps).collect();
        // The steps run on one of rayon's threads, so that the other threads take their share
        // of each step's product by work stealing instead of being woken from outside the
        // pool for every product (W5 35 → 32 ms with 2 threads).
        rayon::scope(|_| {
            for t in order {
                matmul_packed(batch, &h, false, &w_hh_t, &mut recurrent);
                let step_gates = &mut gates[t * step_gates_len..(t + 1) * step_gates_len];
                let step_out = &mut out[t * batch * 2 * hidden..(t + 1) * batch * 2 * hidden];
                forward_step(hidden, step_gates, &recurrent, &mut h, &mut c, step_out);
            }
        });
        buffers::give(std::mem::replace(&mut self.gates, gates));
        Ok(ArrayD::from_shape_vec(IxDyn(&[steps, batch, 2 * hidden]), out).expect("T×B×2H").into_shared())
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let inputs: Vec<&Data> = ctx.inputs.iter().collect();
        let Sizes { steps, batch, input, hidden } = Sizes::of(&inputs)?;
        let [x, h0, c0, w_ih, w_hh] = [0, 1, 2, 3, 4].map(|i| contiguous(&ctx.inputs[i]));
        let (out, grad) = (contiguous(ctx.output), contiguous(ctx.grad_output));
        let (width, rows) = (4 * hidden, steps * batch);
        let (step_gates_len, step_out_len) = (batch * width, batch * 2 * hidden);
        // Every value is written, step by step.
        let mut d_gates = buffers::buffer(rows * width);
        let (mut dh_next, mut dc_next) = (vec![0.0f32; batch * hidden], vec![0.0f32; batch * hidden]);
        let order: Vec<usize> = self.order(steps).collect();
        let w_hh = PackedRhs::new(width, hidden, &w_hh, false);
        // On a rayon thread, as in the forward pass.
        rayon::scope(|_| {
            for (position, &t) in order.iter().enumerate().rev() {
                // Row b of the previous cell state starts at `c_prev[b * c_prev_stride]`.
                let (c_prev, c_prev_stride) = match position.checked_sub(1).map(|p| order[p]) {
                    None => (&c0[..], hidden),
                    Some(p) => (&step(&out, step_out_len, p)[hidden..], 2 * hidden),
                };
                let step_d = &mut d_gates[t * step_gates_len..(t + 1) * step_gates_len];
                let step_grads =
                    StepGrads { output: step(&grad, step_out_len, t), dh_next: &dh_next, dc_next: &mut dc_next };
                let (step_gates, step_out) = (step(&self.gates, step_gates_len, t), step(&out, step_out_len, t));
                backward_step(hidden, step_gates, step_out, (c_prev, c_prev_stride), step_grads, step_d);
                matmul_packed(batch, step_d, false, &w_hh, &mut dh_next);
            }
        });
        let needs = ctx.needs_grad;
        let data = |shape: &[usize], values: Vec<f32>| {
            ArrayD::from_shape_vec(IxDyn(shape), values).expect("gradient shape").into_shared()
        };
        let dx = needs[0].then(|| {
            let mut dx = buffers::buffer(rows * input);
            matmul_into([rows, input, width], Matrix::plain(&d_gates), Matrix::plain(&w_ih), &mut dx);
            data(&[steps, batch, input], dx)
        });
        // Both weight gradients in one product, `d_gatesᵀ · [x | h_prev]`, so that `d_gates`
        // (the largest operand, read transposed) is packed once rather than once for each.
        let (dw_ih, dw_hh) = if needs[3] || needs[4] {
            let joined = input + hidden;
            let mut operands = buffers::buffer(rows * joined);
            for (position, &t) in order.iter().enumerate() {
                // Each step's previous h: h0 for the first step visited.
                let previous = position.checked_sub(1).map(|p| order[p]);
                for b in 0..batch {
                    let (row, at) = ((t * batch + b) * joined, t * batch + b);
                    operands[row..row + input].copy_from_slice(&x[at * input..(at + 1) * input]);
                    operands[row + input..row + joined].copy_from_slice(match previous {
                        None => &h0[b * hidden..(b + 1) * hidden],
                        Some(p) => &out[(p * batch + b) * 2 * hidden..][..hidden],
                    });
                }
            }
            let mut both = buffers::buffer(width * joined);
            matmul_into([width, joined, rows], Matrix::transposed(&d_gates), Matrix::plain(&operands), &mut both);
            buffers::give(operands);
            let columns = |from: usize, len: usize| {
                let mut values = buffers::buffer(width * len);
                values.chunks_exact_mut(len).zip(both.chunks_exact(joined)).for_each(|(v, row)| {
                    v.copy_from_slice(&row[from..from + len]);
                });
                data(&[width, len], values)
            };
            let weights = (needs[3].then(|| columns(0, input)), needs[4].then(|| columns(input, hidden)));
            buffers::give(both);
            weights
        } else {
            (None, None)
        };
        let d_bias = (ctx.inputs.len() > 5 && (needs[5] || needs[6])).then(|| {
            let mut db = vec![0.0f32; width];
            d_gates.chunks_exact(width).for_each(|row| db.iter_mut().zip(row).for_each(|(s, v)| *s += v));
            data(&[width], db)
        });
        buffers::give(d_gates);
        let mut grads = vec![
            dx,
            needs[1].then(|| data(&[batch, hidden], dh_next)),
            needs[2].then(|| data(&[batch, hidden], dc_next)),
            dw_ih,
            dw_hh,
        ];
        if let Some(d_bias) = d_bias {
            grads.push(needs[5].then(|| d_bias.clone()));
            grads.push(needs[6].then_some(d_bias));
        } else if ctx.inputs.len() > 5 {
            grads.extend([None, None]);
        }
        Ok(grads)
    }
}

impl Drop for LstmSequence {
    fn drop(&mut self) {
        buffers::give(std::mem::take(&mut self.gates));
    }
}

/// Batch rows per part of a step's gate arithmetic: one part per thread, so that the threads
/// that shared the step's product keep working instead of waiting (and falling asleep) while
/// one thread does the rest.
fn rows_per_part(batch: usize) -> usize {
    batch.div_ceil(rayon::current_num_threads()).max(1)
}

/// One step's gate arithmetic, in parts of batch rows on rayon's threads: activates `gates`
/// (the input products with the biases) plus `recurrent` (`h·W_hhᵀ`) in place, and writes
/// the new state over the previous one in `h` and `c` (`[B, H]`) and into `out`'s rows
/// (`h | c`).
fn forward_step(hidden: usize, gates: &mut [f32], recurrent: &[f32], h: &mut [f32], c: &mut [f32], out: &mut [f32]) {
    let (width, part) = (4 * hidden, rows_per_part(c.len() / hidden.max(1)));
    let gate_parts = gates.par_chunks_mut(part * width).zip(recurrent.par_chunks(part * width));
    let state_parts =
        h.par_chunks_mut(part * hidden).zip(c.par_chunks_mut(part * hidden)).zip(out.par_chunks_mut(part * 2 * hidden));
    gate_parts.zip(state_parts).for_each(|((g, r), ((h, c), out))| forward_rows(hidden, g, r, h, c, out));
}

/// [`forward_step`] for some batch rows, one after another.
fn forward_rows(hidden: usize, gates: &mut [f32], recurrent: &[f32], h: &mut [f32], c: &mut [f32], out: &mut [f32]) {
    let width = 4 * hidden;
    let rows = gates.chunks_exact_mut(width).zip(recurrent.chunks_exact(width));
    let states = h.chunks_exact_mut(hidden).zip(c.chunks_exact_mut(hidden)).zip(out.chunks_exact_mut(2 * hidden));
    for ((g, r), ((h, c), out)) in rows.zip(states) {
        let (i, rest) = g.split_at_mut(hidden);
        let (f, rest) = rest.split_at_mut(hidden);
        let (g, o) = rest.split_at_mut(hidden);
        forward_row(i, f, g, o, r, c, h);
        out[..hidden].copy_from_slice(h);
        out[hidden..].copy_from_slice(c);
    }
}

nabla_tensor::wide_kernel! {
    /// One batch row of [`forward_step`]: activates the pre-activations `i`, `f`, `g`, `o`
    /// plus their recurrent parts (side by side in `r`) in place, and writes the new cell state
    /// over `c` and the new hidden state into `h`. Each slice is its own argument, so that the
    /// compiler knows they do not overlap and vectorises the loop.
    #[allow(clippy::too_many_arguments)]
    fn forward_row(i: &mut [f32], f: &mut [f32], g: &mut [f32], o: &mut [f32], r: &[f32], c: &mut [f32], h: &mut [f32]) {
        let n = c.len();
        let (i, f, g, o, h) = (&mut i[..n], &mut f[..n], &mut g[..n], &mut o[..n], &mut h[..n]);
        let (ri, rf, rg, ro) = (&r[..n], &r[n..2 * n], &r[2 * n..3 * n], &r[3 * n..4 * n]);
        for j in 0..n {
            let (input, forget) = (sigmoid(i[j] + ri[j]), sigmoid(f[j] + rf[j]));
            let (cell, output) = (tanh(g[j] + rg[j]), sigmoid(o[j] + ro[j]));
            c[j] = forget * c[j] + input * cell;
            h[j] = output * tanh(c[j]);
            (i[j], f[j], g[j], o[j]) = (input, forget, cell, output);
        }
    }
}

/// The gradients one backward step reads and writes, each `[B, …]`.
struct StepGrads<'a> {
    /// The gradient of the step's output rows (`h | c`).
    output: &'a [f32],
    /// The gradient of the step's `h` through the next step visited.
    dh_next: &'a [f32],
    /// That of its `c` on entry; that of the previous `c` on return.
    dc_next: &'a mut [f32],
}

/// One step's gate gradients, in parts of batch rows on rayon's threads (as in
/// [`forward_step`]), from its activated `gates`, its output rows `out` (`h | c`), the
/// previous cell state (row `b` at `c_prev.0[b * c_prev.1..]`) and the gradients arriving at
/// the step; written into `d_gates`.
fn backward_step(
    hidden: usize,
    gates: &[f32],
    out: &[f32],
    c_prev: (&[f32], usize),
    grads: StepGrads<'_>,
    d_gates: &mut [f32],
) {
    let (width, part) = (4 * hidden, rows_per_part(grads.dc_next.len() / hidden.max(1)));
    let (c_prev, c_prev_stride) = c_prev;
    let (output, dh_next) = (grads.output, grads.dh_next);
    let writes = d_gates.par_chunks_mut(part * width).zip(grads.dc_next.par_chunks_mut(part * hidden));
    writes.enumerate().for_each(|(index, (d, dc_next))| {
        let (first, rows) = (index * part, dc_next.len() / hidden);
        let range = |len: usize| first * len..(first + rows) * len;
        let grads = StepGrads { output: &output[range(2 * hidden)], dh_next: &dh_next[range(hidden)], dc_next };
        let c_prev = (&c_prev[first * c_prev_stride..], c_prev_stride);
        backward_rows(hidden, &gates[range(width)], &out[range(2 * hidden)], c_prev, grads, d);
    });
}

/// [`backward_step`] for some batch rows, one after another.
fn backward_rows(
    hidden: usize,
    gates: &[f32],
    out: &[f32],
    c_prev: (&[f32], usize),
    grads: StepGrads<'_>,
    d_gates: &mut [f32],
) {
    let width = 4 * hidden;
    let (c_prev, c_prev_stride) = c_prev;
    let rows = gates.chunks_exact(width).zip(d_gates.chunks_exact_mut(width)).zip(out.chunks_exact(2 * hidden));
    let arriving = grads.output.chunks_exact(2 * hidden).zip(grads.dh_next.chunks_exact(hidden));
    for (b, (((g, d), out), ((grad, dh_next), dc_next))) in
        rows.zip(arriving.zip(grads.dc_next.chunks_exact_mut(hidden))).enumerate()
    {
        let (di, rest) = d.split_at_mut(hidden);
        let (df, rest) = rest.split_at_mut(hidden);
        let (dg, d_o) = rest.split_at_mut(hidden);
        let c_prev = &c_prev[b * c_prev_stride..b * c_prev_stride + hidden];
        let (grad_h, grad_c) = grad.split_at(hidden);
        backward_row(g, &out[hidden..], c_prev, [grad_h, grad_c, dh_next], dc_next, di, df, dg, d_o);
    }
}

nabla_tensor::wide_kernel! {
    /// One batch row of [`backward_step`]: from the activated gates `g` (side by side), the
    /// cell state `c` and the previous one, and the gradients of `h` and `c` arriving
    /// (`grad_h`, `grad_c`, `dh_next`), writes the gates' gradients and, over `dc_next`, the
    /// gradient of the previous cell state.
    #[allow(clippy::too_many_arguments)]
    fn backward_row(
        g: &[f32],
        c: &[f32],
        c_prev: &[f32],
        arriving: [&[f32]; 3],
        dc_next: &mut [f32],
        di: &mut [f32],
        df: &mut [f32],
        dg: &mut [f32],
        d_o: &mut [f32],
    ) {
        let n = dc_next.len();
        let (gi, gf, gg, go) = (&g[..n], &g[n..2 * n], &g[2 * n..3 * n], &g[3 * n..4 * n]);
        let (c, c_prev) = (&c[..n], &c_prev[..n]);
        let [grad_h, grad_c, dh_next] = arriving.map(|a| &a[..n]);
        let (di, df, dg, d_o) = (&mut di[..n], &mut df[..n], &mut dg[..n], &mut d_o[..n]);
        for j in 0..n {
            let (i, f, cell, o) = (gi[j], gf[j], gg[j], go[j]);
            let tanh_c = tanh(c[j]);
            let dh = grad_h[j] + dh_next[j];
            let dc = grad_c[j] + dc_next[j] + dh * o * (1.0 - tanh_c * tanh_c);
            di[j] = dc * cell * i * (1.0 - i);
            df[j] = dc * c_prev[j] * f * (1.0 - f);
            dg[j] = dc * i * (1.0 - cell * cell);
            d_o[j] = dh * tanh_c * o * (1.0 - o);
            dc_next[j] = dc * f;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nabla_tensor::Tensor;
    use nabla_testkit::{assert_gradients, uniform};

    #[test]
    fn passes_gradcheck_for_every_input_in_both_directions() {
        let (steps, batch, input, hidden) = (3, 2, 3, 4);
        let inputs = || {
            vec![
                uniform(&[steps, batch, input], -1.0, 1.0, 1),
                uniform(&[batch, hidden], -1.0, 1.0, 2),
                uniform(&[batch, hidden], -1.0, 1.0, 3),
                uniform(&[4 * hidden, input], -0.8, 0.8, 4),
                uniform(&[4 * hidden, hidden], -0.8, 0.8, 5),
                uniform(&[4 * hidden], -0.5, 0.5, 6),
                uniform(&[4 * hidden], -0.5, 0.5, 7),
            ]
        };
        for reverse in [false, true] {
            let name = format!("lstm sequence, reverse {reverse}");
            assert_gradients(
                &name,
                |t| Tensor::apply(LstmSequence::new(reverse), &t.iter().collect::<Vec<_>>()),
                inputs(),
            );
            let unbiased = inputs().into_iter().take(5).collect();
            assert_gradients(
                &name,
                |t| Tensor::apply(LstmSequence::new(reverse), &t.iter().collect::<Vec<_>>()),
                unbiased,
            );
        }
    }

    #[test]
    fn inconsistent_shapes_are_typed_errors() {
        let x = Tensor::zeros(&[3, 2, 3]);
        let (state, w_ih, w_hh) = (Tensor::zeros(&[2, 4]), Tensor::zeros(&[16, 3]), Tensor::zeros(&[16, 4]));
        let wrong_state = Tensor::zeros(&[2, 5]);
        let err = Tensor::apply(LstmSequence::new(false), &[&x, &wrong_state, &state, &w_ih, &w_hh]).unwrap_err();
        assert!(matches!(err, Error::ShapeMismatch { op: "lstm", .. }), "{err}");
        let err = Tensor::apply(LstmSequence::new(false), &[&x, &state, &state, &w_ih]).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { op: "lstm", .. }), "{err}");
        assert!(Tensor::apply(LstmSequence::new(false), &[&x, &state, &state, &w_ih, &w_hh]).is_ok());
    }
}
