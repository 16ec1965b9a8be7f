//! # nabla-tensor
//!
//! The core of nabla: [`Tensor`], an n-dimensional `f32` array (ndarray inside, cheap to
//! clone, `Send + Sync`), with define-by-run reverse-mode automatic differentiation.
//!
//! - **Ops** with NumPy broadcasting: arithmetic ([`Tensor::add`] …, scalar forms, operator
//!   sugar), [`Tensor::powf`], [`Tensor::exp`], [`Tensor::log`], [`Tensor::sqrt`],
//!   [`Tensor::abs`], [`Tensor::clamp`], [`Tensor::maximum`], [`Tensor::minimum`];
//!   reductions over chosen axes ([`Tensor::sum`], [`Tensor::mean`], [`Tensor::max`],
//!   [`Tensor::min`], [`Tensor::var`]); [`Tensor::matmul`] (batched, broadcast); layout
//!   ([`Tensor::permute`], [`Tensor::transpose`], [`Tensor::reshape`], [`Tensor::flatten`],
//!   [`Tensor::squeeze`], [`Tensor::unsqueeze`], [`Tensor::broadcast_to`]); joining and
//!   indexing ([`Tensor::concat`], [`Tensor::stack`], [`Tensor::narrow`],
//!   [`Tensor::index_select`], [`Tensor::gather`]); [`Tensor::where_cond`], [`Tensor::pad`],
//!   [`Tensor::detach`].
//! - **Indices** ([`Indices`], PyTorch's `int64` index tensors): what indexing, the
//!   class-target losses and embeddings take, from any slice of `i64`, `usize` or `i32`;
//!   [`Tensor::argmax`], [`Tensor::argmin`] and [`Tensor::topk`] return them, [`one_hot`] turns
//!   them into rows. Categories are drawn by [`multinomial`] and [`sample_logits`]
//!   (temperature, top-k) with a seeded generator.
//! - **Autodiff**: ops on tracked tensors record themselves; [`Tensor::backward`] returns
//!   [`Gradients`] keyed by tensor. A tensor used twice accumulates both gradients; inside
//!   [`no_grad`] nothing is recorded; a graph lives exactly as long as the tensors that
//!   reference it.
//! - **Extension**: any crate adds a differentiable op by implementing [`Op`] (see its module
//!   docs for a complete example) and checks it with [`gradcheck`].
//! - **Errors**: every fallible function returns [`Result`] with an [`Error`] naming the op
//!   and the shapes.
//!
//! # Runtime behaviour
//!
//! What nabla keeps in the process between calls, how big it gets, and how to control it:
//!
//! | what | why | size | control |
//! |---|---|---|---|
//! | the buffer store ([`buffers`]) | freed tensors' buffers of at least 4,096 values, handed to the next op that needs that length, so a training step does not page-fault its heap back in | at most 256 MiB ([`buffers::DEFAULT_CAP_BYTES`]) | [`buffers::set_cap`], [`buffers::clear`], [`buffers::held_bytes`]; `NABLA_BUFFER_CAP_MB` sets the cap at start |
//! | the im2col table cache (nabla-conv) | each convolution geometry's gather offsets, made once | at most 48 MiB | `nabla_conv::set_table_cache_cap`, `clear_table_cache`, `table_cache_bytes` |
//! | matrix-multiply packing buffers | per thread that runs nabla's packed kernel, the packed panels of `A` and `B` | fixed: 4.5 MiB a thread on AVX-512 (256 × 504 and 256 × 4,096 values), 4.2 MiB on AVX2 (256 × 168 and 256 × 4,096) | freed when the thread ends |
//! | the instruction-set level ([`isa`]) | which version of each kernel runs: AVX-512, AVX2 with FMA, or the portable code | detected once | `NABLA_ISA=scalar\|avx2\|avx512` caps it; [`isa::level`] says which |
//! | rayon's global thread pool | every parallel kernel | one thread per core | [`set_thread_count`] before the first op, or `RAYON_NUM_THREADS` |
//! | polling threads | inside [`on_pool`], the pool's idle threads poll for work instead of sleeping, so each op does not wake them through the kernel; they yield the core after 1,024 idle polls and stop when the closure returns | the pool's threads, busy only while `on_pool` runs | run the loop outside `on_pool` to let them sleep |
//! | the unoptimised-build warning | one line on stderr at the first op of a build at opt-level 0 | once | `NABLA_NO_OPT_WARNING=1` |
//!
//! Nothing else is cached: a tensor's graph lives as long as the tensors that reference it
//! ([`live_tensor_count`] counts them).
//!
//! ```
//! use nabla_tensor::Tensor;
//! let w = Tensor::from_vec(vec![1.0, -2.0, 0.5, 3.0], &[2, 2])?.requires_grad(true);
//! let x = Tensor::from_vec(vec![1.0, 2.0], &[2, 1])?;
//! let loss = w.matmul(&x)?.powf(2.0)?.sum_all()?;
//! let grads = loss.backward()?;
//! assert_eq!(grads.get(&w).unwrap().shape(), &[2, 2]);
//! # Ok::<(), nabla_tensor::Error>(())
//! ```

mod autograd;
pub mod buffers;
mod denormal;
mod error;
mod gradcheck;
mod indices;
pub mod io;
pub mod isa;
mod kernels;
pub mod math;
mod op;
mod ops;
mod optimisation;
mod parallel;
mod random;
mod sample;
pub mod shape;
mod tensor;

pub use autograd::{Gradients, NoGradGuard, is_grad_enabled, no_grad};
pub use denormal::set_flush_denormal;
pub use error::{Error, Result, Shape};
pub use gradcheck::{GradcheckElement, GradcheckOptions, GradcheckReport, gradcheck};
pub use indices::{Indices, one_hot};
pub use op::{BackwardContext, Op};
pub use optimisation::{OPTIMIZED, UNOPTIMIZED_WARNING};
pub use parallel::{on_pool, set_thread_count};
pub use sample::{SamplingOptions, multinomial, sample_logits};
/// Matrix multiply on plain slices, for fused op kernels.
pub mod linalg {
    pub use crate::kernels::gemm::{Matrix, PackedRhs, matmul_into, matmul_packed};
}

/// Defines a kernel function that runs compiled for AVX-512 or AVX2 with FMA on CPUs that have
/// them (as [`isa::level`] allows), and as written elsewhere. The project builds for baseline
/// x86-64, whose vectors are SSE2's 4 lanes; a compute-bound loop (a rational tanh, say) then
/// runs 8 or 16 lanes wide. The results are the same bits at every level: Rust does not fuse a
/// multiply and an add unless told to.
///
/// ```
/// nabla_tensor::wide_kernel! {
///     /// Squares every value.
///     fn square(values: &mut [f32]) {
///         values.iter_mut().for_each(|v| *v *= *v);
///     }
/// }
/// let mut values = [3.0];
/// square(&mut values);
/// assert_eq!(values, [9.0]);
/// ```
#[macro_export]
macro_rules! wide_kernel {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) {
            // The body is inlined into each version below, so each is compiled for its target.
            #[inline(always)]
            fn body($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                fn avx512($($arg: $ty),*) {
                    body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) {
                    body($($arg),*)
                }
                match $crate::isa::level() {
                    // SAFETY: the CPU has AVX-512F.
                    $crate::isa::Isa::Avx512 => return unsafe { avx512($($arg),*) },
                    // SAFETY: the CPU has AVX2 and FMA.
                    $crate::isa::Isa::Avx2 => return unsafe { avx2($($arg),*) },
                    $crate::isa::Isa::Scalar => {}
                }
            }
            body($($arg),*)
        }
    };
}

/// Parallel element-wise maps for writing fused op kernels.
pub mod elementwise {
    pub use crate::kernels::elementwise::{
        PARALLEL_THRESHOLD, Pointwise, contiguous, fill_in_parallel, map1, map2, map3, zeros_written,
    };
}

pub use tensor::{Data, Tensor, TensorId, live_tensor_count};

/// ndarray, whose arrays hold a tensor's data.
pub use ndarray;
/// The random-number crate the constructors take generators from (`rand::rngs::StdRng`,
/// `rand::SeedableRng`).
pub use ndarray_rand::rand;
/// The distributions the random constructors draw from (`Normal`, `Uniform`, …).
pub use ndarray_rand::rand_distr;

/// The README's example, run as a doc test.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
