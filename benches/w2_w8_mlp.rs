//! W2 and W8 (docs/benchmarks.md), denormals flushed to zero.
//!
//! - W2: one training step of a 784-256-128-10 ReLU MLP on a batch of 64 with cross-entropy
//!   and Adam.
//! - W8: one training step of the 784-256-64-256-784 autoencoder (ReLU inside, sigmoid
//!   output, binary cross-entropy) on a batch of 128 with Adam.

use criterion::{Criterion, criterion_group, criterion_main};
use nabla::Tensor;
use nabla::generative::{Autoencoder, Noise};
use nabla::losses::{CrossEntropyOptions, cross_entropy};
use nabla::nn::{Activation, MlpConfig, Module, mlp};
use nabla::optim::{AdamConfig, Optimizer};
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};

fn w2_mlp_step(c: &mut Criterion) {
    nabla::tensor::set_flush_denormal(true);
    let rng = &mut StdRng::seed_from_u64(2);
    let model = mlp(&MlpConfig { widths: vec![784, 256, 128, 10], activation: Activation::Relu, dropout: 0.0 }, rng)
        .expect("valid");
    let mut adam = Optimizer::adam(model.parameters(), AdamConfig::default()).expect("valid");
    let images = Tensor::uniform(&[64, 784], 0.0, 1.0, rng).expect("valid");
    let labels: Vec<i64> = (0..64).map(|i| i % 10).collect();
    c.bench_function("W2_mlp_step", |bench| {
        bench.iter(|| {
            let logits = model.forward(&images).expect("shapes");
            let loss = cross_entropy(&logits, &labels, &CrossEntropyOptions::default()).expect("loss");
            adam.step(&loss.backward().expect("backward")).expect("step");
        })
    });
}

fn w8_autoencoder_step(c: &mut Criterion) {
    nabla::tensor::set_flush_denormal(true);
    let rng = &mut StdRng::seed_from_u64(8);
    let mut model = Autoencoder::new(&[784, 256, 64], Noise::None, AdamConfig::default(), rng).expect("valid");
    let images = Tensor::uniform(&[128, 784], 0.0, 1.0, rng).expect("valid");
    c.bench_function("W8_autoencoder_step", |bench| bench.iter(|| model.train_step(&images, rng).expect("step")));
}

criterion_group!(benches, w2_mlp_step, w8_autoencoder_step);
criterion_main!(benches);
