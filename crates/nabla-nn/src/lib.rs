//! # nabla-nn
//!
//! Layers and models for nabla, with PyTorch's names, layouts, defaults and initialisation:
//!
//! - [`Module`]: forward, a visit over named parameters and buffers, train/eval mode.
//! - Layers: [`Linear`], [`Embedding`], [`Sequential`] (children `0`, `1`, …), [`Activation`] modules,
//!   [`Dropout`] (seeded), [`Flatten`], [`Unflatten`], [`LayerNorm`], [`BatchNorm`] via
//!   [`batch_norm_1d`].
//! - Initialisers in [`init`]: Xavier/Glorot and Kaiming/He, uniform and normal.
//! - [`Perceptron`]: Rosenblatt's perceptron and its learning rule.
//! - [`mlp`]: a multi-layer perceptron builder.
//! - State dicts as safetensors files ([`save`], [`load`], [`save_tensors`],
//!   [`load_tensors`]): PyTorch's key names, atomic writes, strict and non-strict loading that
//!   names every missing, unexpected and mismatched key. A state dict saved by PyTorch with
//!   `safetensors.torch.save_file` loads.

mod activation;
mod batch_norm;
mod batch_norm_op;
mod dropout;
mod embedding;
mod flatten;
pub mod init;
mod layer_norm;
mod linear;
mod mlp;
mod module;
mod perceptron;
mod rng;
mod sequential;
mod state_dict;
mod unflatten;

pub use activation::Activation;
pub use batch_norm::{BatchNorm, BatchNormConfig, batch_norm_1d};
pub use dropout::Dropout;
pub use embedding::{Embedding, EmbeddingConfig};
pub use flatten::Flatten;
pub use layer_norm::LayerNorm;
pub use linear::{Linear, LinearConfig};
pub use mlp::{MlpConfig, mlp};
pub use module::{
    Module, TensorKind, Visit, child_name, load_rng_states_of, parameters_of, rng_states_of, state_dict_of,
};
/// `#[derive(Module)]`: writes [`Visit`] from a struct's fields (see the [`nabla_derive`] crate
/// for the field attributes).
pub use nabla_derive::Module;
pub use perceptron::{Perceptron, PerceptronReport};
pub use rng::{ModuleRng, rng_from_text, rng_to_text};
pub use sequential::Sequential;
pub use state_dict::{
    LoadReport, NamedTensors, StateDictError, load, load_part, load_state_dict, load_tensors,
    load_tensors_with_metadata, prefixed, read_tensors, save, save_tensors, save_tensors_with_metadata,
    state_dict_part,
};
pub use unflatten::Unflatten;

/// What `#[derive(Module)]`'s generated code names, re-exported so that a crate deriving
/// through the `nabla` facade needs no direct dependency on nabla-tensor.
#[doc(hidden)]
pub mod derive_support {
    pub use nabla_tensor::Tensor;
}

/// The README's example, run as a doc test.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
