//! Element-wise maps over one, two or three arrays (broadcast to a common shape), run in
//! parallel with rayon above a size threshold below which the serial loop is faster. Public as
//! `nabla_tensor::elementwise` for the fused kernels of crates above the core.

use ndarray::{ArrayD, IxDyn, Zip};

use crate::tensor::Data;

/// Element count from which element-wise work is split across rayon's threads.
pub const PARALLEL_THRESHOLD: usize = 1 << 15;

/// `f(x)` for each element.
pub fn map1(x: &Data, f: impl Fn(f32) -> f32 + Sync + Send) -> Data {
    if let Some(slice) = x.as_slice() {
        let values = map_slice(slice, &f);
        return ArrayD::from_shape_vec(IxDyn(x.shape()), values).expect("same element count").into_shared();
    }
    let zip = Zip::from(x);
    if x.len() >= PARALLEL_THRESHOLD { zip.par_map_collect(|&v| f(v)) } else { zip.map_collect(|&v| f(v)) }
        .into_shared()
}

fn map_slice(slice: &[f32], f: &(impl Fn(f32) -> f32 + Sync)) -> Vec<f32> {
    zip_slices(slice.len(), |range, out| {
        for (o, &x) in out.iter_mut().zip(&slice[range]) {
            *o = f(x);
        }
    })
}

/// `f(a, b)` over `shape`, to which both inputs broadcast.
///
/// # Panics
/// When an input does not broadcast to `shape` (check with
/// [`broadcast_shapes`](crate::shape::broadcast_shapes) first).
pub fn map2(a: &Data, b: &Data, shape: &[usize], f: impl Fn(f32, f32) -> f32 + Sync + Send) -> Data {
    if let (Some(x), Some(y)) = (same_shape_slice(a, shape), same_shape_slice(b, shape)) {
        let values = zip_slices(x.len(), |range, out| {
            for (o, (&x, &y)) in out.iter_mut().zip(x[range.clone()].iter().zip(&y[range])) {
                *o = f(x, y);
            }
        });
        return ArrayD::from_shape_vec(IxDyn(shape), values).expect("same element count").into_shared();
    }
    let (a, b) = (a.broadcast(shape).expect("checked broadcast"), b.broadcast(shape).expect("checked broadcast"));
    let zip = Zip::from(&a).and(&b);
    if a.len() >= PARALLEL_THRESHOLD {
        zip.par_map_collect(|&x, &y| f(x, y))
    } else {
        zip.map_collect(|&x, &y| f(x, y))
    }
    .into_shared()
}

/// `f(a, b, c)` over `shape`, to which all three inputs broadcast.
///
/// # Panics
/// As [`map2`].
pub fn map3(a: &Data, b: &Data, c: &Data, shape: &[usize], f: impl Fn(f32, f32, f32) -> f32 + Sync + Send) -> Data {
    if let (Some(x), Some(y), Some(z)) =
        (same_shape_slice(a, shape), same_shape_slice(b, shape), same_shape_slice(c, shape))
    {
        let values = zip_slices(x.len(), |range, out| {
            let (x, y, z) = (&x[range.clone()], &y[range.clone()], &z[range]);
            for (o, ((&x, &y), &z)) in out.iter_mut().zip(x.iter().zip(y).zip(z)) {
                *o = f(x, y, z);
            }
        });
        return ArrayD::from_shape_vec(IxDyn(shape), values).expect("same element count").into_shared();
    }
    let a = a.broadcast(shape).expect("checked broadcast");
    let b = b.broadcast(shape).expect("checked broadcast");
    let c = c.broadcast(shape).expect("checked broadcast");
    let zip = Zip::from(&a).and(&b).and(&c);
    if a.len() >= PARALLEL_THRESHOLD {
        zip.par_map_collect(|&x, &y, &z| f(x, y, z))
    } else {
        zip.map_collect(|&x, &y, &z| f(x, y, z))
    }
    .into_shared()
}

/// The values of `data` as a row-major slice when it has exactly `shape` (no broadcast) and a
/// standard layout: the case the slice loops below handle without ndarray's iterators.
fn same_shape_slice<'a>(data: &'a Data, shape: &[usize]) -> Option<&'a [f32]> {
    if data.shape() == shape { data.as_slice() } else { None }
}

/// Builds `len` values in a pooled buffer by calling `fill(range, out)`, which writes the
/// values of `range` into `out` (of the same length), through [`fill_in_parallel`].
fn zip_slices(len: usize, fill: impl Fn(std::ops::Range<usize>, &mut [f32]) + Sync) -> Vec<f32> {
    let mut values = crate::buffers::buffer(len);
    fill_in_parallel(&mut values, |at, out| fill(at..at + out.len(), out));
    values
}

/// Fills `out` chunk by chunk: `fill(offset, chunk)` writes `out[offset..offset + chunk.len()]`,
/// once for everything below [`PARALLEL_THRESHOLD`] elements, otherwise in chunks on rayon's
/// threads. For fused kernels whose per-element function must be inlined into their own loop
/// to vectorise (a closure passed to [`map2`] is called, not inlined, once it grows large).
pub fn fill_in_parallel(out: &mut [f32], fill: impl Fn(usize, &mut [f32]) + Sync) {
    use rayon::prelude::*;
    if out.len() < PARALLEL_THRESHOLD {
        fill(0, out);
    } else {
        let chunk = PARALLEL_THRESHOLD / 2;
        out.par_chunks_mut(chunk).enumerate().for_each(|(i, part)| fill(i * chunk, part));
    }
}

/// `len` zeros, written now, in a buffer from the [buffer store](crate::buffers): for a buffer that a
/// kernel adds into. `vec![0.0; len]` takes fresh pages from the system without writing them;
/// adding into one reads it first, which maps the shared zero page, and the write after that
/// faults again and flushes the page from every other core's TLB (an interrupt to each). Those
/// flushes were 8% of W4 (col2im adding into a convolution's input gradient).
pub fn zeros_written(len: usize) -> Vec<f32> {
    let mut values = crate::buffers::buffer(len);
    values.fill(0.0);
    values
}

/// An array of zeros of shape `dim` in a buffer from [`zeros_written`]: for a gradient that
/// a backward pass adds into or fills only in part (a slice's, a gather's). W5's gradient of
/// its LSTM output, 2.3 MB of which the loss reads one step, was a fresh mapping each step,
/// and reading it faulted 560 times a step.
pub(crate) fn zeros_array(dim: IxDyn) -> ArrayD<f32> {
    let len = ndarray::Dimension::size(&dim);
    ArrayD::from_shape_vec(dim, zeros_written(len)).expect("one value per element")
}

/// The values in row-major order: borrowed when the array is already contiguous, copied
/// otherwise (through ndarray's `assign`, whose strided inner loops are far faster than
/// element-by-element iteration, e.g. for the transposed views that matmul's backward
/// returns). For fused kernels that work on plain slices.
pub fn contiguous(data: &Data) -> std::borrow::Cow<'_, [f32]> {
    match data.as_slice() {
        Some(values) => values.into(),
        None => {
            let mut copy = ndarray::ArrayD::<f32>::zeros(data.raw_dim());
            copy.assign(data);
            let (values, offset) = copy.into_raw_vec_and_offset();
            debug_assert_eq!(offset.unwrap_or(0), 0, "a fresh standard-layout array starts at 0");
            values.into()
        }
    }
}

/// `a + b` for two arrays of one shape (gradient accumulation).
pub(crate) fn add_same_shape(a: &Data, b: &Data) -> Data {
    map2(a, b, a.shape(), |x, y| x + y)
}

/// An element-wise function given by its value and its derivative: implement this for a small
/// `Copy` description (often an enum of functions) and [`Tensor::apply_pointwise`] makes it a
/// differentiable op with a fused forward and backward.
///
/// [`Tensor::apply_pointwise`]: crate::Tensor::apply_pointwise
pub trait Pointwise: Copy + Send + Sync + 'static {
    /// The op's name, for errors.
    fn name(self) -> &'static str;
    /// f(x).
    fn value(self, x: f32) -> f32;
    /// f'(x), given the input `x` and the output `y = f(x)` (whichever is cheaper to use).
    fn derivative(self, x: f32, y: f32) -> f32;
    /// f over a whole array. The default calls [`Pointwise::value`] per element; an enum of
    /// functions can override it to match on the function once, outside the loop, so that
    /// the loop vectorises.
    fn values(self, x: &Data) -> Data {
        map1(x, move |v| self.value(v))
    }
    /// `g · f'(x)` over whole arrays (`y` is the forward output); as [`Pointwise::values`].
    fn gradients(self, g: &Data, x: &Data, y: &Data) -> Data {
        map3(g, x, y, g.shape(), move |g, x, y| g * self.derivative(x, y))
    }
}

/// The op of a [`Pointwise`] function.
pub(crate) struct PointwiseOp<P: Pointwise>(pub(crate) P);

impl<P: Pointwise> crate::Op for PointwiseOp<P> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn forward(&mut self, inputs: &[&Data]) -> crate::Result<Data> {
        Ok(self.0.values(inputs[0]))
    }

    fn backward(&self, ctx: &crate::BackwardContext<'_>) -> crate::Result<Vec<Option<Data>>> {
        Ok(vec![Some(self.0.gradients(ctx.grad_output, &ctx.inputs[0], ctx.output))])
    }
}

impl crate::Tensor {
    /// Applies an element-wise function described by its value and derivative, as one fused
    /// differentiable op (how the core's unary ops and nabla-activations are built). It cannot
    /// fail: the values are computed for any shape, and the op's forward has no other error.
    pub fn apply_pointwise<P: Pointwise>(&self, f: P) -> crate::Tensor {
        crate::Tensor::apply(PointwiseOp(f), &[self]).expect("a pointwise op's forward returns Ok for every input")
    }
}
