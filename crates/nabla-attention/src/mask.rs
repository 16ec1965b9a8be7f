//! Attention masks: boolean (which positions take part) or additive (added to the scores), and
//! their broadcast to every row of every head, read in place without materialising
//! `[batch…, L, S]`.

use nabla_tensor::elementwise::contiguous;
use nabla_tensor::{Error, Result, Tensor};

/// A mask over the attention scores `[…, L, S]`, broadcastable to them (`[L, S]`, `[N, 1, 1, S]`,
/// …). Masks are constants: no gradient flows into them.
#[derive(Debug, Clone)]
pub enum AttentionMask {
    /// `true` where a query may attend to a key (as `F.scaled_dot_product_attention`'s boolean
    /// `attn_mask`); a nonzero value counts as `true`.
    Allow(Tensor),
    /// `true` (nonzero) where a query may *not* attend to a key (as `nn.MultiheadAttention`'s
    /// boolean `attn_mask` and `key_padding_mask`).
    Block(Tensor),
    /// Added to the scores before the softmax (`-inf` blocks a position).
    Additive(Tensor),
}

impl AttentionMask {
    /// The mask's tensor.
    pub fn tensor(&self) -> &Tensor {
        match self {
            AttentionMask::Allow(t) | AttentionMask::Block(t) | AttentionMask::Additive(t) => t,
        }
    }

    /// The values added to the scores: 0 or −∞ for a boolean mask.
    pub(crate) fn additive_values(&self) -> Vec<f32> {
        let values = contiguous(&self.tensor().data()).into_owned();
        match self {
            AttentionMask::Allow(_) => values.iter().map(|&v| if v != 0.0 { 0.0 } else { f32::NEG_INFINITY }).collect(),
            AttentionMask::Block(_) => values.iter().map(|&v| if v != 0.0 { f32::NEG_INFINITY } else { 0.0 }).collect(),
            AttentionMask::Additive(_) => values,
        }
    }
}

/// An additive mask laid over scores `[batch…, L, S]`: the offset of each head batch's rows,
/// with stride 0 along every axis the mask broadcasts.
#[derive(Debug, Clone)]
pub(crate) struct BroadcastMask {
    values: Vec<f32>,
    /// The offset of head batch `b` (flattened over the batch axes).
    batch_offsets: Vec<usize>,
    row_stride: usize,
    column_stride: usize,
}

impl BroadcastMask {
    /// `mask` over scores of batch axes `batch`, `rows` queries and `columns` keys.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] naming `op` when the mask does not broadcast to the scores.
    pub(crate) fn new(
        op: &'static str,
        mask: &AttentionMask,
        batch: &[usize],
        rows: usize,
        columns: usize,
    ) -> Result<Self> {
        let shape = mask.tensor().shape();
        let mut full = batch.to_vec();
        full.extend([rows, columns]);
        let broadcasts =
            shape.len() <= full.len() && shape.iter().rev().zip(full.iter().rev()).all(|(&m, &f)| m == f || m == 1);
        if !broadcasts {
            return Err(Error::shape_mismatch(
                op,
                shape,
                &full,
                "the mask must broadcast to the scores [batch…, L, S]",
            ));
        }
        // Row-major strides of the mask, aligned to the scores' axes (0 where it broadcasts).
        let mut strides = vec![0usize; full.len()];
        let mut stride = 1;
        for (axis, &size) in shape.iter().enumerate().rev() {
            let aligned = axis + full.len() - shape.len();
            strides[aligned] = if size == 1 { 0 } else { stride };
            stride *= size;
        }
        let (row_stride, column_stride) = (strides[full.len() - 2], strides[full.len() - 1]);
        let batches: usize = batch.iter().product();
        let batch_offsets = (0..batches)
            .map(|b| {
                let (mut rest, mut offset) = (b, 0);
                for (axis, &size) in batch.iter().enumerate().rev() {
                    offset += (rest % size) * strides[axis];
                    rest /= size;
                }
                offset
            })
            .collect();
        Ok(BroadcastMask { values: mask.additive_values(), batch_offsets, row_stride, column_stride })
    }

    /// Adds row `row` of head batch `batch` to `scores`.
    pub(crate) fn add_row(&self, batch: usize, row: usize, scores: &mut [f32]) {
        let start = self.batch_offsets[batch] + row * self.row_stride;
        if self.column_stride == 1 {
            scores.iter_mut().zip(&self.values[start..]).for_each(|(s, m)| *s += m);
        } else {
            scores.iter_mut().enumerate().for_each(|(j, s)| *s += self.values[start + j * self.column_stride]);
        }
    }
}
