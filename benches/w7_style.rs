//! W7 (docs/benchmarks.md): one style-transfer step on a 3×128×128 image through W7's frozen
//! three-convolution network — content loss on the last layer, Gram-matrix style loss on all
//! three — and one Adam step on the image. Flush-to-zero on. `stylize` is timed for
//! 1 + `STYLE_STEPS` steps and for 1 (its fixed cost: targets, resizing) with the steps
//! `nabla bench` times too (`nabla_cli::bench::stylize_for`); a step is the difference over
//! `STYLE_STEPS`.

use criterion::{Criterion, criterion_group, criterion_main};
use nabla_cli::bench::{STYLE_STEPS, stylize_for};

fn w7_style_step(c: &mut Criterion) {
    nabla::tensor::set_flush_denormal(true);
    let mut group = c.benchmark_group("W7_style");
    group.sample_size(10);
    let mut many = stylize_for(1 + STYLE_STEPS).expect("W7");
    let mut once = stylize_for(1).expect("W7");
    group.bench_function(format!("{}_steps", 1 + STYLE_STEPS), |b| b.iter(|| many().expect("stylize")));
    group.bench_function("1_step", |b| b.iter(|| once().expect("stylize")));
    group.finish();
}

criterion_group!(benches, w7_style_step);
criterion_main!(benches);
