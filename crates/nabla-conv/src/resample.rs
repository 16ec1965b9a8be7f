//! Layers that move pixels: `Upsample` (nearest or bilinear, by scale or to a size),
//! `ReflectionPad2d` and `ReplicationPad2d`.

use nabla_nn::Module;
use nabla_tensor::{Error, Result, Tensor};

use crate::kernels::resample::{ResampleOp, Taps};

fn plane_dims(op: &'static str, input: &Tensor) -> Result<(usize, usize)> {
    match input.shape() {
        &[_, _, h, w] if h > 0 && w > 0 => Ok((h, w)),
        shape => Err(Error::ShapeMismatch {
            op,
            lhs: shape.to_vec(),
            rhs: vec![],
            reason: "needs a non-empty input [N, C, H, W]".into(),
        }),
    }
}

/// How [`Upsample`] fills in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsampleMode {
    /// Each output pixel copies the input pixel it falls in (PyTorch's `nearest`).
    Nearest,
    /// Linear in each direction between the four nearest input pixels (`bilinear`,
    /// `align_corners=False`).
    Bilinear,
}

/// The output size of an [`Upsample`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UpsampleSize {
    /// Multiply height and width by these factors.
    Scale(f32, f32),
    /// An exact output size.
    Size(usize, usize),
}

/// `nn.Upsample(size | scale_factor, mode)`.
#[derive(Debug, Clone, Copy, PartialEq, Module)]
pub struct Upsample {
    #[module(skip)]
    pub size: UpsampleSize,
    #[module(skip)]
    pub mode: UpsampleMode,
}

/// The taps along one axis for output index `o`, as PyTorch computes source coordinates.
fn axis_taps(mode: UpsampleMode, input: usize, scale: f32, o: usize) -> Vec<(usize, f32)> {
    match mode {
        UpsampleMode::Nearest => vec![(((o as f32 * scale).floor() as usize).min(input - 1), 1.0)],
        UpsampleMode::Bilinear => {
            let source = ((o as f32 + 0.5) * scale - 0.5).max(0.0);
            let low = (source.floor() as usize).min(input - 1);
            let high = (low + 1).min(input - 1);
            let frac = source - low as f32;
            if high == low { vec![(low, 1.0)] } else { vec![(low, 1.0 - frac), (high, frac)] }
        }
    }
}

impl Module for Upsample {
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C, H', W']`. PyTorch: `nn.Upsample`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let (h, w) = plane_dims("Upsample", input)?;
        let (out_h, out_w, scale_h, scale_w) = match self.size {
            UpsampleSize::Scale(sh, sw) if sh > 0.0 && sw > 0.0 && sh.is_finite() && sw.is_finite() => {
                // PyTorch uses 1/scale_factor for the source coordinates when given a scale.
                ((h as f32 * sh).floor() as usize, (w as f32 * sw).floor() as usize, 1.0 / sh, 1.0 / sw)
            }
            UpsampleSize::Size(oh, ow) => (oh, ow, h as f32 / oh.max(1) as f32, w as f32 / ow.max(1) as f32),
            UpsampleSize::Scale(sh, sw) => {
                return Err(Error::InvalidArgument {
                    op: "Upsample",
                    reason: format!("scale factors must be positive and finite, got ({sh}, {sw})"),
                });
            }
        };
        if out_h == 0 || out_w == 0 {
            return Err(Error::InvalidArgument {
                op: "Upsample",
                reason: format!("the output {out_h}×{out_w} is empty"),
            });
        }
        check_output_size("Upsample", input, (out_h, out_w))?;
        let taps = Taps::separable(
            w,
            (out_h, out_w),
            |r| axis_taps(self.mode, h, scale_h, r),
            |c| axis_taps(self.mode, w, scale_w, c),
        );
        Tensor::apply(ResampleOp { name: "Upsample", taps }, &[input])
    }
}

/// Refuses an output plane or tensor above [`nabla_tensor::shape::MAX_ELEMENTS`] (the plane on
/// its own too, since the taps are laid out per output row and column even for an empty batch).
fn check_output_size(op: &'static str, input: &Tensor, (h, w): (usize, usize)) -> Result<()> {
    let dims = input.shape();
    nabla_tensor::shape::checked_numel(op, &[h, w])?;
    nabla_tensor::shape::checked_numel(op, &[dims[0], dims[1], h, w]).map(|_| ())
}

/// Padding that continues the image: mirrored without repeating the edge (reflection) or by
/// repeating the edge (replication). `(left, right, top, bottom)`, as PyTorch orders them.
fn pad(
    op: &'static str,
    input: &Tensor,
    (left, right, top, bottom): (usize, usize, usize, usize),
    reflect: bool,
) -> Result<Tensor> {
    let (h, w) = plane_dims(op, input)?;
    if reflect && (left >= w || right >= w || top >= h || bottom >= h) {
        return Err(Error::InvalidArgument {
            op,
            reason: format!(
                "reflection padding ({left}, {right}, {top}, {bottom}) must be smaller than the input's {h}×{w}"
            ),
        });
    }
    let source = |o: usize, before: usize, size: usize| -> usize {
        let i = o as isize - before as isize;
        let last = size as isize - 1;
        let mapped = if reflect {
            if i < 0 {
                -i
            } else if i > last {
                2 * last - i
            } else {
                i
            }
        } else {
            i.clamp(0, last)
        };
        mapped as usize
    };
    let grown =
        |size: usize, a: usize, b: usize| size.checked_add(a).and_then(|s| s.checked_add(b)).unwrap_or(usize::MAX);
    let out_hw = (grown(h, top, bottom), grown(w, left, right));
    check_output_size(op, input, out_hw)?;
    let taps = Taps::separable(w, out_hw, |r| vec![(source(r, top, h), 1.0)], |c| vec![(source(c, left, w), 1.0)]);
    Tensor::apply(ResampleOp { name: op, taps }, &[input])
}

/// `nn.ReflectionPad2d((left, right, top, bottom))`: pads by mirroring the image at its edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Module)]
pub struct ReflectionPad2d(#[module(skip)] pub (usize, usize, usize, usize));

impl Module for ReflectionPad2d {
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C, H + top + bottom, W + left + right]`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        pad("ReflectionPad2d", input, self.0, true)
    }
}

/// `nn.ReplicationPad2d((left, right, top, bottom))`: pads by repeating the edge pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Module)]
pub struct ReplicationPad2d(#[module(skip)] pub (usize, usize, usize, usize));

impl Module for ReplicationPad2d {
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C, H + top + bottom, W + left + right]`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        pad("ReplicationPad2d", input, self.0, false)
    }
}
