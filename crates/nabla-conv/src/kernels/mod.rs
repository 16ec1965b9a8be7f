//! The kernels behind the layers: im2col/col2im and the convolution op, pooling, resampling.

pub(crate) mod conv;
mod gather;
pub(crate) mod im2col;
pub(crate) mod pool;
pub(crate) mod resample;
mod stride2;
