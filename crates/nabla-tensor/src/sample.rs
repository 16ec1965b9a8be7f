//! Drawing categories: [`multinomial`] from weights, as `torch.multinomial`, and
//! [`sample_logits`] from a model's logits with a temperature and a top-k cut, as a language
//! model's generation loop does. Both take an explicit, seeded generator.

use ndarray_rand::rand::Rng;

use crate::error::{Error, Result};
use crate::indices::Indices;
use crate::tensor::Tensor;

/// How [`sample_logits`] turns logits into a draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplingOptions {
    /// Divides the logits before the softmax: below 1 sharpens the distribution towards the
    /// most likely category, above 1 flattens it. Default 1.
    pub temperature: f32,
    /// Keeps only the `k` most likely categories of each row (ties at the cut are kept too).
    /// Default `None`: all.
    pub top_k: Option<usize>,
}

impl Default for SamplingOptions {
    fn default() -> Self {
        SamplingOptions { temperature: 1.0, top_k: None }
    }
}

/// Draws `samples` categories from each row of `weights` (`[C]` or `[N, C]`; non-negative,
/// not necessarily summing to 1), in proportion to the weights
/// (`torch.multinomial(weights, samples, replacement)`). Without replacement a category
/// is drawn at most once per row. Returns indices of shape `[samples]` or `[N, samples]`.
///
/// ```
/// use nabla_tensor::{multinomial, rand::{rngs::StdRng, SeedableRng}, Tensor};
/// let weights = Tensor::from_vec(vec![0.0, 1.0, 3.0], &[3])?;
/// let mut rng = StdRng::seed_from_u64(7);
/// let draws = multinomial(&weights, 2, false, &mut rng)?;
/// let mut drawn = draws.values().to_vec();
/// drawn.sort();
/// assert_eq!(drawn, vec![1, 2]); // category 0 has weight 0
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] for weights that are negative, not finite, or all zero in a row,
/// for `samples` of 0, and, without replacement, for more samples than a row has categories of
/// non-zero weight; [`Error::ShapeMismatch`] for weights of another rank than 1 or 2.
pub fn multinomial<R: Rng + ?Sized>(
    weights: &Tensor,
    samples: usize,
    replacement: bool,
    rng: &mut R,
) -> Result<Indices> {
    const OP: &str = "multinomial";
    let (rows, classes) = rows_of(OP, weights)?;
    if samples == 0 {
        return Err(Error::invalid(OP, "needs at least one sample"));
    }
    let values = weights.to_vec();
    let mut drawn = Vec::with_capacity(rows * samples);
    for row in values.chunks_exact(classes) {
        let mut row: Vec<f64> = check_weights(OP, row)?;
        let available = row.iter().filter(|&&w| w > 0.0).count();
        if !replacement && samples > available {
            return Err(Error::invalid(
                OP,
                format!(
                    "cannot draw {samples} samples without replacement from {available} categories of non-zero weight"
                ),
            ));
        }
        for _ in 0..samples {
            let class = draw(&row, rng);
            drawn.push(class as i64);
            if !replacement {
                row[class] = 0.0;
            }
        }
    }
    Indices::new(drawn, &out_shape(weights, samples))
}

/// Draws one category from each row of `logits` (`[C]` or `[N, C]`): a softmax of the logits
/// divided by the temperature, cut to the `top_k` most likely. Returns indices of shape `[]`
/// for one row, `[N]` for `N`.
///
/// ```
/// use nabla_tensor::{sample_logits, rand::{rngs::StdRng, SeedableRng}, SamplingOptions, Tensor};
/// let logits = Tensor::from_vec(vec![2.0, 1.0, 0.5, -3.0], &[4])?;
/// let mut rng = StdRng::seed_from_u64(0);
/// let greedy = SamplingOptions { top_k: Some(1), ..Default::default() };
/// assert_eq!(sample_logits(&logits, &greedy, &mut rng)?.values(), &[0]);
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] for a temperature that is not positive and finite, a `top_k` of
/// 0, or logits that are NaN or +∞; [`Error::ShapeMismatch`] for logits of another rank than 1
/// or 2.
pub fn sample_logits<R: Rng + ?Sized>(logits: &Tensor, options: &SamplingOptions, rng: &mut R) -> Result<Indices> {
    const OP: &str = "sample_logits";
    let (_, classes) = rows_of(OP, logits)?;
    let t = options.temperature;
    if !(t > 0.0 && t.is_finite()) {
        return Err(Error::invalid(OP, format!("the temperature must be positive and finite, got {t}")));
    }
    if options.top_k == Some(0) {
        return Err(Error::invalid(OP, "top_k must keep at least one category"));
    }
    let values = logits.to_vec();
    let mut drawn = Vec::new();
    for row in values.chunks_exact(classes) {
        if let Some(bad) = row.iter().find(|v| v.is_nan() || **v == f32::INFINITY) {
            return Err(Error::invalid(OP, format!("logits must be below +inf and not NaN, got {bad}")));
        }
        let cut = match options.top_k {
            Some(k) if k < classes => {
                let mut sorted = row.to_vec();
                sorted.sort_by(|a, b| b.total_cmp(a));
                sorted[k - 1]
            }
            _ => f32::NEG_INFINITY,
        };
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
        if max == f64::NEG_INFINITY {
            return Err(Error::invalid(OP, "a row of logits is all -inf: no category is possible"));
        }
        let weights: Vec<f64> = row
            .iter()
            .map(|&v| if v >= cut && v > f32::NEG_INFINITY { ((v as f64 - max) / t as f64).exp() } else { 0.0 })
            .collect();
        drawn.push(draw(&weights, rng) as i64);
    }
    let shape: &[usize] = if logits.ndim() == 1 { &[] } else { &logits.shape()[..1] };
    Indices::new(drawn, shape)
}

/// `[C]` as one row, `[N, C]` as `N`: the rows and the categories per row.
fn rows_of(op: &'static str, tensor: &Tensor) -> Result<(usize, usize)> {
    match *tensor.shape() {
        [c] if c > 0 => Ok((1, c)),
        [n, c] if c > 0 => Ok((n, c)),
        _ => Err(Error::shape_mismatch(op, tensor.shape(), &[], "needs a [C] or [N, C] tensor with C > 0")),
    }
}

fn out_shape(weights: &Tensor, samples: usize) -> Vec<usize> {
    match *weights.shape() {
        [n, _] => vec![n, samples],
        _ => vec![samples],
    }
}

/// A row's weights in f64, each finite and non-negative, not all zero.
fn check_weights(op: &'static str, row: &[f32]) -> Result<Vec<f64>> {
    if let Some(bad) = row.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
        return Err(Error::invalid(op, format!("weights must be finite and non-negative, got {bad}")));
    }
    if row.iter().all(|&w| w == 0.0) {
        return Err(Error::invalid(op, "a row of weights is all zero"));
    }
    Ok(row.iter().map(|&w| w as f64).collect())
}

/// One category drawn in proportion to `weights` (finite, non-negative, some positive).
fn draw<R: Rng + ?Sized>(weights: &[f64], rng: &mut R) -> usize {
    let total: f64 = weights.iter().sum();
    let mut target = rng.random::<f64>() * total;
    for (class, &w) in weights.iter().enumerate() {
        if w > 0.0 && target < w {
            return class;
        }
        target -= w;
    }
    // Rounding left `target` just past the last sum: the last category of positive weight.
    weights.iter().rposition(|&w| w > 0.0).expect("some weight is positive")
}
