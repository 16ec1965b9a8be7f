//! `MultiheadAttention`: PyTorch's `nn.MultiheadAttention`, with its parameter layout
//! (`in_proj_weight`, `in_proj_bias`, `out_proj.*`), `batch_first`, key-padding and attention
//! masks, and the averaged (or per-head) attention weights as an optional output.

use nabla_nn::init::xavier_uniform;
use nabla_nn::{Linear, LinearConfig, Module, ModuleRng};
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor};

use crate::AttentionMask;
use crate::sdpa::{AttentionOptions, Projections, multi_head_attention};

/// The shape and options of a [`MultiheadAttention`] (PyTorch's constructor arguments).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MultiheadAttentionConfig {
    pub embed_dim: usize,
    pub num_heads: usize,
    /// Dropout on the attention weights in training mode (default 0).
    pub dropout: f32,
    /// Biases on the input and output projections (default true).
    pub bias: bool,
    /// Inputs and outputs `[N, L, E]` rather than PyTorch's default `[L, N, E]`.
    pub batch_first: bool,
}

impl MultiheadAttentionConfig {
    /// `embed_dim` split over `num_heads`, with PyTorch's defaults.
    pub fn new(embed_dim: usize, num_heads: usize) -> Self {
        MultiheadAttentionConfig { embed_dim, num_heads, dropout: 0.0, bias: true, batch_first: false }
    }
}

/// The masks and outputs of one [`MultiheadAttention::attend`] call (PyTorch's keyword
/// arguments). Boolean masks say which way they point: [`AttentionMask::Block`] is PyTorch's
/// boolean `attn_mask` and `key_padding_mask` (`true`: not attended).
#[derive(Debug, Clone, Default)]
pub struct AttendOptions {
    /// `[N, S]` (or `[S]` for an unbatched input).
    pub key_padding_mask: Option<AttentionMask>,
    /// `[L, S]` or `[N·num_heads, L, S]`.
    pub attn_mask: Option<AttentionMask>,
    /// Queries attend to keys `0..=i` only (PyTorch takes this as a hint beside a causal
    /// `attn_mask`; here it is the mask itself, so `attn_mask` may be left out).
    pub is_causal: bool,
    /// Also return the attention weights, `[N, L, S]` averaged over the heads or
    /// `[N, num_heads, L, S]`; the only place memory grows as L·S.
    pub need_weights: bool,
    /// Average the returned weights over the heads (PyTorch's default, true).
    pub average_attn_weights: bool,
}

impl AttendOptions {
    /// No masks, no weights returned (`need_weights=False`).
    pub fn new() -> Self {
        AttendOptions { average_attn_weights: true, ..Default::default() }
    }
}

/// `nn.MultiheadAttention(embed_dim, num_heads, dropout, bias, batch_first=…)` with `kdim` and
/// `vdim` equal to `embed_dim`: the query, key and value projections stacked in
/// `in_proj_weight` `[3E, E]` (and `in_proj_bias` `[3E]`), the heads' outputs joined by
/// `out_proj`.
#[derive(Debug, nabla_nn::Module)]
pub struct MultiheadAttention {
    pub in_proj_weight: Tensor,
    pub in_proj_bias: Option<Tensor>,
    pub out_proj: Linear,
    #[module(skip)]
    config: MultiheadAttentionConfig,
    #[module(training)]
    training: bool,
    /// Seeds the attention-weight dropout of each call.
    rng: ModuleRng,
}

impl MultiheadAttention {
    /// PyTorch's initialisation: `in_proj_weight` Xavier-uniform, `out_proj.weight` as a
    /// `Linear`'s, both biases zero. The dropout generator is seeded from `rng`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `embed_dim` is 0 or not divisible by `num_heads`, or the
    /// dropout lies outside [0, 1).
    pub fn new<R: Rng + ?Sized>(config: MultiheadAttentionConfig, rng: &mut R) -> Result<Self> {
        let (e, h) = (config.embed_dim, config.num_heads);
        if e == 0 || h == 0 || !e.is_multiple_of(h) {
            return Err(Error::invalid(
                "MultiheadAttention",
                format!("embed_dim {e} must be positive and divisible by num_heads {h}"),
            ));
        }
        if !(0.0..1.0).contains(&config.dropout) {
            return Err(Error::invalid(
                "MultiheadAttention",
                format!("dropout must lie in [0, 1), got {}", config.dropout),
            ));
        }
        let in_proj_weight = xavier_uniform(&[3 * e, e], 1.0, rng)?.requires_grad(true);
        let in_proj_bias = config.bias.then(|| Tensor::zeros(&[3 * e]).requires_grad(true));
        let mut out_proj = Linear::new(LinearConfig { bias: config.bias, ..LinearConfig::new(e, e) }, rng)?;
        if let Some(bias) = &out_proj.bias {
            out_proj.bias = Some(Tensor::zeros(bias.shape()).requires_grad(true));
        }
        let rng = ModuleRng::new(rng.random());
        Ok(MultiheadAttention { in_proj_weight, in_proj_bias, out_proj, config, training: true, rng })
    }

    pub fn config(&self) -> &MultiheadAttentionConfig {
        &self.config
    }

    /// Attention of `query` `[L, N, E]` over `key` and `value` `[S, N, E]` (`[N, L, E]` and
    /// `[N, S, E]` with `batch_first`; `[L, E]` and `[S, E]` unbatched): the output, of the
    /// query's shape, and the weights when `options.need_weights`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for inputs or masks of the wrong shape.
    pub fn attend(
        &self,
        query: &Tensor,
        key: &Tensor,
        value: &Tensor,
        options: &AttendOptions,
    ) -> Result<(Tensor, Option<Tensor>)> {
        const OP: &str = "MultiheadAttention";
        let (e, h) = (self.config.embed_dim, self.config.num_heads);
        let unbatched = query.ndim() == 2;
        let expected_rank = if unbatched { 2 } else { 3 };
        for (name, t) in [("query", query), ("key", key), ("value", value)] {
            if t.ndim() != expected_rank || t.shape().last() != Some(&e) {
                return Err(Error::shape_mismatch(
                    OP,
                    t.shape(),
                    &[e],
                    format!("{name} must be [L, N, E] (or [N, L, E] with batch_first, or [L, E]) with E = {e}"),
                ));
            }
        }
        if key.shape() != value.shape() {
            return Err(Error::shape_mismatch(OP, key.shape(), value.shape(), "key and value have the same shape"));
        }
        // Batch-first `[N, L, E]` from here on.
        let to_batch_first = |t: &Tensor| -> Result<Tensor> {
            match (unbatched, self.config.batch_first) {
                (true, _) => t.unsqueeze(0),
                (false, true) => Ok(t.clone()),
                (false, false) => t.transpose(0, 1),
            }
        };
        let (q, k, v) = (to_batch_first(query)?, to_batch_first(key)?, to_batch_first(value)?);
        if q.shape()[0] != k.shape()[0] {
            return Err(Error::shape_mismatch(
                OP,
                query.shape(),
                key.shape(),
                "query and key have the same batch size",
            ));
        }
        let (n, l, s) = (q.shape()[0], q.shape()[1], k.shape()[1]);
        let mut masks = Vec::new();
        if let Some(mask) = &options.key_padding_mask {
            let expected: &[usize] = if unbatched { &[s] } else { &[n, s] };
            if mask.tensor().shape() != expected {
                return Err(Error::shape_mismatch(OP, mask.tensor().shape(), expected, "key_padding_mask is [N, S]"));
            }
            masks.push(with_tensor(mask, mask.tensor().reshape(&[n as isize, 1, 1, s as isize])?));
        }
        if let Some(mask) = &options.attn_mask {
            let shape = mask.tensor().shape();
            let reshaped = if shape == [l, s] {
                mask.tensor().clone()
            } else if shape == [n * h, l, s] {
                mask.tensor().reshape(&[n as isize, h as isize, l as isize, s as isize])?
            } else {
                return Err(Error::shape_mismatch(
                    OP,
                    shape,
                    &[l, s],
                    format!("attn_mask is [L, S] or [N·heads = {}, L, S]", n * h),
                ));
            };
            masks.push(with_tensor(mask, reshaped));
        }
        let dropout = if self.training { self.config.dropout } else { 0.0 };
        let attention = AttentionOptions {
            masks,
            dropout,
            dropout_seed: if dropout > 0.0 { self.rng.with(|r| r.random()) } else { 0 },
            is_causal: options.is_causal,
            scale: None,
        };
        // The heads are read and written side by side in the projections' rows: `[N, L, E]`
        // out, the heads' outputs joined, ready for the output projection.
        let (output, weights) = if query.id() == key.id() && key.id() == value.id() {
            let qkv = self.in_projection(&q, 0, 3)?;
            multi_head_attention(&Projections::Packed(&qkv), h, &attention, options.need_weights)?
        } else {
            let (q, k, v) =
                (self.in_projection(&q, 0, 1)?, self.in_projection(&k, 1, 1)?, self.in_projection(&v, 2, 1)?);
            multi_head_attention(&Projections::Separate { q: &q, k: &k, v: &v }, h, &attention, options.need_weights)?
        };
        let weights = match weights {
            Some(weights) => {
                let weights = if options.average_attn_weights { weights.mean(&[1], false)? } else { weights };
                Some(if unbatched { weights.squeeze(0)? } else { weights })
            }
            None => None,
        };
        let output = self.out_proj.forward(&output)?;
        let output = match (unbatched, self.config.batch_first) {
            (true, _) => output.squeeze(0)?,
            (false, true) => output,
            (false, false) => output.transpose(0, 1)?,
        };
        Ok((output, weights))
    }

    /// `x` through `count` consecutive thirds of the input projection from third `first`: all
    /// three at once for self-attention (one product), or the query's, key's or value's.
    fn in_projection(&self, x: &Tensor, first: usize, count: usize) -> Result<Tensor> {
        let e = self.config.embed_dim;
        let part = |t: &Tensor| -> Result<Tensor> {
            if count == 3 { Ok(t.clone()) } else { t.narrow(0, first * e, count * e) }
        };
        let bias = self.in_proj_bias.as_ref().map(part).transpose()?;
        Linear { weight: part(&self.in_proj_weight)?, bias }.forward(x)
    }
}

/// `mask`'s kind over another tensor.
fn with_tensor(mask: &AttentionMask, tensor: Tensor) -> AttentionMask {
    match mask {
        AttentionMask::Allow(_) => AttentionMask::Allow(tensor),
        AttentionMask::Block(_) => AttentionMask::Block(tensor),
        AttentionMask::Additive(_) => AttentionMask::Additive(tensor),
    }
}

impl Module for MultiheadAttention {
    /// Self-attention without masks: `attend(x, x, x)`'s output.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        Ok(self.attend(input, input, input, &AttendOptions::new())?.0)
    }
}
