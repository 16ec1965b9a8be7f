//! The adding problem: why the LSTM's gates let it remember where a plain RNN forgets.
//!
//! Each sequence carries a value and a marker per step; the target is the sum of the two
//! marked values, one in each half of the sequence (Hochreiter & Schmidhuber 1997). Always
//! answering 1 scores a mean squared error of 0.167; beating it means carrying the first
//! marked value across the sequence. A vanilla RNN, an LSTM (forget-gate bias 1) and a GRU
//! with the same hidden size train on the same batches with the same budget (Adam,
//! gradient-norm clipping at 1); the example prints each one's test MSE as it trains and
//! writes `docs/images/adding_problem.png`.
//!
//! Run with `cargo run --release --example 05_adding_problem`.

use nabla::Tensor;
use nabla::data::sequences::{SequenceBatch, adding_problem};
use nabla::losses::{Reduction, mse};
use nabla::nn::{Linear, LinearConfig, Module};
use nabla::optim::{AdamConfig, Optimizer, clip_grad_norm};
use nabla::plot::{LineChart, Series};
use nabla::recurrent::{Gru, Lstm, RecurrentConfig, Rnn, RnnNonlinearity};
use nabla::tensor::Result;
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};

/// The problem size and training budget.
#[derive(Debug, Clone, Copy)]
struct Budget {
    length: usize,
    hidden: usize,
    steps: usize,
    batch: usize,
    lr: f64,
    evaluate_every: usize,
}

const FULL: Budget = Budget { length: 50, hidden: 64, steps: 2000, batch: 64, lr: 3e-3, evaluate_every: 100 };

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Rnn,
    Lstm,
    Gru,
}

/// A recurrent module read out by a linear layer on its last output.
struct Model {
    recurrent: Box<dyn Module>,
    head: Linear,
}

impl Model {
    fn new(kind: Kind, hidden: usize, rng: &mut StdRng) -> Result<Model> {
        let config = RecurrentConfig::new(2, hidden);
        let recurrent: Box<dyn Module> = match kind {
            Kind::Rnn => Box::new(Rnn::new(config, RnnNonlinearity::Tanh, rng)?),
            Kind::Lstm => Box::new(Lstm::new(config, rng)?.with_forget_bias(1.0)?),
            Kind::Gru => Box::new(Gru::new(config, rng)?),
        };
        Ok(Model { recurrent, head: Linear::new(LinearConfig::new(hidden, 1), rng)? })
    }

    fn predict(&self, inputs: &Tensor) -> Result<Tensor> {
        let outputs = self.recurrent.forward(inputs)?;
        let last = outputs.narrow(0, outputs.shape()[0] - 1, 1)?.squeeze(0)?;
        self.head.forward(&last)
    }

    fn parameters(&self) -> Vec<Tensor> {
        let mut params = self.recurrent.parameters();
        params.extend(self.head.parameters());
        params
    }
}

fn test_mse(model: &Model, test: &SequenceBatch) -> Result<f32> {
    nabla::no_grad(|| mse(&model.predict(&test.inputs)?, &test.targets, Reduction::Mean)?.item())
}

/// Trains one model; returns (step, test MSE) after every `evaluate_every` steps.
fn train(kind: Kind, budget: Budget, seed: u64, log: bool) -> Result<Vec<(usize, f32)>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let model = Model::new(kind, budget.hidden, &mut rng)?;
    let params = model.parameters();
    let mut adam = Optimizer::adam(params.clone(), AdamConfig { lr: budget.lr, ..Default::default() })?;
    let mut data = StdRng::seed_from_u64(seed + 1000);
    let test = adding_problem(1000, budget.length, &mut StdRng::seed_from_u64(99))?;
    let mut history = Vec::new();
    for step in 1..=budget.steps {
        let batch = adding_problem(budget.batch, budget.length, &mut data)?;
        let loss = mse(&model.predict(&batch.inputs)?, &batch.targets, Reduction::Mean)?;
        let mut grads = loss.backward()?;
        clip_grad_norm(&mut grads, &params, 1.0)?;
        adam.step(&grads)?;
        if step % budget.evaluate_every == 0 {
            let error = test_mse(&model, &test)?;
            if log {
                println!("{kind:?} step {step:>5}: test MSE {error:.4}");
            }
            history.push((step, error));
        }
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
    let mut chart = LineChart::new(
        format!("Adding problem, length {}: test MSE", FULL.length),
        "training step",
        "test MSE (log scale)",
    )
    .reference_line("always answering 1 (0.167)", 1.0 / 6.0)
    .log_y();
    for kind in [Kind::Lstm, Kind::Gru, Kind::Rnn] {
        let start = std::time::Instant::now();
        let history = train(kind, FULL, 0, true)?;
        println!(
            "{kind:?}: final test MSE {:.4} in {:.1} s\n",
            history.last().map_or(f32::NAN, |h| h.1),
            start.elapsed().as_secs_f64()
        );
        chart = chart
            .series(Series::new(format!("{kind:?}"), history.iter().map(|&(s, e)| (s as f64, e as f64)).collect()));
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/images/adding_problem.png");
    chart.write_png(path)?;
    println!("wrote {path}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A budget that fits CI: shorter sequences than the full run, but long enough that the
    /// RNN cannot carry the first value across them.
    const CI: Budget = Budget { length: 40, hidden: 32, steps: 1200, batch: 64, lr: 3e-3, evaluate_every: 300 };

    #[test]
    fn the_lstm_remembers_where_the_rnn_forgets() {
        let lstm = train(Kind::Lstm, CI, 0, true).unwrap().last().unwrap().1;
        let rnn = train(Kind::Rnn, CI, 0, true).unwrap().last().unwrap().1;
        assert!(lstm < 0.05, "LSTM test MSE {lstm}: should fall well below 0.167");
        assert!(rnn > 0.12, "RNN test MSE {rnn}: should stay near 0.167");
    }
}
