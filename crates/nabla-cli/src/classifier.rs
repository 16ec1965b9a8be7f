//! MNIST classifiers the shared [`Trainer`](nabla_generative::Trainer) can train: the MLP
//! (784-256-128-10), W3's CNN, and RNN, LSTM and GRU reading a digit row by row (28 steps of
//! 28 pixels). The trainer takes one tensor, so each training row packs an image's 784 pixels
//! and its label: `[N, 785]` (see [`pack`]).

use nabla_data::{MNIST_MEAN, MNIST_STD, MnistSplit, normalize};
use nabla_generative::{Judge, TrainRng, Trainable, load_module, part, prefixed};
use nabla_losses::{CrossEntropyOptions, cross_entropy};
use nabla_nn::{Activation, Linear, LinearConfig, MlpConfig, Module, Sequential, Visit, mlp};
use nabla_optim::{AdamConfig, LrSchedule, Optimizer};
use nabla_recurrent::{Gru, Lstm, RecurrentConfig, Rnn, RnnNonlinearity};
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor, no_grad};

/// Pixels per digit; the packed rows hold one more number, the label.
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
    /// W3's network, the one the DCGAN's judge uses.
    Image(Judge),
    Sequence {
        recurrent: Box<dyn Module>,
        head: Linear,
    },
}

/// An MNIST classifier with its Adam optimizer and, optionally, a learning-rate schedule
/// over the steps of the run.
pub struct Classifier {
    architecture: Architecture,
    network: Network,
    optimizer: Optimizer,
    base_lr: f64,
    schedule: Option<LrSchedule>,
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
            Architecture::Cnn => Network::Image(Judge::new(rng)?),
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
        let optimizer = Optimizer::adam(network.parameters(), AdamConfig { lr, ..Default::default() })?;
        Ok(Classifier { architecture, network, optimizer, base_lr: lr, schedule: None, steps: 0 })
    }

    /// The learning rate falls from its start to 0 along a half cosine over `total_steps`.
    pub fn with_cosine_decay(mut self, total_steps: usize) -> Self {
        self.schedule = Some(LrSchedule::Cosine { t_max: total_steps.max(1), eta_min: 0.0 });
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

impl Network {
    fn modules(&self) -> Vec<(&'static str, &dyn Module)> {
        match self {
            Network::Flat(net) => vec![("network", net)],
            Network::Image(net) => vec![("network", net)],
            Network::Sequence { recurrent, head } => vec![("recurrent", recurrent.as_ref()), ("head", head)],
        }
    }

    fn parameters(&self) -> Vec<Tensor> {
        self.modules().into_iter().flat_map(|(_, m)| m.parameters()).collect()
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

/// The rows the trainer shuffles and batches: each image's 784 pixels, then its label.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the split's images are not 28×28.
pub fn pack(split: &MnistSplit) -> Result<Tensor> {
    let labels: Vec<f32> = split.labels.iter().map(|&l| l as f32).collect();
    let labels = Tensor::from_vec(labels, &[split.len(), 1])?;
    Tensor::concat(&[&split.images.reshape(&[split.len() as isize, PIXELS as isize])?, &labels], 1)
}

/// Splits packed rows `[B, 785]` into pixels `[B, 784]` and labels.
fn unpack(batch: &Tensor) -> Result<(Tensor, Vec<i64>)> {
    if batch.ndim() != 2 || batch.shape()[1] != PIXELS + 1 {
        return Err(Error::ShapeMismatch {
            op: "Classifier::train_batch",
            lhs: batch.shape().to_vec(),
            rhs: vec![batch.shape().first().copied().unwrap_or(0), PIXELS + 1],
            reason: "rows of 784 pixels and a label, as `pack` makes them".into(),
        });
    }
    let labels = batch.narrow(1, PIXELS, 1)?.to_vec().iter().map(|&l| l as i64).collect();
    Ok((batch.narrow(1, 0, PIXELS)?, labels))
}

impl Trainable for Classifier {
    fn kind(&self) -> &'static str {
        self.architecture.name()
    }

    fn loss_names(&self) -> Vec<&'static str> {
        vec!["cross_entropy", "batch_accuracy"]
    }

    fn train_batch(&mut self, batch: &Tensor, _rng: &mut TrainRng) -> Result<Vec<f32>> {
        let (images, labels) = unpack(batch)?;
        self.network.set_training(true);
        let logits = self.logits(&images);
        // Evaluation mode between steps, so `render` and `predict` see the whole network.
        self.network.set_training(false);
        let logits = logits?;
        let loss = cross_entropy(&logits, &labels, &CrossEntropyOptions::default())?;
        let value = loss.item()?;
        if !value.is_finite() {
            return Err(Error::NonFinite { op: "Classifier::train_batch", reason: format!("cross-entropy {value}") });
        }
        if let Some(schedule) = &self.schedule {
            self.optimizer.set_learning_rate(0, schedule.lr_at(self.base_lr, self.steps))?;
        }
        self.optimizer.step(&loss.backward()?)?;
        self.steps += 1;
        let correct =
            logits.to_vec().chunks(10).zip(&labels).filter(|(row, label)| argmax(row) as i64 == **label).count();
        Ok(vec![value, correct as f32 / labels.len() as f32])
    }

    /// The first `n` training rows.
    fn fixed_input(&self, data: &Tensor, n: usize, _rng: &mut TrainRng) -> Result<Tensor> {
        data.narrow(0, 0, n)
    }

    /// The fixed digits, those the model gets wrong dimmed to a third.
    fn render(&self, fixed: &Tensor) -> Result<Tensor> {
        let (images, labels) = unpack(fixed)?;
        let logits = no_grad(|| self.logits(&images))?.to_vec();
        let brightness: Vec<f32> = logits
            .chunks(10)
            .zip(&labels)
            .map(|(row, &label)| if argmax(row) as i64 == label { 1.0 } else { 0.33 })
            .collect();
        images.mul(&Tensor::from_vec(brightness, &[labels.len(), 1])?)
    }

    fn state(&self) -> Vec<(String, Tensor)> {
        let mut state: Vec<(String, Tensor)> =
            self.network.modules().into_iter().flat_map(|(name, m)| prefixed(name, m.state_dict())).collect();
        state.extend(prefixed("optimizer", self.optimizer.state_dict()));
        state.push((STEPS_KEY.into(), Tensor::scalar(self.steps as f32)));
        state
    }

    fn load_state(&mut self, state: &[(String, Tensor)]) -> Result<()> {
        for (name, module) in self.network.modules() {
            load_module(module, state, name)?;
        }
        self.optimizer.load_state_dict(&part(state, "optimizer"))?;
        let steps = state.iter().find(|(k, _)| k == STEPS_KEY).map(|(_, t)| t.item()).transpose()?;
        self.steps = steps.map_or(0, |s| s as usize);
        Ok(())
    }
}
