//! A long run does not grow: 10,000 training steps of a small CNN (convolution, ReLU, max
//! pooling, a linear layer, cross-entropy, Adam — the layer types of W3's network, smaller so
//! the test takes seconds) leave the process's resident memory where it was at step 1,000.
//! Linux only (it reads `/proc/self/statm`).

use nabla::conv::{Conv2d, Conv2dConfig, MaxPool2d, Pool2dConfig};
use nabla::losses::{CrossEntropyOptions, cross_entropy};
use nabla::nn::{Activation, Flatten, Linear, LinearConfig, Module, Sequential};
use nabla::optim::{AdamConfig, Optimizer};
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};
use nabla::{Tensor, tensor::live_tensor_count};

/// Resident memory in bytes.
fn resident() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[test]
fn ten_thousand_cnn_steps_keep_memory_flat() {
    let Some(_) = resident() else { return };
    let rng = &mut StdRng::seed_from_u64(0);
    let model = Sequential::new()
        .push(Conv2d::new(Conv2dConfig { padding: (1, 1), ..Conv2dConfig::new(1, 8, 3) }, rng).unwrap())
        .push(Activation::Relu)
        .push(MaxPool2d(Pool2dConfig::new(2)))
        .push(Flatten::default())
        .push(Linear::new(LinearConfig::new(8 * 6 * 6, 10), rng).unwrap());
    let mut adam = Optimizer::adam(model.parameters(), AdamConfig::default()).unwrap();
    let images = Tensor::uniform(&[8, 1, 12, 12], 0.0, 1.0, rng).unwrap();
    let labels: Vec<i64> = (0..8).map(|i| i % 10).collect();
    let mut at_1000 = (0, 0);
    for step in 1..=10_000 {
        let loss = cross_entropy(&model.forward(&images).unwrap(), &labels, &CrossEntropyOptions::default()).unwrap();
        adam.step(&loss.backward().unwrap()).unwrap();
        if step == 1_000 {
            at_1000 = (resident().unwrap(), live_tensor_count());
        }
    }
    let (memory, tensors) = (resident().unwrap(), live_tensor_count());
    println!(
        "step 1,000: {} kB, {} tensors; step 10,000: {} kB, {tensors} tensors",
        at_1000.0 / 1024,
        at_1000.1,
        memory / 1024
    );
    assert!(tensors <= at_1000.1, "live tensors grew from {} to {tensors}", at_1000.1);
    assert!(memory < at_1000.0 + 4 * 1024 * 1024, "resident memory grew from {} to {memory} bytes", at_1000.0);
}
