//! im2col and col2im: unfolding the receptive fields of a 2-D convolution into the columns of
//! a matrix (so the convolution is one matrix multiply) and folding such columns back, summing
//! where fields overlap (the adjoint, used by the backward pass and the transposed convolution).

/// The geometry of a 2-D convolution over one image of `channels × height × width`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

    /// For each column-matrix row `(c, ki, kj)` and output position, the image index it reads
    /// (or `None` in the padding), visited in row-major order of the column matrix.
    fn for_each(&self, mut visit: impl FnMut(usize, Option<usize>)) {
        let (out_h, out_w) = self.positions;
        let (kh, kw) = self.kernel;
        let mut at = 0;
        for c in 0..self.channels {
            for ki in 0..kh {
                for kj in 0..kw {
                    for oh in 0..out_h {
                        let ih = (oh * self.stride.0 + ki * self.dilation.0) as isize - self.padding.0 as isize;
                        for ow in 0..out_w {
                            let iw = (ow * self.stride.1 + kj * self.dilation.1) as isize - self.padding.1 as isize;
                            let inside =
                                ih >= 0 && iw >= 0 && (ih as usize) < self.height && (iw as usize) < self.width;
                            visit(at, inside.then(|| (c * self.height + ih as usize) * self.width + iw as usize));
                            at += 1;
                        }
                    }
                }
            }
        }
    }
}

/// Unfolds `image` (`channels × height × width`) into `cols` (`rows × out_h·out_w`).
pub(crate) fn im2col(geometry: &Geometry, image: &[f32], cols: &mut [f32]) {
    geometry.for_each(|at, source| cols[at] = source.map_or(0.0, |i| image[i]));
}

/// Folds `cols` back into `image`, adding overlapping contributions (the adjoint of [`im2col`]).
pub(crate) fn col2im(geometry: &Geometry, cols: &[f32], image: &mut [f32]) {
    geometry.for_each(|at, target| {
        if let Some(i) = target {
            image[i] += cols[at];
        }
    });
}
