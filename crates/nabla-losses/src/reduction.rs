//! How a loss's per-element values become the returned tensor, and the shape checks every loss
//! shares.

use nabla_tensor::{Error, Result, Tensor};

/// What a loss returns, as PyTorch's `reduction=` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reduction {
    /// The per-element losses, unreduced.
    None,
    /// Their sum (a 0-d tensor).
    Sum,
    /// Their mean (a 0-d tensor); PyTorch's default.
    #[default]
    Mean,
}

/// Applies `reduction` to per-element losses.
///
/// # Errors
/// [`Error::Empty`] for the mean of no elements.
pub(crate) fn reduce(losses: Tensor, reduction: Reduction) -> Result<Tensor> {
    match reduction {
        Reduction::None => Ok(losses),
        Reduction::Sum => losses.sum_all(),
        Reduction::Mean => losses.mean_all(),
    }
}

/// Checks that a loss's input and target have one shape.
///
/// # Errors
/// [`Error::ShapeMismatch`] naming the loss and both shapes.
pub(crate) fn same_shape(op: &'static str, input: &Tensor, target: &Tensor) -> Result<()> {
    if input.shape() != target.shape() {
        return Err(Error::ShapeMismatch {
            op,
            lhs: input.shape().to_vec(),
            rhs: target.shape().to_vec(),
            reason: "input and target must have one shape".into(),
        });
    }
    Ok(())
}

/// The error a loss gives when its target is tracked but the loss defines no gradient for it.
pub(crate) fn untracked_target(op: &'static str, target_tracked: bool) -> Result<()> {
    if target_tracked {
        return Err(Error::NoBackward { op });
    }
    Ok(())
}
