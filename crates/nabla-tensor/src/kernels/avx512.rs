//! The AVX-512 micro-kernel of nabla's matrix multiply ([`super::packed`]): a 14 × 32 tile of
//! `C` in 28 of the 32 vector registers, and a 16 × 16 transpose in registers for packing a
//! transposed `B`.

use std::arch::x86_64::{
    __m512, _mm512_add_ps, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_mask_storeu_ps, _mm512_maskz_loadu_ps,
    _mm512_set1_ps, _mm512_setzero_ps, _mm512_shuffle_f32x4, _mm512_shuffle_ps, _mm512_storeu_ps, _mm512_unpackhi_ps,
    _mm512_unpacklo_ps,
};

use super::packed::{MAX_MR, MicroKernel, Panel, Tile};

/// The AVX-512F kernel.
pub(crate) struct Avx512;

impl MicroKernel for Avx512 {
    const MR: usize = 14;
    /// Two vectors of 16.
    const NR: usize = 32;
    /// 504 rows: `MC × KC` is 504 KiB, within a Xeon's 1 MiB L2.
    const MC: usize = 14 * 36;
    const BLOCK: usize = 16;

    unsafe fn tile(kc: usize, a: *const f32, b: Panel, c: *mut f32, ldc: usize, tile: Tile) {
        // SAFETY: the caller's guarantee.
        unsafe {
            match tile.rows {
                1..=4 => kernel::<4>(kc, a, b, c, ldc, tile),
                5..=8 => kernel::<8>(kc, a, b, c, ldc, tile),
                _ => kernel::<{ Avx512::MR }>(kc, a, b, c, ldc, tile),
            }
        }
    }

    unsafe fn transpose(src: *const f32, src_stride: usize, dst: *mut f32, dst_stride: usize) {
        // SAFETY: the caller's guarantee.
        unsafe { transpose16(src, src_stride, dst, dst_stride) }
    }

    unsafe fn pack_a_block(rows: &[*const f32; MAX_MR], dst: *mut f32) {
        // SAFETY: the caller's guarantee.
        unsafe { pack_a_block16(rows, dst) }
    }
}

/// Writes the transpose of the 16 × 16 block whose row `i` is the 16 values from
/// `src + i · src_stride` to the 16 rows from `dst + j · dst_stride`.
///
/// # Safety
/// AVX-512F is available; both blocks lie inside their buffers.
#[target_feature(enable = "avx512f")]
unsafe fn transpose16(src: *const f32, src_stride: usize, dst: *mut f32, dst_stride: usize) {
    // SAFETY: the caller's guarantee covers the 16 rows read.
    let rows: [__m512; 16] = std::array::from_fn(|i| unsafe { _mm512_loadu_ps(src.add(i * src_stride)) });
    for (j, column) in transposed16(rows).into_iter().enumerate() {
        // SAFETY: the caller's guarantee covers the 16 rows written.
        unsafe { _mm512_storeu_ps(dst.add(j * dst_stride), column) };
    }
}

/// Packs 16 steps of a 14-row panel of `A`: the 16 × 16 transpose of the rows (the last
/// repeated twice), of which each column's first 14 values are stored.
///
/// # Safety
/// AVX-512F is available; the first 14 pointers are valid for 16 reads, `dst` for 16 × 14
/// writes.
#[target_feature(enable = "avx512f")]
unsafe fn pack_a_block16(rows: &[*const f32; MAX_MR], dst: *mut f32) {
    // SAFETY: the caller's guarantee covers the 14 rows read.
    let r: [__m512; 16] = std::array::from_fn(|i| unsafe { _mm512_loadu_ps(rows[i.min(Avx512::MR - 1)]) });
    const FIRST_14: u16 = (1 << Avx512::MR) - 1;
    for (p, column) in transposed16(r).into_iter().enumerate() {
        // SAFETY: the caller's guarantee covers the 16 × 14 values written.
        unsafe { _mm512_mask_storeu_ps(dst.add(p * Avx512::MR), FIRST_14, column) };
    }
}

/// The transpose of 16 vectors of 16 (element `j` of vector `i` becomes element `i` of vector
/// `j`): four rounds of shuffles, 64 in all, instead of 256 scalar loads and stores.
#[target_feature(enable = "avx512f")]
fn transposed16(r: [__m512; 16]) -> [__m512; 16] {
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
    std::array::from_fn(|i| {
        let (a, b) = (t[i % 8], t[8 + i % 8]);
        if i < 8 { _mm512_shuffle_f32x4::<0x88>(a, b) } else { _mm512_shuffle_f32x4::<0xDD>(a, b) }
    })
}

/// The micro-kernel: `C[tile] (+)= Ã · B̃` for one packed `A` panel and one `B` panel, over
/// the panel's first `ROWS` rows (at most `MR`): a tile of fewer rows (the last of 32, say)
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
        let column = unsafe { a.add(p * Avx512::MR) };
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
            if tile.cols == Avx512::NR {
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

    #[test]
    fn a_16_by_16_block_is_transposed_between_strided_rows() {
        if crate::isa::detected() < crate::isa::Isa::Avx512 {
            return;
        }
        let src: Vec<f32> = (0..16 * 20).map(|i| i as f32).collect();
        let mut dst = vec![f32::NAN; 16 * 32];
        // SAFETY: 16 rows of 20 and 16 rows of 32 hold both blocks; the CPU has AVX-512F.
        unsafe { transpose16(src.as_ptr(), 20, dst.as_mut_ptr().add(8), 32) };
        for j in 0..16 {
            for i in 0..16 {
                assert_eq!(dst[j * 32 + 8 + i], src[i * 20 + j], "({i}, {j})");
            }
            assert!(dst[j * 32..j * 32 + 8].iter().all(|v| v.is_nan()), "nothing outside the block");
        }
    }
}
