//! The AVX2 micro-kernel of nabla's matrix multiply ([`super::packed`]): a 6 × 16 tile of `C`
//! in 12 of the 16 vector registers (two for the row of `B`, one for the broadcast of `A`),
//! the shape BLIS and OpenBLAS use on Haswell and Zen, and an 8 × 8 transpose in registers for
//! packing a transposed `B` and a row-major `A`.

use std::arch::x86_64::{
    __m256, __m256i, _MM_HINT_T0, _mm_castps_pd, _mm_prefetch, _mm_storel_pd, _mm_storeu_ps, _mm256_add_ps,
    _mm256_castps256_ps128, _mm256_cmpgt_epi32, _mm256_extractf128_ps, _mm256_fmadd_ps, _mm256_loadu_ps,
    _mm256_maskload_ps, _mm256_maskstore_ps, _mm256_permute2f128_ps, _mm256_set1_epi32, _mm256_set1_ps,
    _mm256_setr_epi32, _mm256_setzero_ps, _mm256_shuffle_ps, _mm256_storeu_ps, _mm256_unpackhi_ps, _mm256_unpacklo_ps,
};

use super::packed::{MAX_MR, MicroKernel, Panel, Tile};

/// The AVX2 + FMA kernel.
pub(crate) struct Avx2;

impl MicroKernel for Avx2 {
    const MR: usize = 6;
    /// Two vectors of 8.
    const NR: usize = 16;
    /// 168 rows (BLIS's choice for Haswell): `MC × KC` is 168 KiB, within the 256 KiB L2 of
    /// Intel's client cores and half of Zen's 512 KiB.
    const MC: usize = 6 * 28;
    const BLOCK: usize = 8;
    /// A last tile of 1 or 2 rows is merged with the one before (7 rows as 4 + 3, 8 as 4 + 4):
    /// the 2-row kernel has 4 accumulators and is bound by the FMA latency.
    const MERGED_TAIL: usize = 2;

    unsafe fn tile(kc: usize, a: *const f32, b: Panel, c: *mut f32, ldc: usize, tile: Tile) {
        // SAFETY: the caller's guarantee.
        unsafe {
            match tile.rows {
                1..=2 => kernel::<2>(kc, a, b, c, ldc, tile),
                3..=4 => kernel::<4>(kc, a, b, c, ldc, tile),
                _ => kernel::<{ Avx2::MR }>(kc, a, b, c, ldc, tile),
            }
        }
    }

    unsafe fn transpose(src: *const f32, src_stride: usize, dst: *mut f32, dst_stride: usize) {
        // SAFETY: the caller's guarantee.
        unsafe { transpose8(src, src_stride, dst, dst_stride) }
    }

    unsafe fn pack_a_block(rows: &[*const f32; MAX_MR], dst: *mut f32) {
        // SAFETY: the caller's guarantee.
        unsafe { pack_a_block8(rows, dst) }
    }
}

/// The lanes below `valid` (0 to 8) as a mask for `maskload`/`maskstore`.
#[target_feature(enable = "avx2,fma")]
fn first_lanes(valid: usize) -> __m256i {
    let lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    _mm256_cmpgt_epi32(_mm256_set1_epi32(valid as i32), lane)
}

/// The micro-kernel: `C[tile] (+)= Ã · B̃` for one packed `A` panel and one `B` panel, over
/// the panel's first `ROWS` rows (at most `MR`): a tile of fewer rows runs a smaller kernel
/// instead of multiplying the padding.
///
/// # Safety
/// AVX2 and FMA are available; `a` holds `kc × MR` values and `b` `kc` rows of `NR`; `c` is
/// valid for the tile's rows (at most `ROWS`) and columns at stride `ldc`.
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel<const ROWS: usize>(kc: usize, a: *const f32, b: Panel, c: *mut f32, ldc: usize, tile: Tile) {
    let mut acc: [[__m256; 2]; ROWS] = [[_mm256_setzero_ps(); 2]; ROWS];
    for i in 0..tile.rows {
        // The tile of `C` is read and written after the loop: fetch it now, as BLIS does.
        _mm_prefetch::<_MM_HINT_T0>(c.wrapping_add(i * ldc).cast());
        _mm_prefetch::<_MM_HINT_T0>(c.wrapping_add(i * ldc + 15).cast());
    }
    for p in 0..kc {
        // SAFETY: step `p` of both panels is in bounds.
        let row = unsafe { b.ptr.add(p * b.stride) };
        let (b0, b1) = unsafe { (_mm256_loadu_ps(row), _mm256_loadu_ps(row.add(8))) };
        let column = unsafe { a.add(p * Avx2::MR) };
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = _mm256_set1_ps(unsafe { *column.add(i) });
            row[0] = _mm256_fmadd_ps(ai, b0, row[0]);
            row[1] = _mm256_fmadd_ps(ai, b1, row[1]);
        }
    }
    let (mask0, mask1) = (first_lanes(tile.cols.min(8)), first_lanes(tile.cols.saturating_sub(8).min(8)));
    for (i, row) in acc.iter().enumerate().take(tile.rows) {
        // SAFETY: the masks keep the loads and stores inside the tile's columns of row `i`.
        unsafe {
            let out = c.add(i * ldc);
            let (mut v0, mut v1) = (row[0], row[1]);
            if tile.cols == Avx2::NR {
                if tile.accumulate {
                    v0 = _mm256_add_ps(v0, _mm256_loadu_ps(out));
                    v1 = _mm256_add_ps(v1, _mm256_loadu_ps(out.add(8)));
                }
                _mm256_storeu_ps(out, v0);
                _mm256_storeu_ps(out.add(8), v1);
            } else {
                if tile.accumulate {
                    v0 = _mm256_add_ps(v0, _mm256_maskload_ps(out, mask0));
                    v1 = _mm256_add_ps(v1, _mm256_maskload_ps(out.add(8), mask1));
                }
                _mm256_maskstore_ps(out, mask0, v0);
                _mm256_maskstore_ps(out.add(8), mask1, v1);
            }
        }
    }
}

/// Writes the transpose of the 8 × 8 block whose row `i` is the 8 values from
/// `src + i · src_stride` to the 8 rows from `dst + j · dst_stride`.
///
/// # Safety
/// AVX2 is available; both blocks lie inside their buffers.
#[target_feature(enable = "avx2,fma")]
unsafe fn transpose8(src: *const f32, src_stride: usize, dst: *mut f32, dst_stride: usize) {
    // SAFETY: the caller's guarantee covers the 8 rows read.
    let rows: [__m256; 8] = std::array::from_fn(|i| unsafe { _mm256_loadu_ps(src.add(i * src_stride)) });
    for (j, column) in transposed8(rows).into_iter().enumerate() {
        // SAFETY: the caller's guarantee covers the 8 rows written.
        unsafe { _mm256_storeu_ps(dst.add(j * dst_stride), column) };
    }
}

/// Packs 8 steps of a 6-row panel of `A`: the 8 × 8 transpose of the rows (the last repeated
/// twice), of which each column's first 6 values are stored.
///
/// # Safety
/// AVX2 is available; the first 6 pointers are valid for 8 reads, `dst` for 8 × 6 writes.
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_a_block8(rows: &[*const f32; MAX_MR], dst: *mut f32) {
    // SAFETY: the caller's guarantee covers the 6 rows read.
    let r: [__m256; 8] = std::array::from_fn(|i| unsafe { _mm256_loadu_ps(rows[i.min(Avx2::MR - 1)]) });
    let columns = transposed8(r);
    // Whole vectors, in order: each writes two values past its column, which the next column
    // overwrites (AMD's cores run a masked store as many micro-ops). The last column stores
    // its 6 values alone, as 4 and 2.
    for (p, &column) in columns[..7].iter().enumerate() {
        // SAFETY: column `p` < 7 writes values `6p..6p + 8`, inside the 8 × 6 the caller covers.
        unsafe { _mm256_storeu_ps(dst.add(p * Avx2::MR), column) };
    }
    // SAFETY: values `42..48` are the last of the 8 × 6 the caller covers.
    unsafe {
        let last = dst.add(7 * Avx2::MR);
        _mm_storeu_ps(last, _mm256_castps256_ps128(columns[7]));
        _mm_storel_pd(last.add(4).cast(), _mm_castps_pd(_mm256_extractf128_ps::<1>(columns[7])));
    }
}

/// The transpose of 8 vectors of 8: three rounds of shuffles, 24 in all, instead of 64 scalar
/// loads and stores.
#[target_feature(enable = "avx2,fma")]
fn transposed8(r: [__m256; 8]) -> [__m256; 8] {
    // Interleave pairs of rows, then pairs of pairs, within each 128-bit lane.
    let t: [__m256; 8] = std::array::from_fn(|i| {
        let (a, b) = (r[i & !1], r[i | 1]);
        if i % 2 == 0 { _mm256_unpacklo_ps(a, b) } else { _mm256_unpackhi_ps(a, b) }
    });
    let r: [__m256; 8] = std::array::from_fn(|i| {
        let base = i / 4 * 4;
        let (a, b) = (t[base + i % 4 / 2], t[base + 2 + i % 4 / 2]);
        if i % 2 == 0 { _mm256_shuffle_ps::<0x44>(a, b) } else { _mm256_shuffle_ps::<0xEE>(a, b) }
    });
    // Then the 128-bit lanes, between rows 4 apart.
    std::array::from_fn(|i| {
        let (a, b) = (r[i % 4], r[4 + i % 4]);
        if i < 4 { _mm256_permute2f128_ps::<0x20>(a, b) } else { _mm256_permute2f128_ps::<0x31>(a, b) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_8_by_8_block_is_transposed_between_strided_rows() {
        if crate::isa::detected() < crate::isa::Isa::Avx2 {
            return;
        }
        let src: Vec<f32> = (0..8 * 11).map(|i| i as f32).collect();
        let mut dst = vec![f32::NAN; 8 * 16];
        // SAFETY: 8 rows of 11 and 8 rows of 16 hold both blocks; the CPU has AVX2.
        unsafe { transpose8(src.as_ptr(), 11, dst.as_mut_ptr().add(4), 16) };
        for j in 0..8 {
            for i in 0..8 {
                assert_eq!(dst[j * 16 + 4 + i], src[i * 11 + j], "({i}, {j})");
            }
            assert!(dst[j * 16..j * 16 + 4].iter().all(|v| v.is_nan()), "nothing outside the block");
        }
    }
}
