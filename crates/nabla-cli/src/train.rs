//! `nabla train`: trains a model on the bundled MNIST subset or full MNIST, with a progress
//! bar, a checkpoint after every epoch (and on Ctrl-C), `losses.csv`, `losses.png` and a
//! sample grid per epoch in the output folder; `--resume` continues from a checkpoint. Under
//! `mpirun` with `--distributed`, each process is one rank of a data-parallel run.

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use nabla_data::Mnist;
use nabla_data::TensorDataset;
use nabla_tensor::rand::SeedableRng;
use nabla_train::{Progress, Synchronizer, Trainable, Trainer, TrainerConfig};
use rand_chacha::ChaCha8Rng;

use crate::classifier::Classifier;
use crate::error::CliError;
use crate::models::{self, ModelKind};
use crate::{distributed, interrupt, progress};

/// Steps between two looks at Ctrl-C.
const STEPS_BETWEEN_CHECKS: usize = 5;

/// Trains `model` under `config` (from the checkpoint `resume` when given) with a progress bar
/// labelled `label`, on one process or, with `sync`, as one rank of a data-parallel run. On
/// Ctrl-C it saves a checkpoint in the output folder and returns [`CliError::Interrupted`]
/// naming it.
///
/// # Errors
/// What the trainer raises; [`CliError::Interrupted`].
pub fn fit<M: Trainable>(
    model: M,
    data: TensorDataset,
    config: TrainerConfig,
    resume: Option<&Path>,
    label: &str,
    sync: Option<Rc<dyn Synchronizer>>,
) -> Result<M, CliError> {
    let bar = progress::bar(0, label);
    let out_dir = config.out_dir.clone();
    let ranks = sync.as_ref().map_or(1, |s| s.ranks());
    let trainer = match (sync, resume) {
        (Some(sync), resume) => Trainer::synchronized(model, data, config, resume, sync)?,
        (None, Some(path)) => Trainer::resume(model, data, config, path)?,
        (None, None) => Trainer::new(model, data, config)?,
    };
    // Under mpirun, stderr is a pipe and the bar does not draw: rank 0 prints lines instead.
    let mut trainer = if bar.is_hidden() && ranks > 1 {
        trainer.on_progress(progress_lines())
    } else {
        trainer.on_progress(progress::trainer_reporter(bar.clone()))
    };
    while !trainer.run_for(STEPS_BETWEEN_CHECKS)? {
        // Every rank stops at the same step, so that all save the checkpoint together.
        if trainer.any_rank(interrupt::requested())? {
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

/// A progress line on stderr at the end of each epoch and at most every 10 seconds between.
fn progress_lines() -> impl FnMut(&Progress) + 'static {
    let mut last = Instant::now();
    move |p: &Progress| {
        let epoch_done = p.step == p.steps || (p.step * p.epochs).is_multiple_of(p.steps.max(1));
        if epoch_done || last.elapsed() >= Duration::from_secs(10) {
            eprintln!("{p}");
            last = Instant::now();
        }
    }
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
    /// Continue from this checkpoint (written by an earlier run of the same model and data,
    /// on as many ranks).
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Train as one rank of the MPI job `mpirun` started (also when mpirun is detected):
    /// each global batch of --batch-size is shared among the ranks and the gradients are
    /// averaged; rank 0 writes the outputs. Needs a nabla built with the `mpi` feature.
    #[arg(long)]
    pub distributed: bool,
    /// Threads for this process (default: all cores, or with several ranks on a machine, the
    /// cores shared among them).
    #[arg(long)]
    pub threads: Option<usize>,
}

impl TrainArgs {
    /// The threads this process should use, when not rayon's default of one per core.
    pub fn thread_count(&self) -> Option<usize> {
        self.threads.or_else(|| {
            let several = self.distributed || nabla_distributed::launched_ranks().is_some_and(|n| n > 1);
            several.then(distributed::threads_per_rank)
        })
    }
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

/// Runs `nabla train`; returns the summary line it prints (`None` on the ranks of a
/// data-parallel run other than 0).
///
/// # Errors
/// Bad data or checkpoint files, training errors, Ctrl-C; `--distributed` without MPI.
pub fn run(args: &TrainArgs) -> Result<Option<String>, CliError> {
    match distributed::join(args.distributed)? {
        Some(world) => distributed::run_as_rank(world, |sync| train(args, Some(sync))),
        None => train(args, None).map(Some),
    }
}

/// Trains as `args` say, on one process or as one rank of `sync`'s.
fn train(args: &TrainArgs, sync: Option<Rc<dyn Synchronizer>>) -> Result<String, CliError> {
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
            let model = fit(models::autoencoder(lr, rng)?, data, config, resume, label, sync)?;
            let reconstructed = model.reconstruct(&mnist.test.images.flatten(1, -1)?)?;
            let error =
                nabla_losses::mse(&reconstructed, &mnist.test.images.flatten(1, -1)?, nabla_losses::Reduction::Mean)?;
            format!("test reconstruction MSE per pixel {:.4}", error.item()?)
        }
        ModelKind::Vae => {
            let model = fit(models::vae(lr, rng)?, data, config, resume, label, sync)?;
            let losses = model.evaluate(&mnist.test.images.flatten(1, -1)?, rng)?;
            format!("test reconstruction BCE {:.1} + KL {:.2} nats per digit", losses.reconstruction, losses.kl)
        }
        ModelKind::Gan => {
            fit(models::gan(lr, rng)?, data, config, resume, label, sync)?;
            "sample from it with `nabla sample gan --checkpoint …`".to_string()
        }
        ModelKind::Dcgan => {
            fit(models::dcgan(lr, rng)?, data, config, resume, label, sync)?;
            "sample from it with `nabla sample dcgan --checkpoint …`".to_string()
        }
        classifier => {
            let architecture = classifier.architecture().expect("the other kinds are matched above");
            // Adam at `lr` with a cosine decay over the run's epochs.
            let per_epoch = data.len() / config.batch_size.max(1);
            let model = Classifier::new(architecture, lr, rng)?.with_cosine_decay(config.epochs, per_epoch);
            let accuracy = fit(model, data, config, resume, label, sync)?.accuracy(&mnist.test)?;
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
