//! The 2-D convolution op and its transpose, forward and backward side by side: im2col plus one
//! matrix multiply per group and chunk of images, parallel over the chunks of the batch.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use nabla_tensor::buffers;
use nabla_tensor::elementwise::{contiguous, zeros_written};
use nabla_tensor::linalg::{Matrix, matmul_into};
use nabla_tensor::{BackwardContext, Data, Error, Op, Result};
use rayon::prelude::*;

use super::im2col::{Geometry, Offsets, col2im, im2col};

/// The hyperparameters of a convolution (per axis: rows, columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConvSpec {
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub dilation: (usize, usize),
    pub groups: usize,
    /// `Some(output_padding)` for a transposed convolution.
    pub transposed: Option<(usize, usize)>,
}

/// Shapes of one call, derived from the input and weight.
struct Layout {
    batch: usize,
    groups: usize,
    /// Channels per group on the input side and the output side.
    in_per_group: usize,
    out_per_group: usize,
    in_hw: (usize, usize),
    out_hw: (usize, usize),
    /// The im2col geometry of one group: over the input image for a convolution, over the
    /// output image for a transposed one.
    geometry: Geometry,
    /// The geometry's offsets table, fetched when first needed: a large image's blocks have
    /// their own (W7's frozen network never needs the whole image's 147k offsets).
    offsets: OnceLock<Arc<Offsets>>,
    /// [`Layout::row_blocks`] and their offsets, fetched when first needed, for all the
    /// batch's images.
    blocks: OnceLock<Vec<(Geometry, Arc<Offsets>)>>,
}

/// Columns a column matrix should have at least. Images with fewer kernel positions are
/// unfolded side by side, several into one matrix, so that each product is wide enough for
/// the matrix-multiply kernel: W4's 7×7 maps gave products of 49 columns, one per image, which
/// ran at a fraction of the kernel's speed (docs/performance.md).
const MIN_COLUMNS: usize = 256;

/// Columns per block of a large image's products ([`Layout::row_blocks`]): 576 rows
/// (64 channels, 3×3) of 512 columns are 1.2 MB, within L2.
const BLOCK_COLUMNS: usize = 512;

impl Layout {
    fn offsets(&self) -> &Offsets {
        self.offsets.get_or_init(|| self.geometry.offsets())
    }

    fn blocks(&self) -> &[(Geometry, Arc<Offsets>)] {
        self.blocks.get_or_init(|| self.row_blocks().map(|block| (block, block.offsets())).collect())
    }

    /// Kernel positions per image: the columns one image adds to a column matrix.
    fn positions(&self) -> usize {
        self.geometry.positions.0 * self.geometry.positions.1
    }

    /// Images unfolded into one column matrix: enough for [`MIN_COLUMNS`] columns. It depends
    /// only on the shapes, so results do not depend on the thread count.
    fn images_per_chunk(&self) -> usize {
        MIN_COLUMNS.div_ceil(self.positions().max(1)).clamp(1, self.batch.max(1))
    }

    /// [`im2col`], split by channel across threads when the batch has fewer chunks than there
    /// are threads (style transfer's single 128×128 image: 37 MB of columns from one thread).
    fn unfold(&self, image: &[f32], cols: &mut [f32], row_stride: usize) {
        self.unfold_with(&self.geometry, self.offsets(), image, cols, row_stride);
    }

    /// [`Layout::unfold`] for a geometry of this layout's (a block's).
    fn unfold_with(&self, g: &Geometry, offsets: &Offsets, image: &[f32], cols: &mut [f32], row_stride: usize) {
        if !self.split_by_channel() {
            return im2col(g, offsets, image, cols, row_stride);
        }
        let one = Geometry { channels: 1, ..*g };
        let rows = g.kernel.0 * g.kernel.1 * row_stride;
        cols.par_chunks_mut(rows)
            .zip(image.par_chunks(g.height * g.width))
            .for_each(|(cols, plane)| im2col(&one, offsets, plane, cols, row_stride));
    }

    /// [`col2im`], split by channel like [`Layout::unfold`].
    fn fold(&self, cols: &[f32], image: &mut [f32], row_stride: usize) {
        self.fold_with(&self.geometry, self.offsets(), cols, image, row_stride);
    }

    /// [`Layout::fold`] for a geometry of this layout's (a block's).
    fn fold_with(&self, g: &Geometry, offsets: &Offsets, cols: &[f32], image: &mut [f32], row_stride: usize) {
        if !self.split_by_channel() {
            return col2im(g, offsets, cols, image, row_stride);
        }
        let one = Geometry { channels: 1, ..*g };
        let rows = g.kernel.0 * g.kernel.1 * row_stride;
        image
            .par_chunks_mut(g.height * g.width)
            .zip(cols.par_chunks(rows))
            .for_each(|(plane, cols)| col2im(&one, offsets, cols, plane, row_stride));
    }

    /// Whether the image's products run in blocks of output rows ([`Layout::row_blocks`]): one
    /// image per chunk, with at least two blocks' worth of positions.
    fn in_blocks(&self) -> bool {
        self.images_per_chunk() == 1 && self.positions() >= 2 * BLOCK_COLUMNS
    }

    /// Output rows per block: about [`BLOCK_COLUMNS`] positions.
    fn block_rows(&self) -> usize {
        (BLOCK_COLUMNS / self.geometry.positions.1.max(1)).max(1)
    }

    /// The geometry of each block of output rows, in order (the last may be shorter).
    fn row_blocks(&self) -> impl Iterator<Item = Geometry> + '_ {
        let (g, block_rows) = (&self.geometry, self.block_rows());
        let (out_h, out_w) = g.positions;
        (0..out_h).step_by(block_rows).map(move |first_row| Geometry {
            positions: (block_rows.min(out_h - first_row), out_w),
            first_row,
            ..*g
        })
    }

    /// One image's group's gradients, block by block of output rows as in
    /// [`Layout::forward_in_blocks`]: `dw = dy · im2col(x)ᵀ` and `dx += col2im(wᵀ · dy)`, each
    /// when asked for (`w` `out_channels × rows`; `x`, `dy` and `dx` the group's planes). Each
    /// block's columns stay in the cache between im2col and the products: whole, W6's image
    /// made 2.4 MB of columns, and style transfer's 37 MB. The blocks run one after another
    /// (neighbouring blocks add into the same input rows); the products use every thread.
    #[allow(clippy::too_many_arguments)]
    fn backward_in_blocks(
        &self,
        x: &[f32],
        w: &[f32],
        dy: &[f32],
        out_channels: usize,
        mut dx: Option<&mut [f32]>,
        mut dw: Option<&mut [f32]>,
    ) {
        let rows = self.geometry.rows();
        let (plane, most) = (self.positions(), self.block_rows() * self.geometry.positions.1);
        let (mut cols, mut block_dy) = (buffers::buffer(rows * most), buffers::buffer(out_channels * most));
        let mut block_dw = if dw.is_some() { buffers::buffer(out_channels * rows) } else { Vec::new() };
        for (index, (block, offsets)) in self.blocks().iter().enumerate() {
            let (columns, at) = (block.positions.0 * block.positions.1, block.first_row * block.positions.1);
            let block_dy = &mut block_dy[..out_channels * columns];
            block_dy
                .par_chunks_mut(columns)
                .with_min_len(self.planes_per_task())
                .enumerate()
                .for_each(|(channel, values)| values.copy_from_slice(&dy[channel * plane + at..][..columns]));
            let cols = &mut cols[..rows * columns];
            if let Some(dw) = dw.as_deref_mut() {
                self.unfold_with(block, offsets, x, cols, columns);
                // The first block's product is written in place, the others added.
                let product = if index == 0 { &mut *dw } else { &mut block_dw[..] };
                matmul_into([out_channels, rows, columns], Matrix::plain(block_dy), Matrix::transposed(cols), product);
                if index > 0 {
                    dw.iter_mut().zip(&block_dw).for_each(|(sum, value)| *sum += value);
                }
            }
            if let Some(dx) = dx.as_deref_mut() {
                matmul_into([rows, columns, out_channels], Matrix::transposed(w), Matrix::plain(block_dy), cols);
                self.fold_with(block, offsets, cols, dx, columns);
            }
        }
        buffers::give(cols);
        buffers::give(block_dy);
        buffers::give(block_dw);
    }

    /// `y = w · im2col(x)` for one image's group (`w` `out_channels × rows`, `y` its output
    /// planes), block by block of output rows of about [`BLOCK_COLUMNS`] columns, on rayon's
    /// threads. Each block's columns stay in the cache between im2col and the product; whole,
    /// style transfer's 128×128 image made 37 MB of columns, written out and read back.
    fn forward_in_blocks(&self, x: &[f32], w: &[f32], out_channels: usize, y: &mut [f32]) {
        let rows = self.geometry.rows();
        let blocks: Vec<(usize, Vec<f32>)> = self
            .blocks()
            .par_iter()
            .map(|(block, offsets)| {
                let columns = block.positions.0 * block.positions.1;
                let mut cols = buffers::buffer(rows * columns);
                im2col(block, offsets, x, &mut cols, columns);
                let mut block_y = buffers::buffer(out_channels * columns);
                matmul_into([out_channels, columns, rows], Matrix::plain(w), Matrix::plain(&cols), &mut block_y);
                buffers::give(cols);
                (block.first_row * block.positions.1, block_y)
            })
            .collect();
        y.par_chunks_mut(self.positions()).with_min_len(self.planes_per_task()).enumerate().for_each(
            |(channel, plane)| {
                for (at, block_y) in &blocks {
                    let columns = block_y.len() / out_channels;
                    plane[*at..*at + columns].copy_from_slice(&block_y[channel * columns..][..columns]);
                }
            },
        );
        blocks.into_iter().for_each(|(_, block_y)| {
            buffers::give(block_y);
        });
    }

    /// Output planes per task when the blocked paths copy between blocks and planes: all of
    /// them (one task) when the batch's images keep every thread busy, else one each (W7's
    /// single image: its forward copied 4 MB a layer on one thread while the other waited).
    fn planes_per_task(&self) -> usize {
        if self.split_by_channel() { 1 } else { usize::MAX }
    }

    /// A chunk's column matrix of `len` values; none for a large image's convolution, whose
    /// blocks have their own.
    fn chunk_columns(&self, transposed: bool, len: usize) -> Vec<f32> {
        if self.in_blocks() && !transposed { Vec::new() } else { buffers::buffer(len) }
    }

    /// Whether im2col/col2im split by channel: when the batch runs as fewer chunks of images
    /// than there are threads, and there are channels and values to split.
    fn split_by_channel(&self) -> bool {
        let g = &self.geometry;
        let chunks = self.batch.div_ceil(self.images_per_chunk());
        chunks < rayon::current_num_threads() && g.channels > 1 && g.height * g.width > 0
    }

    fn in_len(&self) -> usize {
        self.in_per_group * self.groups * self.in_hw.0 * self.in_hw.1
    }
    fn out_len(&self) -> usize {
        self.out_per_group * self.groups * self.out_hw.0 * self.out_hw.1
    }
}

impl ConvSpec {
    pub(crate) fn name(&self) -> &'static str {
        if self.transposed.is_some() { "conv_transpose2d" } else { "conv2d" }
    }

    /// Validates shapes and computes the layout.
    fn layout(&self, x: &[usize], w: &[usize]) -> Result<Layout> {
        let op = self.name();
        let shapes = |reason: String| Error::ShapeMismatch { op, lhs: x.to_vec(), rhs: w.to_vec(), reason };
        let (&[batch, channels, h, wd], &[w0, w1, kh, kw]) = (x, w) else {
            return Err(shapes("needs an input [N, C, H, W] and a weight of 4 axes".into()));
        };
        let g = self.groups;
        let (in_per_group, out_per_group) = match self.transposed {
            None => (w1, w0 / g),
            Some(_) => (w0 / g, w1),
        };
        let weight_in = if self.transposed.is_some() { w0 } else { w1 * g };
        if channels != weight_in || !channels.is_multiple_of(g) {
            return Err(shapes(format!(
                "the input has {channels} channels, the weight expects {weight_in} (groups {g})"
            )));
        }
        let geometry = |channels, height, width| Geometry {
            channels,
            height,
            width,
            kernel: (kh, kw),
            stride: self.stride,
            padding: self.padding,
            dilation: self.dilation,
            positions: (0, 0),
            first_row: 0,
        };
        let too_large = || {
            shapes(format!(
                "the kernel ({kh}×{kw}, dilation {:?}) is larger than the padded input ({h}×{wd}, padding {:?})",
                self.dilation, self.padding
            ))
        };
        if !Offsets::fits(h, wd) {
            return Err(shapes(format!("an input plane of {h}×{wd} is more than 2^31 values")));
        }
        let (geometry, out_hw) = match self.transposed {
            None => {
                let mut geometry = geometry(in_per_group, h, wd);
                geometry.positions = geometry.convolution_positions().ok_or_else(too_large)?;
                (geometry, geometry.positions)
            }
            Some(output_padding) => {
                let size = |n: usize, s: usize, p: usize, d: usize, k: usize, op: usize| {
                    ((n - 1) * s + d * (k - 1) + op + 1).checked_sub(2 * p)
                };
                let (Some(oh), Some(ow)) = (
                    size(h, self.stride.0, self.padding.0, self.dilation.0, kh, output_padding.0),
                    size(wd, self.stride.1, self.padding.1, self.dilation.1, kw, output_padding.1),
                ) else {
                    return Err(shapes(format!("padding {:?} leaves no output", self.padding)));
                };
                if oh == 0 || ow == 0 {
                    return Err(shapes(format!("padding {:?} leaves no output", self.padding)));
                }
                if !Offsets::fits(oh, ow) {
                    return Err(shapes(format!("an output plane of {oh}×{ow} is more than 2^31 values")));
                }
                // The kernel sits at each input position of the (larger) output image.
                (Geometry { positions: (h, wd), ..geometry(out_per_group, oh, ow) }, (oh, ow))
            }
        };
        let (offsets, blocks) = (OnceLock::new(), OnceLock::new());
        Ok(Layout { batch, groups: g, in_per_group, out_per_group, in_hw: (h, wd), out_hw, geometry, offsets, blocks })
    }
}

/// One group's planes within each image of a chunk: `channels` planes of `len` values, from
/// `offset` within each image of `image_len` values.
#[derive(Clone, Copy)]
struct Planes {
    image_len: usize,
    offset: usize,
    channels: usize,
    len: usize,
}

impl Planes {
    fn of_image<'a>(&self, image: &'a [f32]) -> &'a [f32] {
        &image[self.offset..self.offset + self.channels * self.len]
    }

    fn of_image_mut<'a>(&self, image: &'a mut [f32]) -> &'a mut [f32] {
        &mut image[self.offset..self.offset + self.channels * self.len]
    }

    /// The planes of every image in `chunk`, side by side as one `channels × images·len`
    /// matrix; for a single image, the planes themselves.
    fn side_by_side<'a>(&self, chunk: &'a [f32]) -> Cow<'a, [f32]> {
        let images = chunk.len() / self.image_len;
        if images == 1 {
            return Cow::Borrowed(self.of_image(chunk));
        }
        let mut side = vec![0.0f32; self.channels * images * self.len];
        for (image, values) in chunk.chunks(self.image_len).enumerate() {
            for (channel, plane) in self.of_image(values).chunks(self.len).enumerate() {
                side[(channel * images + image) * self.len..][..self.len].copy_from_slice(plane);
            }
        }
        Cow::Owned(side)
    }

    /// Lets `fill` write a `channels × images·len` matrix and leaves it in each image's planes
    /// of `chunk` (the inverse of [`Planes::side_by_side`]); for a single image, in place.
    fn write_side_by_side(&self, chunk: &mut [f32], fill: impl FnOnce(&mut [f32])) {
        let images = chunk.len() / self.image_len;
        if images == 1 {
            fill(self.of_image_mut(chunk));
            return;
        }
        let mut side = vec![0.0f32; self.channels * images * self.len];
        fill(&mut side);
        for (image, values) in chunk.chunks_mut(self.image_len).enumerate() {
            for (channel, plane) in self.of_image_mut(values).chunks_mut(self.len).enumerate() {
                plane.copy_from_slice(&side[(channel * images + image) * self.len..][..self.len]);
            }
        }
    }
}

/// The op: inputs `x`, `weight`, and optionally `bias`.
pub(crate) struct ConvOp(pub(crate) ConvSpec);

impl ConvOp {
    /// Where group `group`'s planes sit in the input and in the output images.
    fn planes(layout: &Layout, group: usize) -> (Planes, Planes) {
        let (lin, lout) = (layout.in_hw.0 * layout.in_hw.1, layout.out_hw.0 * layout.out_hw.1);
        let (cig, cog) = (layout.in_per_group, layout.out_per_group);
        (
            Planes { image_len: layout.in_len(), offset: group * cig * lin, channels: cig, len: lin },
            Planes { image_len: layout.out_len(), offset: group * cog * lout, channels: cog, len: lout },
        )
    }
}

impl Op for ConvOp {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let layout = self.0.layout(inputs[0].shape(), inputs[1].shape())?;
        let (x, w) = (contiguous(inputs[0]), contiguous(inputs[1]));
        let bias = inputs.get(2).map(|b| contiguous(b));
        let transposed = self.0.transposed.is_some();
        let (g, cig, cog) = (layout.groups, layout.in_per_group, layout.out_per_group);
        let (in_len, out_len, lout) = (layout.in_len(), layout.out_len(), layout.out_hw.0 * layout.out_hw.1);
        let (rows, positions, per_chunk) = (layout.geometry.rows(), layout.positions(), layout.images_per_chunk());
        // col2im adds into a transposed convolution's output; a convolution's is overwritten.
        let len = layout.batch * out_len;
        let mut out = if transposed { zeros_written(len) } else { buffers::buffer(len) };
        out.par_chunks_mut(per_chunk * out_len).zip(x.par_chunks(per_chunk * in_len)).for_each(|(out, x)| {
            let columns = x.len() / in_len * positions;
            let mut cols = layout.chunk_columns(transposed, rows * columns);
            for group in 0..g {
                let (x_planes, out_planes) = Self::planes(&layout, group);
                if transposed {
                    // cols = W_gᵀ x_g, folded into each output image.
                    let w_g = &w[group * cig * rows..(group + 1) * cig * rows];
                    matmul_into(
                        [rows, columns, cig],
                        Matrix::transposed(w_g),
                        Matrix::plain(&x_planes.side_by_side(x)),
                        &mut cols,
                    );
                    for (image, out) in out.chunks_mut(out_len).enumerate() {
                        layout.fold(&cols[image * positions..], out_planes.of_image_mut(out), columns);
                    }
                } else if layout.in_blocks() {
                    // A large image: y_g = W_g im2col(x_g) in blocks of output rows.
                    let w_g = &w[group * cog * rows..(group + 1) * cog * rows];
                    layout.forward_in_blocks(x_planes.of_image(x), w_g, cog, out_planes.of_image_mut(out));
                } else {
                    // y_g = W_g im2col(x_g).
                    let w_g = &w[group * cog * rows..(group + 1) * cog * rows];
                    for (image, x) in x.chunks(in_len).enumerate() {
                        layout.unfold(x_planes.of_image(x), &mut cols[image * positions..], columns);
                    }
                    out_planes.write_side_by_side(out, |y| {
                        matmul_into([cog, columns, rows], Matrix::plain(w_g), Matrix::plain(&cols), y)
                    });
                }
            }
            if let Some(bias) = &bias {
                out.chunks_mut(lout)
                    .zip(bias.iter().cycle())
                    .for_each(|(plane, b)| plane.iter_mut().for_each(|v| *v += b));
            }
            buffers::give(cols);
        });
        let shape = [layout.batch, g * cog, layout.out_hw.0, layout.out_hw.1];
        Ok(Data::from_shape_vec(nabla_tensor::ndarray::IxDyn(&shape), out).expect("one value per output"))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let layout = self.0.layout(ctx.inputs[0].shape(), ctx.inputs[1].shape())?;
        let (x, w, dy) = (contiguous(&ctx.inputs[0]), contiguous(&ctx.inputs[1]), contiguous(ctx.grad_output));
        let transposed = self.0.transposed.is_some();
        let (g, cig, cog) = (layout.groups, layout.in_per_group, layout.out_per_group);
        let (in_len, out_len, lout) = (layout.in_len(), layout.out_len(), layout.out_hw.0 * layout.out_hw.1);
        let (rows, positions, per_chunk) = (layout.geometry.rows(), layout.positions(), layout.images_per_chunk());
        let weight_len = w.len();
        let (need_dx, need_dw) = (ctx.needs_grad[0], ctx.needs_grad[1]);
        // Each chunk of images writes its own part of the input gradient and returns its share
        // of the weight gradient, each computed only when needed (a frozen network needs no dw;
        // a first layer no dx).
        let mut dx = zeros_written(if need_dx { layout.batch * in_len } else { 0 });
        let dx_chunks: Vec<&mut [f32]> = if need_dx {
            dx.chunks_mut(per_chunk * in_len).collect()
        } else {
            (0..layout.batch.div_ceil(per_chunk)).map(|_| Default::default()).collect()
        };
        let per_chunk_dw: Vec<Vec<f32>> = dx_chunks
            .into_par_iter()
            .zip(x.par_chunks(per_chunk * in_len))
            .zip(dy.par_chunks(per_chunk * out_len))
            .map(|((dx, x), dy)| {
                let columns = x.len() / in_len * positions;
                let mut cols = layout.chunk_columns(transposed, rows * columns);
                // Every group's product overwrites its part of the chunk's weight gradient. From
                // the pool: W6's 32 chunks allocated 9.4 MB of fresh pages every step.
                let mut dw = if need_dw { buffers::buffer(weight_len) } else { Vec::new() };
                for group in 0..g {
                    let (x_planes, dy_planes) = Self::planes(&layout, group);
                    let w_range = group * weight_len / g..(group + 1) * weight_len / g;
                    if transposed {
                        // x = W_g · im2col(dy): dx_g = W_g im2col(dy_g); dW_g = x_g im2col(dy_g)ᵀ.
                        for (image, dy) in dy.chunks(out_len).enumerate() {
                            layout.unfold(dy_planes.of_image(dy), &mut cols[image * positions..], columns);
                        }
                        if need_dx {
                            x_planes.write_side_by_side(dx, |dx_g| {
                                matmul_into(
                                    [cig, columns, rows],
                                    Matrix::plain(&w[w_range.clone()]),
                                    Matrix::plain(&cols),
                                    dx_g,
                                )
                            });
                        }
                        if need_dw {
                            let x_g = x_planes.side_by_side(x);
                            matmul_into(
                                [cig, rows, columns],
                                Matrix::plain(&x_g),
                                Matrix::transposed(&cols),
                                &mut dw[w_range],
                            );
                        }
                    } else {
                        // y_g = W_g im2col(x_g): dW_g = dy_g im2col(x_g)ᵀ; dx_g = col2im(W_gᵀ dy_g).
                        let dy_g = dy_planes.side_by_side(dy);
                        if layout.in_blocks() {
                            let (x_g, w_g) = (x_planes.of_image(x), &w[w_range.clone()]);
                            let dx_g = need_dx.then(|| x_planes.of_image_mut(dx));
                            let dw_g = need_dw.then(|| &mut dw[w_range]);
                            layout.backward_in_blocks(x_g, w_g, &dy_g, cog, dx_g, dw_g);
                            continue;
                        }
                        if need_dw {
                            for (image, x) in x.chunks(in_len).enumerate() {
                                layout.unfold(x_planes.of_image(x), &mut cols[image * positions..], columns);
                            }
                            matmul_into(
                                [cog, rows, columns],
                                Matrix::plain(&dy_g),
                                Matrix::transposed(&cols),
                                &mut dw[w_range.clone()],
                            );
                        }
                        if need_dx {
                            matmul_into(
                                [rows, columns, cog],
                                Matrix::transposed(&w[w_range]),
                                Matrix::plain(&dy_g),
                                &mut cols,
                            );
                            for (image, dx) in dx.chunks_mut(in_len).enumerate() {
                                layout.fold(&cols[image * positions..], x_planes.of_image_mut(dx), columns);
                            }
                        }
                    }
                }
                buffers::give(cols);
                dw
            })
            .collect();
        // Summed in chunk order, so the result does not depend on the thread count.
        let mut dw = zeros_written(if need_dw { weight_len } else { 0 });
        for chunk_dw in per_chunk_dw {
            dw.iter_mut().zip(&chunk_dw).for_each(|(a, b)| *a += b);
            buffers::give(chunk_dw);
        }
        let grad_bias = (ctx.inputs.len() > 2 && ctx.needs_grad[2]).then(|| {
            let channels = g * cog;
            // The planes summed in parallel, each in one running f32 sum as PyTorch sums them
            // (summed in f64 lanes instead, conv_transpose2d_c_k5s1's bias gradient came out
            // as the exact −0.01600746 where PyTorch's golden value is −0.01600933, outside
            // the 1e-5 the golden tests allow), then added per channel in plane order. On one
            // thread these sums were 3% of W3 on the AVX2-only Zen 1.
            let plane_sums: Vec<f32> = dy.par_chunks(lout.max(1)).map(|values| values.iter().sum::<f32>()).collect();
            let mut db = vec![0.0f32; channels];
            plane_sums.iter().enumerate().for_each(|(plane, sum)| db[plane % channels] += sum);
            Data::from_shape_vec(nabla_tensor::ndarray::IxDyn(&[channels]), db).expect("one per channel")
        });
        let dx = need_dx.then(|| Data::from_shape_vec(ctx.inputs[0].raw_dim(), dx).expect("input shape"));
        let dw = need_dw.then(|| Data::from_shape_vec(ctx.inputs[1].raw_dim(), dw).expect("weight shape"));
        let mut grads = vec![dx, dw];
        if ctx.inputs.len() > 2 {
            grads.push(grad_bias);
        }
        Ok(grads)
    }
}
