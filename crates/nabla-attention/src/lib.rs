//! # nabla-attention
//!
//! Attention and the transformer encoder for nabla, with PyTorch's semantics and parameter
//! layout:
//!
//! - [`scaled_dot_product_attention`] (`F.scaled_dot_product_attention`): one fused op over
//!   every head batch, forward and backward, with boolean and additive masks
//!   ([`AttentionMask`]), a causal mask, dropout on the weights and scale 1/√E. It keeps O(L)
//!   per head batch for backward; [`attention_weights`] gives the L×S weights when asked.
//! - [`MultiheadAttention`] (`nn.MultiheadAttention`): `in_proj_weight`, `in_proj_bias`,
//!   `out_proj.*`; `batch_first`; key-padding and attention masks; averaged or per-head
//!   weights as an optional output. Its heads go through the same fused op, which reads them
//!   where the input projection left them and writes their outputs side by side, so no
//!   permuted copies are made.
//! - [`TransformerEncoderLayer`] and [`TransformerEncoder`] (`nn.TransformerEncoderLayer`,
//!   `nn.TransformerEncoder`): norm first or last, ReLU or GELU, dropout; a PyTorch state dict
//!   loads strictly.
//! - [`SinusoidalPositionalEncoding`] and [`LearnedPositionalEncoding`].
//! - [`CausalTransformer`]: a small decoder-only language model built from them (the
//!   char-level example's, and W9's).

mod encoder;
mod language_model;
mod mask;
mod multihead;
mod positional;
mod sdpa;

pub use encoder::{EncoderLayerConfig, EncoderMasks, TransformerEncoder, TransformerEncoderLayer};
pub use language_model::{CausalTransformer, CausalTransformerConfig};
pub use mask::AttentionMask;
pub use multihead::{AttendOptions, MultiheadAttention, MultiheadAttentionConfig};
pub use positional::{LearnedPositionalEncoding, SinusoidalPositionalEncoding};
pub use sdpa::{AttentionOptions, attention_weights, scaled_dot_product_attention};
