//! The kernels behind the layers: im2col/col2im and the convolution op, pooling.

pub(crate) mod conv;
pub(crate) mod im2col;
pub(crate) mod pool;
