//! MNIST classifiers: the MLP (784-256-128-10, dropout 0.2) and W3's CNN, each trained by the
//! [`Trainer`] with Adam (lr 2e-3, cosine decay over the epochs, batches of 64) on the bundled
//! 8,000 training digits and tested after every epoch on the 2,000 test digits. Examples 04
//! and 07 and the tour's MLP and CNN sections.

use std::path::PathBuf;
use std::time::Instant;

use nabla_data::Mnist;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_train::{Trainer, TrainerConfig};

use crate::classifier::{Architecture, Classifier, labelled};
use crate::error::CliError;

/// One epoch's measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Epoch {
    /// The mean training loss over the epoch's steps.
    pub loss: f32,
    pub test_accuracy: f32,
    /// Training and testing time.
    pub seconds: f64,
}

/// Trains `architecture` for `epochs` from `seed`; the trainer's grids, logs and checkpoint go
/// to `out` when given, and `on_epoch` hears each epoch's measurements. Returns the model and
/// every epoch's measurements.
///
/// # Errors
/// What the trainer raises.
pub fn train(
    mnist: &Mnist,
    architecture: Architecture,
    epochs: usize,
    seed: u64,
    out: Option<PathBuf>,
    mut on_epoch: impl FnMut(usize, &Epoch),
) -> Result<(Classifier, Vec<Epoch>), CliError> {
    let data = labelled(&mnist.train)?;
    let config = TrainerConfig { seed, out_dir: out, progress_every: usize::MAX, ..TrainerConfig::new(epochs, 64) };
    let per_epoch = data.len() / config.batch_size;
    let model = Classifier::new(architecture, architecture.default_lr(), &mut StdRng::seed_from_u64(seed))?
        .with_cosine_decay(epochs, per_epoch);
    let mut trainer = Trainer::new(model, data, config)?;
    let mut history = Vec::with_capacity(epochs);
    for epoch in 1..=epochs {
        let start = Instant::now();
        trainer.run_for(trainer.steps_per_epoch())?;
        let loss = trainer.last_epoch_mean(0);
        let test_accuracy = trainer.model_mut().accuracy(&mnist.test)?;
        let record = Epoch { loss, test_accuracy, seconds: start.elapsed().as_secs_f64() };
        on_epoch(epoch, &record);
        history.push(record);
    }
    Ok((trainer.into_model(), history))
}

/// The guide's five-seed table for `architecture` (examples 04 and 07, `-- --five-seeds`):
/// prints the test accuracy after each of `epochs`, for seeds 0–4.
///
/// # Errors
/// What the trainer raises.
pub fn print_five_seeds(architecture: Architecture, epochs: &[usize]) -> Result<(), CliError> {
    let mnist = Mnist::bundled()?;
    for seed in 0..5 {
        for &epochs in epochs {
            let (_, history) = train(&mnist, architecture, epochs, seed, None, |_, _| {})?;
            let accuracy = history.last().map_or(0.0, |e| e.test_accuracy);
            println!("seed {seed}, {epochs} epochs: {:.2}%", accuracy * 100.0);
        }
    }
    Ok(())
}
