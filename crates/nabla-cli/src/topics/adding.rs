//! The adding problem (Hochreiter & Schmidhuber 1997): each sequence carries a value and a
//! marker per step, and the target is the sum of the two marked values, one in each half.
//! Always answering 1 scores an MSE of 0.167; beating it means carrying the first value across
//! the sequence, which the LSTM's gates do and a tanh RNN's vanishing gradient does not.
//! Example 05 and the tour's recurrent section.

use nabla_data::sequences::{SequenceBatch, adding_problem};
use nabla_losses::{Reduction, mse};
use nabla_nn::{Linear, LinearConfig, Module};
use nabla_optim::{AdamConfig, Optimizer, clip_grad_norm};
use nabla_recurrent::{Gru, Lstm, RecurrentConfig, Rnn, RnnNonlinearity};
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Result, Tensor, no_grad};

/// The problem size and training budget.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub length: usize,
    pub hidden: usize,
    pub steps: usize,
    pub batch: usize,
    pub lr: f64,
    pub evaluate_every: usize,
}

/// The example's full run.
pub const FULL: Budget = Budget { length: 50, hidden: 64, steps: 2000, batch: 64, lr: 3e-3, evaluate_every: 100 };

/// The recurrent network compared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Rnn,
    Lstm,
    Gru,
}

/// A recurrent module read out by a linear layer on its last output.
pub struct Model {
    recurrent: Box<dyn Module>,
    head: Linear,
}

impl Model {
    /// A fresh model with `hidden` units.
    ///
    /// # Errors
    /// [`nabla_tensor::Error::InvalidArgument`] for a zero size.
    pub fn new(kind: Kind, hidden: usize, rng: &mut StdRng) -> Result<Model> {
        let config = RecurrentConfig::new(2, hidden);
        let recurrent: Box<dyn Module> = match kind {
            Kind::Rnn => Box::new(Rnn::new(config, RnnNonlinearity::Tanh, rng)?),
            Kind::Lstm => Box::new(Lstm::new(config, rng)?.with_forget_bias(1.0)?),
            Kind::Gru => Box::new(Gru::new(config, rng)?),
        };
        Ok(Model { recurrent, head: Linear::new(LinearConfig::new(hidden, 1), rng)? })
    }

    /// The prediction for sequences `[T, B, 2]`: `[B, 1]`.
    ///
    /// # Errors
    /// Shape errors.
    pub fn predict(&self, inputs: &Tensor) -> Result<Tensor> {
        let outputs = self.recurrent.forward(inputs)?;
        let last = outputs.narrow(0, outputs.shape()[0] - 1, 1)?.squeeze(0)?;
        self.head.forward(&last)
    }

    /// The recurrent layer's and the head's parameters.
    pub fn parameters(&self) -> Vec<Tensor> {
        let mut params = self.recurrent.parameters();
        params.extend(self.head.parameters());
        params
    }
}

/// The model's mean squared error on `test`.
///
/// # Errors
/// Shape errors.
pub fn test_mse(model: &Model, test: &SequenceBatch) -> Result<f32> {
    no_grad(|| mse(&model.predict(&test.inputs)?, &test.targets, Reduction::Mean)?.item())
}

/// Trains one model from `seed` on batches drawn from `seed + 1000`; returns (step, test MSE)
/// after every `evaluate_every` steps, on 1,000 test sequences drawn from seed 99.
///
/// # Errors
/// [`nabla_tensor::Error::InvalidArgument`] for a bad budget.
pub fn train(kind: Kind, budget: Budget, seed: u64, log: bool) -> Result<Vec<(usize, f32)>> {
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
