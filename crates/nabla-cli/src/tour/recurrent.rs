//! Tour topic 6: on the adding problem the LSTM remembers where the plain RNN forgets.

use nabla_data::sequences::{SequenceBatch, adding_problem};
use nabla_losses::{Reduction, mse};
use nabla_nn::{Linear, LinearConfig, Module};
use nabla_optim::{AdamConfig, Optimizer, clip_grad_norm};
use nabla_plot::{LineChart, Series};
use nabla_recurrent::{Lstm, RecurrentConfig, Rnn, RnnNonlinearity};
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Tensor, no_grad};

use super::Context;
use crate::error::CliError;
use crate::report::Section;

const HIDDEN: usize = 32;
const BATCH: usize = 64;

/// A recurrent module read out by a linear layer on its last output.
struct Model {
    recurrent: Box<dyn Module>,
    head: Linear,
}

impl Model {
    fn predict(&self, inputs: &Tensor) -> nabla_tensor::Result<Tensor> {
        let outputs = self.recurrent.forward(inputs)?;
        self.head.forward(&outputs.narrow(0, outputs.shape()[0] - 1, 1)?.squeeze(0)?)
    }
}

/// Trains an LSTM (`lstm`) or a tanh RNN for `steps` on sequences of `length`; returns the
/// test MSE every `steps / 10` steps.
fn train(lstm: bool, length: usize, steps: usize) -> nabla_tensor::Result<Vec<(f64, f64)>> {
    let mut rng = StdRng::seed_from_u64(0);
    let config = RecurrentConfig::new(2, HIDDEN);
    let recurrent: Box<dyn Module> = if lstm {
        Box::new(Lstm::new(config, &mut rng)?.with_forget_bias(1.0)?)
    } else {
        Box::new(Rnn::new(config, RnnNonlinearity::Tanh, &mut rng)?)
    };
    let model = Model { recurrent, head: Linear::new(LinearConfig::new(HIDDEN, 1), &mut rng)? };
    let mut params = model.recurrent.parameters();
    params.extend(model.head.parameters());
    let mut adam = Optimizer::adam(params.clone(), AdamConfig { lr: 3e-3, ..Default::default() })?;
    let test: SequenceBatch = adding_problem(1000, length, &mut StdRng::seed_from_u64(99))?;
    let mut data = StdRng::seed_from_u64(1000);
    let mut history = Vec::new();
    let bar = crate::progress::bar(steps as u64, if lstm { "lstm" } else { "rnn" });
    for step in 1..=steps {
        bar.set_position(step as u64);
        let batch = adding_problem(BATCH, length, &mut data)?;
        let mut grads = mse(&model.predict(&batch.inputs)?, &batch.targets, Reduction::Mean)?.backward()?;
        clip_grad_norm(&mut grads, &params, 1.0)?;
        adam.step(&grads)?;
        if step % (steps / 10).max(1) == 0 {
            let error = no_grad(|| mse(&model.predict(&test.inputs)?, &test.targets, Reduction::Mean)?.item())?;
            history.push((step as f64, error as f64));
            bar.set_message(format!("test MSE {error:.4}"));
        }
    }
    bar.finish_and_clear();
    Ok(history)
}

pub fn run(context: &Context) -> Result<Section, CliError> {
    let (length, steps) = if context.quick { (30, 900) } else { (40, 1200) };
    let lstm = train(true, length, steps)?;
    let rnn = train(false, length, steps)?;
    LineChart::new(format!("Adding problem, length {length}: test MSE"), "training step", "test MSE (log scale)")
        .series(Series::new("LSTM", lstm.clone()))
        .series(Series::new("RNN (tanh)", rnn.clone()))
        .reference_line("always answering 1 (0.167)", 1.0 / 6.0)
        .log_y()
        .write_png(context.out.join("adding_problem.png"))?;
    let last = |h: &[(f64, f64)]| h.last().map_or(f64::NAN, |p| p.1);
    let (lstm_mse, rnn_mse) = (last(&lstm), last(&rnn));
    Ok(Section::new(
        "recurrent",
        "RNN versus LSTM on the adding problem",
        "Each sequence carries a value and a marker per step; the target is the sum of the two marked values, one in \
         each half. Always answering 1 scores an MSE of 0.167; doing better means carrying the first value across the \
         sequence. An LSTM (forget-gate bias 1) and a tanh RNN with 32 hidden units train on the same batches (Adam \
         3e-3, gradient-norm clipping at 1): the LSTM's gates let it remember, the RNN's gradient vanishes through time.",
    )
    .picture("adding_problem.png", "test MSE as they train")
    .metric("sequence_length", "sequence length", length as f64, "steps")
    .metric("training_steps", "training steps", steps as f64, "")
    .metric("lstm_test_mse", "LSTM: test MSE", lstm_mse, "")
    .metric("rnn_test_mse", "RNN: test MSE", rnn_mse, "")
    .check("the LSTM's test MSE falls below 0.05", lstm_mse < 0.05)
    .check("the RNN stays near the baseline (above 0.12)", rnn_mse > 0.12))
}
