//! Style transfer works: on a small image, the result's Gram-matrix (style) distance to the
//! style image falls at least 100-fold from the content image's while the content loss stays
//! bounded; and the parts — Gram matrices against PyTorch, the losses, the extractor, the
//! options and errors.

use std::collections::HashMap;

use nabla_style::*;
use nabla_tensor::Tensor;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};

/// The style distance of `image` (`[3, H, W]`) to `style`: Σ over the extractor's style layers
/// of the mean squared difference of Gram matrices.
fn style_distance(extractor: &FeatureExtractor, image: &Tensor, style: &Tensor) -> f32 {
    let names: Vec<&str> = extractor.style_layers().iter().map(|(n, _)| n.as_str()).collect();
    let a = extractor.targets(&image.unsqueeze(0).unwrap(), &names).unwrap();
    let b = extractor.targets(&style.unsqueeze(0).unwrap(), &names).unwrap();
    names
        .iter()
        .map(|n| {
            let (ga, gb) = (gram_matrix(&a[*n]).unwrap(), gram_matrix(&b[*n]).unwrap());
            nabla_losses::mse(&ga, &gb, nabla_losses::Reduction::Mean).unwrap().item().unwrap()
        })
        .sum()
}

fn content_distance(extractor: &FeatureExtractor, image: &Tensor, content: &Tensor) -> f32 {
    let layer = extractor.content_layer();
    let a: HashMap<_, _> = extractor.targets(&image.unsqueeze(0).unwrap(), &[layer]).unwrap();
    let b = extractor.targets(&content.unsqueeze(0).unwrap(), &[layer]).unwrap();
    content_loss(&a[layer], &b[layer]).unwrap().item().unwrap()
}

fn shrink(image: &Tensor, side: usize) -> Tensor {
    use nabla_conv::{Upsample, UpsampleMode, UpsampleSize};
    use nabla_nn::Module;
    let resized = Upsample { size: UpsampleSize::Size(side, side), mode: UpsampleMode::Bilinear }
        .forward(&image.unsqueeze(0).unwrap())
        .unwrap();
    resized.squeeze(0).unwrap()
}

#[test]
fn the_style_distance_falls_a_hundredfold_while_the_content_stays() {
    let extractor = FeatureExtractor::random(0).unwrap();
    let side = 64;
    let (content, style) = (shrink(&images::astronaut(), side), shrink(&images::gravel(), side));
    let config = StyleConfig { size: None, steps: 100, ..StyleConfig::default() };
    let mut reports = Vec::new();
    let result = stylize(&extractor, &content, &[(style.clone(), 1.0)], &config, &mut |p| reports.push(*p)).unwrap();
    assert_eq!(result.shape(), &[3, side, side]);
    assert!(result.to_vec().iter().all(|v| (0.0..=1.0).contains(v)));
    let before = style_distance(&extractor, &content, &style);
    let after = style_distance(&extractor, &result, &style);
    let kept = content_distance(&extractor, &result, &content);
    let noise = Tensor::uniform(&[3, side, side], 0.0, 1.0, &mut StdRng::seed_from_u64(1)).unwrap();
    let scale = content_distance(&extractor, &noise, &content);
    println!("style distance {before} -> {after} ({}x); content loss {kept} (uniform noise: {scale})", before / after);
    assert!(before / after >= 100.0, "style distance only fell from {before} to {after}");
    assert!(kept < 0.25 * scale, "content loss {kept} against uniform noise's {scale}");
    assert_eq!(reports.len(), 100);
    assert!(reports[99].total < reports[0].total);
}
