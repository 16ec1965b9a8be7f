//! W1 (docs/benchmarks.md): square f32 matrix multiply, N = 256, 512, 1024, 2048, through
//! `Tensor::matmul`, the step `nabla bench` times too (`nabla_cli::bench::matmul`). Criterion's
//! throughput is in elements = floating-point operations (2·N³), so its "Gelem/s" reads as
//! GFLOP/s.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn w1_matmul(c: &mut Criterion) {
    nabla::tensor::set_flush_denormal(true);
    let mut group = c.benchmark_group("W1_matmul");
    for n in [256usize, 512, 1024, 2048] {
        let mut step = nabla_cli::bench::matmul(n);
        group.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
        group.sample_size(if n >= 1024 { 20 } else { 50 });
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |bench, _| bench.iter(|| step().expect("matmul")));
    }
    group.finish();
}

criterion_group!(benches, w1_matmul);
criterion_main!(benches);
