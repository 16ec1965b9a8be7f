//! The optimisation of Gatys et al.: start from the content image (or noise) and change its
//! pixels to minimise `content_weight · content loss + style_weight · style loss + tv_weight ·
//! total variation`, with Adam or L-BFGS, clamping the pixels to [0, 1] after every step.
//! Several style images blend by averaging their Gram matrices with weights; luminance-only
//! transfer stylises the brightness and keeps the content's colours.

use std::collections::HashMap;
use std::path::Path;

use nabla_conv::{Upsample, UpsampleMode, UpsampleSize};
use nabla_nn::Module;
use nabla_optim::{AdamConfig, Lbfgs, LbfgsConfig, LineSearch, Optimizer};
use nabla_tensor::rand::SeedableRng;
use nabla_tensor::rand::rngs::StdRng;
use nabla_tensor::{Error, Result, Tensor, no_grad};

use crate::extractor::FeatureExtractor;
use crate::losses::{content_loss, gram_matrix, style_loss, total_variation};

/// How the pixels are optimised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StyleOptimizer {
    /// Adam with this learning rate (0.02 suits pixels in [0, 1]).
    Adam { lr: f64 },
    /// L-BFGS, one iteration per step, with this history and line search.
    Lbfgs { history_size: usize, line_search: LineSearch },
}

/// Where the optimisation starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    /// The content image (converges fastest, keeps the most content).
    Content,
    /// Uniform noise drawn from this seed (Gatys et al.'s original start).
    Noise(u64),
}

/// The options of a style transfer.
#[derive(Debug, Clone, PartialEq)]
pub struct StyleConfig {
    /// The output's longest side in pixels (the content is resized to it); `None` keeps the
    /// content's size. Style images are resized to the output's size.
    pub size: Option<usize>,
    pub steps: usize,
    pub content_weight: f32,
    pub style_weight: f32,
    pub tv_weight: f32,
    /// Style layers and their weights; `None` uses the extractor's.
    pub style_layers: Option<Vec<(String, f32)>>,
    /// The content layer; `None` uses the extractor's.
    pub content_layer: Option<String>,
    pub optimizer: StyleOptimizer,
    pub init: Init,
    /// Luminance-only transfer: stylise the brightness, keep the content's colours.
    pub preserve_colors: bool,
}

impl Default for StyleConfig {
    /// 128 pixels, 300 Adam(0.02) steps from the content, content weight 5, style weight
    /// 10⁵, a little total variation (10⁻²).
    fn default() -> Self {
        StyleConfig {
            size: Some(128),
            steps: 300,
            content_weight: 5.0,
            style_weight: 1e5,
            tv_weight: 1e-2,
            style_layers: None,
            content_layer: None,
            optimizer: StyleOptimizer::Adam { lr: 0.02 },
            init: Init::Content,
            preserve_colors: false,
        }
    }
}

/// The losses after a step, unweighted, and their weighted total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StyleProgress {
    pub step: usize,
    pub steps: usize,
    pub content: f32,
    pub style: f32,
    pub total_variation: f32,
    pub total: f32,
}

/// What went wrong in [`stylize_files`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StyleError {
    #[error(transparent)]
    Tensor(#[from] Error),
    #[error(transparent)]
    Image(#[from] nabla_data::DataError),
}

/// Stylises `content` (`[3, H, W]` in [0, 1]) with `styles` (images `[3, H', W']` with their
/// weights) and returns the image, `[3, h, w]` in [0, 1]; `progress` hears of every step.
///
/// # Errors
/// [`Error::InvalidArgument`] for no styles, a non-positive total style weight, no steps or
/// an unknown layer; shape errors for images that are not `[3, H, W]` (grey images can be
/// repeated to 3 channels first).
pub fn stylize(
    extractor: &FeatureExtractor,
    content: &Tensor,
    styles: &[(Tensor, f32)],
    config: &StyleConfig,
    progress: &mut dyn FnMut(&StyleProgress),
) -> Result<Tensor> {
    let bad = |reason: String| Error::InvalidArgument { op: "stylize", reason };
    let total_weight: f32 = styles.iter().map(|(_, w)| w).sum();
    if styles.is_empty() || total_weight.is_nan() || total_weight <= 0.0 || config.steps == 0 {
        return Err(bad(format!(
            "needs at least one style with a positive total weight and at least one step, got {} styles of \
             weight {total_weight} and {} steps",
            styles.len(),
            config.steps
        )));
    }
    let content = resize(content, config.size)?;
    let (h, w) = (content.shape()[2], content.shape()[3]);
    let style_layers = config.style_layers.clone().unwrap_or_else(|| extractor.style_layers().to_vec());
    let content_layer = config.content_layer.clone().unwrap_or_else(|| extractor.content_layer().to_string());
    let style_names: Vec<&str> = style_layers.iter().map(|(n, _)| n.as_str()).collect();
    let layer_weights: Vec<f32> = style_layers.iter().map(|(_, w)| *w).collect();
    let luminance_only = |image: Tensor| if config.preserve_colors { grey(&image) } else { Ok(image) };

    let content_input = luminance_only(content.clone())?;
    let content_target = extractor.targets(&content_input, &[&content_layer])?.remove(&content_layer).expect("tapped");
    let mut style_targets: Vec<Option<Tensor>> = vec![None; style_names.len()];
    for (style, weight) in styles {
        let style = luminance_only(resize_to(style, (h, w))?)?;
        let features = extractor.targets(&style, &style_names)?;
        for (slot, name) in style_targets.iter_mut().zip(&style_names) {
            let gram = no_grad(|| gram_matrix(&features[*name])?.mul_scalar(weight / total_weight))?;
            *slot = Some(match slot.take() {
                Some(sum) => sum.add(&gram)?,
                None => gram,
            });
        }
    }
    let style_targets: Vec<Tensor> = style_targets.into_iter().map(|t| t.expect("one style at least")).collect();

    let start = match config.init {
        Init::Content => content_input.clone(),
        Init::Noise(seed) => Tensor::uniform(&[1, 3, h, w], 0.0, 1.0, &mut StdRng::seed_from_u64(seed))?,
    };
    let image = start.detach().requires_grad(true);
    let mut taps: Vec<&str> = style_names.clone();
    taps.push(&content_layer);
    let objective = |last: &mut StyleProgress| -> Result<(Tensor, StyleProgress)> {
        let features: HashMap<String, Tensor> = extractor.features(&image, &taps)?;
        let content_term = content_loss(&features[&content_layer], &content_target)?;
        let grams = style_names.iter().map(|n| gram_matrix(&features[*n])).collect::<Result<Vec<_>>>()?;
        let style_term = style_loss(&grams, &style_targets, &layer_weights)?;
        let tv_term = total_variation(&image)?;
        let total = content_term
            .mul_scalar(config.content_weight)?
            .add(&style_term.mul_scalar(config.style_weight)?)?
            .add(&tv_term.mul_scalar(config.tv_weight)?)?;
        *last = StyleProgress {
            content: content_term.item()?,
            style: style_term.item()?,
            total_variation: tv_term.item()?,
            total: total.item()?,
            ..*last
        };
        Ok((total, *last))
    };
    let mut report =
        StyleProgress { step: 0, steps: config.steps, content: 0.0, style: 0.0, total_variation: 0.0, total: 0.0 };
    match config.optimizer {
        StyleOptimizer::Adam { lr } => {
            let mut adam = Optimizer::adam(vec![image.clone()], AdamConfig { lr, ..Default::default() })?;
            for step in 1..=config.steps {
                let (total, _) = objective(&mut report)?;
                adam.step(&total.backward()?)?;
                clamp_unit(&image)?;
                report.step = step;
                progress(&report);
            }
        }
        StyleOptimizer::Lbfgs { history_size, line_search } => {
            let lbfgs_config = LbfgsConfig { max_iter: 1, history_size, line_search, ..Default::default() };
            let mut lbfgs = Lbfgs::new(vec![image.clone()], lbfgs_config)?;
            for step in 1..=config.steps {
                lbfgs.step(&mut || {
                    let (total, terms) = objective(&mut report)?;
                    Ok((terms.total, total.backward()?))
                })?;
                clamp_unit(&image)?;
                report.step = step;
                progress(&report);
            }
        }
    }
    let result = image.detach().reshape(&[3, h as isize, w as isize])?;
    if config.preserve_colors {
        with_luminance_of(&content.reshape(&[3, h as isize, w as isize])?, &result)
    } else {
        Ok(result)
    }
}

/// [`stylize`] from image files (PNG), writing the result to `out` (atomically) and returning it.
///
/// # Errors
/// [`StyleError::Image`] for unreadable or unwritable files; as [`stylize`].
pub fn stylize_files(
    extractor: &FeatureExtractor,
    content: &Path,
    styles: &[(&Path, f32)],
    out: &Path,
    config: &StyleConfig,
    progress: &mut dyn FnMut(&StyleProgress),
) -> std::result::Result<Tensor, StyleError> {
    let content = rgb(nabla_data::image::read_png(content)?)?;
    let styles = styles
        .iter()
        .map(|(path, weight)| Ok((rgb(nabla_data::image::read_png(path)?)?, *weight)))
        .collect::<std::result::Result<Vec<_>, StyleError>>()?;
    let result = stylize(extractor, &content, &styles, config, progress)?;
    nabla_data::image::write_png(out, &result)?;
    Ok(result)
}

/// A grey image `[1, H, W]` repeated to 3 channels; colour images unchanged.
fn rgb(image: Tensor) -> Result<Tensor> {
    if image.shape().first() == Some(&1) { Tensor::concat(&[&image, &image, &image], 0) } else { Ok(image) }
}

/// The height and width of an RGB image `[3, H, W]` with pixels.
fn rgb_size(image: &Tensor) -> Result<(usize, usize)> {
    match *image.shape() {
        [3, h, w] if h > 0 && w > 0 => Ok((h, w)),
        _ => Err(Error::ShapeMismatch {
            op: "stylize",
            lhs: image.shape().to_vec(),
            rhs: vec![3],
            reason: "images must be [3, H, W] (RGB) with at least one pixel".into(),
        }),
    }
}

/// `[3, H, W]` → `[1, 3, h, w]` with the longest side `size` (bilinear), or as it is.
fn resize(image: &Tensor, size: Option<usize>) -> Result<Tensor> {
    let (h, w) = rgb_size(image)?;
    let target = match size {
        Some(side) if side > 0 => {
            let scale = side as f32 / h.max(w) as f32;
            (((h as f32 * scale).round() as usize).max(1), ((w as f32 * scale).round() as usize).max(1))
        }
        Some(_) => return Err(Error::InvalidArgument { op: "stylize", reason: "size must be positive".into() }),
        None => (h, w),
    };
    resize_to(image, target)
}

/// `[3, H, W]` → `[1, 3, h, w]` (bilinear).
fn resize_to(image: &Tensor, (h, w): (usize, usize)) -> Result<Tensor> {
    rgb_size(image)?;
    let batch = image.unsqueeze(0)?;
    if batch.shape()[2..] == [h, w] {
        return Ok(batch);
    }
    no_grad(|| Upsample { size: UpsampleSize::Size(h, w), mode: UpsampleMode::Bilinear }.forward(&batch))
}

/// Clamps the optimised pixels to [0, 1] in place.
fn clamp_unit(image: &Tensor) -> Result<()> {
    image.update_data(|mut values| values.mapv_inplace(|v| v.clamp(0.0, 1.0)))
}

/// RGB → YIQ (rows: Y, I, Q).
const TO_YIQ: [f32; 9] = [0.299, 0.587, 0.114, 0.596, -0.274, -0.322, 0.211, -0.523, 0.312];
/// YIQ → RGB.
const FROM_YIQ: [f32; 9] = [1.0, 0.956, 0.621, 1.0, -0.272, -0.647, 1.0, -1.106, 1.703];

/// Applies a 3×3 colour matrix to images `[…, 3, H, W]`.
fn colour_transform(image: &Tensor, matrix: [f32; 9]) -> Result<Tensor> {
    let shape = image.shape().to_vec();
    let channels = shape.len() - 3;
    let moved = image.transpose(channels as isize, -1)?;
    let m = Tensor::from_vec(matrix.to_vec(), &[3, 3])?.t()?;
    moved.matmul(&m)?.transpose(channels as isize, -1)?.reshape(&shape.iter().map(|&d| d as isize).collect::<Vec<_>>())
}

/// The luminance of images `[1, 3, H, W]`, repeated in the 3 channels.
fn grey(image: &Tensor) -> Result<Tensor> {
    let y = colour_transform(image, TO_YIQ)?.narrow(1, 0, 1)?;
    Tensor::concat(&[&y, &y, &y], 1)
}

/// The luminance of `stylised` with the colours (I and Q) of `content`, both `[3, H, W]`.
fn with_luminance_of(content: &Tensor, stylised: &Tensor) -> Result<Tensor> {
    let y = colour_transform(stylised, TO_YIQ)?.narrow(0, 0, 1)?;
    let iq = colour_transform(content, TO_YIQ)?.narrow(0, 1, 2)?;
    colour_transform(&Tensor::concat(&[&y, &iq], 0)?, FROM_YIQ)?.clamp(0.0, 1.0)
}
