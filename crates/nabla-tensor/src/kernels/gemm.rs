//! Matrix multiply: a batched driver over broadcast batch dimensions, and the single-matrix
//! kernel it calls — nabla's own packed kernel on CPUs with AVX2 or AVX-512 and the `gemm`
//! crate elsewhere and for small products, or the system OpenBLAS with the `blas` feature
//! (docs/performance.md has the measurements behind the choice).

use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

#[cfg(all(target_arch = "x86_64", not(feature = "blas")))]
use super::{avx2::Avx2, avx512::Avx512};
#[cfg(all(target_arch = "x86_64", not(feature = "blas")))]
use crate::isa::Isa;
use crate::shape::contiguous_strides;

/// A row-major operand: its values, its shape `[batch..., rows, cols]`, and whether the
/// multiply uses its transpose.
pub(crate) struct Operand<'a> {
    pub values: &'a [f32],
    pub shape: &'a [usize],
    pub transpose: bool,
}

impl Operand<'_> {
    /// Rows and columns of the matrix the multiply sees (after the transpose, if any).
    fn logical_dims(&self) -> (usize, usize) {
        let (r, c) = (self.shape[self.shape.len() - 2], self.shape[self.shape.len() - 1]);
        if self.transpose { (c, r) } else { (r, c) }
    }

    /// (row stride, column stride) of the logical matrix within its storage.
    fn strides(&self) -> (usize, usize) {
        let cols = self.shape[self.shape.len() - 1];
        if self.transpose { (1, cols) } else { (cols, 1) }
    }

    /// Element offset of the matrix for each output batch index (broadcast batch axes repeat).
    fn batch_offsets(&self, batch_shape: &[usize]) -> Vec<usize> {
        let own_batch = &self.shape[..self.shape.len() - 2];
        let matrix_len = self.shape[self.shape.len() - 2] * self.shape[self.shape.len() - 1];
        let own_strides: Vec<usize> = contiguous_strides(own_batch).iter().map(|s| s * matrix_len).collect();
        let lead = batch_shape.len() - own_batch.len();
        let count: usize = batch_shape.iter().product();
        (0..count)
            .map(|flat| {
                let mut rest = flat;
                let mut offset = 0;
                for axis in (0..batch_shape.len()).rev() {
                    let index = rest % batch_shape[axis];
                    rest /= batch_shape[axis];
                    if axis >= lead && own_batch[axis - lead] != 1 {
                        offset += index * own_strides[axis - lead];
                    }
                }
                offset
            })
            .collect()
    }
}

/// Work (m·n·k) from which one multiply is worth splitting across threads: 2^21 multiply-adds,
/// so that W2's and W8's layer products (2–13 million) use both cores. With the `gemm` crate
/// under them, 2^24 had been better (W2 2.9 → 2.2 ms when the line moved up from 2^18); nabla's
/// own kernels split more cheaply, and inside `on_pool` the idle threads take their share at
/// once: 2^21 against 2^24, medians of 6–8 interleaved runs with 2 threads, W2 1.04 → 0.85 ms,
/// W5 19.5 → 17.2 ms, W8 2.95 → 2.80 ms on AVX-512 and W2 1.39 → 1.17 ms on AVX2; 2^19 lost
/// it again (W2 1.02 ms).
const PARALLEL_WORK: usize = 1 << 21;

/// `a @ b` for each index of `batch_shape`, giving `[batch..., m, n]`. The caller has checked
/// that the inner dimensions agree and the batch shapes broadcast to `batch_shape`.
pub(crate) fn batched_matmul(a: &Operand<'_>, b: &Operand<'_>, batch_shape: &[usize]) -> ArrayD<f32> {
    let ((m, k), (_, n)) = (a.logical_dims(), b.logical_dims());
    let a_offsets = a.batch_offsets(batch_shape);
    let b_offsets = b.batch_offsets(batch_shape);
    let mut out_shape = batch_shape.to_vec();
    out_shape.extend([m, n]);
    let len = out_shape.iter().product();
    if m * n == 0 {
        return ArrayD::<f32>::zeros(IxDyn(&out_shape));
    }
    // Every value is written by the multiply below.
    let mut out =
        ArrayD::from_shape_vec(IxDyn(&out_shape), crate::buffers::buffer(len)).expect("one value per element");
    let out_values = out.as_slice_mut().expect("fresh array is contiguous");
    let (a_rs, a_cs) = a.strides();
    let (b_rs, b_cs) = b.strides();
    let one = |index: usize, c: &mut [f32], threads: usize| {
        let a_mat = MatRef { values: &a.values[a_offsets[index]..], rs: a_rs, cs: a_cs, transposed: a.transpose };
        let b_mat = MatRef { values: &b.values[b_offsets[index]..], rs: b_rs, cs: b_cs, transposed: b.transpose };
        sgemm(m, n, k, &a_mat, &b_mat, c, threads);
    };
    let batches = a_offsets.len();
    if batches > 1 && m * n * k < PARALLEL_WORK {
        out_values.par_chunks_mut(m * n).enumerate().for_each(|(i, c)| one(i, c, 1));
    } else {
        let threads = if m * n * k < PARALLEL_WORK { 1 } else { rayon::current_num_threads() };
        out_values.chunks_mut(m * n).enumerate().for_each(|(i, c)| one(i, c, threads));
    }
    out
}

/// A matrix inside a slice: element (i, j) is `values[i * rs + j * cs]`; `transposed` says
/// whether it is the transpose of a row-major matrix (`rs == 1`) rather than one (`cs == 1`) —
/// both strides are 1 for a single row or column, so the strides alone cannot tell.
struct MatRef<'a> {
    values: &'a [f32],
    rs: usize,
    cs: usize,
    #[cfg_attr(not(feature = "blas"), allow(dead_code))]
    transposed: bool,
}

/// `c = a @ b` for one `m×k` by `k×n` product into the row-major `m×n` slice `c`.
///
/// The packed kernel packs `A` in panels; below 64 columns of `C` that packing is reused too
/// few times to pay, and the `gemm` crate (which reads `A` in place) is faster there: sending
/// W4's 49-column convolution products to the AVX-512 kernel made W4 7% slower.
#[cfg(not(feature = "blas"))]
fn sgemm(m: usize, n: usize, k: usize, a: &MatRef<'_>, b: &MatRef<'_>, c: &mut [f32], threads: usize) {
    assert!(c.len() >= m * n, "output slice too short");
    if k == 0 {
        c[..m * n].fill(0.0);
        return;
    }
    assert!(
        a.values.len() > (m - 1) * a.rs + (k - 1) * a.cs && b.values.len() > (k - 1) * b.rs + (n - 1) * b.cs,
        "operand slice too short"
    );
    #[cfg(target_arch = "x86_64")]
    if m >= 4 && n >= 64 {
        use super::packed::{Rhs, View, matmul};
        let view = |mat: &MatRef<'_>| View { ptr: mat.values.as_ptr(), rs: mat.rs, cs: mat.cs };
        let (a, b, c) = (view(a), Rhs::View(view(b)), c.as_mut_ptr());
        // SAFETY: the asserts above keep both operands inside their slices, `c` holds m × n,
        // and the CPU runs the kernel `level` names.
        match crate::isa::level() {
            Isa::Avx512 => return unsafe { matmul::<Avx512>(m, n, k, a, b, c, n, threads) },
            Isa::Avx2 => return unsafe { matmul::<Avx2>(m, n, k, a, b, c, n, threads) },
            Isa::Scalar => {}
        }
    }
    let parallelism = if threads > 1 { gemm::Parallelism::Rayon(threads) } else { gemm::Parallelism::None };
    // SAFETY: the asserts above keep every element the strides reach inside its slice; the
    // output is a distinct `&mut` slice; `read_dst = false` so `c` is only written.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.values.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.values.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(feature = "blas")]
#[link(name = "openblas")]
unsafe extern "C" {
    fn cblas_sgemm(
        layout: i32,
        trans_a: i32,
        trans_b: i32,
        m: i32,
        n: i32,
        k: i32,
        alpha: f32,
        a: *const f32,
        lda: i32,
        b: *const f32,
        ldb: i32,
        beta: f32,
        c: *mut f32,
        ldc: i32,
    );
}

/// `c = a @ b` through OpenBLAS (which runs its own threads).
#[cfg(feature = "blas")]
fn sgemm(m: usize, n: usize, k: usize, a: &MatRef<'_>, b: &MatRef<'_>, c: &mut [f32], _threads: usize) {
    const ROW_MAJOR: i32 = 101;
    const NO_TRANS: i32 = 111;
    const TRANS: i32 = 112;
    assert!(c.len() >= m * n, "output slice too short");
    if k == 0 {
        c[..m * n].fill(0.0);
        return;
    }
    assert!(
        a.values.len() > (m - 1) * a.rs + (k - 1) * a.cs && b.values.len() > (k - 1) * b.rs + (n - 1) * b.cs,
        "operand slice too short"
    );
    // The leading dimension is the stored row length: `rs` of a matrix, `cs` of a transpose.
    let layout = |mat: &MatRef<'_>| if mat.transposed { (TRANS, mat.cs.max(1)) } else { (NO_TRANS, mat.rs.max(1)) };
    let ((ta, lda), (tb, ldb)) = (layout(a), layout(b));
    // SAFETY: as for the gemm path: the asserts bound every access, `c` is exclusive, and one
    // of each operand's strides is 1 as CBLAS requires (the other is its leading dimension).
    unsafe {
        cblas_sgemm(
            ROW_MAJOR,
            ta,
            tb,
            m as i32,
            n as i32,
            k as i32,
            1.0,
            a.values.as_ptr(),
            lda as i32,
            b.values.as_ptr(),
            ldb as i32,
            0.0,
            c.as_mut_ptr(),
            n as i32,
        );
    }
}

/// A matrix operand of [`matmul_into`]: row-major values, stored as the matrix itself
/// ([`Matrix::plain`]) or as its transpose ([`Matrix::transposed`]).
#[derive(Debug, Clone, Copy)]
pub struct Matrix<'a> {
    pub values: &'a [f32],
    pub transposed: bool,
}

impl<'a> Matrix<'a> {
    /// The matrix, row-major.
    pub fn plain(values: &'a [f32]) -> Self {
        Matrix { values, transposed: false }
    }

    /// The matrix's transpose, row-major: `Aᵀ` read as `A` without a copy.
    pub fn transposed(values: &'a [f32]) -> Self {
        Matrix { values, transposed: true }
    }
}

/// `c = a · b` for one `m×k` by `k×n` product (`[m, n, k]`) into the row-major `m×n` slice
/// `c`; each operand is plain (`a` `[m, k]`, `b` `[k, n]`) or stored transposed (`[k, m]`,
/// `[n, k]`). The kernel under `Tensor::matmul`, public for fused ops (convolution, `Linear`).
/// Like `Tensor::matmul`, it splits one product across threads from 2^24 multiply-adds; called
/// from inside a parallel loop (a convolution's images), rayon lends the split to idle threads,
/// so a batch of one image still uses every core.
///
/// # Panics
/// When a slice is shorter than its matrix (a bug in the calling kernel).
pub fn matmul_into([m, n, k]: [usize; 3], a: Matrix<'_>, b: Matrix<'_>, c: &mut [f32]) {
    let (a, a_transposed, b, b_transposed) = (a.values, a.transposed, b.values, b.transposed);
    let threads = if m * n * k < PARALLEL_WORK { 1 } else { rayon::current_num_threads() };
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n, "matmul_into: slice shorter than its matrix");
    if m * n == 0 {
        return;
    }
    let (a_rs, a_cs) = if a_transposed { (1, m) } else { (k, 1) };
    let (b_rs, b_cs) = if b_transposed { (1, k) } else { (n, 1) };
    let a = MatRef { values: a, rs: a_rs, cs: a_cs, transposed: a_transposed };
    let b = MatRef { values: b, rs: b_rs, cs: b_cs, transposed: b_transposed };
    sgemm(m, n, k, &a, &b, c, threads);
}

/// A right-hand matrix `B` (`k × n`) prepared once for many products `A · B`: packed in the
/// panel layout of the kernel this CPU runs (AVX2 or AVX-512), a plain row-major copy
/// elsewhere. An LSTM multiplies its `W_hhᵀ` by a 32-row `h` at every step. Read in place, a
/// panel's rows lie 4 KiB apart (each on its own page, all in the same L1 set), and packing it
/// for every product cost as much as the product; packed once per pass, with the LSTM's other
/// changes, W5 went from 31–35 to 17–18 ms on AVX-512.
pub struct PackedRhs {
    k: usize,
    n: usize,
    /// The values, from `start` on (a 64-byte boundary when packed).
    values: Vec<f32>,
    #[cfg_attr(any(feature = "blas", not(target_arch = "x86_64")), allow(dead_code))]
    start: usize,
    /// The kernel whose layout `values` holds (`Scalar`: row-major).
    #[cfg_attr(any(feature = "blas", not(target_arch = "x86_64")), allow(dead_code))]
    layout: crate::isa::Isa,
}

impl PackedRhs {
    /// Prepares `op(b)`: `b` is row-major `[k, n]`, or `[n, k]` when `b_transposed`.
    ///
    /// # Panics
    /// When `b` is shorter than its matrix (a bug in the calling kernel).
    pub fn new(k: usize, n: usize, b: &[f32], b_transposed: bool) -> PackedRhs {
        assert!(b.len() >= k * n, "PackedRhs: slice shorter than its matrix");
        let (rs, cs) = if b_transposed { (1, k) } else { (n, 1) };
        #[cfg(all(target_arch = "x86_64", not(feature = "blas")))]
        if k > 0 && n > 0 {
            use super::packed::{View, pack_rhs, packed_len};
            let layout = crate::isa::level();
            let len = match layout {
                Isa::Avx512 => packed_len::<Avx512>(k, n),
                Isa::Avx2 => packed_len::<Avx2>(k, n),
                Isa::Scalar => 0,
            };
            if layout > Isa::Scalar {
                let mut values = crate::buffers::buffer(len + 16);
                let start = values.as_ptr().align_offset(64).min(16);
                let (view, packed) = (View { ptr: b.as_ptr(), rs, cs }, &mut values[start..start + len]);
                // SAFETY: the assert above keeps `view` inside `b`; the CPU runs the kernel.
                unsafe {
                    match layout {
                        Isa::Avx512 => pack_rhs::<Avx512>(k, n, view, packed),
                        _ => pack_rhs::<Avx2>(k, n, view, packed),
                    }
                }
                return PackedRhs { k, n, values, start, layout };
            }
        }
        let mut values = crate::buffers::buffer(k * n);
        for (p, row) in values.chunks_exact_mut(n.max(1)).take(k).enumerate() {
            row.iter_mut().enumerate().for_each(|(j, value)| *value = b[p * rs + j * cs]);
        }
        PackedRhs { k, n, values, start: 0, layout: crate::isa::Isa::Scalar }
    }
}

impl Drop for PackedRhs {
    fn drop(&mut self) {
        crate::buffers::give(std::mem::take(&mut self.values));
    }
}

/// `c = op(a) · b` for a prepared `b`, `a` row-major `[m, k]` (or `[k, m]` when
/// `a_transposed`), split across all of rayon's threads whatever its size: for a product
/// repeated many times in a row from inside rayon's pool, where the other threads take their
/// share by work stealing (an LSTM step's `h·W_hhᵀ`, 8 million multiply-adds: W5 35 → 32 ms
/// with 2 threads; called from outside the pool, it gained nothing).
///
/// # Panics
/// When a slice is shorter than its matrix (a bug in the calling kernel).
pub fn matmul_packed(m: usize, a: &[f32], a_transposed: bool, b: &PackedRhs, c: &mut [f32]) {
    let (k, n) = (b.k, b.n);
    assert!(a.len() >= m * k && c.len() >= m * n, "matmul_packed: slice shorter than its matrix");
    if m * n == 0 {
        return;
    }
    let threads = rayon::current_num_threads();
    let (a_rs, a_cs) = if a_transposed { (1, m) } else { (k, 1) };
    #[cfg(all(target_arch = "x86_64", not(feature = "blas")))]
    if b.layout > Isa::Scalar {
        use super::packed::{Packed, Rhs, View, matmul, padded};
        let (a, ptr) = (View { ptr: a.as_ptr(), rs: a_rs, cs: a_cs }, b.values[b.start..].as_ptr());
        // SAFETY: the assert above keeps `a` inside its slice and `c` holds m × n; `b` was
        // packed for k × n in the layout of a kernel this CPU runs.
        unsafe {
            match b.layout {
                Isa::Avx512 => {
                    let b = Rhs::Packed(Packed { ptr, n_padded: padded::<Avx512>(n), col: 0 });
                    matmul::<Avx512>(m, n, k, a, b, c.as_mut_ptr(), n, threads)
                }
                _ => {
                    let b = Rhs::Packed(Packed { ptr, n_padded: padded::<Avx2>(n), col: 0 });
                    matmul::<Avx2>(m, n, k, a, b, c.as_mut_ptr(), n, threads)
                }
            }
        };
        return;
    }
    let a = MatRef { values: a, rs: a_rs, cs: a_cs, transposed: a_transposed };
    let b = MatRef { values: &b.values, rs: n, cs: 1, transposed: false };
    sgemm(m, n, k, &a, &b, c, threads);
}
