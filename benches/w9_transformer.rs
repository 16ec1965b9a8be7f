//! W9 (docs/benchmarks.md): one training step of a causal transformer — 4 pre-norm layers, 4
//! heads, width 128, feed-forward 512, GELU, vocabulary 96 with learned positions, batch 32 ×
//! 128 tokens, next-token cross-entropy, AdamW: the step `nabla bench` times too
//! (`nabla_cli::bench::step`). Denormals are flushed to zero. Criterion reports the time per
//! step (steps/s = 1 / time).

use criterion::{Criterion, criterion_group, criterion_main};

fn w9_transformer(c: &mut Criterion) {
    nabla::tensor::set_flush_denormal(true);
    let mut step = nabla_cli::bench::step("W9").expect("W9");
    c.bench_function("W9_transformer_step", |bench| bench.iter(|| step().expect("step")));
}

criterion_group!(benches, w9_transformer);
criterion_main!(benches);
