//! W1 (docs/benchmarks.md): square f32 matrix multiply, N = 256, 512, 1024, 2048, through
//! `Tensor::matmul`. Criterion's throughput is in elements = floating-point operations
//! (2·N³ per multiply), so its "Gelem/s" reads as GFLOP/s. Denormals are flushed to zero.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nabla::Tensor;
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};

fn w1_matmul(c: &mut Criterion) {
    nabla::tensor::set_flush_denormal(true);
    let mut rng = StdRng::seed_from_u64(1);
    let mut group = c.benchmark_group("W1_matmul");
    for n in [256usize, 512, 1024, 2048] {
        let a = Tensor::uniform(&[n, n], -1.0, 1.0, &mut rng).expect("valid bounds");
        let b = Tensor::uniform(&[n, n], -1.0, 1.0, &mut rng).expect("valid bounds");
        group.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
        group.sample_size(if n >= 1024 { 20 } else { 50 });
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |bench, _| {
            bench.iter(|| a.matmul(&b).expect("square shapes"))
        });
    }
    group.finish();
}

criterion_group!(benches, w1_matmul);
criterion_main!(benches);
