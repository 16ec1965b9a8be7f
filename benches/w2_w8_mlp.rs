//! W2 and W8 (docs/benchmarks.md), denormals flushed to zero: the steps `nabla bench` times
//! too (`nabla_cli::bench::step`).
//!
//! - W2: one training step of the 784-256-128-10 ReLU MLP, cross-entropy, batch 64, Adam.
//! - W8: one training step of the 784-256-64-256-784 autoencoder, BCE, batch 128, Adam.

use criterion::{Criterion, criterion_group, criterion_main};

fn time(c: &mut Criterion, id: &str, name: &str) {
    nabla::tensor::set_flush_denormal(true);
    let mut step = nabla_cli::bench::step(id).expect("the workload");
    c.bench_function(name, |bench| bench.iter(|| step().expect("step")));
}

fn w2_mlp_step(c: &mut Criterion) {
    time(c, "W2", "W2_mlp_step");
}

fn w8_autoencoder_step(c: &mut Criterion) {
    time(c, "W8", "W8_autoencoder_step");
}

criterion_group!(benches, w2_mlp_step, w8_autoencoder_step);
criterion_main!(benches);
