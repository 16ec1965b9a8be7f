//! A judge of generated digits: an MNIST classifier (workload W3's CNN) whose verdict on a
//! batch of generated images is the classes it sees (a class counts when it gets at least 5% of
//! the samples), its mean top-class probability (how recognisable the digits are), and the
//! Fréchet distance between its penultimate-layer features of generated and real digits.

use nabla_conv::MnistCnn;
use nabla_data::{MNIST_MEAN, MNIST_STD, Mnist, normalize};
use nabla_losses::{CrossEntropyOptions, cross_entropy};
use nabla_nn::Module;
use nabla_optim::{AdamConfig, Optimizer};
use nabla_tensor::rand::rngs::StdRng;
use nabla_tensor::rand::{Rng, SeedableRng};
use nabla_tensor::{Error, Result, Tensor, no_grad};

use crate::frechet::frechet_distance;

/// What the [`Judge`] says of a batch of generated digits.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The share of the samples classified as each digit.
    pub class_shares: Vec<f32>,
    /// Digits that get at least 5% of the samples.
    pub classes_covered: usize,
    /// The mean over samples of the classifier's highest class probability.
    pub mean_top_probability: f32,
    /// The Fréchet distance between the penultimate-layer features of the samples and of the
    /// real digits (0 for identical distributions).
    pub frechet_distance: f64,
}

/// An MNIST classifier used to score generators: workload W3's network without dropout.
#[derive(Module)]
pub struct Judge {
    #[module(flatten)]
    pub network: MnistCnn,
}

impl Judge {
    /// An untrained judge.
    pub fn new<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Judge { network: MnistCnn::new(0.0, rng).expect("W3's network without dropout has valid shapes") }
    }

    /// A judge trained for `epochs` on the training split of `mnist` (from `seed`), with its
    /// accuracy on the test split.
    ///
    /// # Errors
    /// As [`Judge::train`].
    pub fn for_mnist(mnist: &Mnist, epochs: usize, seed: u64) -> Result<(Judge, f32)> {
        let rng = &mut StdRng::seed_from_u64(seed);
        let mut judge = Judge::new(rng);
        judge.train(&mnist.train.images, &mnist.train.labels, epochs, rng)?;
        let accuracy = judge.accuracy(&mnist.test.images, &mnist.test.labels)?;
        Ok((judge, accuracy))
    }

    /// Trains on images `[N, 1, 28, 28]` in [0, 1] with their digits: `epochs` of shuffled
    /// batches of 64, Adam(1e-3), cross-entropy. Returns the last epoch's mean loss.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when labels and images differ in number; [`Error::Empty`].
    pub fn train<R: Rng + ?Sized>(
        &mut self,
        images: &Tensor,
        labels: &[u8],
        epochs: usize,
        rng: &mut R,
    ) -> Result<f32> {
        let n = images.shape().first().copied().unwrap_or(0);
        if n != labels.len() || n == 0 {
            return Err(Error::ShapeMismatch {
                op: "Judge::train",
                lhs: images.shape().to_vec(),
                rhs: vec![labels.len()],
                reason: "one label per image, at least one image".into(),
            });
        }
        let mut adam = Optimizer::adam(self.parameters(), AdamConfig { lr: 1e-3, ..Default::default() })?;
        let mut mean_loss = f32::NAN;
        for _ in 0..epochs {
            let mut order: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                order.swap(i, rng.random_range(0..=i));
            }
            let mut total = 0.0;
            let batches = order.chunks(64);
            let count = batches.len();
            for batch in batches {
                let targets: Vec<i64> = batch.iter().map(|&i| labels[i] as i64).collect();
                let logits = self.forward(&images.index_select(0, batch)?)?;
                let loss = cross_entropy(&logits, &targets, &CrossEntropyOptions::default())?;
                total += loss.item()?;
                adam.step(&loss.backward()?)?;
            }
            mean_loss = total / count as f32;
        }
        Ok(mean_loss)
    }

    /// The penultimate features of images in [0, 1], in batches of 500, without a graph.
    ///
    /// # Errors
    /// Shape errors for anything but `[N, 1, 28, 28]`.
    pub fn embed(&self, images: &Tensor) -> Result<Tensor> {
        let n = images.shape().first().copied().unwrap_or(0);
        let parts = (0..n)
            .step_by(500)
            .map(|start| {
                let part = images.narrow(0, start, (n - start).min(500))?;
                no_grad(|| self.network.features.forward(&normalize(&part, MNIST_MEAN, MNIST_STD)?))
            })
            .collect::<Result<Vec<_>>>()?;
        Tensor::concat(&parts.iter().collect::<Vec<_>>(), 0)
    }

    /// Class probabilities `[N, 10]` of images in [0, 1].
    ///
    /// # Errors
    /// As [`Judge::embed`].
    pub fn probabilities(&self, images: &Tensor) -> Result<Tensor> {
        let logits = no_grad(|| self.network.head.forward(&self.embed(images)?))?;
        nabla_activations::softmax(&logits, -1)
    }

    /// The share of images classified as their label.
    ///
    /// # Errors
    /// As [`Judge::embed`]; [`Error::ShapeMismatch`] for a label count that differs.
    pub fn accuracy(&self, images: &Tensor, labels: &[u8]) -> Result<f32> {
        let probabilities = self.probabilities(images)?.to_vec();
        if probabilities.len() != labels.len() * 10 {
            return Err(Error::ShapeMismatch {
                op: "Judge::accuracy",
                lhs: images.shape().to_vec(),
                rhs: vec![labels.len()],
                reason: "one label per image".into(),
            });
        }
        let correct =
            probabilities.chunks(10).zip(labels).filter(|(row, label)| top(row).0 == **label as usize).count();
        Ok(correct as f32 / labels.len() as f32)
    }

    /// The verdict on `generated` digits (`[N, 1, 28, 28]` in [0, 1]) against `real` ones.
    ///
    /// # Errors
    /// As [`Judge::embed`]; [`frechet_distance`]'s errors for fewer than two images.
    pub fn judge(&self, generated: &Tensor, real: &Tensor) -> Result<Verdict> {
        let features = self.embed(generated)?;
        let probabilities =
            nabla_activations::softmax(&no_grad(|| self.network.head.forward(&features))?, -1)?.to_vec();
        let n = probabilities.len() / 10;
        let mut counts = [0usize; 10];
        let mut confidence = 0.0;
        for row in probabilities.chunks(10) {
            let (class, p) = top(row);
            counts[class] += 1;
            confidence += p;
        }
        let class_shares: Vec<f32> = counts.iter().map(|&c| c as f32 / n.max(1) as f32).collect();
        Ok(Verdict {
            classes_covered: class_shares.iter().filter(|&&s| s >= 0.05).count(),
            class_shares,
            mean_top_probability: confidence / n.max(1) as f32,
            frechet_distance: frechet_distance(&features, &self.embed(real)?)?,
        })
    }
}

impl Module for Judge {
    /// Logits `[N, 10]` of images `[N, 1, 28, 28]` in [0, 1] (normalised inside).
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let x = normalize(input, MNIST_MEAN, MNIST_STD)?;
        self.network.head.forward(&self.network.features.forward(&x)?)
    }
}

/// The most probable class and its probability.
fn top(row: &[f32]) -> (usize, f32) {
    row.iter().enumerate().fold((0, f32::MIN), |best, (i, &p)| if p > best.1 { (i, p) } else { best })
}
