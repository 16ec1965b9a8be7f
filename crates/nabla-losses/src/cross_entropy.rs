//! Cross-entropy from logits: log-softmax over the class axis, then the negative
//! log-likelihood of class-index targets or of target probabilities, with PyTorch's class
//! weights, ignored index and label smoothing.

use nabla_activations::log_softmax;
use nabla_tensor::{Error, Indices, Result, Tensor};

use crate::nll::{ClassTargets, NllOptions, class_rows, nll_of_rows, per_element_shape};
use crate::reduction::{Reduction, reduce};

/// Options of [`cross_entropy`] and [`cross_entropy_with_probs`].
#[derive(Debug, Clone)]
pub struct CrossEntropyOptions {
    /// One weight per class (`weight=`).
    pub weight: Option<Vec<f32>>,
    /// A class-index target that is skipped (`ignore_index=`, default -100); unused with
    /// probability targets.
    pub ignore_index: i64,
    /// Mixes each target with the uniform distribution: `(1 - ε)·target + ε/C`
    /// (`label_smoothing=`, default 0).
    pub label_smoothing: f32,
    pub reduction: Reduction,
}

impl Default for CrossEntropyOptions {
    fn default() -> Self {
        CrossEntropyOptions { weight: None, ignore_index: -100, label_smoothing: 0.0, reduction: Reduction::Mean }
    }
}

impl CrossEntropyOptions {
    fn check(&self, op: &'static str) -> Result<()> {
        if !(0.0..=1.0).contains(&self.label_smoothing) {
            return Err(Error::InvalidArgument {
                op,
                reason: format!("label_smoothing must be in [0, 1], got {}", self.label_smoothing),
            });
        }
        Ok(())
    }

    /// Class weights shaped to broadcast over `[rows, C]`, or None.
    fn weight_row(&self, op: &'static str, classes: usize) -> Result<Option<Tensor>> {
        self.weight
            .as_ref()
            .map(|w| {
                if w.len() != classes {
                    return Err(Error::ShapeMismatch {
                        op,
                        lhs: vec![classes],
                        rhs: vec![w.len()],
                        reason: format!("needs one weight per class ({classes})"),
                    });
                }
                Tensor::from_vec(w.clone(), &[1, classes])
            })
            .transpose()
    }
}

/// Cross-entropy of `logits` `[N, C]` or `[N, C, d…]` against class-index `targets`, one per
/// `[N, d…]` position in row-major order, of any shape (`F.cross_entropy(logits, targets)`);
/// any slice of integers, or [`Indices`].
///
/// With label smoothing ε the loss is `(1 - ε)·nll + ε/C · Σ_c -w_c·log p_c`, the smoothing
/// term taking the same reduction (a mean divides by the targets' total weight), as PyTorch.
///
/// ```
/// use nabla_losses::{cross_entropy, CrossEntropyOptions};
/// use nabla_tensor::Tensor;
/// let logits = Tensor::from_vec(vec![2.0, 0.0, 0.0, 0.0, 3.0, 0.0], &[2, 3])?;
/// let loss = cross_entropy(&logits, &[0, 1], &CrossEntropyOptions::default())?;
/// assert!(loss.item()? < 0.2);
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
///
/// # Errors
/// As [`nll_loss`](crate::nll_loss), under this function's name and with the caller's
/// shapes, and [`Error::InvalidArgument`] for label smoothing outside [0, 1].
pub fn cross_entropy(logits: &Tensor, targets: impl Into<Indices>, options: &CrossEntropyOptions) -> Result<Tensor> {
    const OP: &str = "cross_entropy";
    options.check(OP)?;
    let rows = class_rows(OP, logits)?;
    let nll_options =
        NllOptions { weight: options.weight.clone(), ignore_index: options.ignore_index, reduction: options.reduction };
    let targets = ClassTargets::new(OP, &targets.into(), logits.shape(), &nll_options)?;
    let log_probs = log_softmax(&rows, 1)?;
    let epsilon = options.label_smoothing;
    // Label smoothing's term, `Σ_c -w_c·log p_c` per kept row, reduced as the loss is.
    let smooth = if epsilon == 0.0 {
        None
    } else {
        let classes = rows.shape()[1];
        let weighted = match options.weight_row(OP, classes)? {
            Some(w) => log_probs.mul(&w)?,
            None => log_probs.clone(),
        };
        let kept: Vec<f32> = targets.classes.iter().map(|c| if c.is_some() { 1.0 } else { 0.0 }).collect();
        let smooth = weighted.sum(&[1], false)?.neg()?.mul(&Tensor::from_vec(kept, &[rows.shape()[0]])?)?;
        let smooth = match options.reduction {
            Reduction::None => smooth,
            Reduction::Sum => smooth.sum_all()?,
            Reduction::Mean => smooth.sum_all()?.div_scalar(targets.total_weight(OP)?)?,
        };
        Some(smooth.mul_scalar(epsilon / classes as f32)?)
    };
    let nll = nll_of_rows(OP, &log_probs, targets, options.reduction)?;
    let loss = match smooth {
        None => nll,
        Some(smooth) => nll.mul_scalar(1.0 - epsilon)?.add(&smooth)?,
    };
    match options.reduction {
        Reduction::None => loss.reshape(&per_element_shape(logits)),
        _ => Ok(loss),
    }
}

/// Cross-entropy of `logits` `[N, C]` or `[N, C, d…]` against target probabilities of the same
/// shape (`F.cross_entropy(logits, probs)`): `-Σ_c w_c·t_c·log p_c` per position, the mean
/// taken over positions.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ; [`Error::InvalidArgument`] for label
/// smoothing outside [0, 1] or input of fewer than 2 axes.
pub fn cross_entropy_with_probs(logits: &Tensor, probs: &Tensor, options: &CrossEntropyOptions) -> Result<Tensor> {
    const OP: &str = "cross_entropy";
    options.check(OP)?;
    crate::reduction::same_shape(OP, logits, probs)?;
    let rows = class_rows(OP, logits)?;
    let targets = class_rows(OP, probs)?;
    let classes = rows.shape()[1];
    let epsilon = options.label_smoothing;
    let targets = if epsilon == 0.0 {
        targets
    } else {
        targets.mul_scalar(1.0 - epsilon)?.add_scalar(epsilon / classes as f32)?
    };
    let mut products = log_softmax(&rows, 1)?.mul(&targets)?;
    if let Some(w) = options.weight_row(OP, classes)? {
        products = products.mul(&w)?;
    }
    let losses = products.sum(&[1], false)?.neg()?;
    match options.reduction {
        Reduction::None => losses.reshape(&per_element_shape(logits)),
        reduction => reduce(losses, reduction),
    }
}
