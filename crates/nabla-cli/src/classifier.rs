//! MNIST classifiers the [`Trainer`](nabla_train::Trainer) trains: the MLP (784-256-128-10),
//! W3's CNN, and RNN, LSTM and GRU reading a digit row by row (28 steps of 28 pixels), on
//! digits with their labels as targets (see [`labelled`]).

use nabla_conv::MnistCnn;
use nabla_data::{Batch, MNIST_MEAN, MNIST_STD, MnistSplit, TensorDataset, normalize};
use nabla_losses::{CrossEntropyOptions, cross_entropy};
use nabla_nn::{
    Activation, Linear, LinearConfig, MlpConfig, Module, ModuleRng, Sequential, TensorKind, Visit, child_name,
    load_rng_states_of, load_state_dict, mlp, parameters_of, prefixed, rng_states_of, state_dict_of, state_dict_part,
};
use nabla_optim::{AdamConfig, LrSchedule, Optimizer};
use nabla_recurrent::{Gru, Lstm, RecurrentConfig, Rnn, RnnNonlinearity};
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor, no_grad};
use nabla_train::{TrainRng, Trainable};

/// Pixels per digit.
const PIXELS: usize = 784;
/// The hidden size of the recurrent classifiers.
const HIDDEN: usize = 128;
/// The checkpoint entry holding the steps taken (exact in f32 up to 2^24 steps).
const STEPS_KEY: &str = "schedule.steps";

/// Which network classifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    Mlp,
    Cnn,
    Rnn,
    Lstm,
    Gru,
}

impl Architecture {
    /// The name stored in checkpoints and used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Architecture::Mlp => "mlp",
            Architecture::Cnn => "cnn",
            Architecture::Rnn => "rnn",
            Architecture::Lstm => "lstm",
            Architecture::Gru => "gru",
        }
    }

    /// The learning rate each trains well with (Adam).
    pub fn default_lr(self) -> f64 {
        match self {
            Architecture::Mlp | Architecture::Cnn => 2e-3,
            Architecture::Rnn => 5e-4,
            Architecture::Lstm | Architecture::Gru => 2e-3,
        }
    }
}

/// A network over a digit: flat for the MLP, `[B, 1, 28, 28]` for the CNN, `[B, 28, 28]`
/// (rows as time steps) for the recurrent ones, read out from the last step.
enum Network {
    Flat(Sequential),
    /// W3's network with dropout 0.25.
    Image(MnistCnn),
    Sequence {
        recurrent: Box<dyn Module>,
        head: Linear,
    },
}

/// An MNIST classifier with its Adam optimizer and, optionally, a learning-rate schedule
/// over the epochs of the run.
pub struct Classifier {
    architecture: Architecture,
    network: Network,
    optimizer: Optimizer,
    base_lr: f64,
    /// The schedule over epochs, and the steps in an epoch.
    schedule: Option<(LrSchedule, usize)>,
    /// Steps taken, which the schedule reads (saved in checkpoints).
    steps: usize,
}

impl Classifier {
    /// A fresh classifier trained by Adam at `lr`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a learning rate Adam refuses.
    pub fn new<R: Rng + ?Sized>(architecture: Architecture, lr: f64, rng: &mut R) -> Result<Self> {
        let recurrent = RecurrentConfig { batch_first: true, ..RecurrentConfig::new(28, HIDDEN) };
        let network = match architecture {
            Architecture::Mlp => Network::Flat(mlp(
                &MlpConfig { widths: vec![PIXELS, 256, 128, 10], activation: Activation::Relu, dropout: 0.2 },
                rng,
            )?),
            Architecture::Cnn => Network::Image(MnistCnn::new(0.25, rng)?),
            Architecture::Rnn => Network::Sequence {
                recurrent: Box::new(Rnn::new(recurrent, RnnNonlinearity::Tanh, rng)?),
                head: Linear::new(LinearConfig::new(HIDDEN, 10), rng)?,
            },
            Architecture::Lstm => Network::Sequence {
                recurrent: Box::new(Lstm::new(recurrent, rng)?.with_forget_bias(1.0)?),
                head: Linear::new(LinearConfig::new(HIDDEN, 10), rng)?,
            },
            Architecture::Gru => Network::Sequence {
                recurrent: Box::new(Gru::new(recurrent, rng)?),
                head: Linear::new(LinearConfig::new(HIDDEN, 10), rng)?,
            },
        };
        let optimizer = Optimizer::adam(parameters_of(&network), AdamConfig { lr, ..Default::default() })?;
        Ok(Classifier { architecture, network, optimizer, base_lr: lr, schedule: None, steps: 0 })
    }

    /// The learning rate falls from its start to 0 along a half cosine over `epochs` of
    /// `steps_per_epoch`, one value per epoch (PyTorch's `CosineAnnealingLR` stepped after each
    /// epoch).
    pub fn with_cosine_decay(mut self, epochs: usize, steps_per_epoch: usize) -> Self {
        self.schedule = Some((LrSchedule::Cosine { t_max: epochs.max(1), eta_min: 0.0 }, steps_per_epoch.max(1)));
        self
    }

    pub fn architecture(&self) -> Architecture {
        self.architecture
    }

    /// Logits `[B, 10]` for images `[B, 784]` or `[B, 1, 28, 28]` with pixels in [0, 1].
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for images of another size.
    pub fn logits(&self, images: &Tensor) -> Result<Tensor> {
        let batch = images.shape().first().copied().unwrap_or(0);
        if images.numel() != batch * PIXELS {
            return Err(Error::ShapeMismatch {
                op: "Classifier::logits",
                lhs: images.shape().to_vec(),
                rhs: vec![batch, PIXELS],
                reason: "expected 28×28 digits".into(),
            });
        }
        let x = normalize(&images.reshape(&[batch as isize, PIXELS as isize])?, MNIST_MEAN, MNIST_STD)?;
        match &self.network {
            Network::Flat(net) => net.forward(&x),
            Network::Image(net) => net.forward(&x.reshape(&[-1, 1, 28, 28])?),
            Network::Sequence { recurrent, head } => {
                let outputs = recurrent.forward(&x.reshape(&[-1, 28, 28])?)?;
                head.forward(&outputs.narrow(1, 27, 1)?.squeeze(1)?)
            }
        }
    }

    /// The predicted digit of each image.
    ///
    /// # Errors
    /// As [`Classifier::logits`].
    pub fn predict(&mut self, images: &Tensor) -> Result<Vec<usize>> {
        self.network.set_training(false);
        let logits = no_grad(|| self.logits(images))?.to_vec();
        Ok(logits.chunks(10).map(argmax).collect())
    }

    /// The share of `split` classified correctly, in batches of 500.
    ///
    /// # Errors
    /// As [`Classifier::logits`].
    pub fn accuracy(&mut self, split: &MnistSplit) -> Result<f32> {
        let mut correct = 0;
        for start in (0..split.len()).step_by(500) {
            let count = 500.min(split.len() - start);
            let predicted = self.predict(&split.images.narrow(0, start, count)?)?;
            correct += predicted.iter().zip(&split.labels[start..]).filter(|(p, l)| **p == **l as usize).count();
        }
        Ok(correct as f32 / split.len().max(1) as f32)
    }
}

/// Written by hand: the derive takes structs, and each kind of network has its own children.
impl Visit for Network {
    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, TensorKind)) {
        match self {
            Network::Flat(net) => net.visit(&child_name(prefix, "network"), visit),
            Network::Image(net) => net.visit(&child_name(prefix, "network"), visit),
            Network::Sequence { recurrent, head } => {
                recurrent.visit(&child_name(prefix, "recurrent"), visit);
                head.visit(&child_name(prefix, "head"), visit);
            }
        }
    }

    fn visit_rngs(&self, prefix: &str, visit: &mut dyn FnMut(String, &ModuleRng)) {
        match self {
            Network::Flat(net) => net.visit_rngs(&child_name(prefix, "network"), visit),
            Network::Image(net) => net.visit_rngs(&child_name(prefix, "network"), visit),
            Network::Sequence { recurrent, head } => {
                recurrent.visit_rngs(&child_name(prefix, "recurrent"), visit);
                head.visit_rngs(&child_name(prefix, "head"), visit);
            }
        }
    }

    fn set_training(&mut self, training: bool) {
        match self {
            Network::Flat(net) => net.set_training(training),
            Network::Image(net) => net.set_training(training),
            Network::Sequence { recurrent, head } => {
                recurrent.set_training(training);
                head.set_training(training);
            }
        }
    }
}

fn argmax(row: &[f32]) -> usize {
    row.iter().enumerate().fold(0, |best, (i, &v)| if v > row[best] { i } else { best })
}

/// The split's digits `[N, 784]` with their labels as targets `[N]`: what the trainer
/// batches.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the split's images are not 28×28.
pub fn labelled(split: &MnistSplit) -> Result<TensorDataset> {
    let labels: Vec<f32> = split.labels.iter().map(|&l| l as f32).collect();
    let images = split.images.reshape(&[split.len() as isize, PIXELS as isize])?;
    TensorDataset::new(images, Some(Tensor::from_vec(labels, &[split.len()])?))
}

impl Trainable for Classifier {
    fn kind(&self) -> &'static str {
        self.architecture.name()
    }

    fn loss_names(&self) -> Vec<&'static str> {
        vec!["cross_entropy", "batch_accuracy"]
    }

    fn train_step(&mut self, batch: &Batch, _rng: &mut TrainRng) -> Result<Vec<f32>> {
        let (images, labels) = (&batch.input, batch.classes("Classifier::train_step")?);
        self.network.set_training(true);
        let logits = self.logits(images);
        // Evaluation mode between steps, so `render` and `predict` see the whole network.
        self.network.set_training(false);
        let logits = logits?;
        let loss = cross_entropy(&logits, &labels, &CrossEntropyOptions::default())?;
        let value = loss.item()?;
        if !value.is_finite() {
            return Err(Error::NonFinite { op: "Classifier::train_step", reason: format!("cross-entropy {value}") });
        }
        if let Some((schedule, per_epoch)) = &self.schedule {
            self.optimizer.set_learning_rate(0, schedule.lr_at(self.base_lr, self.steps / per_epoch))?;
        }
        self.optimizer.step(&loss.backward()?)?;
        self.steps += 1;
        let correct = logits
            .to_vec()
            .chunks(10)
            .zip(labels.values())
            .filter(|(row, label)| argmax(row) as i64 == **label)
            .count();
        Ok(vec![value, correct as f32 / labels.len() as f32])
    }

    /// The first `n` training digits with their labels.
    fn fixed_input(&self, data: &TensorDataset, n: usize, _rng: &mut TrainRng) -> Result<Batch> {
        data.batch(&(0..n).collect::<Vec<_>>())
    }

    /// The fixed digits, those the model gets wrong dimmed to a third.
    fn render(&self, fixed: &Batch) -> Result<Tensor> {
        let (images, labels) = (&fixed.input, fixed.classes("Classifier::render")?);
        let logits = no_grad(|| self.logits(images))?.to_vec();
        let brightness: Vec<f32> = logits
            .chunks(10)
            .zip(labels.values())
            .map(|(row, &label)| if argmax(row) as i64 == label { 1.0 } else { 0.33 })
            .collect();
        images.mul(&Tensor::from_vec(brightness, &[labels.len(), 1])?)
    }

    fn state(&self) -> Vec<(String, Tensor)> {
        let mut state = state_dict_of(&self.network);
        state.extend(prefixed("optimizer", self.optimizer.state_dict()));
        state.push((STEPS_KEY.into(), Tensor::scalar(self.steps as f32)));
        state
    }

    fn load_state(&mut self, state: &[(String, Tensor)]) -> Result<()> {
        let model: Vec<(String, Tensor)> =
            state.iter().filter(|(k, _)| !k.starts_with("optimizer.") && k != STEPS_KEY).cloned().collect();
        load_state_dict(&mut self.network, &model, true, "Classifier")
            .map_err(|e| Error::invalid("Classifier::load_state", e.to_string()))?;
        self.optimizer.load_state_dict(&state_dict_part(state, "optimizer"))?;
        let steps = state.iter().find(|(k, _)| k == STEPS_KEY).map(|(_, t)| t.item()).transpose()?;
        self.steps = steps.map_or(0, |s| s as usize);
        Ok(())
    }

    /// The MLP's dropout generator, so a resumed run draws the same masks.
    fn rng_states(&self) -> Vec<(String, String)> {
        rng_states_of(&self.network)
    }

    fn load_rng_states(&mut self, states: &[(String, String)]) -> Result<()> {
        load_rng_states_of(&self.network, states)
    }
}
