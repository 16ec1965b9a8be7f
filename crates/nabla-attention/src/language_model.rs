//! `CausalTransformer`: a small decoder-only language model — token embedding, learned
//! positions, a pre-norm transformer encoder under a causal mask, a final norm and a linear
//! read-out to one logit per token of the vocabulary. The char-level example, `nabla bench`'s
//! W9 and its criterion bench all build this one.

use nabla_nn::{Activation, Embedding, EmbeddingConfig, Linear, LinearConfig, Module};
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Indices, Result, Tensor};

use crate::{AttendOptions, EncoderLayerConfig, EncoderMasks, LearnedPositionalEncoding, TransformerEncoder};

/// The size of a [`CausalTransformer`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CausalTransformerConfig {
    pub vocab: usize,
    pub d_model: usize,
    pub heads: usize,
    pub layers: usize,
    pub feedforward: usize,
    /// The longest sequence it reads (the learned positions).
    pub context: usize,
    pub dropout: f32,
}

impl CausalTransformerConfig {
    /// W9 (docs/benchmarks.md): 4 layers, 4 heads, width 128, feed-forward 512, vocabulary 96,
    /// context 128, no dropout.
    pub fn w9() -> Self {
        CausalTransformerConfig {
            vocab: 96,
            d_model: 128,
            heads: 4,
            layers: 4,
            feedforward: 512,
            context: 128,
            dropout: 0.0,
        }
    }
}

/// `embedding` → `positions` → `encoder` (pre-norm, GELU, causal, with a final norm) → `head`.
#[derive(Debug, nabla_nn::Module)]
pub struct CausalTransformer {
    pub embedding: Embedding,
    pub positions: LearnedPositionalEncoding,
    pub encoder: TransformerEncoder,
    pub head: Linear,
    #[module(skip)]
    config: CausalTransformerConfig,
}

impl CausalTransformer {
    /// A model initialised from `rng`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty vocabulary or context, or a width the heads do
    /// not divide.
    pub fn new<R: Rng + ?Sized>(config: CausalTransformerConfig, rng: &mut R) -> Result<Self> {
        if config.vocab == 0 || config.context == 0 {
            return Err(Error::invalid("CausalTransformer", "needs a vocabulary and a context"));
        }
        let layer = EncoderLayerConfig {
            dim_feedforward: config.feedforward,
            dropout: config.dropout,
            activation: Activation::Gelu,
            batch_first: true,
            norm_first: true,
            ..EncoderLayerConfig::new(config.d_model, config.heads)
        };
        Ok(CausalTransformer {
            embedding: Embedding::new(EmbeddingConfig::new(config.vocab, config.d_model), rng)?,
            positions: LearnedPositionalEncoding::new(config.context, config.d_model, rng)?,
            encoder: TransformerEncoder::new(layer, config.layers, true, rng)?,
            head: Linear::new(LinearConfig::new(config.d_model, config.vocab), rng)?,
            config,
        })
    }

    pub fn config(&self) -> &CausalTransformerConfig {
        &self.config
    }

    /// Logits `[B, T, vocab]` for tokens `[B, T]` (T ≤ the context): each position sees
    /// itself and the positions before it.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a sequence longer than the context;
    /// [`Error::IndexOutOfRange`] for a token outside the vocabulary.
    pub fn logits(&self, tokens: &Indices) -> Result<Tensor> {
        let x = self.positions.forward(&self.embedding.lookup(tokens)?)?;
        let masks = EncoderMasks { is_causal: true, ..Default::default() };
        self.head.forward(&self.encoder.forward_masked(&x, &masks)?)
    }

    /// The attention weights of every head of layer `layer` over `tokens` `[T]`, `[heads, T, T]`
    /// (query rows, key columns), as the model reads them.
    ///
    /// # Errors
    /// As [`CausalTransformer::logits`]; [`Error::InvalidArgument`] for a layer it lacks.
    pub fn attention(&self, tokens: &[i64], layer: usize) -> Result<Tensor> {
        let Some(chosen) = self.encoder.layers.get(layer) else {
            return Err(Error::invalid(
                "CausalTransformer::attention",
                format!("no layer {layer} of {}", self.config.layers),
            ));
        };
        let indices = Indices::new(tokens.to_vec(), &[1, tokens.len()])?;
        let mut x = self.positions.forward(&self.embedding.lookup(&indices)?)?;
        let masks = EncoderMasks { is_causal: true, ..Default::default() };
        for earlier in &self.encoder.layers[..layer] {
            x = earlier.forward_masked(&x, &masks)?;
        }
        let h = chosen.norm1.forward(&x)?;
        let options =
            AttendOptions { is_causal: true, need_weights: true, average_attn_weights: false, ..AttendOptions::new() };
        let (_, weights) = chosen.self_attn.attend(&h, &h, &h, &options)?;
        weights.expect("asked for").squeeze(0)
    }
}

impl Module for CausalTransformer {
    /// Logits for tokens given as a tensor of whole numbers `[B, T]`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        self.logits(&Indices::from_tensor(input)?)
    }
}
