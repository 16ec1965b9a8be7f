//! Gradient clipping, as `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`.

use nabla_tensor::{Error, Gradients, Result, Tensor};

/// Scales the gradients of `params` together so their joint 2-norm is at most `max_norm`
/// (`clip_grad_norm_`, with its 1e-6 guard), and returns the norm before clipping.
///
/// # Errors
/// [`Error::InvalidArgument`] for a negative `max_norm`, or when the norm is NaN or infinite
/// (PyTorch's `error_if_nonfinite=True`): clipping cannot repair such gradients.
pub fn clip_grad_norm<'a>(
    grads: &mut Gradients,
    params: impl IntoIterator<Item = &'a Tensor>,
    max_norm: f32,
) -> Result<f32> {
    const OP: &str = "clip_grad_norm";
    if max_norm.is_nan() || max_norm < 0.0 {
        return Err(Error::InvalidArgument { op: OP, reason: format!("max_norm must be >= 0, got {max_norm}") });
    }
    let params: Vec<&Tensor> = params.into_iter().collect();
    let squares: f64 = params
        .iter()
        .filter_map(|p| grads.get(p))
        .map(|g| g.data().iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>())
        .sum();
    let norm = squares.sqrt() as f32;
    if !norm.is_finite() {
        return Err(Error::InvalidArgument { op: OP, reason: format!("the gradients' norm is {norm}") });
    }
    let coefficient = max_norm / (norm + 1e-6);
    if coefficient < 1.0 {
        for p in params {
            if let Some(g) = grads.get(p) {
                let scaled = g.mul_scalar(coefficient)?;
                grads.insert(p, scaled)?;
            }
        }
    }
    Ok(norm)
}

/// Clamps every gradient element of `params` to `[-clip, clip]` (`clip_grad_value_`).
///
/// # Errors
/// [`Error::InvalidArgument`] for a negative or NaN `clip`.
pub fn clip_grad_value<'a>(
    grads: &mut Gradients,
    params: impl IntoIterator<Item = &'a Tensor>,
    clip: f32,
) -> Result<()> {
    if clip.is_nan() || clip < 0.0 {
        return Err(Error::InvalidArgument { op: "clip_grad_value", reason: format!("clip must be >= 0, got {clip}") });
    }
    for p in params {
        if let Some(g) = grads.get(p) {
            let clamped = g.clamp(-clip, clip)?;
            grads.insert(p, clamped)?;
        }
    }
    Ok(())
}
