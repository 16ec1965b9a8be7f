//! The losses of style transfer: Gram matrices of feature maps (which correlations between
//! channels an image has, wherever they occur — its style), the content loss, the weighted
//! style loss over several layers, and total variation (a smoothness prior on the pixels).

use nabla_tensor::{Error, Result, Tensor};

use crate::gram::GramOp;

/// `G = F Fᵀ / (C·H·W)` for features `[N, C, H, W]` flattened to `F` `[N, C, H·W]`: `[N, C, C]`.
///
/// # Errors
/// [`Error::ShapeMismatch`] for another rank; [`Error::Empty`] for no elements.
pub fn gram_matrix(features: &Tensor) -> Result<Tensor> {
    let &[n, c, h, w] = features.shape() else {
        return Err(Error::ShapeMismatch {
            op: "gram_matrix",
            lhs: features.shape().to_vec(),
            rhs: vec![],
            reason: "needs features [N, C, H, W]".into(),
        });
    };
    if features.numel() == 0 {
        return Err(Error::Empty { op: "gram_matrix", shape: features.shape().to_vec() });
    }
    let flat = features.reshape(&[n as isize, c as isize, (h * w) as isize])?;
    Tensor::apply(GramOp { scale: (c * h * w) as f32 }, &[&flat])
}

/// The mean squared difference between the image's features and the content's.
///
/// # Errors
/// [`Error::ShapeMismatch`] for different shapes.
pub fn content_loss(features: &Tensor, target: &Tensor) -> Result<Tensor> {
    nabla_losses::mse(features, target, nabla_losses::Reduction::Mean)
}

/// `Σₗ wₗ · mean((Gₗ − Aₗ)²)` over layers: the image's Gram matrices `G`, the style's `A` and
/// a weight for each.
///
/// # Errors
/// [`Error::InvalidArgument`] when the three lists differ in length or are empty; shape errors.
pub fn style_loss(grams: &[Tensor], targets: &[Tensor], weights: &[f32]) -> Result<Tensor> {
    if grams.len() != targets.len() || grams.len() != weights.len() || grams.is_empty() {
        return Err(Error::InvalidArgument {
            op: "style_loss",
            reason: format!(
                "needs one target and weight per layer, got {} layers, {} targets, {} weights",
                grams.len(),
                targets.len(),
                weights.len()
            ),
        });
    }
    let mut total: Option<Tensor> = None;
    for ((gram, target), &weight) in grams.iter().zip(targets).zip(weights) {
        let term = nabla_losses::mse(gram, target, nabla_losses::Reduction::Mean)?.mul_scalar(weight)?;
        total = Some(match total {
            Some(sum) => sum.add(&term)?,
            None => term,
        });
    }
    Ok(total.expect("at least one layer"))
}

/// The mean squared difference between neighbouring pixels, down and across, of images
/// `[N, C, H, W]`.
///
/// # Errors
/// [`Error::ShapeMismatch`] for another rank or an image smaller than 2×2.
pub fn total_variation(image: &Tensor) -> Result<Tensor> {
    let &[_, _, h, w] = image.shape() else {
        return Err(Error::ShapeMismatch {
            op: "total_variation",
            lhs: image.shape().to_vec(),
            rhs: vec![],
            reason: "needs images [N, C, H, W]".into(),
        });
    };
    if h < 2 || w < 2 {
        return Err(Error::ShapeMismatch {
            op: "total_variation",
            lhs: image.shape().to_vec(),
            rhs: vec![2, 2],
            reason: "needs at least 2×2 pixels".into(),
        });
    }
    let down = image.narrow(2, 1, h - 1)?.sub(&image.narrow(2, 0, h - 1)?)?;
    let across = image.narrow(3, 1, w - 1)?.sub(&image.narrow(3, 0, w - 1)?)?;
    down.mul(&down)?.mean_all()?.add(&across.mul(&across)?.mean_all()?)
}
