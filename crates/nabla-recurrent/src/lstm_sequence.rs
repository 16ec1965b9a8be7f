//! One LSTM layer over a whole sequence as a single op, as cuDNN and PyTorch's CPU path run
//! it: the input's gate products for every step in one matrix multiply, one product with
//! `W_hh` per step, and in the backward pass the weight gradients of all steps in one
//! product each — instead of a graph of a dozen small ops per step whose weight gradients
//! are allocated and summed step by step.

use nabla_tensor::elementwise::contiguous;
use nabla_tensor::linalg::{matmul_slices, matmul_slices_split};
use nabla_tensor::{BackwardContext, Data, Error, Op, Result};
use ndarray::{ArrayD, IxDyn};

use crate::kernels::{sigmoid, tanh};

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

/// Step `previous` of `buffer` to read and step `current` to write, each `len` values (the
/// steps differ).
fn previous_and_current(buffer: &mut [f32], previous: usize, current: usize, len: usize) -> (&[f32], &mut [f32]) {
    if previous < current {
        let (head, tail) = buffer.split_at_mut(current * len);
        (&head[previous * len..(previous + 1) * len], &mut tail[..len])
    } else {
        let (head, tail) = buffer.split_at_mut(previous * len);
        (&tail[..len], &mut head[current * len..(current + 1) * len])
    }
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
        let (width, rows, step_len) = (4 * hidden, steps * batch, batch * hidden);
        // Every step's input products at once, with both biases.
        let mut gates = vec![0.0f32; rows * width];
        matmul_slices(rows, width, input, &x, false, &w_ih, true, &mut gates);
        if inputs.len() > 5 {
            let (b_ih, b_hh) = (contiguous(inputs[5]), contiguous(inputs[6]));
            let bias: Vec<f32> = b_ih.iter().zip(b_hh.iter()).map(|(a, b)| a + b).collect();
            gates.chunks_exact_mut(width).for_each(|row| row.iter_mut().zip(&bias).for_each(|(g, b)| *g += b));
        }
        let (mut hs, mut cs) = (vec![0.0f32; rows * hidden], vec![0.0f32; rows * hidden]);
        let mut recurrent = vec![0.0f32; batch * width];
        // `W_hhᵀ` `[H, 4H]` stored row-major once, so each step's product reads it in place.
        let mut w_hh_t = vec![0.0f32; hidden * width];
        for (row, weights) in w_hh.chunks_exact(hidden).enumerate() {
            weights.iter().enumerate().for_each(|(j, w)| w_hh_t[j * width + row] = *w);
        }
        let order: Vec<usize> = self.order(steps).collect();
        // The steps run on one of rayon's threads, so that the other threads take their share
        // of each step's product by work stealing instead of being woken from outside the
        // pool for every product (W5 35 → 32 ms with 2 threads).
        rayon::scope(|_| {
            let mut previous: Option<usize> = None;
            for t in order {
                let h_prev = match previous {
                    None => &h0[..],
                    Some(p) => &hs[p * step_len..(p + 1) * step_len],
                };
                matmul_slices_split(batch, width, hidden, h_prev, false, &w_hh_t, false, &mut recurrent);
                let (c_prev, c_step) = match previous {
                    None => (&c0[..], &mut cs[t * step_len..(t + 1) * step_len]),
                    Some(p) => previous_and_current(&mut cs, p, t, step_len),
                };
                let h_step = &mut hs[t * step_len..(t + 1) * step_len];
                let step_gates = &mut gates[t * batch * width..(t + 1) * batch * width];
                for b in 0..batch {
                    let (g, r) = (&mut step_gates[b * width..(b + 1) * width], &recurrent[b * width..(b + 1) * width]);
                    let at = b * hidden;
                    let (h_out, c_out) = (&mut h_step[at..at + hidden], &mut c_step[at..at + hidden]);
                    let (gi, rest) = g.split_at_mut(hidden);
                    let (gf, rest) = rest.split_at_mut(hidden);
                    let (gg, go) = rest.split_at_mut(hidden);
                    for j in 0..hidden {
                        let i = sigmoid(gi[j] + r[j]);
                        let f = sigmoid(gf[j] + r[hidden + j]);
                        let cell = tanh(gg[j] + r[2 * hidden + j]);
                        let o = sigmoid(go[j] + r[3 * hidden + j]);
                        let c = f * c_prev[b * hidden + j] + i * cell;
                        (gi[j], gf[j], gg[j], go[j]) = (i, f, cell, o);
                        c_out[j] = c;
                        h_out[j] = o * tanh(c);
                    }
                }
                previous = Some(t);
            }
        });
        self.gates = gates;
        let mut out = Vec::with_capacity(rows * 2 * hidden);
        for (h, c) in hs.chunks_exact(hidden).zip(cs.chunks_exact(hidden)) {
            out.extend_from_slice(h);
            out.extend_from_slice(c);
        }
        Ok(ArrayD::from_shape_vec(IxDyn(&[steps, batch, 2 * hidden]), out).expect("T×B×2H").into_shared())
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let inputs: Vec<&Data> = ctx.inputs.iter().collect();
        let Sizes { steps, batch, input, hidden } = Sizes::of(&inputs)?;
        let [x, h0, c0, w_ih, w_hh] = [0, 1, 2, 3, 4].map(|i| contiguous(&ctx.inputs[i]));
        let (out, grad) = (contiguous(ctx.output), contiguous(ctx.grad_output));
        let (width, rows) = (4 * hidden, steps * batch);
        // Element (t, b, j) of h or c in the output and its gradient.
        let h_at = |t: usize, b: usize| (t * batch + b) * 2 * hidden;
        let c_at = |t: usize, b: usize| (t * batch + b) * 2 * hidden + hidden;
        let mut d_gates = vec![0.0f32; rows * width];
        let (mut dh_next, mut dc_next) = (vec![0.0f32; batch * hidden], vec![0.0f32; batch * hidden]);
        let order: Vec<usize> = self.order(steps).collect();
        // On a rayon thread, as in the forward pass.
        rayon::scope(|_| {
            for (position, &t) in order.iter().enumerate().rev() {
                let previous = position.checked_sub(1).map(|p| order[p]);
                let step_gates = &self.gates[t * batch * width..(t + 1) * batch * width];
                let step_d = &mut d_gates[t * batch * width..(t + 1) * batch * width];
                for b in 0..batch {
                    let g = &step_gates[b * width..(b + 1) * width];
                    let d = &mut step_d[b * width..(b + 1) * width];
                    for j in 0..hidden {
                        let (i, f, cell, o) = (g[j], g[hidden + j], g[2 * hidden + j], g[3 * hidden + j]);
                        let c = out[c_at(t, b) + j];
                        let c_prev = match previous {
                            None => c0[b * hidden + j],
                            Some(p) => out[c_at(p, b) + j],
                        };
                        let tanh_c = tanh(c);
                        let dh = grad[h_at(t, b) + j] + dh_next[b * hidden + j];
                        let dc = grad[c_at(t, b) + j] + dc_next[b * hidden + j] + dh * o * (1.0 - tanh_c * tanh_c);
                        d[j] = dc * cell * i * (1.0 - i);
                        d[hidden + j] = dc * c_prev * f * (1.0 - f);
                        d[2 * hidden + j] = dc * i * (1.0 - cell * cell);
                        d[3 * hidden + j] = dh * tanh_c * o * (1.0 - o);
                        dc_next[b * hidden + j] = dc * f;
                    }
                }
                matmul_slices_split(batch, hidden, width, step_d, false, &w_hh, false, &mut dh_next);
            }
        });
        let needs = ctx.needs_grad;
        let data = |shape: &[usize], values: Vec<f32>| {
            ArrayD::from_shape_vec(IxDyn(shape), values).expect("gradient shape").into_shared()
        };
        let dx = needs[0].then(|| {
            let mut dx = vec![0.0f32; rows * input];
            matmul_slices(rows, input, width, &d_gates, false, &w_ih, false, &mut dx);
            data(&[steps, batch, input], dx)
        });
        let dw_ih = needs[3].then(|| {
            let mut dw = vec![0.0f32; width * input];
            matmul_slices(width, input, rows, &d_gates, true, &x, false, &mut dw);
            data(&[width, input], dw)
        });
        let dw_hh = needs[4].then(|| {
            // Each step's previous h, in step order: h0 for the first step visited.
            let mut h_prev = vec![0.0f32; rows * hidden];
            for (position, &t) in order.iter().enumerate() {
                let target = &mut h_prev[t * batch * hidden..(t + 1) * batch * hidden];
                match position.checked_sub(1).map(|p| order[p]) {
                    None => target.copy_from_slice(&h0),
                    Some(p) => target
                        .chunks_exact_mut(hidden)
                        .enumerate()
                        .for_each(|(b, row)| row.copy_from_slice(&out[h_at(p, b)..h_at(p, b) + hidden])),
                }
            }
            let mut dw = vec![0.0f32; width * hidden];
            matmul_slices(width, hidden, rows, &d_gates, true, &h_prev, false, &mut dw);
            data(&[width, hidden], dw)
        });
        let d_bias = || {
            let mut db = vec![0.0f32; width];
            d_gates.chunks_exact(width).for_each(|row| db.iter_mut().zip(row).for_each(|(s, v)| *s += v));
            data(&[width], db)
        };
        let mut grads = vec![
            dx,
            needs[1].then(|| data(&[batch, hidden], dh_next)),
            needs[2].then(|| data(&[batch, hidden], dc_next)),
            dw_ih,
            dw_hh,
        ];
        if ctx.inputs.len() > 5 {
            grads.push(needs[5].then(d_bias));
            grads.push(needs[6].then(d_bias));
        }
        Ok(grads)
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
