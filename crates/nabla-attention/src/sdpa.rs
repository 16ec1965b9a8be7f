//! Scaled dot-product attention as one fused op, `softmax(Q Kᵀ · scale + mask) V` over every
//! head batch at once, with PyTorch's semantics (`F.scaled_dot_product_attention`): boolean and
//! additive masks, a causal mask, dropout on the weights, scale 1/√E by default.
//!
//! The forward pass works through blocks of query rows and keeps only each row's log-sum-exp;
//! the backward pass recomputes the weights block by block. So the memory kept for backward is
//! O(L) per head batch, and the O(L·S) weights exist only a block of rows at a time, unless
//! [`attention_weights`] is asked for them.
//!
//! The op reads each head where it lies ([`Source`]): multi-head attention hands it the
//! projections `[N, L, E]` (or the one self-attention projection `[N, L, 3E]`) with the heads
//! side by side in each row, and gets the heads' outputs side by side, `[N, L, E]`, with the
//! gradients in the projections' own layout. No permuted or narrowed copies are made around it.

use std::borrow::Cow;

use nabla_tensor::buffers;
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
    weights_of(&layout, &[q, k])
}

/// The projections multi-head attention attends over, `[N, T, E]` each, the heads side by side
/// along `E`.
pub(crate) enum Projections<'a> {
    /// Self-attention's one projection `[N, L, 3E]`: queries, keys and values in thirds.
    Packed(&'a Tensor),
    /// Queries `[N, L, E]`, keys and values `[N, S, E]`.
    Separate { q: &'a Tensor, k: &'a Tensor, v: &'a Tensor },
}

impl Projections<'_> {
    fn tensors(&self) -> Vec<&Tensor> {
        match self {
            Projections::Packed(qkv) => vec![qkv],
            Projections::Separate { q, k, v } => vec![q, k, v],
        }
    }
}

/// Attention of every head of `projections` (`heads` of `E / heads` columns each): the heads'
/// outputs side by side, `[N, L, E]`, and the weights `[N, heads, L, S]` when `weights`.
/// The masks broadcast to `[N, heads, L, S]`; the caller has checked the shapes.
///
/// # Errors
/// [`Error::ShapeMismatch`] for a mask that does not broadcast.
pub(crate) fn multi_head_attention(
    projections: &Projections<'_>,
    heads: usize,
    options: &AttentionOptions,
    weights: bool,
) -> Result<(Tensor, Option<Tensor>)> {
    let layout = Layout::heads(projections, heads, options)?;
    let tensors = projections.tensors();
    let weights = if weights {
        let layout = Layout { dropout: 0.0, ..layout.clone() };
        Some(weights_of(&layout, &tensors)?)
    } else {
        None
    };
    Ok((Tensor::apply(Attention { layout, log_sum_exp: Vec::new() }, &tensors)?, weights))
}

/// Where one operand's head batches lie in its input's values (row-major): head batch
/// `b = n · heads + h` holds its row `i` at `start(b, i)`, `width` values.
#[derive(Debug, Clone, Copy)]
struct Source {
    /// Which of the op's inputs.
    input: usize,
    /// Rows per head batch (L or S).
    len: usize,
    /// Values in a row of the input.
    row_len: usize,
    /// The first head's first column.
    column: usize,
    /// Columns per head (E or Ev).
    width: usize,
}

impl Source {
    fn start(&self, heads: usize, b: usize, i: usize) -> usize {
        let (n, h) = (b / heads, b % heads);
        (n * self.len + i) * self.row_len + self.column + h * self.width
    }

    /// Head batch `b`'s rows from `values`, as a `len × width` matrix in `into`.
    fn gather<'v>(&self, heads: usize, b: usize, values: &'v [f32], into: &'v mut Vec<f32>) -> &'v [f32] {
        let (len, width) = (self.len, self.width);
        if self.row_len == width {
            // The head batch's rows are one run already.
            let start = self.start(heads, b, 0);
            return &values[start..start + len * width];
        }
        into.clear();
        for i in 0..len {
            let start = self.start(heads, b, i);
            into.extend_from_slice(&values[start..start + width]);
        }
        into
    }

    /// Writes `rows` (`len × width`, or fewer rows from `first`) into head batch `b`'s rows of
    /// `out`.
    ///
    /// # Safety
    /// `out` holds the whole input this source describes, and no other thread writes or reads
    /// these rows of head batch `b` meanwhile.
    unsafe fn scatter(&self, heads: usize, b: usize, first: usize, rows: &[f32], out: SharedOut) {
        for (i, row) in rows.chunks_exact(self.width.max(1)).enumerate() {
            let start = self.start(heads, b, first + i);
            // SAFETY: the caller's guarantee; `start..start + width` lies in the input.
            unsafe { std::ptr::copy_nonoverlapping(row.as_ptr(), out.0.add(start), row.len()) };
        }
    }
}

/// A buffer the head batches write side by side (each its own columns of the rows).
#[derive(Clone, Copy)]
struct SharedOut(*mut f32);
// SAFETY: the threads write disjoint columns of it (see `Source::scatter`), while the call
// that owns the buffer waits for them.
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

/// The shapes of one call and its options, checked.
#[derive(Debug, Clone)]
struct Layout {
    /// The batch axes of the scores (`[N, heads]` for multi-head attention), for the masks and
    /// the weights' shape.
    batch: Vec<usize>,
    batches: usize,
    /// Heads side by side in each row of the inputs (1 for [`scaled_dot_product_attention`]).
    heads: usize,
    /// Queries, keys and values.
    sources: [Source; 3],
    /// The shape of the output, whose rows hold the heads' outputs side by side.
    output_shape: Vec<usize>,
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
        let batch = qs[..rank - 2].to_vec();
        let source = |input, len, width| Source { input, len, row_len: width, column: 0, width };
        let mut output_shape = batch.clone();
        output_shape.extend([rows, value_depth]);
        Self::checked(
            OP,
            batch,
            1,
            [source(0, rows, depth), source(1, columns, depth), source(2, columns, value_depth)],
            output_shape,
            options,
        )
    }

    /// The layout of [`multi_head_attention`].
    fn heads(projections: &Projections<'_>, heads: usize, options: &AttentionOptions) -> Result<Self> {
        let head = |input, len, row_len, column, e: usize| Source { input, len, row_len, column, width: e / heads };
        let (shape, sources) = match projections {
            Projections::Packed(qkv) => {
                let (l, e) = (qkv.shape()[1], qkv.shape()[2] / 3);
                (qkv.shape(), [head(0, l, 3 * e, 0, e), head(0, l, 3 * e, e, e), head(0, l, 3 * e, 2 * e, e)])
            }
            Projections::Separate { q, k, .. } => {
                let (l, s, e) = (q.shape()[1], k.shape()[1], q.shape()[2]);
                (q.shape(), [head(0, l, e, 0, e), head(1, s, e, 0, e), head(2, s, e, 0, e)])
            }
        };
        let output_shape = vec![shape[0], shape[1], sources[2].width * heads];
        Self::checked("MultiheadAttention", vec![shape[0], heads], heads, sources, output_shape, options)
    }

    fn checked(
        op: &'static str,
        batch: Vec<usize>,
        heads: usize,
        sources: [Source; 3],
        output_shape: Vec<usize>,
        options: &AttentionOptions,
    ) -> Result<Self> {
        let [q, k, v] = sources;
        if !(0.0..1.0).contains(&options.dropout) {
            return Err(Error::invalid(op, format!("dropout must lie in [0, 1), got {}", options.dropout)));
        }
        let scale = options.scale.unwrap_or(1.0 / (q.width.max(1) as f32).sqrt());
        if !scale.is_finite() {
            return Err(Error::invalid(op, format!("the scale must be finite, got {scale}")));
        }
        let masks = options
            .masks
            .iter()
            .map(|m| BroadcastMask::new(op, m, &batch, q.len, k.len))
            .collect::<Result<Vec<_>>>()?;
        Ok(Layout {
            batches: batch.iter().product(),
            batch,
            heads,
            sources,
            output_shape,
            rows: q.len,
            columns: k.len,
            depth: q.width,
            value_depth: v.width,
            scale,
            masks,
            is_causal: options.is_causal,
            dropout: options.dropout,
            dropout_seed: options.dropout_seed,
        })
    }

    /// The source of the output (and its gradient): the heads side by side in each row.
    fn output(&self) -> Source {
        let width = self.value_depth;
        Source { input: 0, len: self.rows, row_len: self.heads * width, column: 0, width }
    }

    /// The scaled, masked scores of rows `start..start + count` of head batch `b` into `out`
    /// (`count × S`), from its queries `q_b` (`L × E`) and keys `k_b` (`S × E`); the causal
    /// mask is left to the softmax, which reads only the keys each query may attend to.
    fn scores(&self, b: usize, start: usize, count: usize, q_b: &[f32], k_b: &[f32], out: &mut [f32]) {
        let (e, s) = (self.depth, self.columns);
        let q_rows = &q_b[start * e..(start + count) * e];
        matmul_into([count, s, e], Matrix::plain(q_rows), Matrix::transposed(k_b), out);
        for (i, row) in out.chunks_mut(s.max(1)).take(count).enumerate() {
            row.iter_mut().for_each(|v| *v *= self.scale);
            for mask in &self.masks {
                mask.add_row(b, start + i, row);
            }
        }
    }

    /// The first row of a block starting at query `start`, when the causal mask applies.
    fn causal_from(&self, start: usize) -> Option<usize> {
        self.is_causal.then_some(start)
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

/// Lanes of the sums in [`softmax_rows`]: independent partial sums, so that the loop runs in
/// whole vectors (a single running sum would keep it scalar).
const LANES: usize = 16;

/// The columns of row `i` of a block that can be attended to: all of them, or with a causal
/// mask the keys up to the query's own position `first_row + i`.
#[inline(always)]
fn attended(columns: usize, causal_first_row: Option<usize>, i: usize) -> usize {
    causal_first_row.map_or(columns, |first| (first + i + 1).min(columns))
}

nabla_tensor::wide_kernel! {
    /// Softmax of each row of scores in `block` in place, and each row's log-sum-exp into
    /// `log_sum_exp` (+∞ for a row that every mask blocks, which becomes zeros). With
    /// `causal_first_row`, the block's first row is that query, and the keys past each query
    /// (blocked) are neither exponentiated nor read.
    fn softmax_rows(block: &mut [f32], columns: usize, causal_first_row: Option<usize>, log_sum_exp: &mut [f32]) {
        for (i, (row, lse)) in block.chunks_mut(columns.max(1)).zip(log_sum_exp.iter_mut()).enumerate() {
            let (live, blocked) = row.split_at_mut(attended(columns, causal_first_row, i));
            blocked.fill(0.0);
            let max = live.iter().fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
            if max == f32::NEG_INFINITY {
                live.fill(0.0);
                *lse = f32::INFINITY;
                continue;
            }
            let mut sums = [0.0f32; LANES];
            let mut chunks = live.chunks_exact_mut(LANES);
            for chunk in &mut chunks {
                for (v, sum) in chunk.iter_mut().zip(&mut sums) {
                    *v = if *v == f32::NEG_INFINITY { 0.0 } else { nabla_tensor::math::exp(*v - max) };
                    *sum += *v;
                }
            }
            for (v, sum) in chunks.into_remainder().iter_mut().zip(&mut sums) {
                *v = if *v == f32::NEG_INFINITY { 0.0 } else { nabla_tensor::math::exp(*v - max) };
                *sum += *v;
            }
            let sum: f32 = sums.iter().sum();
            let inverse = 1.0 / sum;
            live.iter_mut().for_each(|v| *v *= inverse);
            *lse = max + sum.ln();
        }
    }
}

nabla_tensor::wide_kernel! {
    /// The weights again from the scores in `block` and each row's saved log-sum-exp, as
    /// [`softmax_rows`] left them.
    fn weights_from_log_sum_exp(block: &mut [f32], columns: usize, causal_first_row: Option<usize>, log_sum_exp: &[f32]) {
        for (i, (row, &lse)) in block.chunks_mut(columns.max(1)).zip(log_sum_exp).enumerate() {
            let (live, blocked) = row.split_at_mut(attended(columns, causal_first_row, i));
            blocked.fill(0.0);
            if lse == f32::INFINITY {
                live.fill(0.0);
                continue;
            }
            live.iter_mut().for_each(|w| {
                *w = if *w == f32::NEG_INFINITY { 0.0 } else { nabla_tensor::math::exp(*w - lse) }
            });
        }
    }
}

nabla_tensor::wide_kernel! {
    /// The scores' gradient `dS = P ∘ (dP − d) · scale` in place of `dP` in `grad`, with `P` in
    /// `weights` and each row's `d = rowsum(dO ∘ O)` in `row_dots`.
    fn score_gradients(grad: &mut [f32], weights: &[f32], columns: usize, row_dots: &[f32], scale: f32) {
        let rows = grad.chunks_mut(columns.max(1)).zip(weights.chunks(columns.max(1)));
        for ((grad_row, weight_row), &d) in rows.zip(row_dots) {
            grad_row.iter_mut().zip(weight_row).for_each(|(g, &w)| *g = w * (*g - d) * scale);
        }
    }
}

/// The weights of every head batch of `layout` over `inputs`, `[batch…, L, S]`.
fn weights_of(layout: &Layout, inputs: &[&Tensor]) -> Result<Tensor> {
    let data: Vec<Data> = inputs.iter().map(|t| t.data()).collect();
    let values: Vec<Cow<'_, [f32]>> = data.iter().map(contiguous).collect();
    let Layout { batches, heads, rows, columns, sources: [q, k, _], .. } = *layout;
    let mut weights = vec![0.0; batches * rows * columns];
    no_grad(|| {
        weights.par_chunks_mut((rows * columns).max(1)).enumerate().for_each_init(
            Scratch::default,
            |scratch, (b, out)| {
                let q_b = q.gather(heads, b, &values[q.input], &mut scratch.q);
                let k_b = k.gather(heads, b, &values[k.input], &mut scratch.k);
                for start in (0..rows).step_by(ROW_BLOCK) {
                    let count = ROW_BLOCK.min(rows - start);
                    let block = &mut out[start * columns..(start + count) * columns];
                    layout.scores(b, start, count, q_b, k_b, block);
                    let lse = sized(&mut scratch.lse, count, false);
                    softmax_rows(block, columns, layout.causal_from(start), lse);
                }
            },
        )
    });
    let mut shape = layout.batch.clone();
    shape.extend([rows, columns]);
    Tensor::from_vec(weights, &shape)
}

/// A thread's working memory, kept across the head batches it takes.
#[derive(Default)]
struct Scratch {
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    out: Vec<f32>,
    grad_out: Vec<f32>,
    weights: Vec<f32>,
    grad_weights: Vec<f32>,
    partial: Vec<f32>,
    lse: Vec<f32>,
    row_dots: Vec<f32>,
    dq: Vec<f32>,
    dk: Vec<f32>,
    dv: Vec<f32>,
}

/// `buffer` resized to `len` values (its contents are overwritten by the caller or summed into
/// from zero when `zero`).
fn sized(buffer: &mut Vec<f32>, len: usize, zero: bool) -> &mut [f32] {
    if zero {
        buffer.clear();
    }
    buffer.resize(len, 0.0);
    &mut buffer[..len]
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
        let values: Vec<Cow<'_, [f32]>> = inputs.iter().map(|d| contiguous(d)).collect();
        let Layout { heads, rows: l, columns: s, value_depth: ev, sources: [q, k, v], .. } = *layout;
        let out_source = layout.output();
        // Every value is written: each head batch its own columns of every row.
        let mut output = buffers::buffer(layout.output_shape.iter().product());
        let shared = SharedOut(output.as_mut_ptr());
        let mut log_sum_exp = vec![0.0; layout.batches * l];
        log_sum_exp.par_chunks_mut(l.max(1)).enumerate().for_each_init(Scratch::default, |scratch, (b, lse)| {
            let q_b = q.gather(heads, b, &values[q.input], &mut scratch.q);
            let k_b = k.gather(heads, b, &values[k.input], &mut scratch.k);
            let v_b = v.gather(heads, b, &values[v.input], &mut scratch.v);
            for start in (0..l).step_by(ROW_BLOCK) {
                let count = ROW_BLOCK.min(l - start);
                let block = sized(&mut scratch.weights, count * s, false);
                layout.scores(b, start, count, q_b, k_b, block);
                softmax_rows(block, s, layout.causal_from(start), &mut lse[start..start + count]);
                layout.drop_out(b, start, block);
                let out = sized(&mut scratch.out, count * ev, false);
                matmul_into([count, ev, s], Matrix::plain(block), Matrix::plain(v_b), out);
                // SAFETY: `output` holds the output; these rows of head batch `b` are this
                // task's alone.
                unsafe { out_source.scatter(heads, b, start, out, shared) };
            }
        });
        self.log_sum_exp = log_sum_exp;
        Ok(ArrayD::from_shape_vec(IxDyn(&layout.output_shape), output).expect("the output's length").into_shared())
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let layout = &self.layout;
        let values: Vec<Cow<'_, [f32]>> = ctx.inputs.iter().map(contiguous).collect();
        let (out, grad_out) = (contiguous(ctx.output), contiguous(ctx.grad_output));
        let Layout { heads, rows: l, columns: s, depth: e, value_depth: ev, sources: [q, k, v], .. } = *layout;
        let o = layout.output();
        // Every value of every gradient is written: the sources cover their inputs' columns.
        let mut grads: Vec<Vec<f32>> = ctx.inputs.iter().map(|input| buffers::buffer(input.len())).collect();
        let shared: Vec<SharedOut> = grads.iter_mut().map(|g| SharedOut(g.as_mut_ptr())).collect();
        (0..layout.batches).into_par_iter().for_each_init(Scratch::default, |scratch, b| {
            let Scratch {
                q: q_s,
                k: k_s,
                v: v_s,
                out: o_s,
                grad_out: do_s,
                weights,
                grad_weights,
                partial,
                row_dots,
                dq,
                dk,
                dv,
                ..
            } = scratch;
            let q_b = q.gather(heads, b, &values[q.input], q_s);
            let k_b = k.gather(heads, b, &values[k.input], k_s);
            let v_b = v.gather(heads, b, &values[v.input], v_s);
            let o_b = o.gather(heads, b, &out, o_s);
            let do_b = o.gather(heads, b, &grad_out, do_s);
            let (dk_b, dv_b) = (sized(dk, s * e, true), sized(dv, s * ev, true));
            for start in (0..l).step_by(ROW_BLOCK) {
                let count = ROW_BLOCK.min(l - start);
                let p = sized(weights, count * s, false);
                let dp = sized(grad_weights, count * s, false);
                let q_rows = &q_b[start * e..(start + count) * e];
                let (do_rows, o_rows) =
                    (&do_b[start * ev..(start + count) * ev], &o_b[start * ev..(start + count) * ev]);
                // The weights, from the saved log-sum-exp.
                layout.scores(b, start, count, q_b, k_b, p);
                let lse = &self.log_sum_exp[b * l + start..b * l + start + count];
                weights_from_log_sum_exp(p, s, layout.causal_from(start), lse);
                // dV += dropout(P)ᵀ dO.
                let dropped = if layout.dropout > 0.0 {
                    let mut dropped = p.to_vec();
                    layout.drop_out(b, start, &mut dropped);
                    Cow::Owned(dropped)
                } else {
                    Cow::Borrowed(&p[..])
                };
                let part = sized(partial, s * e.max(ev), false);
                matmul_into([s, ev, count], Matrix::transposed(&dropped), Matrix::plain(do_rows), part);
                dv_b.iter_mut().zip(part.iter()).for_each(|(d, p)| *d += p);
                // dP = dropout'(dO Vᵀ); dS = P ∘ (dP − rowsum(dO ∘ O)) · scale.
                matmul_into([count, s, ev], Matrix::plain(do_rows), Matrix::transposed(v_b), dp);
                layout.drop_out(b, start, dp);
                let dots = sized(row_dots, count, false);
                for (i, dot) in dots.iter_mut().enumerate() {
                    let (do_row, o_row) = (&do_rows[i * ev..(i + 1) * ev], &o_rows[i * ev..(i + 1) * ev]);
                    *dot = do_row.iter().zip(o_row).map(|(a, b)| a * b).sum();
                }
                score_gradients(dp, p, s, dots, layout.scale);
                // dQ = dS K; dK += dSᵀ Q.
                let dq_rows = sized(dq, count * e, false);
                matmul_into([count, e, s], Matrix::plain(dp), Matrix::plain(k_b), dq_rows);
                // SAFETY: the gradient buffers hold their inputs; these rows of head batch `b`
                // are this task's alone.
                unsafe { q.scatter(heads, b, start, dq_rows, shared[q.input]) };
                matmul_into([s, e, count], Matrix::transposed(dp), Matrix::plain(q_rows), part);
                dk_b.iter_mut().zip(part.iter()).for_each(|(d, p)| *d += p);
            }
            // SAFETY: as for the queries' rows above.
            unsafe {
                k.scatter(heads, b, 0, dk_b, shared[k.input]);
                v.scatter(heads, b, 0, dv_b, shared[v.input]);
            }
        });
        Ok(grads
            .into_iter()
            .zip(ctx.inputs)
            .zip(ctx.needs_grad)
            .map(|((values, input), &needed)| {
                if !needed {
                    buffers::give(values);
                    return None;
                }
                Some(ArrayD::from_shape_vec(input.raw_dim(), values).expect("the gradient's length").into_shared())
            })
            .collect())
    }
}
