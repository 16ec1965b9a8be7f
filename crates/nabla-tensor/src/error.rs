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
}

/// The tensor core's `Result`.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn invalid(op: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument { op, reason: reason.into() }
    }
}
