//! im2col and col2im: unfolding the receptive fields of a 2-D convolution into the columns of
//! a matrix (so the convolution is one matrix multiply) and folding such columns back, summing
//! where fields overlap (the adjoint, used by the backward pass and the transposed convolution).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::gather::{self, Round};
use super::stride2;

/// The geometry of a 2-D convolution over one image of `channels × height × width`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Geometry {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub kernel: (usize, usize),
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub dilation: (usize, usize),
    /// The kernel positions `(rows, columns)`: the convolution's output size, or for a
    /// transposed convolution the size of its input.
    pub positions: (usize, usize),
    /// The first row of positions the column matrix covers (0; more for a block of rows).
    pub first_row: usize,
}

impl Geometry {
    /// The positions a convolution of this geometry has over its image, `None` when the
    /// dilated kernel does not fit in the padded image.
    pub fn convolution_positions(&self) -> Option<(usize, usize)> {
        let extent = |size: usize, pad: usize, k: usize, d: usize, s: usize| {
            let padded = size + 2 * pad;
            let span = d * (k - 1) + 1;
            (padded >= span).then(|| (padded - span) / s + 1)
        };
        Some((
            extent(self.height, self.padding.0, self.kernel.0, self.dilation.0, self.stride.0)?,
            extent(self.width, self.padding.1, self.kernel.1, self.dilation.1, self.stride.1)?,
        ))
    }

    /// Rows of the column matrix: `channels · kh · kw`.
    pub fn rows(&self) -> usize {
        self.channels * self.kernel.0 * self.kernel.1
    }

    /// The table [`im2col`] and [`col2im`] read the image through, made once per geometry
    /// (see [`TABLES`]).
    pub fn offsets(&self) -> Arc<Offsets> {
        // The table does not depend on the channels: one key serves every channel count.
        let key = Geometry { channels: 0, ..*self };
        let mut tables = TABLES.lock().unwrap_or_else(|e| e.into_inner());
        let tables = tables.get_or_insert_with(HashMap::new);
        if let Some(offsets) = tables.get(&key) {
            return Arc::clone(offsets);
        }
        let offsets = Arc::new(self.make_offsets());
        let cap = TABLE_CAP_BYTES.load(Ordering::Relaxed);
        if table_bytes(tables) + offsets.bytes() > cap {
            tables.clear();
        }
        if offsets.bytes() <= cap {
            tables.insert(key, Arc::clone(&offsets));
        }
        offsets
    }

    fn make_offsets(&self) -> Offsets {
        let (out_h, out_w) = self.positions;
        let (height, width) = (self.height as isize, self.width as isize);
        let mut rows = Vec::with_capacity(self.kernel.0 * self.kernel.1);
        for ki in 0..self.kernel.0 {
            for kj in 0..self.kernel.1 {
                let right = (kj * self.dilation.1) as isize - self.padding.1 as isize;
                // Where each position of the row reads, `None` for padding. Inside lanes read
                // below `height · width`, which `Offsets::fits` keeps within an i32.
                let reads = (self.first_row..self.first_row + out_h).flat_map(|oh| {
                    let ih = (oh * self.stride.0 + ki * self.dilation.0) as isize - self.padding.0 as isize;
                    (0..out_w).map(move |ow| {
                        let iw = (ow * self.stride.1) as isize + right;
                        ((0..height).contains(&ih) && (0..width).contains(&iw)).then_some(ih * width + iw)
                    })
                });
                rows.push(Round::cover(reads, self.stride.1));
            }
        }
        Offsets { rows, plane: self.height * self.width, positions: out_h * out_w }
    }
}

/// The tables made so far, by geometry (its channels left out). A training loop convolves the
/// same geometries every step, and making W7's tables (a few thousand offsets for each block
/// of each image) cost a third as much as the im2col that read them.
static TABLES: Mutex<Option<HashMap<Geometry, Arc<Offsets>>>> = Mutex::new(None);

/// The most [`TABLES`] holds unless told otherwise, in bytes (48 MiB: 2^20 rounds); past it,
/// it starts again.
pub const DEFAULT_TABLE_CAP_BYTES: usize = (1 << 20) * size_of::<Round>();

static TABLE_CAP_BYTES: AtomicUsize = AtomicUsize::new(DEFAULT_TABLE_CAP_BYTES);

fn table_bytes(tables: &HashMap<Geometry, Arc<Offsets>>) -> usize {
    tables.values().map(|table| table.bytes()).sum()
}

/// Sets the most the convolution table cache holds, in bytes (0 keeps none; a table is then
/// made for each convolution), and empties it; returns the bytes freed.
pub fn set_table_cache_cap(bytes: usize) -> usize {
    TABLE_CAP_BYTES.store(bytes, Ordering::Relaxed);
    clear_table_cache()
}

/// Empties the convolution table cache; returns the bytes freed (tables still in use by a
/// running convolution are freed when it ends).
pub fn clear_table_cache() -> usize {
    let mut tables = TABLES.lock().unwrap_or_else(|e| e.into_inner());
    tables.take().map_or(0, |tables| table_bytes(&tables))
}

/// The bytes the convolution table cache holds now.
pub fn table_cache_bytes() -> usize {
    TABLES.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map_or(0, table_bytes)
}

/// For each kernel offset `(ki, kj)`, where in a channel plane of the image each position of
/// a column matrix's row reads, as [`Round`]s. It does not depend on the number of channels,
/// so one table serves an image split by channel.
pub(crate) struct Offsets {
    /// `kh · kw` rows of rounds; every inside lane reads below `plane`.
    rows: Vec<Vec<Round>>,
    plane: usize,
    positions: usize,
}

impl Offsets {
    /// What the table's rounds take.
    fn bytes(&self) -> usize {
        self.rows.iter().map(Vec::len).sum::<usize>() * size_of::<Round>()
    }

    /// Whether a plane of `height × width` values has offsets that fit in an i32.
    pub fn fits(height: usize, width: usize) -> bool {
        height.checked_mul(width).is_some_and(|plane| plane <= i32::MAX as usize)
    }

    /// Each column-matrix row `(c, ki, kj)` of `channels` planes (rows `row_stride` apart,
    /// from 0) with its plane and offsets.
    fn rows(&self, g: &Geometry, row_stride: usize) -> impl Iterator<Item = (usize, usize, &[Round])> {
        assert!(
            self.plane == g.height * g.width && self.positions == g.positions.0 * g.positions.1,
            "offsets built for another geometry"
        );
        (0..g.channels).flat_map(move |c| {
            self.rows.iter().enumerate().map(move |(kernel_offset, rounds)| {
                let row = c * g.kernel.0 * g.kernel.1 + kernel_offset;
                (row * row_stride, c * self.plane, &rounds[..])
            })
        })
    }
}

/// Unfolds `image` (`channels × height × width`) into the `rows × out_h·out_w` matrix whose
/// rows start `row_stride` apart in `cols` (`out_h·out_w` for a matrix of its own; more when
/// the columns of several images sit side by side), through `offsets` (`g.offsets()`).
pub(crate) fn im2col(g: &Geometry, offsets: &Offsets, image: &[f32], cols: &mut [f32], row_stride: usize) {
    if stride2::serves(g) {
        return stride2::im2col(g, image, cols, row_stride);
    }
    let positions = g.positions.0 * g.positions.1;
    for (at, plane_at, rounds) in offsets.rows(g, row_stride) {
        let plane = &image[plane_at..plane_at + g.height * g.width];
        // SAFETY: `Geometry::offsets` made every inside lane read below the plane's length,
        // which the assert in `rows` ties to this geometry; the rounds cover the row's
        // positions.
        unsafe { gather::gather(plane, rounds, &mut cols[at..at + positions]) };
    }
}

/// Folds `cols` (rows `row_stride` apart, as in [`im2col`]) back into `image`, adding
/// overlapping contributions (the adjoint of [`im2col`]).
pub(crate) fn col2im(g: &Geometry, offsets: &Offsets, cols: &[f32], image: &mut [f32], row_stride: usize) {
    if stride2::serves(g) {
        return stride2::col2im(g, cols, image, row_stride);
    }
    let positions = g.positions.0 * g.positions.1;
    for (at, plane_at, rounds) in offsets.rows(g, row_stride) {
        let plane = &mut image[plane_at..plane_at + g.height * g.width];
        // SAFETY: as in `im2col`; and one kernel offset reads each pixel from one position at
        // most (positions are `stride` apart), so no two lanes of a row read the same value.
        unsafe { gather::scatter_add(&cols[at..at + positions], rounds, plane) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each element of the column matrix in order, row `(c, ki, kj)`, column `(oh, ow)` (from
    /// the geometry's first row), with the image value it reads (`None`: padding).
    fn reads(g: &Geometry) -> impl Iterator<Item = Option<usize>> + '_ {
        let (out_h, out_w) = g.positions;
        let offsets = (0..g.channels)
            .flat_map(move |c| (0..g.kernel.0).flat_map(move |ki| (0..g.kernel.1).map(move |kj| (c, ki, kj))));
        offsets.flat_map(move |(c, ki, kj)| {
            (g.first_row..g.first_row + out_h).flat_map(move |oh| {
                (0..out_w).map(move |ow| {
                    let ih = (oh * g.stride.0 + ki * g.dilation.0) as isize - g.padding.0 as isize;
                    let iw = (ow * g.stride.1 + kj * g.dilation.1) as isize - g.padding.1 as isize;
                    let inside = (0..g.height as isize).contains(&ih) && (0..g.width as isize).contains(&iw);
                    inside.then(|| (c * g.height + ih as usize) * g.width + iw as usize)
                })
            })
        })
    }

    /// The definition, one element at a time.
    fn im2col_by_element(g: &Geometry, image: &[f32]) -> Vec<f32> {
        reads(g).map(|read| read.map_or(0.0, |at| image[at])).collect()
    }

    /// The adjoint's definition: each element of `cols` added to the image value it reads, in
    /// order.
    fn col2im_by_element(g: &Geometry, cols: &[f32], image: &mut [f32]) {
        for (read, value) in reads(g).zip(cols) {
            if let Some(at) = read {
                image[at] += value;
            }
        }
    }

    #[test]
    fn runs_agree_with_the_element_by_element_definition_and_col2im_is_the_adjoint() {
        // Strides, paddings wider than the kernel's reach, dilations, a kernel that fits only in
        // the padding, and horizontal strides of 2 (a path of their own with AVX2) over more
        // than 8 positions a row and with a horizontal dilation; each whole, and as a block of
        // output rows from the second.
        let bases = [
            ((3, 3), (1, 1), (1, 1), (1, 1), (5, 6)),
            ((4, 4), (2, 2), (1, 1), (1, 1), (7, 7)),
            ((3, 2), (2, 3), (0, 2), (1, 2), (6, 9)),
            ((2, 3), (1, 2), (3, 4), (2, 1), (3, 4)),
            ((1, 1), (3, 3), (0, 0), (1, 1), (7, 8)),
            ((3, 3), (1, 1), (2, 2), (1, 1), (1, 1)),
            ((4, 4), (2, 2), (1, 1), (1, 1), (28, 29)),
            ((3, 3), (1, 2), (0, 0), (1, 2), (5, 21)),
            ((4, 4), (2, 2), (1, 1), (1, 1), (14, 14)),
        ];
        let geometries = bases.into_iter().flat_map(|(kernel, stride, padding, dilation, (height, width))| {
            let mut g = Geometry {
                channels: 2,
                height,
                width,
                kernel,
                stride,
                padding,
                dilation,
                positions: (0, 0),
                first_row: 0,
            };
            g.positions = g.convolution_positions().expect("the kernel fits");
            let (out_h, out_w) = g.positions;
            let block = (out_h >= 3).then_some(Geometry { positions: (out_h - 2, out_w), first_row: 1, ..g });
            std::iter::once(g).chain(block)
        });
        for g in geometries {
            let (height, width) = (g.height, g.width);
            let image: Vec<f32> = (0..2 * height * width).map(|i| i as f32 * 0.5 - 3.0).collect();
            let expected = im2col_by_element(&g, &image);
            let positions = g.positions.0 * g.positions.1;
            // NaNs after the matrix, which it must leave.
            let mut cols = vec![f32::NAN; expected.len() + 16];
            let offsets = g.offsets();
            im2col(&g, &offsets, &image, &mut cols[..expected.len()], positions);
            assert_eq!(cols[..expected.len()], expected, "{g:?}");
            assert!(cols[expected.len()..].iter().all(|v| v.is_nan()), "{g:?}");
            cols.truncate(expected.len());
            // <im2col(x), y> = <x, col2im(y)> for any y.
            let y: Vec<f32> = (0..cols.len()).map(|i| ((i * 37) % 11) as f32 - 5.0).collect();
            let mut folded = vec![0.0f32; image.len()];
            col2im(&g, &offsets, &y, &mut folded, positions);
            let lhs: f64 = cols.iter().zip(&y).map(|(a, b)| f64::from(a * b)).sum();
            let rhs: f64 = image.iter().zip(&folded).map(|(a, b)| f64::from(a * b)).sum();
            assert!((lhs - rhs).abs() < 1e-6 * lhs.abs().max(1.0), "{g:?}: {lhs} vs {rhs}");
            // Into an image that holds values (-0.0 among them), the same sums in the same
            // order as one element at a time, bit for bit.
            let mut start: Vec<f32> = image.iter().map(|v| if *v == 0.0 { -0.0 } else { v * 0.1 }).collect();
            start[0] = -0.0;
            let mut want = start.clone();
            col2im_by_element(&g, &y, &mut want);
            col2im(&g, &offsets, &y, &mut start, positions);
            let bits = |values: &[f32]| values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&start), bits(&want), "{g:?}");
            // Columns of -0.0 added to an image of -0.0 leave it -0.0.
            let mut negative_zeros = vec![-0.0f32; image.len()];
            col2im(&g, &offsets, &vec![-0.0; y.len()], &mut negative_zeros, positions);
            assert!(negative_zeros.iter().all(|v| v.to_bits() == (-0.0f32).to_bits()), "{g:?}");

            // The same matrix as the middle block of three images' columns side by side: it
            // writes only its own columns, and col2im reads only those.
            let row_stride = 3 * positions;
            let mut wide = vec![f32::NAN; g.rows() * row_stride];
            im2col(&g, &offsets, &image, &mut wide[positions..], row_stride);
            for (row, expected_row) in expected.chunks(positions).enumerate() {
                let block = &wide[row * row_stride..(row + 1) * row_stride];
                assert!(block[..positions].iter().chain(&block[2 * positions..]).all(|v| v.is_nan()), "{g:?}");
                assert_eq!(&block[positions..2 * positions], expected_row, "{g:?}");
            }
            let mut wide_y = vec![f32::NAN; wide.len()];
            for (row, y_row) in y.chunks(positions).enumerate() {
                wide_y[row * row_stride + positions..][..positions].copy_from_slice(y_row);
            }
            let mut folded_wide = vec![0.0f32; image.len()];
            col2im(&g, &offsets, &wide_y[positions..], &mut folded_wide, row_stride);
            assert_eq!(folded_wide, folded, "{g:?}");
        }
    }

    #[test]
    fn a_table_is_made_once_for_every_channel_count() {
        let mut g = Geometry {
            channels: 3,
            height: 9,
            width: 11,
            kernel: (3, 3),
            stride: (1, 2),
            padding: (1, 0),
            dilation: (1, 1),
            positions: (0, 0),
            first_row: 0,
        };
        g.positions = g.convolution_positions().expect("the kernel fits");
        let first = g.offsets();
        assert!(Arc::ptr_eq(&first, &Geometry { channels: 1, ..g }.offsets()));
        assert!(!Arc::ptr_eq(&first, &Geometry { first_row: 1, positions: (1, g.positions.1), ..g }.offsets()));
    }
}
