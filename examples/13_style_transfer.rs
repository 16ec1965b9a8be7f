//! Neural style transfer (Gatys et al.) on the bundled images: the astronaut in the style of
//! the gravel, brick and Hubble images, with nabla's default extractor (W7's network with
//! seeded random filters; no pretrained weights ship with nabla), Adam(0.02) on the pixels from
//! the content image. Also the Hubble style with the content's colours kept (luminance-only).
//!
//! Writes `docs/images/style_<style>.png`, the inputs beside them, and
//! `docs/images/style_losses.png` (the style loss of each run per step). Run with
//! `cargo run --release --example 13_style_transfer [STEPS] [SIZE] [--vgg19 FILE]` (300 steps
//! at 128 pixels by default; `--vgg19` loads torchvision VGG-19 weights from a safetensors
//! file instead of the random extractor).

use std::path::Path;

use nabla::Tensor;
use nabla::plot::{LineChart, Series};
use nabla::style::{FeatureExtractor, Pooling, StyleConfig, images, stylize};
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The astronaut in `style`; returns the image and the style loss of each step.
fn transfer(
    extractor: &FeatureExtractor,
    style: Tensor,
    config: &StyleConfig,
    name: &str,
) -> Result<(Tensor, Vec<(f64, f64)>)> {
    let mut curve = Vec::new();
    let result = stylize(extractor, &images::astronaut(), &[(style, 1.0)], config, &mut |p| {
        curve.push((p.step as f64, p.style as f64));
        if p.step % 50 == 0 || p.step == p.steps {
            eprintln!(
                "{name}: step {}/{}  content {:.5}  style {:.3e}  tv {:.5}",
                p.step, p.steps, p.content, p.style, p.total_variation
            );
        }
    })?;
    Ok((result, curve))
}

/// Runs on rayon's pool, as the README recommends (`nabla::tensor::on_pool`).
fn main() -> Result<()> {
    nabla::tensor::on_pool(run)
}

/// The guide's five-seed table (`-- --five-seeds`): how far the style loss falls in the
/// test's run (80 steps, 48×48), for random extractors of seeds 0–4.
fn five_seeds() -> Result<()> {
    let config = StyleConfig { steps: 80, size: Some(48), ..StyleConfig::default() };
    for seed in 0..5 {
        let (_, curve) = transfer(&FeatureExtractor::random(seed)?, images::hubble(), &config, "five seeds")?;
        let (first, last) = (curve.first().ok_or("no step ran")?.1, curve.last().ok_or("no step ran")?.1);
        println!("seed {seed}: the style loss fell {:.0}-fold", first / last);
    }
    Ok(())
}

fn run() -> Result<()> {
    if std::env::args().any(|a| a == "--five-seeds") {
        return five_seeds();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let numbers: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let (steps, size) = (numbers.first().copied().unwrap_or(300), numbers.get(1).copied().unwrap_or(128));
    let extractor = match args.iter().position(|a| a == "--vgg19") {
        Some(i) => {
            let mut extractor = FeatureExtractor::vgg19(Pooling::Average, &mut StdRng::seed_from_u64(0))?;
            extractor.load_torchvision(args.get(i + 1).ok_or("--vgg19 needs a file")?)?;
            extractor
        }
        None => FeatureExtractor::random(0)?,
    };
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/images");
    nabla::data::image::write_png(out.join("style_content_astronaut.png"), &images::astronaut())?;
    let mut chart = LineChart::new(format!("Style loss per step ({size}×{size}, Adam 0.02)"), "step", "style loss")
        .log_y()
        .size(700, 450);
    let runs = [
        ("gravel", images::gravel(), false),
        ("brick", images::brick(), false),
        ("hubble", images::hubble(), false),
        ("hubble_colors", images::hubble(), true),
    ];
    for (name, style, preserve_colors) in runs {
        if !preserve_colors {
            nabla::data::image::write_png(out.join(format!("style_input_{name}.png")), &style)?;
        }
        let config = StyleConfig { steps, size: Some(size), preserve_colors, ..StyleConfig::default() };
        let start = std::time::Instant::now();
        let (result, curve) = transfer(&extractor, style, &config, name)?;
        println!("{name}: {steps} steps in {:.1} s", start.elapsed().as_secs_f64());
        nabla::data::image::write_png(out.join(format!("style_{name}.png")), &result)?;
        chart = chart.series(Series::new(name, curve));
    }
    chart.write_png(out.join("style_losses.png"))?;
    println!("wrote docs/images/style_*.png");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_style_loss_falls_a_hundredfold_on_a_small_image() {
        let config = StyleConfig { steps: 80, size: Some(48), ..StyleConfig::default() };
        let (result, curve) =
            transfer(&FeatureExtractor::random(0).unwrap(), images::hubble(), &config, "test").unwrap();
        assert_eq!(result.shape(), &[3, 48, 48]);
        let (first, last) = (curve[0].1, curve[curve.len() - 1].1);
        println!("style loss {first} -> {last}");
        assert!(first / last >= 100.0, "style loss only fell from {first} to {last}");
    }
}
