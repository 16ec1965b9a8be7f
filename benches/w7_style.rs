//! W7 (docs/benchmarks.md): one style-transfer step on a 3×128×128 image through W7's frozen
//! three-convolution network — content loss on the last layer, Gram-matrix style loss on all
//! three — and one Adam step on the image. Flush-to-zero on.

use criterion::{Criterion, criterion_group, criterion_main};
use nabla::style::{FeatureExtractor, StyleConfig, images, stylize};

fn w7_style_step(c: &mut Criterion) {
    nabla::tensor::set_flush_denormal(true);
    let extractor = FeatureExtractor::random(0).unwrap();
    let (content, style) = (images::astronaut(), images::gravel());
    // `stylize` with 10 steps: its fixed cost (targets, resizing) is measured separately below
    // and subtracted in docs/performance.md.
    let config = StyleConfig { steps: 10, size: Some(128), ..StyleConfig::default() };
    let once = StyleConfig { steps: 1, ..config.clone() };
    let mut group = c.benchmark_group("W7_style");
    group.sample_size(10);
    group.bench_function("10_steps", |b| {
        b.iter(|| stylize(&extractor, &content, &[(style.clone(), 1.0)], &config, &mut |_| {}).unwrap())
    });
    group.bench_function("1_step", |b| {
        b.iter(|| stylize(&extractor, &content, &[(style.clone(), 1.0)], &once, &mut |_| {}).unwrap())
    });
    group.finish();
}

criterion_group!(benches, w7_style_step);
criterion_main!(benches);
