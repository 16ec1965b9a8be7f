//! An MLP on MNIST: 784-256-128-10 with ReLU, trained with Adam on the bundled subset
//! (8,000 training and 2,000 test digits).
//!
//! The recipe: inputs normalised with MNIST's mean and standard deviation, dropout 0.2 after
//! each hidden layer, Adam (lr 2e-3) with a cosine learning-rate schedule, batches of 64,
//! 15 epochs. Prints the loss, test accuracy and time of each epoch and writes
//! `docs/images/mnist_mlp.png`. Run with `cargo run --release --example 04_mnist_mlp [SEED]`.

use std::time::Instant;

use nabla::Tensor;
use nabla::data::{DataLoader, MNIST_MEAN, MNIST_STD, Mnist, MnistSplit, normalize};
use nabla::losses::{CrossEntropyOptions, cross_entropy};
use nabla::nn::{Activation, MlpConfig, Module, Sequential, mlp};
use nabla::optim::{AdamConfig, LrSchedule, Optimizer, Scheduler};
use nabla::plot::{LineChart, Series};
use nabla::tensor::Result;
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};

/// One epoch's measurements.
#[derive(Debug, Clone, Copy)]
struct Epoch {
    loss: f32,
    test_accuracy: f32,
    seconds: f64,
}

fn inputs(images: &Tensor) -> Result<Tensor> {
    normalize(&images.flatten(1, -1)?, MNIST_MEAN, MNIST_STD)
}

fn load() -> nabla::Result<Mnist> {
    Ok(Mnist::bundled()?)
}

/// The share of `split` the model classifies correctly (in evaluation mode, without a graph).
fn accuracy(model: &Sequential, split: &MnistSplit) -> Result<f32> {
    let logits = nabla::no_grad(|| model.forward(&inputs(&split.images)?))?;
    let predicted = logits
        .to_vec()
        .chunks(10)
        .map(|row| row.iter().enumerate().fold(0, |best, (i, &v)| if v > row[best] { i } else { best }))
        .collect::<Vec<_>>();
    Ok(predicted.iter().zip(&split.labels).filter(|(p, l)| **p == **l as usize).count() as f32 / split.len() as f32)
}

fn train(epochs: usize, seed: u64, log: bool) -> nabla::Result<Vec<Epoch>> {
    let mnist = load()?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut model =
        mlp(&MlpConfig { widths: vec![784, 256, 128, 10], activation: Activation::Relu, dropout: 0.2 }, &mut rng)?;
    let mut adam = Optimizer::adam(model.parameters(), AdamConfig { lr: 2e-3, ..Default::default() })?;
    let mut schedule = Scheduler::new(&mut adam, LrSchedule::Cosine { t_max: epochs, eta_min: 0.0 })?;
    let mut loader = DataLoader::new(mnist.train.len(), 64)?.shuffled(seed);
    let mut history = Vec::new();
    for epoch in 1..=epochs {
        let start = Instant::now();
        model.train();
        let mut total = 0.0;
        let batches = loader.epoch();
        for batch in &batches {
            let (images, labels) = mnist.train.batch(batch)?;
            let loss = cross_entropy(&model.forward(&inputs(&images)?)?, &labels, &CrossEntropyOptions::default())?;
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
        if log {
            println!(
                "epoch {epoch:>2}  loss {:.4}  test accuracy {:.2}%  {:.2} s",
                record.loss,
                record.test_accuracy * 100.0,
                record.seconds
            );
        }
        history.push(record);
    }
    Ok(history)
}

/// Runs on rayon's pool, as the README recommends (`nabla::tensor::on_pool`).
fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    nabla::tensor::on_pool(run)
}

/// Errors of any crate (tensor, data, chart) end the run with their message.
fn run() -> std::result::Result<(), Box<dyn std::error::Error>> {
    nabla::tensor::set_flush_denormal(true);
    let seed = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let history = train(15, seed, true)?;
    let total: f64 = history.iter().map(|e| e.seconds).sum();
    let last = history.last().expect("15 epochs");
    println!(
        "final test accuracy {:.2}% after {} epochs, {total:.1} s in all",
        last.test_accuracy * 100.0,
        history.len()
    );
    let series = |label: &str, pick: fn(&Epoch) -> f32| {
        Series::new(label, history.iter().enumerate().map(|(i, e)| ((i + 1) as f64, pick(e) as f64)).collect())
    };
    let chart = LineChart::new("MLP 784-256-128-10 on the MNIST subset", "epoch", "value")
        .series(series("training loss", |e| e.loss))
        .series(series("test error (1 − accuracy)", |e| 1.0 - e.test_accuracy))
        .log_y();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/images/mnist_mlp.png");
    chart.write_png(path)?;
    println!("wrote {path}");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reaches_96_percent_test_accuracy() {
        let history = super::train(15, 0, true).unwrap();
        let accuracy = history.last().unwrap().test_accuracy;
        assert!(accuracy >= 0.96, "test accuracy {accuracy}");
        assert!(history.first().unwrap().loss > 2.0 * history.last().unwrap().loss, "the loss falls");
    }
}
