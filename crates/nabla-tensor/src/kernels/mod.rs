//! Compute kernels, apart from the public API that calls them.

pub(crate) mod elementwise;
pub(crate) mod gemm;
pub(crate) mod reduce;
