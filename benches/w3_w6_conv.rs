//! W3 and W6 (docs/benchmarks.md), denormals flushed to zero: the steps `nabla bench` times
//! too (`nabla_cli::bench::step`).
//!
//! - W3: one training step of W3's CNN (`nabla::conv::MnistCnn`) on a batch of 64 1×28×28
//!   images with cross-entropy and Adam.
//! - W6: forward and backward (input and weight gradients) of Conv2d 64→128, 3×3, pad 1, on a
//!   batch of 32 images of 32×32; criterion's throughput counts 3 × the forward FLOPs, so its
//!   "Gelem/s" reads as GFLOP/s.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn w3_cnn_step(c: &mut Criterion) {
    nabla::tensor::set_flush_denormal(true);
    let mut step = nabla_cli::bench::step("W3").expect("W3");
    c.bench_function("W3_cnn_step", |bench| bench.iter(|| step().expect("step")));
}

fn w6_conv_forward_backward(c: &mut Criterion) {
    nabla::tensor::set_flush_denormal(true);
    let mut step = nabla_cli::bench::step("W6").expect("W6");
    let mut group = c.benchmark_group("W6_conv2d");
    group.throughput(Throughput::Elements(nabla_cli::bench::W6_FLOPS));
    group.sample_size(10);
    group.bench_function("forward_backward", |bench| bench.iter(|| step().expect("step")));
    group.finish();
}

criterion_group!(benches, w3_cnn_step, w6_conv_forward_backward);
criterion_main!(benches);
