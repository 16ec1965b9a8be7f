//! `TransformerEncoderLayer` and `TransformerEncoder`: PyTorch's `nn.TransformerEncoderLayer`
//! (self-attention and a feed-forward block, each with dropout and a residual connection,
//! layer norm after them or before) and `nn.TransformerEncoder` (a stack with an optional final
//! norm), with PyTorch's parameter names, so a state dict loads strictly.

use nabla_nn::{Activation, Dropout, LayerNorm, Linear, LinearConfig, Module};
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor};

use crate::AttentionMask;
use crate::multihead::{AttendOptions, MultiheadAttention, MultiheadAttentionConfig};

/// The arguments of `nn.TransformerEncoderLayer`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncoderLayerConfig {
    pub d_model: usize,
    pub nhead: usize,
    /// The feed-forward block's width (PyTorch's default 2048).
    pub dim_feedforward: usize,
    /// Dropout on the attention weights, inside the feed-forward block and on both residual
    /// branches (PyTorch's default 0.1).
    pub dropout: f32,
    /// [`Activation::Relu`] (the default) or [`Activation::Gelu`], between the two linears.
    pub activation: Activation,
    pub layer_norm_eps: f32,
    pub batch_first: bool,
    /// Layer norm before each block (pre-norm) rather than after the residual sum.
    pub norm_first: bool,
    pub bias: bool,
}

impl EncoderLayerConfig {
    /// PyTorch's defaults for `d_model` and `nhead`.
    pub fn new(d_model: usize, nhead: usize) -> Self {
        EncoderLayerConfig {
            d_model,
            nhead,
            dim_feedforward: 2048,
            dropout: 0.1,
            activation: Activation::Relu,
            layer_norm_eps: 1e-5,
            batch_first: false,
            norm_first: false,
            bias: true,
        }
    }
}

/// The masks of an encoder's forward pass (`src_mask`, `src_key_padding_mask`, `is_causal`).
#[derive(Debug, Clone, Default)]
pub struct EncoderMasks {
    /// `[L, L]` or `[N·nhead, L, L]`.
    pub src_mask: Option<AttentionMask>,
    /// `[N, L]`.
    pub src_key_padding_mask: Option<AttentionMask>,
    /// Each position attends to itself and the positions before it.
    pub is_causal: bool,
}

/// `nn.TransformerEncoderLayer`: `self_attn`, `linear1`, `dropout`, `linear2`, `norm1`,
/// `norm2`, `dropout1`, `dropout2`.
#[derive(Debug, nabla_nn::Module)]
pub struct TransformerEncoderLayer {
    pub self_attn: MultiheadAttention,
    pub linear1: Linear,
    pub dropout: Dropout,
    pub linear2: Linear,
    pub norm1: LayerNorm,
    pub norm2: LayerNorm,
    pub dropout1: Dropout,
    pub dropout2: Dropout,
    #[module(skip)]
    config: EncoderLayerConfig,
}

impl TransformerEncoderLayer {
    /// A layer initialised as PyTorch does; the dropouts are seeded from `rng`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a `d_model` not divisible by `nhead`, a dropout outside
    /// [0, 1), or an activation other than ReLU and GELU.
    pub fn new<R: Rng + ?Sized>(config: EncoderLayerConfig, rng: &mut R) -> Result<Self> {
        if !matches!(config.activation, Activation::Relu | Activation::Gelu) {
            return Err(Error::invalid(
                "TransformerEncoderLayer",
                format!("the activation is ReLU or GELU (PyTorch's choices), got {:?}", config.activation),
            ));
        }
        let attention = MultiheadAttentionConfig {
            dropout: config.dropout,
            bias: config.bias,
            batch_first: config.batch_first,
            ..MultiheadAttentionConfig::new(config.d_model, config.nhead)
        };
        let linear = |i, o| LinearConfig { bias: config.bias, ..LinearConfig::new(i, o) };
        let norm = || {
            let mut norm = LayerNorm::new(&[config.d_model]);
            norm.eps = config.layer_norm_eps;
            norm
        };
        Ok(TransformerEncoderLayer {
            self_attn: MultiheadAttention::new(attention, rng)?,
            linear1: Linear::new(linear(config.d_model, config.dim_feedforward), rng)?,
            dropout: Dropout::new(config.dropout, rng.random())?,
            linear2: Linear::new(linear(config.dim_feedforward, config.d_model), rng)?,
            norm1: norm(),
            norm2: norm(),
            dropout1: Dropout::new(config.dropout, rng.random())?,
            dropout2: Dropout::new(config.dropout, rng.random())?,
            config,
        })
    }

    pub fn config(&self) -> &EncoderLayerConfig {
        &self.config
    }

    /// The layer over `src` (`[L, N, E]`, or `[N, L, E]` with `batch_first`).
    ///
    /// # Errors
    /// Shape errors from the attention and the linears.
    pub fn forward_masked(&self, src: &Tensor, masks: &EncoderMasks) -> Result<Tensor> {
        let attend = |x: &Tensor| -> Result<Tensor> {
            let options = AttendOptions {
                key_padding_mask: masks.src_key_padding_mask.clone(),
                attn_mask: masks.src_mask.clone(),
                is_causal: masks.is_causal,
                ..AttendOptions::new()
            };
            self.dropout1.forward(&self.self_attn.attend(x, x, x, &options)?.0)
        };
        let feed_forward = |x: &Tensor| -> Result<Tensor> {
            let hidden = self.dropout.forward(&self.config.activation.forward(&self.linear1.forward(x)?)?)?;
            self.dropout2.forward(&self.linear2.forward(&hidden)?)
        };
        if self.config.norm_first {
            let x = src.add(&attend(&self.norm1.forward(src)?)?)?;
            x.add(&feed_forward(&self.norm2.forward(&x)?)?)
        } else {
            let x = self.norm1.forward(&src.add(&attend(src)?)?)?;
            self.norm2.forward(&x.add(&feed_forward(&x)?)?)
        }
    }
}

impl Module for TransformerEncoderLayer {
    /// Without masks.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        self.forward_masked(input, &EncoderMasks::default())
    }
}

/// `nn.TransformerEncoder`: `layers.0`, `layers.1`, … and an optional final `norm`.
#[derive(Debug, nabla_nn::Module)]
pub struct TransformerEncoder {
    pub layers: Vec<TransformerEncoderLayer>,
    pub norm: Option<LayerNorm>,
}

impl TransformerEncoder {
    /// `num_layers` layers built from `config` (each initialised afresh from `rng`, as
    /// PyTorch's deep copies are then reset by the caller), with a final layer norm when
    /// `final_norm`.
    ///
    /// # Errors
    /// As [`TransformerEncoderLayer::new`].
    pub fn new<R: Rng + ?Sized>(
        config: EncoderLayerConfig,
        num_layers: usize,
        final_norm: bool,
        rng: &mut R,
    ) -> Result<Self> {
        let layers = (0..num_layers).map(|_| TransformerEncoderLayer::new(config, rng)).collect::<Result<Vec<_>>>()?;
        let norm = final_norm.then(|| {
            let mut norm = LayerNorm::new(&[config.d_model]);
            norm.eps = config.layer_norm_eps;
            norm
        });
        Ok(TransformerEncoder { layers, norm })
    }

    /// The stack over `src` with the same masks in every layer.
    ///
    /// # Errors
    /// As [`TransformerEncoderLayer::forward_masked`].
    pub fn forward_masked(&self, src: &Tensor, masks: &EncoderMasks) -> Result<Tensor> {
        let mut x = src.clone();
        for layer in &self.layers {
            x = layer.forward_masked(&x, masks)?;
        }
        match &self.norm {
            Some(norm) => norm.forward(&x),
            None => Ok(x),
        }
    }
}

impl Module for TransformerEncoder {
    /// Without masks.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        self.forward_masked(input, &EncoderMasks::default())
    }
}
