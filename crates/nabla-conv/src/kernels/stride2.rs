//! im2col and col2im for a horizontal stride of 2 with AVX2 (DCGAN's 4×4 kernels at stride 2):
//! the rows of each channel plane that the column matrix reads are copied once into a padded
//! plane, and each output row's part of a column-matrix row is then read from it (or added into
//! it) up to 8 positions at a time, with two plain loads and a shuffle, no padding to mask and no
//! table to read. Through [`super::gather`]'s general rounds, the masks and branches made a
//! round of W4's 7 positions cost 8–10 ns on a Zen 3, and im2col and col2im were a fifth of W4.
//! (Stride 1 through this path was no faster on the Zen 3: W3 −2.6%, W6 −1%, W7 +3%, where
//! the rounds copy whole runs of rows at once.)

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

/// The padded copy of the rows of one channel plane that the geometry's output rows read: rows
/// of `width` values, image row `top + r` in row `r` from column `padding.1` (rows above or
/// below the image, and the columns beside it, are padding).
struct Padded {
    width: usize,
    /// The image row in the first row (negative within the top padding).
    top: isize,
    /// The padded rows.
    rows: usize,
    /// Values allocated: the rows, and room for the last output row's reads past them.
    len: usize,
    /// Plane values between one output row's reads and the next's.
    row_step: usize,
}

impl Padded {
    fn of(g: &Geometry) -> Padded {
        let (out_h, out_w) = g.positions;
        let rows = g.stride.0 * (out_h.max(1) - 1) + g.dilation.0 * (g.kernel.0 - 1) + 1;
        let top = (g.stride.0 * g.first_row) as isize - g.padding.0 as isize;
        let width = (g.width + 2 * g.padding.1).max(2 * (out_w.max(1) - 1) + g.dilation.1 * (g.kernel.1 - 1) + 1);
        Padded { width, top, rows, len: rows * width + Self::reach(out_w) + 16, row_step: g.stride.0 * width }
    }

    /// The values an output row's reads span from its first: 8 positions at a time, 2 apart.
    fn reach(out_w: usize) -> usize {
        2 * out_w.div_ceil(8) * 8
    }

    /// Where column-matrix row `(ki, kj)` reads its first output row.
    fn start(&self, g: &Geometry, ki: usize, kj: usize) -> usize {
        g.dilation.0 * ki * self.width + g.dilation.1 * kj
    }

    /// The image rows the padded rows hold, each with its place in the padded plane.
    fn image_rows(&self, g: &Geometry) -> impl Iterator<Item = (usize, usize)> + use<> {
        let (top, width, left) = (self.top, self.width, g.padding.1);
        let first = top.max(0) as usize;
        let end = (top + self.rows as isize).clamp(0, g.height as isize) as usize;
        (first..end.max(first)).map(move |row| (row, (row as isize - top) as usize * width + left))
    }
}

/// [`super::im2col::im2col`] for a geometry this module [`serves`].
pub(crate) fn im2col(g: &Geometry, image: &[f32], cols: &mut [f32], row_stride: usize) {
    assert!(serves(g), "stride-2 im2col for a geometry it does not serve");
    let (positions, plane_len, padded) = (g.positions.0 * g.positions.1, g.height * g.width, Padded::of(g));
    // The padding stays 0; each plane overwrites the image's part.
    let mut plane = vec![0.0f32; padded.len];
    for channel in 0..g.channels {
        let image_plane = &image[channel * plane_len..][..plane_len];
        for (row, at) in padded.image_rows(g) {
            plane[at..at + g.width].copy_from_slice(&image_plane[row * g.width..][..g.width]);
        }
        for ki in 0..g.kernel.0 {
            for kj in 0..g.kernel.1 {
                let row = ((channel * g.kernel.0 + ki) * g.kernel.1 + kj) * row_stride;
                read_rows(&plane, &padded, padded.start(g, ki, kj), g, &mut cols[row..row + positions]);
            }
        }
    }
}

/// [`super::im2col::col2im`] for a geometry this module [`serves`]. The image's rows are copied
/// into the padded plane, the columns are added there, and the rows copied back: every value
/// receives the same additions in the same order as through the general rounds.
pub(crate) fn col2im(g: &Geometry, cols: &[f32], image: &mut [f32], row_stride: usize) {
    assert!(serves(g), "stride-2 col2im for a geometry it does not serve");
    let (positions, plane_len, padded) = (g.positions.0 * g.positions.1, g.height * g.width, Padded::of(g));
    // Padding collects the columns that fall outside the image, never read.
    let mut plane = vec![0.0f32; padded.len];
    for channel in 0..g.channels {
        let image_plane = &mut image[channel * plane_len..][..plane_len];
        for (row, at) in padded.image_rows(g) {
            plane[at..at + g.width].copy_from_slice(&image_plane[row * g.width..][..g.width]);
        }
        for ki in 0..g.kernel.0 {
            for kj in 0..g.kernel.1 {
                let row = ((channel * g.kernel.0 + ki) * g.kernel.1 + kj) * row_stride;
                add_rows(&cols[row..row + positions], &mut plane, &padded, padded.start(g, ki, kj), g);
            }
        }
        for (row, at) in padded.image_rows(g) {
            image_plane[row * g.width..][..g.width].copy_from_slice(&plane[at..at + g.width]);
        }
    }
}

/// Checks that every access of the output rows from `start` lies inside `plane`.
fn check_reach(plane: &[f32], padded: &Padded, start: usize, g: &Geometry) {
    let (out_h, out_w) = g.positions;
    let last = start + out_h.saturating_sub(1) * padded.row_step + Padded::reach(out_w);
    assert!(last <= plane.len(), "reads past the padded plane");
}

/// `out[oh · out_w + ow] = plane[start + oh · row_step + 2 · ow]`.
fn read_rows(plane: &[f32], padded: &Padded, start: usize, g: &Geometry, out: &mut [f32]) {
    check_reach(plane, padded, start, g);
    assert_eq!(out.len(), g.positions.0 * g.positions.1);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the CPU has AVX2 (`im2col` and `col2im`, the only callers, check `serves`); the
    // reads lie inside `plane` (checked above) and the writes inside `out`.
    unsafe {
        avx2::read_rows(plane.as_ptr().add(start), padded.row_step, g.positions, out)
    }
}

/// `plane[start + oh · row_step + 2 · ow] += cols[oh · out_w + ow]`, in order.
fn add_rows(cols: &[f32], plane: &mut [f32], padded: &Padded, start: usize, g: &Geometry) {
    check_reach(plane, padded, start, g);
    assert_eq!(cols.len(), g.positions.0 * g.positions.1);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: as in `read_rows`.
    unsafe {
        avx2::add_rows(cols, plane.as_mut_ptr().add(start), padded.row_step, g.positions)
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
    /// value past them. `super::super::gather`'s AVX2 `load` does this through `vmaskmovps`
    /// where a window crosses the slice's end; through it, a 7-position round of col2im here
    /// took 6.0 ns instead of 5.05 (medians of 9 runs, W4's geometry, AVX2 on a Zen 3).
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
    /// AVX2 is available; `row` is readable for each output row's [`super::Padded::reach`]
    /// values, and `out` holds `out_h · out_w` values (and no more).
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
    /// AVX2 is available; `row` is readable and writable for each output row's
    /// [`super::Padded::reach`] values, and `cols` holds `out_h · out_w` values.
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
                    let at = row.add(oh * row_step + 2 * first);
                    // Value i to plane value 2i: interleave with -0.0, then put the 128-bit
                    // halves in order.
                    let (low, high) = (_mm256_unpacklo_ps(added, minus_zero), _mm256_unpackhi_ps(added, minus_zero));
                    let sum = _mm256_add_ps(_mm256_loadu_ps(at), _mm256_permute2f128_ps::<0x20>(low, high));
                    _mm256_storeu_ps(at, sum);
                    let sum = _mm256_add_ps(_mm256_loadu_ps(at.add(8)), _mm256_permute2f128_ps::<0x31>(low, high));
                    _mm256_storeu_ps(at.add(8), sum);
                }
            }
        }
    }
}
