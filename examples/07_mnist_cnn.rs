//! A convolutional network on MNIST: workload W3's network (docs/benchmarks.md) on the bundled
//! subset — Conv(1→32, 3×3, pad 1) + ReLU + MaxPool 2 → Conv(32→64, 3×3, pad 1) + ReLU +
//! MaxPool 2 → Linear(3136→128) + ReLU → Linear(128→10) — with normalised inputs, dropout 0.25
//! before each linear layer, Adam and a cosine learning-rate schedule.
//!
//! Prints the loss, test accuracy and time of each epoch and writes the first layer's 32
//! learned 3×3 filters to `docs/images/mnist_cnn_filters.png`. Run with
//! `cargo run --release --example 07_mnist_cnn [EPOCHS]`.

use std::time::Instant;

use nabla::Tensor;
use nabla::conv::{Conv2d, Conv2dConfig, MaxPool2d, Pool2dConfig};
use nabla::data::{DataLoader, MNIST_MEAN, MNIST_STD, Mnist, MnistSplit, normalize};
use nabla::losses::{CrossEntropyOptions, cross_entropy};
use nabla::nn::{Activation, Dropout, Flatten, Linear, LinearConfig, Module, Sequential};
use nabla::optim::{AdamConfig, LrSchedule, Optimizer, Scheduler};
use nabla::tensor::Result;
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};

fn network(rng: &mut StdRng) -> Result<Sequential> {
    let config = |i, o| Conv2dConfig { padding: (1, 1), ..Conv2dConfig::new(i, o, 3) };
    let first = Conv2d::new(config(1, 32), rng)?;
    let second = Conv2d::new(config(32, 64), rng)?;
    Ok(Sequential::new()
        .push(first)
        .push(Activation::Relu)
        .push(MaxPool2d(Pool2dConfig::new(2)))
        .push(second)
        .push(Activation::Relu)
        .push(MaxPool2d(Pool2dConfig::new(2)))
        .push(Flatten::default())
        .push(Dropout::new(0.25, 1)?)
        .push(Linear::new(LinearConfig::new(3136, 128), rng)?)
        .push(Activation::Relu)
        .push(Dropout::new(0.25, 2)?)
        .push(Linear::new(LinearConfig::new(128, 10), rng)?))
}

fn load() -> nabla::Result<Mnist> {
    Ok(Mnist::bundled()?)
}

/// The share of `split` classified correctly, in evaluation mode, in batches of 500.
fn accuracy(model: &Sequential, split: &MnistSplit) -> Result<f32> {
    let mut correct = 0;
    for start in (0..split.len()).step_by(500) {
        let indices: Vec<usize> = (start..(start + 500).min(split.len())).collect();
        let (images, labels) = split.batch(&indices)?;
        let logits = nabla::no_grad(|| model.forward(&normalize(&images, MNIST_MEAN, MNIST_STD)?))?.to_vec();
        for (row, label) in logits.chunks(10).zip(labels) {
            let best = row.iter().enumerate().fold(0, |b, (i, &v)| if v > row[b] { i } else { b });
            correct += usize::from(best as i64 == label);
        }
    }
    Ok(correct as f32 / split.len() as f32)
}

/// One epoch's measurements.
#[derive(Debug, Clone, Copy)]
struct Epoch {
    loss: f32,
    test_accuracy: f32,
    seconds: f64,
}

/// Trains for `epochs`; returns the model and each epoch's measurements.
fn train(epochs: usize, seed: u64) -> nabla::Result<(Sequential, Vec<Epoch>)> {
    let mnist = load()?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut model = network(&mut rng)?;
    let mut adam = Optimizer::adam(model.parameters(), AdamConfig { lr: 2e-3, ..Default::default() })?;
    let mut schedule = Scheduler::new(&mut adam, LrSchedule::Cosine { t_max: epochs, eta_min: 0.0 })?;
    let mut loader = DataLoader::new(mnist.train.len(), 64)?.shuffled(seed);
    let mut history = Vec::new();
    for epoch in 1..=epochs {
        let start = Instant::now();
        model.train();
        let batches = loader.epoch();
        let mut total = 0.0;
        for batch in &batches {
            let (images, labels) = mnist.train.batch(batch)?;
            let logits = model.forward(&normalize(&images, MNIST_MEAN, MNIST_STD)?)?;
            let loss = cross_entropy(&logits, &labels, &CrossEntropyOptions::default())?;
            adam.step(&loss.backward()?)?;
            total += loss.item()?;
        }
        schedule.step(&mut adam)?;
        model.eval();
        let record = Epoch {
            loss: total / batches.len() as f32,
            test_accuracy: accuracy(&model, &mnist.test)?,
            seconds: start.elapsed().as_secs_f64(),
        };
        println!(
            "epoch {epoch:>2}  loss {:.4}  test accuracy {:.2}%  {:.1} s",
            record.loss,
            record.test_accuracy * 100.0,
            record.seconds
        );
        history.push(record);
    }
    Ok((model, history))
}

/// The first convolution's filters `[32, 1, 3, 3]`, each scaled to [0, 1], as a grid.
fn filter_picture(model: &Sequential) -> Result<Tensor> {
    let weight = model.named_parameters().into_iter().find(|(n, _)| n == "0.weight").expect("first conv").1;
    let low = weight.min(&[1, 2, 3], true)?;
    let high = weight.max(&[1, 2, 3], true)?;
    weight.sub(&low)?.div(&high.sub(&low)?.add_scalar(1e-8)?)
}

/// Runs on rayon's pool, as the README recommends (`nabla::tensor::on_pool`).
fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    nabla::tensor::on_pool(run)
}

fn run() -> std::result::Result<(), Box<dyn std::error::Error>> {
    nabla::tensor::set_flush_denormal(true);
    let epochs = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(8);
    let (model, history) = train(epochs, 0)?;
    let total: f64 = history.iter().map(|h| h.seconds).sum();
    println!(
        "final test accuracy {:.2}% after {epochs} epochs, {total:.1} s",
        history.last().map_or(0.0, |h| h.test_accuracy) * 100.0
    );
    // Enlarge each 3×3 filter to 48×48 pixels so the grid is visible.
    let filters = filter_picture(&model)?;
    let enlarged =
        filters.reshape(&[32, 1, 3, 1, 3, 1])?.broadcast_to(&[32, 1, 3, 16, 3, 16])?.reshape(&[32, 1, 48, 48])?;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/images/mnist_cnn_filters.png");
    nabla::data::image::write_png_grid(path, &enlarged, 8, 4)?;
    println!("wrote {path}");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reaches_98_percent_test_accuracy() {
        let (_, history) = super::train(4, 0).unwrap();
        let accuracy = history.last().unwrap().test_accuracy;
        assert!(accuracy >= 0.98, "test accuracy {accuracy}");
    }
}
