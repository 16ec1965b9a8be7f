//! nabla's own single-precision matrix multiply, used by `sgemm` on CPUs with AVX2 or AVX-512
//! (the `gemm` crate's AVX-512 kernels need a nightly compiler, so on stable it stops at AVX2,
//! and its AVX2 kernels do not take a `B` packed ahead of the product).
//!
//! The layout is the BLIS one: `B` is packed in panels of `NR` columns and `A` in panels of
//! `MR` rows, zero-padded to whole panels, and a register micro-kernel ([`MicroKernel`], one
//! per instruction set) keeps an `MR × NR` tile of `C` in vector registers while it runs down
//! `k`. Blocks of [`KC`] steps of `k` keep a `B` micro-panel in L1 and `MC` rows of packed `A`
//! in L2. Each element of `C` is summed in the same order whatever the thread count, so results
//! do not depend on it.

use std::cell::RefCell;

use rayon::prelude::*;

/// Steps of `k` per packed block: a `KC × NR` micro-panel of `B` is 16 or 32 KiB, within L1.
const KC: usize = 256;
/// Columns of `B` per packed block: `KC × NC` is 4 MiB.
const NC: usize = 4096;

/// A register micro-kernel and the blocking around it, for one instruction set.
pub(crate) trait MicroKernel {
    /// Rows of the register tile (one broadcast of `A` each).
    const MR: usize;
    /// Columns of the register tile (whole vectors).
    const NR: usize;
    /// Rows of `A` per packed block (a multiple of `MR`): `MC × KC` fits in L2.
    const MC: usize;
    /// The side of the square blocks [`MicroKernel::transpose`] moves (it divides `NR`).
    const BLOCK: usize;
    /// The most rows a block's last tile may have for it to be merged with the tile before it
    /// and the two split evenly (see [`row_tiles`]); 0 keeps whole tiles of `MR` rows.
    const MERGED_TAIL: usize = 0;

    /// `C[tile] (+)= Ã · B̃` for one packed `A` panel and one `B` panel.
    ///
    /// # Safety
    /// The CPU runs this kernel; `a` holds `kc × MR` values and `b` `kc` rows of `NR`; `c` is
    /// valid for the tile's rows and columns at stride `ldc`.
    unsafe fn tile(kc: usize, a: *const f32, b: Panel, c: *mut f32, ldc: usize, tile: Tile);

    /// Writes the transpose of the `BLOCK × BLOCK` block whose row `i` is the values from
    /// `src + i · src_stride` to the rows from `dst + j · dst_stride`.
    ///
    /// # Safety
    /// The CPU runs this kernel; both blocks lie inside their buffers.
    unsafe fn transpose(src: *const f32, src_stride: usize, dst: *mut f32, dst_stride: usize);

    /// Packs `BLOCK` steps of `k` of a whole panel of a row-major `A`: `dst[p · MR + i]` is
    /// `rows[i][p]` for `p` in `0..BLOCK` and `i` in `0..MR`, a transpose in registers.
    ///
    /// # Safety
    /// The CPU runs this kernel; the first `MR` pointers of `rows` are valid for `BLOCK`
    /// reads each, and `dst` for `BLOCK · MR` writes.
    unsafe fn pack_a_block(rows: &[*const f32; MAX_MR], dst: *mut f32);
}

/// Whether a product of `rows` rows of `C` reads `B` in place rather than packing it: a
/// row-major `B` up to `4 · MR` rows, where packing it would cost as much as the product (a `B`
/// used for many such products is better packed once, with [`pack_rhs`]). Beyond, packing
/// pays, and it keeps power-of-two row strides from thrashing L1.
fn reads_b_in_place<K: MicroKernel>(b: Rhs, rows: usize) -> bool {
    matches!(b, Rhs::View(view) if view.cs == 1 && rows <= 4 * K::MR)
}

/// The register tiles down a block of `mc` rows, as (first row, rows): whole tiles of `MR`
/// rows, except that a last tile of at most [`MicroKernel::MERGED_TAIL`] rows is merged with
/// the one before and the two split evenly. A tile of few rows has fewer accumulators than
/// the FMA units need to stay busy, so it costs nearly as much as a bigger one: on AVX2 (a
/// Zen 3), a tile of 2 rows took 315 ns for 256 steps, of 4 rows 328 and of 6 rows 483, from
/// which 32 rows as 6 + 6 + 6 + 6 + 4 + 4 come to 5% less time than as 6 + 6 + 6 + 6 + 6 + 2.
/// Each value of `C` is still summed in the same order.
fn row_tiles<K: MicroKernel>(mc: usize) -> impl Iterator<Item = (usize, usize)> {
    let (whole, tail) = (mc / K::MR, mc % K::MR);
    let merged = whole > 0 && (1..=K::MERGED_TAIL).contains(&tail);
    let plain = if merged { whole - 1 } else { whole };
    let (start, rest) = (plain * K::MR, mc - plain * K::MR);
    let last = if merged { [rest.div_ceil(2), rest / 2] } else { [rest, 0] };
    let ends = [(start, last[0]), (start + last[0], last[1])];
    (0..plain).map(|tile| (tile * K::MR, K::MR)).chain(ends.into_iter().filter(|&(_, rows)| rows > 0))
}

/// Columns of a transposed `A` packed together, panel by panel: one column at a time, its
/// `MR` values went to every panel in turn, `KC · MR` values apart, and with `MR` 6 or 14 the
/// panels' lines fell into two L1 sets (6 or 14 KiB apart), missing L1 on every store.
const PACK_A_COLUMNS: usize = 8;

/// The most columns of any kernel's panel (arrays of per-column pointers are this long).
const MAX_NR: usize = 32;
/// The most rows of any kernel's panel.
pub(crate) const MAX_MR: usize = 14;

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
/// the panels of `NR` columns across all of `n` (zero-padded to `n_padded`), each `kc` rows
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
pub(crate) fn packed_len<K: MicroKernel>(k: usize, n: usize) -> usize {
    k * padded::<K>(n)
}

/// `n` rounded up to whole panels.
pub(crate) fn padded<K: MicroKernel>(n: usize) -> usize {
    n.div_ceil(K::NR) * K::NR
}

/// Packs all of `B` (`k × n`) into `packed` ([`packed_len`] values, 64-byte aligned for the
/// loads to stay within cache lines) in the layout [`Packed`] describes.
///
/// # Safety
/// `b` is valid for `k × n`.
pub(crate) unsafe fn pack_rhs<K: MicroKernel>(k: usize, n: usize, b: View, packed: &mut [f32]) {
    let n_padded = padded::<K>(n);
    for pc in (0..k).step_by(KC) {
        let kc = KC.min(k - pc);
        // SAFETY: the block lies inside `B`.
        unsafe { pack_b::<K>(kc, n, b.at(pc, 0), &mut packed[pc * n_padded..(pc + kc) * n_padded], false) };
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
/// `threads` rayon tasks by whole tiles of rows or of columns.
///
/// # Safety
/// The CPU runs `K`; `a` and `b` are valid for every element of their shapes; `c` is
/// valid for writes of `m` rows of `n` at stride `ldc` and overlaps neither operand.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn matmul<K: MicroKernel>(
    m: usize,
    n: usize,
    k: usize,
    a: View,
    b: Rhs,
    c: *mut f32,
    ldc: usize,
    threads: usize,
) {
    let (m_tiles, n_tiles) = (m.div_ceil(K::MR), n.div_ceil(K::NR));
    let out = Out(c);
    let parts = threads.min(m_tiles.max(n_tiles)).max(1);
    // A part of the rows packs all of `B` for itself, a part of the columns all of `A`. When
    // the row parts would pack `B`, split the longer side, so that the parts pack the fewest
    // values between them; otherwise split the side with more tiles.
    let rows_pack_b = matches!(b, Rhs::View(_)) && !reads_b_in_place::<K>(b, m_tiles.div_ceil(parts) * K::MR);
    let by_columns = if rows_pack_b { n > m && n_tiles >= parts } else { n_tiles >= m_tiles };
    if parts == 1 {
        // SAFETY: the caller's guarantees, passed on.
        unsafe { matmul_serial::<K>(m, n, k, a, b, out.at(0), ldc) };
    } else if by_columns {
        let step = n_tiles.div_ceil(parts) * K::NR;
        (0..n.div_ceil(step)).into_par_iter().for_each(|part| {
            let (j, width) = (part * step, step.min(n - part * step));
            // SAFETY: columns `j..j + width` of `C` belong to this part alone.
            unsafe { matmul_serial::<K>(m, width, k, a, b.columns_from(j), out.at(j), ldc) };
        });
    } else {
        let step = m_tiles.div_ceil(parts) * K::MR;
        (0..m.div_ceil(step)).into_par_iter().for_each(|part| {
            let (i, height) = (part * step, step.min(m - part * step));
            // SAFETY: rows `i..i + height` of `C` belong to this part alone.
            unsafe { matmul_serial::<K>(height, n, k, a.at(i, 0), b, out.at(i * ldc), ldc) };
        });
    }
}

thread_local! {
    /// Each thread's packing buffers for `A` and `B` (shared by the kernels: a process runs
    /// one), kept across calls so that a training
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
unsafe fn matmul_serial<K: MicroKernel>(m: usize, n: usize, k: usize, a: View, b: Rhs, c: *mut f32, ldc: usize) {
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
            Rhs::View(_) => aligned(b_buffer, KC * NC.min(padded::<K>(n))),
            Rhs::Packed(_) => &mut [],
        };
        let a_packed = aligned(a_buffer, KC * K::MC.min(m.div_ceil(K::MR) * K::MR));
        let direct = reads_b_in_place::<K>(b, m);
        for jc in (0..n).step_by(NC) {
            let nc = NC.min(n - jc);
            for pc in (0..k).step_by(KC) {
                let kc = KC.min(k - pc);
                if let Rhs::View(view) = b {
                    // SAFETY: the block lies inside `B`.
                    unsafe { pack_b::<K>(kc, nc, view.at(pc, jc), b_packed, direct) };
                }
                for ic in (0..m).step_by(K::MC) {
                    let mc = K::MC.min(m - ic);
                    // SAFETY: the block lies inside `A`.
                    unsafe { pack_a::<K>(mc, kc, a.at(ic, pc), a_packed) };
                    for jr in (0..nc).step_by(K::NR) {
                        let cols = K::NR.min(nc - jr);
                        // SAFETY: the panel lies inside `B` or its packed copy.
                        let panel = unsafe {
                            match b {
                                Rhs::View(view) if direct && cols == K::NR => {
                                    Panel { ptr: view.at(pc, jc + jr).ptr, stride: view.rs }
                                }
                                Rhs::View(_) => Panel { ptr: b_packed[jr * kc..].as_ptr(), stride: K::NR },
                                Rhs::Packed(packed) => Panel {
                                    ptr: packed.ptr.add(pc * packed.n_padded + (packed.col + jc + jr) * kc),
                                    stride: K::NR,
                                },
                            }
                        };
                        for (index, (ir, rows)) in row_tiles::<K>(mc).enumerate() {
                            let tile = Tile { rows, cols, accumulate: pc > 0 };
                            let (a_panel, c_tile) =
                                (a_packed[index * K::MR * kc..].as_ptr(), c.wrapping_add((ic + ir) * ldc + jc + jr));
                            // SAFETY: the packed panels hold `kc` steps of whole tiles; the
                            // tile's rows and columns lie inside `C`.
                            unsafe { K::tile(kc, a_panel, panel, c_tile, ldc, tile) };
                        }
                    }
                }
            }
        }
    });
}

/// Packs `kc × nc` of `B` into panels of `NR` columns, each `kc` rows of `NR` values, the
/// columns past `nc` zero. With `only_partial`, only a last panel narrower than `NR` (the
/// others are read in place).
///
/// # Safety
/// The CPU runs `K`; `b` is valid for `kc × nc`.
unsafe fn pack_b<K: MicroKernel>(kc: usize, nc: usize, b: View, packed: &mut [f32], only_partial: bool) {
    let nr = K::NR;
    for (panel, dst) in packed.chunks_exact_mut(kc * nr).take(nc.div_ceil(nr)).enumerate() {
        let (j0, width) = (panel * nr, nr.min(nc - panel * nr));
        if only_partial && width == nr {
            continue;
        }
        if b.cs == 1 {
            for (p, row) in dst.chunks_exact_mut(nr).enumerate() {
                // SAFETY: row `p`, columns `j0..j0 + width` lie inside the block.
                let src = unsafe { std::slice::from_raw_parts(b.ptr.add(p * b.rs + j0), width) };
                if width == K::NR {
                    // A whole row: a copy of a length known when compiling, inlined as vector
                    // moves (a call to `memmove` for each row's 64 bytes was 5% of W7 on the
                    // AVX2-only Zen 1).
                    row[..K::NR].copy_from_slice(&src[..K::NR]);
                } else {
                    row[..width].copy_from_slice(src);
                    row[width..].fill(0.0);
                }
            }
        } else {
            if width < nr {
                dst.fill(0.0);
            }
            // A transposed `B` (`x·Wᵀ`, a linear layer's forward): whole panels in square
            // blocks, transposed in registers.
            let side = K::BLOCK;
            let blocked = if b.rs == 1 && width == nr { kc / side * side } else { 0 };
            for p0 in (0..blocked).step_by(side) {
                for across in (0..nr).step_by(side) {
                    // SAFETY: the block at (p0, j0 + across) lies inside `B` and the panel.
                    unsafe {
                        K::transpose(
                            b.ptr.add(p0 + (j0 + across) * b.cs),
                            b.cs,
                            dst[p0 * nr + across..].as_mut_ptr(),
                            nr,
                        )
                    };
                }
            }
            // The rest row by row, reading the panel's columns side by side (NR strided streams).
            // SAFETY: columns `j0..j0 + width` start inside the block.
            let columns: [*const f32; MAX_NR] =
                std::array::from_fn(|j| unsafe { b.ptr.add((j0 + j.min(width - 1)) * b.cs) });
            for (p, row) in dst.chunks_exact_mut(nr).enumerate().skip(blocked) {
                for (value, column) in row[..width].iter_mut().zip(&columns) {
                    // SAFETY: (p, column) lies inside the block.
                    *value = unsafe { *column.add(p * b.rs) };
                }
            }
        }
    }
}

/// Packs `mc × kc` of `A` into one panel for each of its [`row_tiles`], each `kc` columns of
/// `MR` values. The kernels do not store the sums of the rows past a tile's, so what pads a
/// panel does not matter: zero, or a copy of the tile's last row.
///
/// # Safety
/// `a` is valid for `mc × kc`.
unsafe fn pack_a<K: MicroKernel>(mc: usize, kc: usize, a: View, packed: &mut [f32]) {
    let mr = K::MR;
    if a.rs == 1 {
        // A transposed `A` (a weight gradient's `xᵀ`): each column of the block is a
        // contiguous run of `mc` values spread over the panels. A few columns at a time, panel
        // by panel (see `PACK_A_COLUMNS`): a whole panel at a time, each column's `MR` values
        // were a row's stride apart, a new page (and, at strides of 4 KiB, the same L1 set)
        // for every one.
        for (dst, _, height) in tile_panels::<K>(packed, mc, kc) {
            if height < mr {
                dst.fill(0.0);
            }
        }
        for p0 in (0..kc).step_by(PACK_A_COLUMNS) {
            // SAFETY: columns `p0..`, rows `0..mc`, lie inside the block.
            let column = |p: usize| unsafe { std::slice::from_raw_parts(a.ptr.add(p * a.cs), mc) };
            for (dst, i0, height) in tile_panels::<K>(packed, mc, kc) {
                for p in p0..(p0 + PACK_A_COLUMNS).min(kc) {
                    let values = &column(p)[i0..i0 + height];
                    if height == mr {
                        // `mr` is a constant once `K` is known: plain vector moves, not memmove.
                        dst[p * mr..(p + 1) * mr].copy_from_slice(&values[..mr]);
                    } else {
                        dst[p * mr..p * mr + height].copy_from_slice(values);
                    }
                }
            }
        }
        return;
    }
    for (dst, i0, height) in tile_panels::<K>(packed, mc, kc) {
        // SAFETY: rows `i0..i0 + height` start inside the block.
        let rows: [*const f32; MAX_MR] = std::array::from_fn(|i| unsafe { a.ptr.add((i0 + i.min(height - 1)) * a.rs) });
        // A row-major `A` (a linear layer's input, a gradient in backward): in square blocks,
        // transposed in registers. In a panel of fewer rows than `MR` the padding rows repeat
        // the last row there, and are zero in the steps after the blocks.
        let side = K::BLOCK;
        let blocked = if a.cs == 1 { kc / side * side } else { 0 };
        if height < mr {
            dst[blocked * mr..].fill(0.0);
        }
        for p0 in (0..blocked).step_by(side) {
            // SAFETY: steps `p0..p0 + BLOCK` of the panel's rows lie inside the block, and the
            // panel's values `p0 · MR..(p0 + BLOCK) · MR` inside `dst`.
            unsafe { K::pack_a_block(&rows.map(|row| row.add(p0)), dst[p0 * mr..].as_mut_ptr()) };
        }
        // The rest column by column, reading the panel's rows side by side (MR sequential streams).
        for (p, column) in dst.chunks_exact_mut(mr).enumerate().skip(blocked) {
            for (value, row) in column[..height].iter_mut().zip(&rows) {
                // SAFETY: (row, p) lies inside the block.
                *value = unsafe { *row.add(p * a.cs) };
            }
        }
    }
}

/// Each of [`row_tiles`]' panels in `packed` (`kc × MR` values each), with the tile's first
/// row and rows.
fn tile_panels<K: MicroKernel>(
    packed: &mut [f32],
    mc: usize,
    kc: usize,
) -> impl Iterator<Item = (&mut [f32], usize, usize)> {
    packed.chunks_exact_mut(kc * K::MR).zip(row_tiles::<K>(mc)).map(|(dst, (i0, height))| (dst, i0, height))
}

/// Which part of a register tile is real, and whether `C` already holds a partial sum.
#[derive(Clone, Copy)]
pub(crate) struct Tile {
    pub rows: usize,
    pub cols: usize,
    pub accumulate: bool,
}

/// A `kc × NR` panel of `B`: packed (`stride` `NR`) or read in place (the row stride of `B`).
#[derive(Clone, Copy)]
pub(crate) struct Panel {
    pub ptr: *const f32,
    pub stride: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{avx2::Avx2, avx512::Avx512};

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
        use crate::isa::{Isa, detected};
        if detected() >= Isa::Avx2 {
            agrees_with_the_triple_loop::<Avx2>("avx2");
        }
        if detected() >= Isa::Avx512 {
            agrees_with_the_triple_loop::<Avx512>("avx512");
        }
    }

    /// Kernel `K` (which the CPU runs) against [`reference`].
    fn agrees_with_the_triple_loop<K: MicroKernel>(name: &str) {
        let values = |len: usize, seed: usize| -> Vec<f32> {
            (0..len).map(|i| (((i * 7919 + seed * 104_729) % 2003) as f32 / 1001.5) - 1.0).collect()
        };
        // Tile edges (AVX-512: 13, 14, 15 rows and 31, 32, 33 columns; AVX2: 5, 6, 7 rows and
        // 15, 16, 17 columns), smaller tiles (32 = 14 + 14 + 4, 22 = 14 + 8; 32 = 5 × 6 + 2,
        // 22 = 3 × 6 + 4), a k past one block, a single row and column, an empty k, blocks
        // past MC and NC, and a product split by columns though it has more tiles of rows.
        let shapes = [
            (5, 15, 3),
            (6, 16, 8),
            (7, 17, 9),
            (200, 17, 8),
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
            (100, 160, 70),
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
                    let mut packed = vec![f32::NAN; packed_len::<K>(k, n)];
                    // SAFETY: the view covers `B`; the CPU runs `K`.
                    unsafe { pack_rhs::<K>(k, n, b_view, &mut packed) };
                    let packed = Rhs::Packed(Packed { ptr: packed.as_ptr(), n_padded: padded::<K>(n), col: 0 });
                    for b_source in [Rhs::View(b_view), packed] {
                        let mut c = vec![f32::NAN; m * n];
                        // SAFETY: the views cover their matrices, `c` is m × n, the CPU runs `K`.
                        unsafe { matmul::<K>(m, n, k, a_view, b_source, c.as_mut_ptr(), n, threads) };
                        for (got, want) in c.iter().zip(&expected) {
                            assert!(
                                (got - want).abs() <= 1e-4 * (1.0 + want.abs()),
                                "{name} {m}×{n}×{k}: {got} vs {want}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_short_last_tile_is_merged_with_the_one_before_and_the_rows_are_covered_once() {
        let tiles = |mc| row_tiles::<Avx2>(mc).collect::<Vec<_>>();
        assert_eq!(tiles(32), [(0, 6), (6, 6), (12, 6), (18, 6), (24, 4), (28, 4)]);
        assert_eq!(tiles(7), [(0, 4), (4, 3)]);
        assert_eq!(tiles(33), [(0, 6), (6, 6), (12, 6), (18, 6), (24, 6), (30, 3)]);
        assert_eq!(tiles(2), [(0, 2)]);
        assert_eq!(tiles(12), [(0, 6), (6, 6)]);
        assert_eq!(row_tiles::<Avx512>(30).collect::<Vec<_>>(), [(0, 14), (14, 14), (28, 2)]);
        for mc in 1..200 {
            let mut next = 0;
            for (start, rows) in row_tiles::<Avx2>(mc) {
                assert_eq!(start, next, "{mc} rows");
                assert!((1..=Avx2::MR).contains(&rows), "{mc} rows");
                next += rows;
            }
            assert_eq!(next, mc);
        }
    }

    #[test]
    fn the_result_does_not_depend_on_the_thread_count() {
        use crate::isa::{Isa, detected};
        if detected() >= Isa::Avx2 {
            thread_count_does_not_change::<Avx2>();
        }
        if detected() >= Isa::Avx512 {
            thread_count_does_not_change::<Avx512>();
        }
    }

    fn thread_count_does_not_change<K: MicroKernel>() {
        let (m, n, k) = (70, 90, 600);
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 31) % 97) as f32 * 0.013 - 0.6).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 17) % 89) as f32 * 0.011 - 0.5).collect();
        let run = |threads| {
            let mut c = vec![0.0f32; m * n];
            let (a, b) = (View { ptr: a.as_ptr(), rs: k, cs: 1 }, View { ptr: b.as_ptr(), rs: n, cs: 1 });
            // SAFETY: the views cover their matrices, `c` is m × n, the CPU runs `K`.
            unsafe { matmul::<K>(m, n, k, a, Rhs::View(b), c.as_mut_ptr(), n, threads) };
            c
        };
        assert_eq!(run(1), run(2));
        assert_eq!(run(1), run(5));
    }
}
