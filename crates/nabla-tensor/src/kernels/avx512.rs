//! An AVX-512 single-precision matrix multiply, used by `sgemm` when the CPU has AVX-512F (the
//! `gemm` crate's AVX-512 kernels need a nightly compiler, so on stable it stops at AVX2).
//!
//! The layout is the BLIS one: `B` is packed in panels of [`NR`] columns and `A` in panels of
//! [`MR`] rows, zero-padded to whole panels, and a register micro-kernel keeps an `MR × NR` tile
//! of `C` in 28 of the 32 vector registers while it runs down `k`. Blocks of [`KC`] steps of `k`
//! keep a `B` micro-panel in L1 and [`MC`] rows of packed `A` in L2. Each element of `C` is
//! summed in the same order whatever the thread count, so results do not depend on it.

use std::arch::x86_64::{
    __m512, _mm512_add_ps, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_mask_storeu_ps, _mm512_maskz_loadu_ps,
    _mm512_set1_ps, _mm512_setzero_ps, _mm512_shuffle_f32x4, _mm512_shuffle_ps, _mm512_storeu_ps, _mm512_unpackhi_ps,
    _mm512_unpacklo_ps,
};
use std::cell::RefCell;

use rayon::prelude::*;

/// Rows of the register tile (one broadcast of `A` each).
const MR: usize = 14;
/// Columns of the register tile (two vectors of 16).
pub(crate) const NR: usize = 32;
/// Steps of `k` per packed block: a `KC × NR` micro-panel of `B` is 32 KiB, within L1.
const KC: usize = 256;
/// Rows of `A` per packed block: `MC × KC` is 504 KiB, within L2.
const MC: usize = MR * 36;
/// Columns of `B` per packed block: `KC × NC` is 4 MiB.
const NC: usize = NR * 128;
/// Up to this many rows of `C`, a row-major `B` is read in place rather than packed: packing
/// it would cost as much as the product (a `B` used for many such products is better packed
/// once, with [`pack_rhs`]). Beyond, packing pays, and it keeps power-of-two row strides from
/// thrashing L1.
const DIRECT_B_ROWS: usize = 4 * MR;

/// Whether this CPU runs the kernel (the check is cached by the standard library).
pub(crate) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
}

/// A read-only matrix in memory: element `(i, j)` is at `ptr + i·rs + j·cs`.
#[derive(Clone, Copy)]
pub(crate) struct View {
    pub ptr: *const f32,
    pub rs: usize,
    pub cs: usize,
}

impl View {
    /// The view of the sub-matrix that starts at `(row, col)`.
    ///
    /// # Safety
    /// `(row, col)` is inside the matrix.
    unsafe fn at(self, row: usize, col: usize) -> View {
        View { ptr: unsafe { self.ptr.add(row * self.rs + col * self.cs) }, ..self }
    }
}

/// `B` packed ahead of its products by [`pack_rhs`]: for each block of [`KC`] steps of `k`,
/// the panels of [`NR`] columns across all of `n` (zero-padded to `n_padded`), each `kc` rows
/// of `NR` values. The block at step `pc` starts at `pc · n_padded`, and within it the panel
/// of column `j` at `j · kc`.
#[derive(Clone, Copy)]
pub(crate) struct Packed {
    pub ptr: *const f32,
    pub n_padded: usize,
    /// The first column this view covers (a thread's share of the columns).
    pub col: usize,
}

/// Where the kernel reads `B` from.
#[derive(Clone, Copy)]
pub(crate) enum Rhs {
    /// In place (packed block by block as the product needs it).
    View(View),
    /// Packed ahead.
    Packed(Packed),
}

impl Rhs {
    /// The columns from `col` on.
    ///
    /// # Safety
    /// `col` is inside the matrix.
    unsafe fn columns_from(self, col: usize) -> Rhs {
        match self {
            // SAFETY: the caller's guarantee.
            Rhs::View(view) => Rhs::View(unsafe { view.at(0, col) }),
            Rhs::Packed(packed) => Rhs::Packed(Packed { col: packed.col + col, ..packed }),
        }
    }
}

/// The length of `B` (`k × n`) packed by [`pack_rhs`].
pub(crate) fn packed_len(k: usize, n: usize) -> usize {
    k * n.div_ceil(NR) * NR
}

/// Packs all of `B` (`k × n`) into `packed` ([`packed_len`] values, 64-byte aligned for the
/// loads to stay within cache lines) in the layout [`Packed`] describes.
///
/// # Safety
/// `b` is valid for `k × n`.
pub(crate) unsafe fn pack_rhs(k: usize, n: usize, b: View, packed: &mut [f32]) {
    let n_padded = n.div_ceil(NR) * NR;
    for pc in (0..k).step_by(KC) {
        let kc = KC.min(k - pc);
        // SAFETY: the block lies inside `B`.
        unsafe { pack_b(kc, n, b.at(pc, 0), &mut packed[pc * n_padded..(pc + kc) * n_padded], false) };
    }
}

/// The output pointer, shared by the threads, each of which writes its own block of `C`.
#[derive(Clone, Copy)]
struct Out(*mut f32);
// SAFETY: the threads write disjoint blocks of `C` (see `matmul`).
unsafe impl Send for Out {}
unsafe impl Sync for Out {}

impl Out {
    /// The pointer (a method, so that closures capture the whole `Out`, which is `Send`).
    fn at(self, offset: usize) -> *mut f32 {
        self.0.wrapping_add(offset)
    }
}
// SAFETY: the operands are only read while the call that owns them waits for the threads.
unsafe impl Send for View {}
unsafe impl Sync for View {}
unsafe impl Send for Packed {}
unsafe impl Sync for Packed {}

/// `C = A · B` for `A` `m × k`, `B` `k × n` and `C` `m × n` with row stride `ldc`, split across
/// `threads` rayon tasks by whole tiles along the dimension with more of them.
///
/// # Safety
/// The CPU has AVX-512F; `a` and `b` are valid for every element of their shapes; `c` is
/// valid for writes of `m` rows of `n` at stride `ldc` and overlaps neither operand.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn matmul(m: usize, n: usize, k: usize, a: View, b: Rhs, c: *mut f32, ldc: usize, threads: usize) {
    let (m_tiles, n_tiles) = (m.div_ceil(MR), n.div_ceil(NR));
    let out = Out(c);
    let parts = threads.min(m_tiles.max(n_tiles)).max(1);
    if parts == 1 {
        // SAFETY: the caller's guarantees, passed on.
        unsafe { matmul_serial(m, n, k, a, b, out.at(0), ldc) };
    } else if n_tiles >= m_tiles {
        let step = n_tiles.div_ceil(parts) * NR;
        (0..n.div_ceil(step)).into_par_iter().for_each(|part| {
            let (j, width) = (part * step, step.min(n - part * step));
            // SAFETY: columns `j..j + width` of `C` belong to this part alone.
            unsafe { matmul_serial(m, width, k, a, b.columns_from(j), out.at(j), ldc) };
        });
    } else {
        let step = m_tiles.div_ceil(parts) * MR;
        (0..m.div_ceil(step)).into_par_iter().for_each(|part| {
            let (i, height) = (part * step, step.min(m - part * step));
            // SAFETY: rows `i..i + height` of `C` belong to this part alone.
            unsafe { matmul_serial(height, n, k, a.at(i, 0), b, out.at(i * ldc), ldc) };
        });
    }
}

thread_local! {
    /// Each thread's packing buffers for `A` and `B`, kept across calls so that a training
    /// step does not allocate (and page-fault) them for every product.
    static PACKED: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// A 64-byte aligned slice of `len` values inside `buffer`, which grows when needed.
fn aligned(buffer: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buffer.len() < len + 16 {
        buffer.resize(len + 16, 0.0);
    }
    let skip = buffer.as_ptr().align_offset(64).min(16);
    &mut buffer[skip..skip + len]
}

/// The single-threaded product, block by block.
///
/// # Safety
/// As for [`matmul`].
unsafe fn matmul_serial(m: usize, n: usize, k: usize, a: View, b: Rhs, c: *mut f32, ldc: usize) {
    if k == 0 {
        for i in 0..m {
            // SAFETY: row `i` of `C` is valid for `n` writes.
            unsafe { std::slice::from_raw_parts_mut(c.add(i * ldc), n).fill(0.0) };
        }
        return;
    }
    PACKED.with(|cell| {
        let mut buffers = cell.borrow_mut();
        let (a_buffer, b_buffer) = &mut *buffers;
        let b_packed = match b {
            Rhs::View(_) => aligned(b_buffer, KC * NC.min(n.div_ceil(NR) * NR)),
            Rhs::Packed(_) => &mut [],
        };
        let a_packed = aligned(a_buffer, KC * MC.min(m.div_ceil(MR) * MR));
        for jc in (0..n).step_by(NC) {
            let nc = NC.min(n - jc);
            for pc in (0..k).step_by(KC) {
                let kc = KC.min(k - pc);
                let direct = matches!(b, Rhs::View(view) if view.cs == 1 && m <= DIRECT_B_ROWS);
                if let Rhs::View(view) = b {
                    // SAFETY: the block lies inside `B`.
                    unsafe { pack_b(kc, nc, view.at(pc, jc), b_packed, direct) };
                }
                for ic in (0..m).step_by(MC) {
                    let mc = MC.min(m - ic);
                    // SAFETY: the block lies inside `A`.
                    unsafe { pack_a(mc, kc, a.at(ic, pc), a_packed) };
                    for jr in (0..nc).step_by(NR) {
                        let cols = NR.min(nc - jr);
                        // SAFETY: the panel lies inside `B` or its packed copy.
                        let panel = unsafe {
                            match b {
                                Rhs::View(view) if direct && cols == NR => {
                                    Panel { ptr: view.at(pc, jc + jr).ptr, stride: view.rs }
                                }
                                Rhs::View(_) => Panel { ptr: b_packed[jr * kc..].as_ptr(), stride: NR },
                                Rhs::Packed(packed) => Panel {
                                    ptr: packed.ptr.add(pc * packed.n_padded + (packed.col + jc + jr) * kc),
                                    stride: NR,
                                },
                            }
                        };
                        for ir in (0..mc).step_by(MR) {
                            let tile = Tile { rows: MR.min(mc - ir), cols, accumulate: pc > 0 };
                            let (a_panel, c_tile) =
                                (a_packed[ir * kc..].as_ptr(), c.wrapping_add((ic + ir) * ldc + jc + jr));
                            // SAFETY: the packed panels hold `kc` steps of whole tiles; the
                            // tile's rows and columns lie inside `C`.
                            unsafe {
                                match tile.rows {
                                    1..=4 => kernel::<4>(kc, a_panel, panel, c_tile, ldc, tile),
                                    5..=8 => kernel::<8>(kc, a_panel, panel, c_tile, ldc, tile),
                                    _ => kernel::<MR>(kc, a_panel, panel, c_tile, ldc, tile),
                                }
                            };
                        }
                    }
                }
            }
        }
    });
}

/// Packs `kc × nc` of `B` into panels of [`NR`] columns, each `kc` rows of `NR` values, the
/// columns past `nc` zero. With `only_partial`, only a last panel narrower than `NR` (the
/// others are read in place).
///
/// # Safety
/// `b` is valid for `kc × nc`.
unsafe fn pack_b(kc: usize, nc: usize, b: View, packed: &mut [f32], only_partial: bool) {
    for (panel, dst) in packed.chunks_exact_mut(kc * NR).take(nc.div_ceil(NR)).enumerate() {
        let (j0, width) = (panel * NR, NR.min(nc - panel * NR));
        if only_partial && width == NR {
            continue;
        }
        if b.cs == 1 {
            for (p, row) in dst.chunks_exact_mut(NR).enumerate() {
                // SAFETY: row `p`, columns `j0..j0 + width` lie inside the block.
                let src = unsafe { std::slice::from_raw_parts(b.ptr.add(p * b.rs + j0), width) };
                row[..width].copy_from_slice(src);
                row[width..].fill(0.0);
            }
        } else {
            if width < NR {
                dst.fill(0.0);
            }
            // A transposed `B` (`x·Wᵀ`, a linear layer's forward): whole panels in blocks of
            // 16 × 16, transposed in registers.
            let blocked = if b.rs == 1 && width == NR { kc / 16 * 16 } else { 0 };
            for p0 in (0..blocked).step_by(16) {
                for half in [0, 16] {
                    // SAFETY: the 16 × 16 block at (p0, j0 + half) lies inside `B` and the panel.
                    unsafe {
                        transpose16(b.ptr.add(p0 + (j0 + half) * b.cs), b.cs, dst[p0 * NR + half..].as_mut_ptr(), NR)
                    };
                }
            }
            // The rest row by row, reading the panel's columns side by side (NR strided streams).
            // SAFETY: columns `j0..j0 + width` start inside the block.
            let columns: [*const f32; NR] =
                std::array::from_fn(|j| unsafe { b.ptr.add((j0 + j.min(width - 1)) * b.cs) });
            for (p, row) in dst.chunks_exact_mut(NR).enumerate().skip(blocked) {
                for (value, column) in row[..width].iter_mut().zip(&columns) {
                    // SAFETY: (p, column) lies inside the block.
                    *value = unsafe { *column.add(p * b.rs) };
                }
            }
        }
    }
}

/// Writes the transpose of the 16 × 16 block whose row `i` is the 16 values from
/// `src + i · src_stride` to the 16 rows from `dst + j · dst_stride`: four rounds of
/// shuffles, 64 in all, instead of 256 scalar loads and stores.
///
/// # Safety
/// AVX-512F is available; both blocks lie inside their buffers.
#[target_feature(enable = "avx512f")]
unsafe fn transpose16(src: *const f32, src_stride: usize, dst: *mut f32, dst_stride: usize) {
    // SAFETY: the caller's guarantee covers the 16 rows read.
    let r: [__m512; 16] = std::array::from_fn(|i| unsafe { _mm512_loadu_ps(src.add(i * src_stride)) });
    // Interleave pairs of rows, then pairs of pairs, within each 128-bit lane.
    let t: [__m512; 16] = std::array::from_fn(|i| {
        let (a, b) = (r[i & !1], r[i | 1]);
        if i % 2 == 0 { _mm512_unpacklo_ps(a, b) } else { _mm512_unpackhi_ps(a, b) }
    });
    let r: [__m512; 16] = std::array::from_fn(|i| {
        let base = i / 4 * 4;
        let (a, b) = (t[base + i % 4 / 2], t[base + 2 + i % 4 / 2]);
        if i % 2 == 0 { _mm512_shuffle_ps::<0x44>(a, b) } else { _mm512_shuffle_ps::<0xEE>(a, b) }
    });
    // Then the 128-bit lanes: between rows 4 apart, then 8 apart.
    let t: [__m512; 16] = std::array::from_fn(|i| {
        let base = i / 8 * 8;
        let (a, b) = (r[base + i % 4], r[base + 4 + i % 4]);
        if i % 8 < 4 { _mm512_shuffle_f32x4::<0x88>(a, b) } else { _mm512_shuffle_f32x4::<0xDD>(a, b) }
    });
    for (i, row) in (0..16)
        .map(|i| {
            let (a, b) = (t[i % 8], t[8 + i % 8]);
            if i < 8 { _mm512_shuffle_f32x4::<0x88>(a, b) } else { _mm512_shuffle_f32x4::<0xDD>(a, b) }
        })
        .enumerate()
    {
        // SAFETY: the caller's guarantee covers the 16 rows written.
        unsafe { _mm512_storeu_ps(dst.add(i * dst_stride), row) };
    }
}

/// Packs `mc × kc` of `A` into panels of [`MR`] rows, each `kc` columns of `MR` values, the
/// rows past `mc` zero.
///
/// # Safety
/// `a` is valid for `mc × kc`.
unsafe fn pack_a(mc: usize, kc: usize, a: View, packed: &mut [f32]) {
    let panels = mc.div_ceil(MR);
    if a.rs == 1 {
        // A transposed `A` (a weight gradient's `xᵀ`): column by column of the block, each a
        // contiguous run of `mc` values spread over the panels. Panel by panel instead, each
        // column's `MR` values were a row's stride apart, a new page (and, at strides of 4 KiB,
        // the same L1 set) for every one.
        if !mc.is_multiple_of(MR) {
            packed[(panels - 1) * kc * MR..panels * kc * MR].fill(0.0);
        }
        for p in 0..kc {
            // SAFETY: column `p`, rows `0..mc`, lies inside the block.
            let column = unsafe { std::slice::from_raw_parts(a.ptr.add(p * a.cs), mc) };
            let (whole, rest) = column.as_chunks::<MR>();
            for (panel, values) in whole.iter().enumerate() {
                let at = panel * kc * MR + p * MR;
                // A known length: plain vector moves, not a call to memmove.
                *<&mut [f32; MR]>::try_from(&mut packed[at..at + MR]).expect("MR values") = *values;
            }
            if !rest.is_empty() {
                let at = whole.len() * kc * MR + p * MR;
                packed[at..at + rest.len()].copy_from_slice(rest);
            }
        }
        return;
    }
    for (panel, dst) in packed.chunks_exact_mut(kc * MR).take(panels).enumerate() {
        let (i0, height) = (panel * MR, MR.min(mc - panel * MR));
        if height < MR {
            dst.fill(0.0);
        }
        // Column by column, reading the panel's rows side by side (MR sequential streams).
        // SAFETY: rows `i0..i0 + height` start inside the block.
        let rows: [*const f32; MR] = std::array::from_fn(|i| unsafe { a.ptr.add((i0 + i.min(height - 1)) * a.rs) });
        for (p, column) in dst.chunks_exact_mut(MR).enumerate() {
            for (value, row) in column[..height].iter_mut().zip(&rows) {
                // SAFETY: (row, p) lies inside the block.
                *value = unsafe { *row.add(p * a.cs) };
            }
        }
    }
}

/// Which part of a register tile is real, and whether `C` already holds a partial sum.
#[derive(Clone, Copy)]
struct Tile {
    rows: usize,
    cols: usize,
    accumulate: bool,
}

/// A `kc × NR` panel of `B`: packed (`stride` `NR`) or read in place (the row stride of `B`).
#[derive(Clone, Copy)]
struct Panel {
    ptr: *const f32,
    stride: usize,
}

/// The micro-kernel: `C[tile] (+)= Ã · B̃` for one packed `A` panel and one `B` panel, over
/// the panel's first `ROWS` rows (at most [`MR`]): a tile of fewer rows (the last of 32, say)
/// runs a smaller kernel instead of multiplying the padding.
///
/// # Safety
/// AVX-512F is available; `a` holds `kc × MR` values and `b` `kc` rows of `NR`; `c` is valid
/// for the tile's rows (at most `ROWS`) and columns at stride `ldc`.
#[target_feature(enable = "avx512f")]
unsafe fn kernel<const ROWS: usize>(kc: usize, a: *const f32, b: Panel, c: *mut f32, ldc: usize, tile: Tile) {
    let mut acc: [[__m512; 2]; ROWS] = [[_mm512_setzero_ps(); 2]; ROWS];
    for p in 0..kc {
        // SAFETY: step `p` of both panels is in bounds.
        let row = unsafe { b.ptr.add(p * b.stride) };
        let (b0, b1) = unsafe { (_mm512_loadu_ps(row), _mm512_loadu_ps(row.add(16))) };
        let column = unsafe { a.add(p * MR) };
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = _mm512_set1_ps(unsafe { *column.add(i) });
            row[0] = _mm512_fmadd_ps(ai, b0, row[0]);
            row[1] = _mm512_fmadd_ps(ai, b1, row[1]);
        }
    }
    let mask = |from: usize| -> u16 {
        let valid = tile.cols.saturating_sub(from).min(16);
        if valid == 16 { u16::MAX } else { (1u16 << valid) - 1 }
    };
    let (mask0, mask1) = (mask(0), mask(16));
    for (i, row) in acc.iter().enumerate().take(tile.rows) {
        // SAFETY: the masks keep the loads and stores inside the tile's columns of row `i`.
        unsafe {
            let out = c.add(i * ldc);
            let (mut v0, mut v1) = (row[0], row[1]);
            if tile.accumulate {
                v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(mask0, out));
                v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(mask1, out.add(16)));
            }
            if tile.cols == NR {
                _mm512_storeu_ps(out, v0);
                _mm512_storeu_ps(out.add(16), v1);
            } else {
                _mm512_mask_storeu_ps(out, mask0, v0);
                _mm512_mask_storeu_ps(out.add(16), mask1, v1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain triple loop, in f64.
    fn reference(m: usize, n: usize, k: usize, a: &[f32], b: &[f32]) -> Vec<f32> {
        let mut c = vec![0.0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| f64::from(a[i * k + p]) * f64::from(b[p * n + j])).sum::<f64>() as f32;
            }
        }
        c
    }

    #[test]
    fn agrees_with_the_triple_loop_for_edge_shapes_strides_and_threads() {
        if !available() {
            return;
        }
        let values = |len: usize, seed: usize| -> Vec<f32> {
            (0..len).map(|i| (((i * 7919 + seed * 104_729) % 2003) as f32 / 1001.5) - 1.0).collect()
        };
        // Tile edges (13, 14, 15 rows; 31, 32, 33 columns), tiles of 4 and 8 rows or fewer
        // (32 = 14 + 14 + 4, 22 = 14 + 8), a k past one block, a single row and column, an
        // empty k, and blocks past MC and NC.
        let shapes = [
            (1, 1, 1),
            (13, 31, 5),
            (14, 32, 256),
            (15, 33, 257),
            (1, 300, 70),
            (300, 1, 70),
            (3, 4, 0),
            (520, 40, 3),
            (20, 4100, 2),
            (32, 64, 300),
            (22, 40, 9),
        ];
        for (m, n, k) in shapes {
            let (a, b) = (values(m * k, 1), values(k * n, 2));
            let expected = reference(m, n, k, &a, &b);
            // Transposed copies, to read through column strides.
            let at: Vec<f32> = (0..k * m).map(|x| a[(x % m) * k + x / m]).collect();
            let bt: Vec<f32> = (0..n * k).map(|x| b[(x % k) * n + x / k]).collect();
            for threads in [1, 2, 3] {
                for (a_view, b_view) in [
                    (View { ptr: a.as_ptr(), rs: k, cs: 1 }, View { ptr: b.as_ptr(), rs: n, cs: 1 }),
                    (View { ptr: at.as_ptr(), rs: 1, cs: m }, View { ptr: bt.as_ptr(), rs: 1, cs: k }),
                ] {
                    let mut packed = vec![f32::NAN; packed_len(k, n)];
                    // SAFETY: the view covers `B`.
                    unsafe { pack_rhs(k, n, b_view, &mut packed) };
                    let packed = Rhs::Packed(Packed { ptr: packed.as_ptr(), n_padded: n.div_ceil(NR) * NR, col: 0 });
                    for b_source in [Rhs::View(b_view), packed] {
                        let mut c = vec![f32::NAN; m * n];
                        // SAFETY: the views cover their matrices and `c` is m × n.
                        unsafe { matmul(m, n, k, a_view, b_source, c.as_mut_ptr(), n, threads) };
                        for (got, want) in c.iter().zip(&expected) {
                            assert!((got - want).abs() <= 1e-4 * (1.0 + want.abs()), "{m}×{n}×{k}: {got} vs {want}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_16_by_16_block_is_transposed_between_strided_rows() {
        if !available() {
            return;
        }
        let src: Vec<f32> = (0..16 * 20).map(|i| i as f32).collect();
        let mut dst = vec![f32::NAN; 16 * 32];
        // SAFETY: 16 rows of 20 and 16 rows of 32 hold both blocks.
        unsafe { transpose16(src.as_ptr(), 20, dst.as_mut_ptr().add(8), 32) };
        for j in 0..16 {
            for i in 0..16 {
                assert_eq!(dst[j * 32 + 8 + i], src[i * 20 + j], "({i}, {j})");
            }
            assert!(dst[j * 32..j * 32 + 8].iter().all(|v| v.is_nan()), "nothing outside the block");
        }
    }

    #[test]
    fn the_result_does_not_depend_on_the_thread_count() {
        if !available() {
            return;
        }
        let (m, n, k) = (70, 90, 600);
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 31) % 97) as f32 * 0.013 - 0.6).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 17) % 89) as f32 * 0.011 - 0.5).collect();
        let run = |threads| {
            let mut c = vec![0.0f32; m * n];
            // SAFETY: as above.
            unsafe {
                matmul(
                    m,
                    n,
                    k,
                    View { ptr: a.as_ptr(), rs: k, cs: 1 },
                    Rhs::View(View { ptr: b.as_ptr(), rs: n, cs: 1 }),
                    c.as_mut_ptr(),
                    n,
                    threads,
                )
            };
            c
        };
        assert_eq!(run(1), run(2));
        assert_eq!(run(1), run(5));
    }
}
