//! im2col and col2im for a horizontal stride of 2 with AVX2 (DCGAN's 4×4 kernels at stride 2):
//! each channel plane is copied once into a padded plane, and each output row's part of a
//! column-matrix row is then read from it (or added into it) up to 8 positions at a time, with
//! two plain loads and a shuffle, no padding to mask and no table to read. Through
//! [`super::gather`]'s general rounds, the masks and branches made a round of W4's 7 positions
//! cost 8–10 ns on a Zen 3, and im2col and col2im were a fifth of W4.

use super::im2col::Geometry;

/// Whether this module's [`im2col`] and [`col2im`] serve `g` on this CPU.
pub(crate) fn serves(g: &Geometry) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        g.stride.1 == 2 && nabla_tensor::isa::level() == nabla_tensor::isa::Isa::Avx2
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = g;
        false
    }
}

/// The padded copy of one channel plane: rows of `width` values, the image's rows from row
/// `padding.0`, column `padding.1`.
struct Padded {
    width: usize,
    /// Values allocated: the rows, and room for the last window's reads past them.
    len: usize,
    /// Plane values between one output row's reads and the next's.
    row_step: usize,
}

impl Padded {
    fn of(g: &Geometry) -> Padded {
        let (out_h, out_w) = g.positions;
        let last_row = g.first_row + out_h.max(1) - 1;
        let rows = (g.height + 2 * g.padding.0).max(g.stride.0 * last_row + g.dilation.0 * (g.kernel.0 - 1) + 1);
        let width = (g.width + 2 * g.padding.1).max(2 * out_w.max(1) - 1 + g.dilation.1 * (g.kernel.1 - 1));
        // The last 8 positions' two loads read up to 16 values from the last chunk's start.
        let len = rows * width + 2 * out_w.div_ceil(8) * 8 + 16;
        Padded { width, len, row_step: g.stride.0 * width }
    }

    /// Where column-matrix row `(ki, kj)` reads its first output row.
    fn start(&self, g: &Geometry, ki: usize, kj: usize) -> usize {
        (g.stride.0 * g.first_row + g.dilation.0 * ki) * self.width + g.dilation.1 * kj
    }

    /// Each image row's place in the padded plane, with that row's values in `plane`.
    fn image_rows<'a>(&self, g: &Geometry, plane: &'a [f32]) -> impl Iterator<Item = (usize, &'a [f32])> {
        let (width, left, top) = (self.width, g.padding.1, g.padding.0);
        plane.chunks_exact(g.width.max(1)).enumerate().map(move |(row, values)| ((row + top) * width + left, values))
    }
}

/// [`super::im2col::im2col`] for a geometry this module [`serves`].
pub(crate) fn im2col(g: &Geometry, images: &[&[f32]], cols: &mut [f32], row_stride: usize) {
    assert!(serves(g), "stride-2 im2col for a geometry it does not serve");
    let (positions, plane_len, padded) = (g.positions.0 * g.positions.1, g.height * g.width, Padded::of(g));
    // The padding stays 0; each plane overwrites the image's part.
    let mut plane = vec![0.0f32; padded.len];
    for (index, image) in images.iter().enumerate() {
        for channel in 0..g.channels {
            for (at, values) in padded.image_rows(g, &image[channel * plane_len..][..plane_len]) {
                plane[at..at + values.len()].copy_from_slice(values);
            }
            for ki in 0..g.kernel.0 {
                for kj in 0..g.kernel.1 {
                    let row = ((channel * g.kernel.0 + ki) * g.kernel.1 + kj) * row_stride + index * positions;
                    let out = &mut cols[row..row + positions];
                    read_rows(&plane, &padded, padded.start(g, ki, kj), g.positions, out);
                }
            }
        }
    }
}

/// [`super::im2col::col2im`] for a geometry this module [`serves`]. Each plane is copied into
/// the padded plane, the columns are added there, and the image's part copied back: every value
/// receives the same additions in the same order as through the general rounds.
pub(crate) fn col2im(g: &Geometry, cols: &[f32], images: &mut [&mut [f32]], row_stride: usize) {
    assert!(serves(g), "stride-2 col2im for a geometry it does not serve");
    let (positions, plane_len, padded) = (g.positions.0 * g.positions.1, g.height * g.width, Padded::of(g));
    // Padding collects the columns that fall outside the image, never read.
    let mut plane = vec![0.0f32; padded.len];
    for (index, image) in images.iter_mut().enumerate() {
        for channel in 0..g.channels {
            let image_plane = &mut image[channel * plane_len..][..plane_len];
            for (at, values) in padded.image_rows(g, image_plane) {
                plane[at..at + values.len()].copy_from_slice(values);
            }
            for ki in 0..g.kernel.0 {
                for kj in 0..g.kernel.1 {
                    let row = ((channel * g.kernel.0 + ki) * g.kernel.1 + kj) * row_stride + index * positions;
                    add_rows(&cols[row..row + positions], &mut plane, &padded, padded.start(g, ki, kj), g.positions);
                }
            }
            let width = g.width.max(1);
            for (row, values) in image_plane.chunks_exact_mut(width).enumerate() {
                let at = (row + g.padding.0) * padded.width + g.padding.1;
                values.copy_from_slice(&plane[at..at + values.len()]);
            }
        }
    }
}

/// Checks that every read of `padded` from `start` for `positions` lies inside `plane`.
fn check_reads(plane: &[f32], padded: &Padded, start: usize, (out_h, out_w): (usize, usize)) {
    let last = start + out_h.saturating_sub(1) * padded.row_step + 2 * out_w.div_ceil(8) * 8;
    assert!(last <= plane.len(), "reads past the padded plane");
}

/// `out[oh · out_w + ow] = plane[start + oh · row_step + 2 · ow]`.
fn read_rows(plane: &[f32], padded: &Padded, start: usize, positions: (usize, usize), out: &mut [f32]) {
    check_reads(plane, padded, start, positions);
    assert_eq!(out.len(), positions.0 * positions.1);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the CPU has AVX2 (`im2col` and `col2im`, the only callers, check `serves`); the
    // reads lie inside `plane` (checked above) and the writes inside `out`.
    unsafe {
        avx2::read_rows(plane.as_ptr().add(start), padded.row_step, positions, out)
    }
}

/// `plane[start + oh · row_step + 2 · ow] += cols[oh · out_w + ow]`, in order.
fn add_rows(cols: &[f32], plane: &mut [f32], padded: &Padded, start: usize, positions: (usize, usize)) {
    check_reads(plane, padded, start, positions);
    assert_eq!(cols.len(), positions.0 * positions.1);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: as in `read_rows`.
    unsafe {
        avx2::add_rows(cols, plane.as_mut_ptr().add(start), padded.row_step, positions)
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::super::gather::avx2::store_first;
    use std::arch::x86_64::{
        __m128i, __m256, __m256i, _mm_castsi128_ps, _mm_load_ss, _mm_loadl_epi64, _mm_loadu_ps, _mm_movelh_ps,
        _mm_setzero_ps, _mm256_add_ps, _mm256_blendv_ps, _mm256_castpd_ps, _mm256_castps_pd, _mm256_castps128_ps256,
        _mm256_castsi256_ps, _mm256_insertf128_ps, _mm256_loadu_ps, _mm256_loadu_si256, _mm256_permute2f128_ps,
        _mm256_permute4x64_pd, _mm256_set1_ps, _mm256_shuffle_ps, _mm256_storeu_ps, _mm256_unpackhi_ps,
        _mm256_unpacklo_ps,
    };

    /// Lanes 0, 2, 4, … of the 16 values from `at`.
    ///
    /// # Safety
    /// AVX2 is available and the 16 values are readable.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn evens(at: *const f32) -> __m256 {
        // SAFETY: the caller's guarantee.
        let (a, b) = unsafe { (_mm256_loadu_ps(at), _mm256_loadu_ps(at.add(8))) };
        // [a0 a2 b0 b2 | a4 a6 b4 b6], then the 64-bit pairs in the order 0, 2, 1, 3.
        let mixed = _mm256_shuffle_ps::<0b10_00_10_00>(a, b);
        _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(mixed)))
    }

    /// A mask of the first `n` (at most 8) lanes.
    ///
    /// # Safety
    /// AVX2 is available.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn first_lanes(n: usize) -> __m256 {
        static ONES_THEN_ZEROS: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];
        // SAFETY: 8 - n is at most 8, so the 8 values lie inside the table.
        _mm256_castsi256_ps(unsafe { _mm256_loadu_si256(ONES_THEN_ZEROS.as_ptr().add(8 - n).cast::<__m256i>()) })
    }

    /// The `n` (below 8) values at `at` in the first lanes, -0.0 in the others, reading no
    /// value past them.
    ///
    /// # Safety
    /// AVX2 is available, and the `n` values are readable.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn load_first(at: *const f32, n: usize) -> __m256 {
        // Up to 4 values, 0 in the other lanes.
        let part = |at: *const f32, len: usize| {
            // SAFETY: each load reads values below `at + len`, inside the caller's `n`.
            unsafe {
                let pair = || _mm_castsi128_ps(_mm_loadl_epi64(at.cast::<__m128i>()));
                match len {
                    0 => _mm_setzero_ps(),
                    1 => _mm_load_ss(at),
                    2 => pair(),
                    3 => _mm_movelh_ps(pair(), _mm_load_ss(at.add(2))),
                    _ => _mm_loadu_ps(at),
                }
            }
        };
        // SAFETY: the parts read the first `n` values.
        let (low, high) = (part(at, n.min(4)), part(unsafe { at.add(4) }, n.saturating_sub(4)));
        let values = _mm256_insertf128_ps::<1>(_mm256_castps128_ps256(low), high);
        // SAFETY: AVX2 is available (the caller's guarantee).
        _mm256_blendv_ps(_mm256_set1_ps(-0.0), values, unsafe { first_lanes(n) })
    }

    /// `out[oh · out_w + ow] = row[oh · row_step + 2 · ow]` for the positions' output rows.
    ///
    /// # Safety
    /// AVX2 is available; `row` is readable for each output row's `2 · out_w` values rounded up
    /// to 16, and `out` holds `out_h · out_w` values (and no more).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn read_rows(row: *const f32, row_step: usize, (out_h, out_w): (usize, usize), out: &mut [f32]) {
        let (len, out) = (out.len(), out.as_mut_ptr());
        for oh in 0..out_h {
            for first in (0..out_w).step_by(8) {
                let at = oh * out_w + first;
                // SAFETY: the caller's guarantees. A whole store past a row's values writes
                // positions of the rows after it, which write them again.
                unsafe {
                    let values = evens(row.add(oh * row_step + 2 * first));
                    if at + 8 <= len {
                        _mm256_storeu_ps(out.add(at), values);
                    } else {
                        store_first(out.add(at), values, out_w - first);
                    }
                }
            }
        }
    }

    /// `row[oh · row_step + 2 · ow] += cols[oh · out_w + ow]`, output row by output row.
    ///
    /// # Safety
    /// AVX2 is available; `row` is readable and writable for each output row's `2 · out_w`
    /// values rounded up to 16, and `cols` holds `out_h · out_w` values.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn add_rows(cols: &[f32], row: *mut f32, row_step: usize, (out_h, out_w): (usize, usize)) {
        // -0.0 leaves every value it is added to as it was, NaN and -0.0 included.
        let minus_zero = _mm256_set1_ps(-0.0);
        for oh in 0..out_h {
            for first in (0..out_w).step_by(8) {
                // SAFETY: the caller's guarantees; a short last part reads only its own values.
                unsafe {
                    let from = cols.as_ptr().add(oh * out_w + first);
                    let added = match out_w - first {
                        8.. => _mm256_loadu_ps(from),
                        // Values of the output rows after it are read and masked off.
                        left if oh * out_w + first + 8 <= cols.len() => {
                            _mm256_blendv_ps(minus_zero, _mm256_loadu_ps(from), first_lanes(left))
                        }
                        left => load_first(from, left),
                    };
                    // Value i to plane value 2i: interleave with -0.0, then put the 128-bit
                    // halves in order.
                    let (low, high) = (_mm256_unpacklo_ps(added, minus_zero), _mm256_unpackhi_ps(added, minus_zero));
                    let at = row.add(oh * row_step + 2 * first);
                    let sum = _mm256_add_ps(_mm256_loadu_ps(at), _mm256_permute2f128_ps::<0x20>(low, high));
                    _mm256_storeu_ps(at, sum);
                    let sum = _mm256_add_ps(_mm256_loadu_ps(at.add(8)), _mm256_permute2f128_ps::<0x31>(low, high));
                    _mm256_storeu_ps(at.add(8), sum);
                }
            }
        }
    }
}
