//! The one error type of the tensor core: every variant names the op and the shapes involved.

/// A shape, as reported in errors.
pub type Shape = Vec<usize>;

/// What went wrong, with the op's name and the shapes, so a message points at the line to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two (or more) shapes that NumPy broadcasting cannot combine.
    #[error("{op}: shapes {lhs:?} and {rhs:?} cannot be broadcast together")]
    Broadcast { op: &'static str, lhs: Shape, rhs: Shape },

    /// Matrix multiply whose inner dimensions differ.
    #[error("{op}: shapes {lhs:?} and {rhs:?} do not align ({k_lhs} != {k_rhs})")]
    MatmulMismatch { op: &'static str, lhs: Shape, rhs: Shape, k_lhs: usize, k_rhs: usize },

    /// Shapes that must agree and do not (other than by broadcasting).
    #[error("{op}: shapes {lhs:?} and {rhs:?} do not match: {reason}")]
    ShapeMismatch { op: &'static str, lhs: Shape, rhs: Shape, reason: String },

    /// An axis outside `-ndim..ndim`.
    #[error("{op}: axis {axis} is out of range for a tensor of shape {shape:?}")]
    AxisOutOfRange { op: &'static str, axis: isize, shape: Shape },

    /// A reshape to a different number of elements.
    #[error("{op}: cannot reshape {from:?} ({from_numel} elements) into {to:?} ({to_numel} elements)")]
    Reshape { op: &'static str, from: Shape, to: Shape, from_numel: usize, to_numel: usize },

    /// A reshape whose `-1` cannot be inferred, or whose sizes are not valid, shown as written.
    #[error("{op}: cannot reshape {from:?} ({from_numel} elements) into {to:?}: {reason}")]
    ReshapeInfer { op: &'static str, from: Shape, to: Vec<isize>, from_numel: usize, reason: String },

    /// An index outside an axis.
    #[error("{op}: index {index} is out of range for axis {axis} of size {size} (shape {shape:?})")]
    IndexOutOfRange { op: &'static str, index: i64, axis: usize, size: usize, shape: Shape },

    /// An input with no elements where the op needs some.
    #[error("{op}: input of shape {shape:?} is empty")]
    Empty { op: &'static str, shape: Shape },

    /// A bad argument that is not a shape (a step of 0, min > max, a non-scalar `item`).
    #[error("{op}: {reason}")]
    InvalidArgument { op: &'static str, reason: String },

    /// A value that must be finite is not: a loss that became NaN or infinite (training has
    /// diverged), named with where it happened.
    #[error("{op}: {reason}")]
    NonFinite { op: &'static str, reason: String },

    /// `backward` reached an op that defines no backward rule.
    #[error("{op}: this op has no backward rule, so it cannot be differentiated")]
    NoBackward { op: &'static str },

    /// An op's backward returned something that does not fit its input.
    #[error("{op}: backward returned {reason}")]
    BadGradient { op: &'static str, reason: String },

    /// `backward` on a tensor that is not part of a graph: nothing it came from requires a
    /// gradient, or it was computed inside [`no_grad`](crate::no_grad). PyTorch raises
    /// "element 0 of tensors does not require grad" here; without this error a training step
    /// would silently change nothing.
    #[error(
        "{op}: the tensor of shape {shape:?} does not require a gradient, so there is nothing to \
         differentiate: it was computed inside no_grad, or from tensors none of which has \
         requires_grad(true)"
    )]
    NotTracked { op: &'static str, shape: Shape },

    /// An optimizer step given gradients for none of its parameters: the loss does not depend
    /// on them, so the step would change nothing.
    #[error(
        "{op}: none of the {parameters} parameters received a gradient, so this step would change \
         nothing: the loss does not depend on them (were they made with requires_grad(true), and was \
         the optimizer built from this model's parameters?)"
    )]
    NoGradient { op: &'static str, parameters: usize },

    /// An error from inside a larger step, with where it happened: a [`Sequential`]'s child, a
    /// model's layer, a file. The message reads outermost first: `Sequential child 2 (Linear):
    /// matmul: shapes … do not align`.
    ///
    /// [`Sequential`]: https://docs.rs/nabla-nn
    #[error("{context}: {source}")]
    Context { context: String, source: Box<Error> },
}

/// The tensor core's `Result`.
pub type Result<T> = std::result::Result<T, Error>;

/// Constructors for the common cases, for this crate and for users' own ops and layers.
///
/// ```
/// use nabla_tensor::Error;
/// let error = Error::invalid("swish", "beta must be finite, got NaN");
/// assert_eq!(error.to_string(), "swish: beta must be finite, got NaN");
/// let error = Error::shape_mismatch("swish", &[4, 3], &[2], "beta is one value per feature (3)");
/// assert_eq!(error.to_string(), "swish: shapes [4, 3] and [2] do not match: beta is one value per feature (3)");
/// let error = error.context("layer 1 (Swish)");
/// assert!(error.to_string().starts_with("layer 1 (Swish): swish: shapes [4, 3]"));
/// ```
impl Error {
    /// A bad argument that is not a shape: [`Error::InvalidArgument`].
    pub fn invalid(op: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument { op, reason: reason.into() }
    }

    /// Two shapes that must agree and do not: [`Error::ShapeMismatch`].
    pub fn shape_mismatch(op: &'static str, lhs: &[usize], rhs: &[usize], reason: impl Into<String>) -> Self {
        Error::ShapeMismatch { op, lhs: lhs.to_vec(), rhs: rhs.to_vec(), reason: reason.into() }
    }

    /// This error, said to have happened in `context` (a layer, a step, a file):
    /// [`Error::Context`].
    pub fn context(self, context: impl Into<String>) -> Self {
        Error::Context { context: context.into(), source: Box::new(self) }
    }

    /// The innermost error, under every [`Error::Context`] wrapped around it: what to match
    /// on to learn what went wrong.
    pub fn root(&self) -> &Error {
        match self {
            Error::Context { source, .. } => source.root(),
            other => other,
        }
    }
}
