//! `nabla style`: neural style transfer between two image files, with a progress bar.

use std::path::PathBuf;

use nabla_style::{FeatureExtractor, Pooling, StyleConfig, stylize_files};
use nabla_tensor::rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::error::CliError;
use crate::progress;

/// The `style` command's arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct StyleArgs {
    /// The content image (PNG).
    #[arg(long)]
    pub content: PathBuf,
    /// The style image (PNG).
    #[arg(long)]
    pub style: PathBuf,
    /// Where the result goes (PNG).
    #[arg(long, default_value = "stylized.png")]
    pub out: PathBuf,
    /// The result's longer side in pixels (the content image is resized to it).
    #[arg(long, default_value_t = 128)]
    pub size: usize,
    /// Optimisation steps on the pixels.
    #[arg(long, default_value_t = 300)]
    pub steps: usize,
    /// The style loss's weight (the content loss weighs 5).
    #[arg(long, default_value_t = 1e5)]
    pub style_weight: f32,
    /// torchvision VGG-19 weights as safetensors; without them, nabla's seeded random
    /// extractor (no pretrained weights ship with nabla).
    #[arg(long)]
    pub weights: Option<PathBuf>,
}

/// Runs `nabla style`; returns the summary line it prints.
///
/// # Errors
/// Unreadable images or weights, sizes out of range.
pub fn run(args: &StyleArgs) -> Result<String, CliError> {
    if !(16..=1024).contains(&args.size) || args.steps == 0 {
        return Err(CliError::Usage(format!(
            "--size must lie in 16..=1024 and --steps be at least 1; got {} and {}",
            args.size, args.steps
        )));
    }
    let extractor = match &args.weights {
        Some(path) => {
            let mut extractor = FeatureExtractor::vgg19(Pooling::Average, &mut ChaCha8Rng::seed_from_u64(0))?;
            extractor.load_torchvision(path)?;
            extractor
        }
        None => FeatureExtractor::random(0)?,
    };
    let config = StyleConfig {
        steps: args.steps,
        size: Some(args.size),
        style_weight: args.style_weight,
        ..StyleConfig::default()
    };
    let bar = progress::bar(args.steps as u64, "style");
    let start = std::time::Instant::now();
    let mut last = None;
    stylize_files(&extractor, &args.content, &[(&args.style, 1.0)], &args.out, &config, &mut |p| {
        bar.set_position(p.step as u64);
        bar.set_message(format!("content {:.4}  style {:.3e}", p.content, p.style));
        last = Some((p.content, p.style));
    })?;
    bar.finish_and_clear();
    let (content, style) = last.unwrap_or((f32::NAN, f32::NAN));
    Ok(format!(
        "wrote {} after {} steps in {:.1} s (content loss {content:.4}, style loss {style:.3e})",
        args.out.display(),
        args.steps,
        start.elapsed().as_secs_f64()
    ))
}
