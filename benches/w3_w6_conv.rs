//! W3 and W6 (docs/benchmarks.md), denormals flushed to zero.
//!
//! - W3: one training step of the small CNN (Conv 1→32 3×3 pad 1, ReLU, MaxPool 2, Conv 32→64
//!   3×3 pad 1, ReLU, MaxPool 2, Linear 3136→128, ReLU, Linear 128→10) on a batch of 64
//!   1×28×28 images with cross-entropy and Adam.
//! - W6: forward and backward (input and weight gradients) of Conv2d 64→128, 3×3, pad 1, on a
//!   batch of 32 images of 32×32; criterion's throughput counts 3 × the forward FLOPs, so its
//!   "Gelem/s" reads as GFLOP/s.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nabla::Tensor;
use nabla::conv::{Conv2d, Conv2dConfig, MaxPool2d, Pool2dConfig};
use nabla::losses::{CrossEntropyOptions, cross_entropy};
use nabla::nn::{Activation, Flatten, Linear, LinearConfig, Module, Sequential};
use nabla::optim::{AdamConfig, Optimizer};
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};

fn w3_cnn_step(c: &mut Criterion) {
    nabla::tensor::set_flush_denormal(true);
    let mut rng = StdRng::seed_from_u64(3);
    let config = |i, o| Conv2dConfig { padding: (1, 1), ..Conv2dConfig::new(i, o, 3) };
    let model = Sequential::new()
        .push(Conv2d::new(config(1, 32), &mut rng).expect("valid"))
        .push(Activation::Relu)
        .push(MaxPool2d(Pool2dConfig::new(2)))
        .push(Conv2d::new(config(32, 64), &mut rng).expect("valid"))
        .push(Activation::Relu)
        .push(MaxPool2d(Pool2dConfig::new(2)))
        .push(Flatten::default())
        .push(Linear::new(LinearConfig::new(3136, 128), &mut rng).expect("valid"))
        .push(Activation::Relu)
        .push(Linear::new(LinearConfig::new(128, 10), &mut rng).expect("valid"));
    let mut adam = Optimizer::adam(model.parameters(), AdamConfig::default()).expect("valid");
    let images = Tensor::uniform(&[64, 1, 28, 28], 0.0, 1.0, &mut rng).expect("valid");
    let labels: Vec<i64> = (0..64).map(|i| i % 10).collect();
    c.bench_function("W3_cnn_step", |bench| {
        bench.iter(|| {
            let loss =
                cross_entropy(&model.forward(&images).expect("shapes"), &labels, &CrossEntropyOptions::default())
                    .expect("loss");
            adam.step(&loss.backward().expect("backward")).expect("step");
        })
    });
}

fn w6_conv_forward_backward(c: &mut Criterion) {
    nabla::tensor::set_flush_denormal(true);
    let mut rng = StdRng::seed_from_u64(6);
    let conv = Conv2d::new(Conv2dConfig { padding: (1, 1), bias: false, ..Conv2dConfig::new(64, 128, 3) }, &mut rng)
        .expect("valid");
    let input = Tensor::uniform(&[32, 64, 32, 32], -1.0, 1.0, &mut rng).expect("valid").requires_grad(true);
    let forward_flops = 2 * 32 * 128 * 32 * 32 * 64 * 9u64;
    let mut group = c.benchmark_group("W6_conv2d");
    group.throughput(Throughput::Elements(3 * forward_flops));
    group.sample_size(10);
    group.bench_function("forward_backward", |bench| {
        bench.iter(|| {
            let output = conv.forward(&input).expect("shapes");
            output.sum_all().and_then(|s| s.backward()).expect("backward")
        })
    });
    group.finish();
}

criterion_group!(benches, w3_cnn_step, w6_conv_forward_backward);
criterion_main!(benches);
