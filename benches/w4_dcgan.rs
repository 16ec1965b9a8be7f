//! W4 (docs/benchmarks.md): one DCGAN iteration on 28×28 images — a discriminator step on a real
//! and a generated batch of 64 (BCE with logits) and a generator step (non-saturating loss),
//! Adam(2e-4, β = (0.5, 0.999)). Flush-to-zero on, as in PyTorch's run.

use criterion::{Criterion, criterion_group, criterion_main};
use nabla::Tensor;
use nabla::generative::{DcganConfig, Gan};
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};
use nabla::tensor::set_flush_denormal;

fn w4_dcgan_iteration(c: &mut Criterion) {
    set_flush_denormal(true);
    let rng = &mut StdRng::seed_from_u64(0);
    let mut gan = Gan::dcgan(&DcganConfig::default(), rng).unwrap();
    let real = Tensor::uniform(&[64, 1, 28, 28], -1.0, 1.0, rng).unwrap();
    c.bench_function("W4_dcgan_iteration", |bench| {
        bench.iter(|| gan.train_step(|_| Ok(real.clone()), rng).unwrap());
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = w4_dcgan_iteration
}
criterion_main!(benches);
