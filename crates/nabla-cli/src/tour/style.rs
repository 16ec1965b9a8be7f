//! Tour topic 10: neural style transfer of the bundled astronaut into the Hubble image's style.

use nabla_style::{FeatureExtractor, StyleConfig, images, stylize};

use super::Context;
use crate::error::CliError;
use crate::report::Section;

pub fn run(context: &Context) -> Result<Section, CliError> {
    let (steps, size) = if context.quick { (60, 64) } else { (300, 128) };
    let extractor = FeatureExtractor::random(0)?;
    let config = StyleConfig { steps, size: Some(size), ..StyleConfig::default() };
    let (content, style) = (images::astronaut(), images::hubble());
    let bar = crate::progress::bar(steps as u64, "style");
    let mut curve = Vec::new();
    let result = stylize(&extractor, &content, &[(style.clone(), 1.0)], &config, &mut |p| {
        bar.set_position(p.step as u64);
        curve.push((p.content as f64, p.style as f64));
    })?;
    bar.finish_and_clear();
    for (name, image) in [("style_content.png", &content), ("style_style.png", &style), ("style_result.png", &result)] {
        nabla_data::image::write_png(context.out.join(name), image)?;
    }
    let (first, last) = (curve.first().copied().unwrap_or_default(), curve.last().copied().unwrap_or_default());
    let drop = first.1 / last.1;
    Ok(Section::new(
        "style",
        "Neural style transfer",
        "Gatys et al.'s method: the pixels of an image are optimised (Adam, 0.02) so that its deep features match the \
         content image's and the Gram matrices of its features match the style image's. The features come from \
         workload W7's network with seeded random filters (no pretrained weights ship with nabla; the --weights \
         option of nabla style takes torchvision's VGG-19), which carry texture but less semantics than VGG's.",
    )
    .picture("style_content.png", "content: the astronaut")
    .picture("style_style.png", "style: the Hubble Deep Field")
    .picture("style_result.png", format!("the result after {steps} steps at {size}×{size}"))
    .metric("steps", "steps", steps as f64, "")
    .metric("size", "image size", size as f64, "pixels")
    .metric("style_loss_first", "style loss at the first step", first.1, "")
    .metric("style_loss_last", "style loss at the last step", last.1, "")
    .metric("style_loss_drop", "style loss, first step / last", drop, "×")
    .metric("content_loss_last", "content loss at the last step", last.0, "")
    .check("the style loss falls at least tenfold", drop >= 10.0))
}
