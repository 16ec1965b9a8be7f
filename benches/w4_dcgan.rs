//! W4 (docs/benchmarks.md): one DCGAN iteration on 28×28 images — a discriminator step on a real
//! and a generated batch of 64 (BCE with logits) and a generator step (non-saturating loss),
//! Adam(2e-4, β = (0.5, 0.999)): the step `nabla bench` times too (`nabla_cli::bench::step`).
//! Flush-to-zero on, as in PyTorch's run.

use criterion::{Criterion, criterion_group, criterion_main};

fn w4_dcgan_iteration(c: &mut Criterion) {
    nabla::tensor::set_flush_denormal(true);
    let mut step = nabla_cli::bench::step("W4").expect("W4");
    c.bench_function("W4_dcgan_iteration", |bench| bench.iter(|| step().expect("step")));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = w4_dcgan_iteration
}
criterion_main!(benches);
