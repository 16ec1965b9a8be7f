//! # nabla-conv
//!
//! Convolutional layers for nabla, with PyTorch's options, weight layouts and default
//! initialisation. Each convolution and pooling is one fused op with its own forward and
//! backward kernel (im2col plus one matrix multiply per group and chunk of images, small
//! images several to a product; col2im for the adjoint), parallel over the batch and channels.
//!
//! - [`Conv2d`]: stride, padding, dilation, groups, bias; `weight` `[out, in/groups, kh, kw]`.
//! - [`ConvTranspose2d`]: the same plus output padding; `weight` `[in, out/groups, kh, kw]`.
//! - [`Conv1d`] over `[N, C, L]`.
//! - [`MaxPool2d`], [`AvgPool2d`], [`AdaptiveAvgPool2d`].
//! - [`batch_norm_2d`]: `nn.BatchNorm2d` (nabla-nn's batch norm over `[N, C, H, W]`);
//!   [`InstanceNorm2d`].
//! - [`Upsample`] (nearest, bilinear; by scale or to a size), [`ReflectionPad2d`],
//!   [`ReplicationPad2d`].
//! - [`MnistCnn`]: workload W3's small CNN for 28×28 digits, which the classifier, the
//!   generated-digit judge and the benchmarks share.
//! - A process-wide cache of im2col offset tables by geometry (a training loop convolves the
//!   same shapes every step), at most [`DEFAULT_TABLE_CAP_BYTES`] (48 MiB): set its cap with
//!   [`set_table_cache_cap`], empty it with [`clear_table_cache`], read its size with
//!   [`table_cache_bytes`].

mod conv1d;
mod conv2d;
mod instance_norm;
mod kernels;
mod mnist_cnn;
mod pool;
mod resample;

pub use conv1d::{Conv1d, Conv1dConfig};
pub use conv2d::{Conv2d, Conv2dConfig, ConvTranspose2d};
pub use instance_norm::InstanceNorm2d;
pub use kernels::im2col::{DEFAULT_TABLE_CAP_BYTES, clear_table_cache, set_table_cache_cap, table_cache_bytes};
pub use mnist_cnn::MnistCnn;
pub use pool::{AdaptiveAvgPool2d, AvgPool2d, MaxPool2d, Pool2dConfig};
pub use resample::{ReflectionPad2d, ReplicationPad2d, Upsample, UpsampleMode, UpsampleSize};

/// `nn.BatchNorm2d`: batch normalisation of `[N, C, H, W]` per channel, with running statistics.
pub fn batch_norm_2d(config: nabla_nn::BatchNormConfig) -> nabla_nn::BatchNorm {
    nabla_nn::BatchNorm::with_ranks(config, &[4], "BatchNorm2d")
}

/// The README's example, run as a doc test.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
