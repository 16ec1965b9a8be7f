//! `nabla train`: trains a model on the bundled MNIST subset or full MNIST, with a progress
//! bar, a checkpoint after every epoch (and on Ctrl-C), `losses.csv`, `losses.png` and a
//! sample grid per epoch in the output folder; `--resume` continues from a checkpoint.

use std::path::{Path, PathBuf};

use nabla_data::TensorDataset;
use nabla_data::{Mnist, MnistSplit};
use nabla_tensor::rand::{Rng, SeedableRng};
use nabla_train::{Trainable, Trainer, TrainerConfig};
use rand_chacha::ChaCha8Rng;

use crate::classifier::{Architecture, Classifier};
use crate::error::CliError;
use crate::models::{self, ModelKind};
use crate::{interrupt, progress};

/// Steps between two looks at Ctrl-C.
const STEPS_BETWEEN_CHECKS: usize = 5;

/// Trains `model` under `config` (from the checkpoint `resume` when given) with a progress bar
/// labelled `label`. On Ctrl-C it saves a checkpoint in the output folder and returns
/// [`CliError::Interrupted`] naming it.
///
/// # Errors
/// What the trainer raises; [`CliError::Interrupted`].
pub fn fit<M: Trainable>(
    model: M,
    data: TensorDataset,
    config: TrainerConfig,
    resume: Option<&Path>,
    label: &str,
) -> Result<M, CliError> {
    let bar = progress::bar(0, label);
    let out_dir = config.out_dir.clone();
    let trainer = match resume {
        Some(path) => Trainer::resume(model, data, config, path)?,
        None => Trainer::new(model, data, config)?,
    };
    let mut trainer = trainer.on_progress(progress::trainer_reporter(bar.clone()));
    while !trainer.run_for(STEPS_BETWEEN_CHECKS)? {
        if interrupt::requested() {
            bar.abandon();
            let saved = match out_dir {
                Some(dir) => {
                    let path = dir.join("checkpoint.safetensors");
                    trainer.save_checkpoint(&path)?;
                    format!(
                        "checkpoint at step {} saved to {} (continue with --resume)",
                        trainer.step(),
                        path.display()
                    )
                }
                None => "nothing saved".to_string(),
            };
            return Err(CliError::Interrupted(saved));
        }
    }
    bar.finish_and_clear();
    Ok(trainer.into_model())
}

/// Trains a fresh classifier on labelled digits (see [`labelled`](crate::classifier::labelled)) under
/// `config` — Adam at `lr` with a cosine decay over the run's steps — and returns its accuracy
/// on `test`.
///
/// # Errors
/// As [`fit`].
pub fn fit_classifier<R: Rng + ?Sized>(
    architecture: Architecture,
    lr: f64,
    rng: &mut R,
    data: TensorDataset,
    test: &MnistSplit,
    config: TrainerConfig,
    resume: Option<&Path>,
) -> Result<f32, CliError> {
    let per_epoch = data.len() / config.batch_size.max(1);
    let model = Classifier::new(architecture, lr, rng)?.with_cosine_decay(config.epochs, per_epoch);
    Ok(fit(model, data, config, resume, architecture.name())?.accuracy(test)?)
}

/// The `train` command's arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainArgs {
    /// The model to train.
    #[arg(value_enum)]
    pub model: ModelKind,
    /// Epochs (each model has its own default).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Samples per step.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Adam's learning rate (for the classifiers, the start of a cosine decay to 0).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Seeds the weights, the shuffling and the noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// A folder with full MNIST (train-images-idx3-ubyte[.gz] and the three others); the
    /// bundled 8,000/2,000-digit subset when absent.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Where the checkpoint, losses.csv, losses.png and sample grids go (runs/<model>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue from this checkpoint (written by an earlier run of the same model and data).
    #[arg(long)]
    pub resume: Option<PathBuf>,
}

/// Loads the bundled subset, or full MNIST from `dir`.
///
/// # Errors
/// [`CliError::Input`] naming the file that is missing or malformed and what `--data` needs.
pub fn load_mnist(dir: Option<&Path>) -> Result<Mnist, CliError> {
    match dir {
        Some(dir) => Mnist::from_dir(dir).map_err(|e| {
            CliError::Input(format!(
                "{e}; --data needs a folder with train-images-idx3-ubyte, train-labels-idx1-ubyte, \
                 t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may end in .gz)"
            ))
        }),
        None => Ok(Mnist::bundled()?),
    }
}

/// Runs `nabla train`; returns the summary line it prints.
///
/// # Errors
/// Bad data or checkpoint files, training errors, Ctrl-C.
pub fn run(args: &TrainArgs) -> Result<String, CliError> {
    let (default_epochs, default_batch, default_lr) = args.model.defaults();
    let (epochs, lr) = (args.epochs.unwrap_or(default_epochs), args.lr.unwrap_or(default_lr));
    if !(lr.is_finite() && lr > 0.0) {
        return Err(CliError::Usage(format!("--lr must be a positive number, got {lr}")));
    }
    let mnist = load_mnist(args.data.as_deref())?;
    let data = args.model.training_data(&mnist)?;
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("runs").join(args.model.name()));
    let config = TrainerConfig {
        seed: args.seed,
        out_dir: Some(out.clone()),
        progress_every: 10,
        ..TrainerConfig::new(epochs, args.batch_size.unwrap_or(default_batch))
    };
    let rng = &mut ChaCha8Rng::seed_from_u64(args.seed);
    let resume = args.resume.as_deref();
    let label = args.model.name();
    let start = std::time::Instant::now();
    let result = match args.model {
        ModelKind::Autoencoder => {
            let model = fit(models::autoencoder(lr, rng)?, data, config, resume, label)?;
            let reconstructed = model.reconstruct(&mnist.test.images.flatten(1, -1)?)?;
            let error =
                nabla_losses::mse(&reconstructed, &mnist.test.images.flatten(1, -1)?, nabla_losses::Reduction::Mean)?;
            format!("test reconstruction MSE per pixel {:.4}", error.item()?)
        }
        ModelKind::Vae => {
            let model = fit(models::vae(lr, rng)?, data, config, resume, label)?;
            let losses = model.evaluate(&mnist.test.images.flatten(1, -1)?, rng)?;
            format!("test reconstruction BCE {:.1} + KL {:.2} nats per digit", losses.reconstruction, losses.kl)
        }
        ModelKind::Gan => {
            fit(models::gan(lr, rng)?, data, config, resume, label)?;
            "sample from it with `nabla sample gan --checkpoint …`".to_string()
        }
        ModelKind::Dcgan => {
            fit(models::dcgan(lr, rng)?, data, config, resume, label)?;
            "sample from it with `nabla sample dcgan --checkpoint …`".to_string()
        }
        classifier => {
            let architecture = classifier.architecture().expect("the other kinds are matched above");
            let accuracy = fit_classifier(architecture, lr, rng, data, &mnist.test, config, resume)?;
            format!("test accuracy {:.2}% on {} digits", accuracy * 100.0, mnist.test.len())
        }
    };
    Ok(format!(
        "{}: {epochs} epochs in {:.1} s; {result}; outputs in {}",
        args.model.name(),
        start.elapsed().as_secs_f64(),
        out.display()
    ))
}
