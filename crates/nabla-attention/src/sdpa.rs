//! Scaled dot-product attention as one fused op, `softmax(Q Kᵀ · scale + mask) V` over every
//! head batch at once, with PyTorch's semantics (`F.scaled_dot_product_attention`): boolean and
//! additive masks, a causal mask, dropout on the weights, scale 1/√E by default.
//!
//! The forward pass works through blocks of query rows and keeps only each row's log-sum-exp;
//! the backward pass recomputes the weights block by block. So the memory kept for backward is
//! O(L) per head batch, and the O(L·S) weights exist only a block of rows at a time, unless
//! [`attention_weights`] is asked for them.

use nabla_tensor::elementwise::contiguous;
use nabla_tensor::linalg::{Matrix, matmul_into};
use nabla_tensor::ndarray::{ArrayD, IxDyn};
use nabla_tensor::{BackwardContext, Data, Error, Op, Result, Tensor, no_grad};
use rayon::prelude::*;

use crate::mask::{AttentionMask, BroadcastMask};

/// Query rows processed together: the scores of a block are `ROW_BLOCK × S` values (128 KiB
/// for S = 256), the memory a thread works in; W9's 128 rows make one block.
const ROW_BLOCK: usize = 128;

/// The options of [`scaled_dot_product_attention`], PyTorch's defaults by `Default`: no mask,
/// no dropout, not causal, scale 1/√E.
#[derive(Debug, Clone, Default)]
pub struct AttentionOptions {
    /// Masks over the scores, each broadcastable to `[batch…, L, S]` (all are applied).
    pub masks: Vec<AttentionMask>,
    /// The probability of zeroing each attention weight (the rest are scaled by 1/(1 − p)).
    pub dropout: f32,
    /// Drawn once per call by the caller (a module's generator) when `dropout` > 0: the masks
    /// follow from it, so backward regenerates them instead of storing them.
    pub dropout_seed: u64,
    /// Query `i` attends to keys `0..=i` only (PyTorch's top-left aligned causal mask).
    pub is_causal: bool,
    /// The factor on `Q Kᵀ`; 1/√E when `None`.
    pub scale: Option<f32>,
}

/// `softmax(Q Kᵀ · scale + masks) V` for queries `[batch…, L, E]`, keys `[batch…, S, E]` and
/// values `[batch…, S, Ev]`, giving `[batch…, L, Ev]`; differentiable in `q`, `k` and `v`.
///
/// A query row that every mask blocks gets zeros (PyTorch's math backend gives NaN there).
///
/// # Errors
/// [`Error::ShapeMismatch`] for shapes that do not fit (ranks below 2, different batch axes,
/// `E` or `S` that differ, a mask that does not broadcast); [`Error::InvalidArgument`] for a
/// dropout outside [0, 1) or a scale that is not finite.
pub fn scaled_dot_product_attention(q: &Tensor, k: &Tensor, v: &Tensor, options: &AttentionOptions) -> Result<Tensor> {
    let layout = Layout::new(q, k, Some(v), options)?;
    Tensor::apply(Attention { layout, log_sum_exp: Vec::new() }, &[q, k, v])
}

/// The attention weights `softmax(Q Kᵀ · scale + masks)`, `[batch…, L, S]`, before dropout,
/// for looking at (not differentiable): what [`scaled_dot_product_attention`] averages `v`
/// with. This is where memory grows as L·S.
///
/// # Errors
/// As [`scaled_dot_product_attention`].
pub fn attention_weights(q: &Tensor, k: &Tensor, options: &AttentionOptions) -> Result<Tensor> {
    let options = AttentionOptions { dropout: 0.0, ..options.clone() };
    let layout = Layout::new(q, k, None, &options)?;
    let (qd, kd) = (q.data(), k.data());
    let (q, k) = (contiguous(&qd), contiguous(&kd));
    let Layout { batches, rows, columns, .. } = layout;
    let mut weights = vec![0.0; batches * rows * columns];
    no_grad(|| {
        weights.par_chunks_mut((rows * columns).max(1)).enumerate().for_each(|(b, out)| {
            for start in (0..rows).step_by(ROW_BLOCK) {
                let count = ROW_BLOCK.min(rows - start);
                let block = &mut out[start * columns..(start + count) * columns];
                layout.scores(b, start, count, &q, &k, block);
                for row in block.chunks_mut(columns.max(1)) {
                    softmax_in_place(row);
                }
            }
        })
    });
    let mut shape = layout.batch.clone();
    shape.extend([rows, columns]);
    Tensor::from_vec(weights, &shape)
}

/// The shapes of one call and its options, checked.
#[derive(Debug, Clone)]
struct Layout {
    batch: Vec<usize>,
    batches: usize,
    /// L, S, E and Ev.
    rows: usize,
    columns: usize,
    depth: usize,
    value_depth: usize,
    scale: f32,
    masks: Vec<BroadcastMask>,
    is_causal: bool,
    dropout: f32,
    dropout_seed: u64,
}

impl Layout {
    fn new(q: &Tensor, k: &Tensor, v: Option<&Tensor>, options: &AttentionOptions) -> Result<Self> {
        const OP: &str = "scaled_dot_product_attention";
        let (qs, ks) = (q.shape(), k.shape());
        if qs.len() < 2 || ks.len() != qs.len() || qs[..qs.len() - 2] != ks[..ks.len() - 2] {
            return Err(Error::shape_mismatch(
                OP,
                qs,
                ks,
                "q [batch…, L, E] and k [batch…, S, E] share their batch axes",
            ));
        }
        let rank = qs.len();
        let (rows, depth, columns) = (qs[rank - 2], qs[rank - 1], ks[rank - 2]);
        if ks[rank - 1] != depth {
            return Err(Error::shape_mismatch(OP, qs, ks, "q and k have the same last axis E"));
        }
        let value_depth = match v {
            Some(v) if v.ndim() != rank || v.shape()[..rank - 1] != ks[..rank - 1] => {
                return Err(Error::shape_mismatch(OP, ks, v.shape(), "v is [batch…, S, Ev] with k's batch axes and S"));
            }
            Some(v) => v.shape()[rank - 1],
            None => 0,
        };
        if !(0.0..1.0).contains(&options.dropout) {
            return Err(Error::invalid(OP, format!("dropout must lie in [0, 1), got {}", options.dropout)));
        }
        let scale = options.scale.unwrap_or(1.0 / (depth.max(1) as f32).sqrt());
        if !scale.is_finite() {
            return Err(Error::invalid(OP, format!("the scale must be finite, got {scale}")));
        }
        let batch = qs[..rank - 2].to_vec();
        let masks = options
            .masks
            .iter()
            .map(|m| BroadcastMask::new(OP, m, &batch, rows, columns))
            .collect::<Result<Vec<_>>>()?;
        Ok(Layout {
            batches: batch.iter().product(),
            batch,
            rows,
            columns,
            depth,
            value_depth,
            scale,
            masks,
            is_causal: options.is_causal,
            dropout: options.dropout,
            dropout_seed: options.dropout_seed,
        })
    }

    /// The scaled, masked scores of rows `start..start + count` of head batch `b` into `out`
    /// (`count × S`).
    fn scores(&self, b: usize, start: usize, count: usize, q: &[f32], k: &[f32], out: &mut [f32]) {
        let (e, s) = (self.depth, self.columns);
        let q_rows = &q[(b * self.rows + start) * e..(b * self.rows + start + count) * e];
        let k_b = &k[b * s * e..(b + 1) * s * e];
        matmul_into([count, s, e], Matrix::plain(q_rows), Matrix::transposed(k_b), out);
        for (i, row) in out.chunks_mut(s.max(1)).take(count).enumerate() {
            row.iter_mut().for_each(|v| *v *= self.scale);
            for mask in &self.masks {
                mask.add_row(b, start + i, row);
            }
            if self.is_causal {
                row.iter_mut().skip(start + i + 1).for_each(|v| *v = f32::NEG_INFINITY);
            }
        }
    }

    /// Whether dropout keeps weight `(b, i, j)`: a hash of the seed and the position, so the
    /// backward pass draws the same without storing the masks.
    fn keeps(&self, b: usize, i: usize, j: usize) -> bool {
        let index = ((b * self.rows + i) * self.columns + j) as u64;
        let mut z = self.dropout_seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 40) as f32) * (1.0 / (1u64 << 24) as f32) >= self.dropout
    }

    /// Applies dropout to rows `start..` of head batch `b`'s weights (or their gradient).
    fn drop_out(&self, b: usize, start: usize, block: &mut [f32]) {
        if self.dropout == 0.0 {
            return;
        }
        let keep = 1.0 / (1.0 - self.dropout);
        for (i, row) in block.chunks_mut(self.columns.max(1)).enumerate() {
            for (j, w) in row.iter_mut().enumerate() {
                *w = if self.keeps(b, start + i, j) { *w * keep } else { 0.0 };
            }
        }
    }
}

/// Softmax of one row of scores in place; returns its log-sum-exp (+∞ for a row that every
/// mask blocks, which becomes zeros).
fn softmax_in_place(row: &mut [f32]) -> f32 {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if max == f32::NEG_INFINITY {
        row.fill(0.0);
        return f32::INFINITY;
    }
    let mut sum = 0.0f32;
    for v in row.iter_mut() {
        *v = if *v == f32::NEG_INFINITY { 0.0 } else { nabla_tensor::math::exp(*v - max) };
        sum += *v;
    }
    let inverse = 1.0 / sum;
    row.iter_mut().for_each(|v| *v *= inverse);
    max + sum.ln()
}

/// The fused op: saves each row's log-sum-exp for backward.
struct Attention {
    layout: Layout,
    log_sum_exp: Vec<f32>,
}

impl Op for Attention {
    fn name(&self) -> &'static str {
        "scaled_dot_product_attention"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let layout = &self.layout;
        let (q, k, v) = (contiguous(inputs[0]), contiguous(inputs[1]), contiguous(inputs[2]));
        let (l, s, ev) = (layout.rows, layout.columns, layout.value_depth);
        let mut output = vec![0.0; layout.batches * l * ev];
        let mut log_sum_exp = vec![0.0; layout.batches * l];
        output.par_chunks_mut((l * ev).max(1)).zip(log_sum_exp.par_chunks_mut(l.max(1))).enumerate().for_each(
            |(b, (out, lse))| {
                let v_b = &v[b * s * ev..(b + 1) * s * ev];
                let mut weights = vec![0.0; ROW_BLOCK.min(l) * s];
                for start in (0..l).step_by(ROW_BLOCK) {
                    let count = ROW_BLOCK.min(l - start);
                    let block = &mut weights[..count * s];
                    layout.scores(b, start, count, &q, &k, block);
                    for (i, row) in block.chunks_mut(s.max(1)).enumerate() {
                        lse[start + i] = softmax_in_place(row);
                    }
                    layout.drop_out(b, start, block);
                    matmul_into([count, ev, s], Matrix::plain(block), Matrix::plain(v_b), &mut out[start * ev..]);
                }
            },
        );
        self.log_sum_exp = log_sum_exp;
        let mut shape = layout.batch.clone();
        shape.extend([l, ev]);
        Ok(ArrayD::from_shape_vec(IxDyn(&shape), output).expect("the output's length").into_shared())
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let layout = &self.layout;
        let (q, k, v) = (contiguous(&ctx.inputs[0]), contiguous(&ctx.inputs[1]), contiguous(&ctx.inputs[2]));
        let (out, grad_out) = (contiguous(ctx.output), contiguous(ctx.grad_output));
        let (l, s, e, ev) = (layout.rows, layout.columns, layout.depth, layout.value_depth);
        let mut dq = vec![0.0; layout.batches * l * e];
        let mut dk = vec![0.0; layout.batches * s * e];
        let mut dv = vec![0.0; layout.batches * s * ev];
        dq.par_chunks_mut((l * e).max(1))
            .zip(dk.par_chunks_mut((s * e).max(1)))
            .zip(dv.par_chunks_mut((s * ev).max(1)))
            .enumerate()
            .for_each(|(b, ((dq_b, dk_b), dv_b))| {
                let (k_b, v_b) = (&k[b * s * e..(b + 1) * s * e], &v[b * s * ev..(b + 1) * s * ev]);
                let block_rows = ROW_BLOCK.min(l);
                let (mut weights, mut grad_weights) = (vec![0.0; block_rows * s], vec![0.0; block_rows * s]);
                let mut partial = vec![0.0; s * e.max(ev)];
                for start in (0..l).step_by(ROW_BLOCK) {
                    let count = ROW_BLOCK.min(l - start);
                    let rows = b * l + start..b * l + start + count;
                    let (p, dp) = (&mut weights[..count * s], &mut grad_weights[..count * s]);
                    let q_rows = &q[rows.start * e..rows.end * e];
                    let (do_rows, o_rows) =
                        (&grad_out[rows.start * ev..rows.end * ev], &out[rows.start * ev..rows.end * ev]);
                    // The weights, from the saved log-sum-exp.
                    layout.scores(b, start, count, &q, &k, p);
                    for (i, row) in p.chunks_mut(s.max(1)).enumerate() {
                        let lse = self.log_sum_exp[rows.start + i];
                        row.iter_mut().for_each(|w| {
                            *w = if *w == f32::NEG_INFINITY || lse == f32::INFINITY {
                                0.0
                            } else {
                                nabla_tensor::math::exp(*w - lse)
                            }
                        });
                    }
                    // dV += dropout(P)ᵀ dO.
                    let dropped = if layout.dropout > 0.0 {
                        let mut dropped = p.to_vec();
                        layout.drop_out(b, start, &mut dropped);
                        std::borrow::Cow::Owned(dropped)
                    } else {
                        std::borrow::Cow::Borrowed(&p[..])
                    };
                    matmul_into([s, ev, count], Matrix::transposed(&dropped), Matrix::plain(do_rows), &mut partial);
                    dv_b.iter_mut().zip(&partial).for_each(|(d, p)| *d += p);
                    // dP = dropout'(dO Vᵀ); dS = P ∘ (dP − rowsum(dO ∘ O)) · scale.
                    matmul_into([count, s, ev], Matrix::plain(do_rows), Matrix::transposed(v_b), dp);
                    layout.drop_out(b, start, dp);
                    for (i, (dp_row, p_row)) in dp.chunks_mut(s.max(1)).zip(p.chunks(s.max(1))).enumerate() {
                        let d: f32 = do_rows[i * ev..(i + 1) * ev]
                            .iter()
                            .zip(&o_rows[i * ev..(i + 1) * ev])
                            .map(|(a, b)| a * b)
                            .sum();
                        dp_row.iter_mut().zip(p_row).for_each(|(g, &w)| *g = w * (*g - d) * layout.scale);
                    }
                    // dQ = dS K; dK += dSᵀ Q.
                    matmul_into([count, e, s], Matrix::plain(dp), Matrix::plain(k_b), &mut dq_b[start * e..]);
                    matmul_into([s, e, count], Matrix::transposed(dp), Matrix::plain(q_rows), &mut partial);
                    dk_b.iter_mut().zip(&partial).for_each(|(d, p)| *d += p);
                }
            });
        let shape = |last: usize, axis: usize| {
            let mut shape = layout.batch.clone();
            shape.extend([axis, last]);
            shape
        };
        let grads = [(dq, shape(e, l)), (dk, shape(e, s)), (dv, shape(ev, s))];
        Ok(grads
            .into_iter()
            .zip(ctx.needs_grad)
            .map(|((values, shape), &needed)| {
                needed.then(|| {
                    ArrayD::from_shape_vec(IxDyn(&shape), values).expect("the gradient's length").into_shared()
                })
            })
            .collect())
    }
}
