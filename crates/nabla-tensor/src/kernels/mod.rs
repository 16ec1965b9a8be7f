//! Compute kernels, apart from the public API that calls them.

#[cfg(all(target_arch = "x86_64", not(feature = "blas")))]
pub(crate) mod avx2;
#[cfg(all(target_arch = "x86_64", not(feature = "blas")))]
pub(crate) mod avx512;
pub(crate) mod elementwise;
pub(crate) mod gemm;
#[cfg(all(target_arch = "x86_64", not(feature = "blas")))]
pub(crate) mod packed;
pub(crate) mod reduce;
