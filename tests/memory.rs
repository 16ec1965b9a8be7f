//! A long run does not grow: 10,000 training steps of a CNN with W3's layout (docs/benchmarks.md:
//! two 3×3 convolutions with ReLU and 2×2 max pooling, two linear layers, cross-entropy, Adam)
//! at a quarter of its widths (8 and 16 channels, 32 hidden units), on batches of 2 MNIST-sized
//! images, leave the process's resident memory where it was at step 1,000. (W3 at full width
//! takes 6 minutes for this here, too long for CI; it measured 20,640 kB at step 1,000 and
//! 20,648 kB at step 10,000.) Linux only (it reads `/proc/self/statm`).

use nabla::conv::{Conv2d, Conv2dConfig, MaxPool2d, Pool2dConfig};
use nabla::losses::{CrossEntropyOptions, cross_entropy};
use nabla::nn::{Activation, Flatten, Linear, LinearConfig, Module, Sequential};
use nabla::optim::{AdamConfig, Optimizer};
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};
use nabla::{Tensor, tensor::live_tensor_count};

#[test]
fn ten_thousand_cnn_steps_keep_memory_flat() {
    let Some(_) = nabla_testkit::resident_bytes() else { return };
    let rng = &mut StdRng::seed_from_u64(0);
    let conv = |from, to| Conv2dConfig { padding: (1, 1), ..Conv2dConfig::new(from, to, 3) };
    let model = Sequential::new()
        .push(Conv2d::new(conv(1, 8), rng).unwrap())
        .push(Activation::Relu)
        .push(MaxPool2d(Pool2dConfig::new(2)))
        .push(Conv2d::new(conv(8, 16), rng).unwrap())
        .push(Activation::Relu)
        .push(MaxPool2d(Pool2dConfig::new(2)))
        .push(Flatten::default())
        .push(Linear::new(LinearConfig::new(16 * 7 * 7, 32), rng).unwrap())
        .push(Activation::Relu)
        .push(Linear::new(LinearConfig::new(32, 10), rng).unwrap());
    let mut adam = Optimizer::adam(model.parameters(), AdamConfig::default()).unwrap();
    let images = Tensor::uniform(&[2, 1, 28, 28], 0.0, 1.0, rng).unwrap();
    let labels: Vec<i64> = vec![3, 7];
    let mut at_1000 = (0, 0);
    for step in 1..=10_000 {
        let loss = cross_entropy(&model.forward(&images).unwrap(), &labels, &CrossEntropyOptions::default()).unwrap();
        adam.step(&loss.backward().unwrap()).unwrap();
        if step == 1_000 {
            at_1000 = (nabla_testkit::resident_bytes().unwrap(), live_tensor_count());
        }
    }
    let (memory, tensors) = (nabla_testkit::resident_bytes().unwrap(), live_tensor_count());
    println!(
        "step 1,000: {} kB, {} tensors; step 10,000: {} kB, {tensors} tensors",
        at_1000.0 / 1024,
        at_1000.1,
        memory / 1024
    );
    assert!(tensors <= at_1000.1, "live tensors grew from {} to {tensors}", at_1000.1);
    assert!(memory < at_1000.0 + 4 * 1024 * 1024, "resident memory grew from {} to {memory} bytes", at_1000.0);
}
