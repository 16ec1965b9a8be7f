//! An LSTM predicts the next value of a noisy sine wave.
//!
//! The series is sin(2πt/25) plus Gaussian noise (σ = 0.05). Windows of 20 values from the
//! first 600 points train a one-layer LSTM (hidden size 32) with a linear read-out to predict
//! the value that follows; the next 200 points test it. The example prints the test error
//! beside two baselines — repeating the last value, and the noise floor — and plots prediction
//! against truth in `docs/images/sine_lstm.png`.
//!
//! Run with `cargo run --release --example 06_sine_lstm`.

use nabla::Tensor;
use nabla::data::DataLoader;
use nabla::data::sequences::{SequenceBatch, next_step_windows, noisy_sine};
use nabla::losses::{Reduction, mse};
use nabla::nn::{Linear, LinearConfig, Module};
use nabla::optim::{AdamConfig, Optimizer};
use nabla::plot::{LineChart, Series};
use nabla::recurrent::{Lstm, RecurrentConfig};
use nabla::tensor::Result;
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};

const WINDOW: usize = 20;
const TRAIN_POINTS: usize = 600;
const TEST_POINTS: usize = 200;
const NOISE: f32 = 0.05;

struct Outcome {
    test_mse: f32,
    repeat_last_mse: f32,
    predictions: Vec<f32>,
    truth: Vec<f32>,
}

fn predict(lstm: &Lstm, head: &Linear, inputs: &Tensor) -> Result<Tensor> {
    let outputs = lstm.forward(inputs)?;
    head.forward(&outputs.narrow(0, WINDOW - 1, 1)?.squeeze(0)?)
}

fn train(epochs: usize, seed: u64) -> Result<Outcome> {
    let series = noisy_sine(TRAIN_POINTS + TEST_POINTS, 25.0, 0.0, NOISE, &mut StdRng::seed_from_u64(seed))?;
    let train_set = next_step_windows(&series[..TRAIN_POINTS], WINDOW)?;
    // Test windows end in the test range, so every target is unseen.
    let test_set = next_step_windows(&series[TRAIN_POINTS - WINDOW..], WINDOW)?;
    let mut rng = StdRng::seed_from_u64(seed + 1);
    let lstm = Lstm::new(RecurrentConfig::new(1, 32), &mut rng)?.with_forget_bias(1.0)?;
    let head = Linear::new(LinearConfig::new(32, 1), &mut rng)?;
    let mut params = lstm.parameters();
    params.extend(head.parameters());
    let mut adam = Optimizer::adam(params, AdamConfig { lr: 1e-2, ..Default::default() })?;
    let count = train_set.targets.shape()[0];
    let mut loader = DataLoader::new(count, 32)?.shuffled(seed);
    for _ in 0..epochs {
        for batch in loader.epoch() {
            let inputs = train_set.inputs.index_select(1, &batch)?;
            let targets = train_set.targets.index_select(0, &batch)?;
            let loss = mse(&predict(&lstm, &head, &inputs)?, &targets, Reduction::Mean)?;
            adam.step(&loss.backward()?)?;
        }
    }
    evaluate(&lstm, &head, &test_set)
}

fn evaluate(lstm: &Lstm, head: &Linear, test: &SequenceBatch) -> Result<Outcome> {
    let predictions = nabla::no_grad(|| predict(lstm, head, &test.inputs))?;
    let test_mse = mse(&predictions, &test.targets, Reduction::Mean)?.item()?;
    let last = test.inputs.narrow(0, WINDOW - 1, 1)?.squeeze(0)?;
    let repeat_last_mse = mse(&last, &test.targets, Reduction::Mean)?.item()?;
    Ok(Outcome { test_mse, repeat_last_mse, predictions: predictions.to_vec(), truth: test.targets.to_vec() })
}

/// Runs on rayon's pool, as the README recommends (`nabla::tensor::on_pool`).
fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    nabla::tensor::on_pool(run)
}

/// The guide's five-seed table (`-- --five-seeds`): test MSE over the noise variance, and over
/// repeating the last value, for seeds 0–4.
fn five_seeds() -> std::result::Result<(), Box<dyn std::error::Error>> {
    for seed in 0..5 {
        let outcome = train(30, seed)?;
        let noise = NOISE * NOISE;
        println!(
            "seed {seed}: {:.2} of the noise, {:.3} of repeat-last",
            outcome.test_mse / noise,
            outcome.test_mse / outcome.repeat_last_mse
        );
    }
    Ok(())
}

/// Errors of any crate (tensor, data, chart) end the run with their message.
fn run() -> std::result::Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--five-seeds") {
        return five_seeds();
    }
    let outcome = train(30, 0)?;
    println!(
        "test MSE {:.5}; repeating the last value: {:.5}; the noise alone: {:.5}",
        outcome.test_mse,
        outcome.repeat_last_mse,
        NOISE * NOISE
    );
    let points =
        |values: &[f32]| values.iter().enumerate().map(|(i, &v)| ((TRAIN_POINTS + i) as f64, v as f64)).collect();
    let chart = LineChart::new("LSTM next-step prediction of a noisy sine (test range)", "t", "value")
        .series(Series::new("truth (noisy)", points(&outcome.truth)))
        .series(Series::new("LSTM prediction", points(&outcome.predictions)))
        .size(900, 400);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/images/sine_lstm.png");
    chart.write_png(path)?;
    println!("wrote {path}");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn predicts_the_next_value_near_the_noise_floor() {
        let outcome = super::train(30, 0).unwrap();
        let noise = super::NOISE * super::NOISE;
        println!("test MSE {}, repeat-last {}", outcome.test_mse, outcome.repeat_last_mse);
        assert!(outcome.test_mse < 3.0 * noise, "test MSE {} vs noise variance {noise}", outcome.test_mse);
        assert!(outcome.test_mse < 0.2 * outcome.repeat_last_mse, "should beat repeating the last value by 5×");
    }
}
