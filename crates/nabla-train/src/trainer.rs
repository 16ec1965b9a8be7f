//! The trainer: epochs over a data set's shuffled (input, target) batches, each given to the
//! model's own step, with progress reports (epoch, step, losses, samples/s, time left), a
//! grid of samples from a fixed input after every epoch, the losses as CSV and as a chart, and
//! checkpoints that resume exactly. A non-finite loss stops the run with the step named (or
//! skips the step, if asked), and a checkpoint is never written with non-finite weights. With
//! a [`Synchronizer`], the trainer is one rank of a data-parallel run.

use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use nabla_data::{Batch, DataLoader, TensorDataset};
use nabla_optim::with_gradient_reducer;
use nabla_plot::{LineChart, PlotError, Series};
use nabla_tensor::{Error, Tensor};
use rand_chacha::rand_core::SeedableRng;

use crate::checkpoint::{Checkpoint, RankRngs, TrainRng};
use crate::sync::{Synchronizer, all_gather_text, mean_over_ranks, start_from_rank_zero};

/// A model the [`Trainer`] can train: it defines its own step (one optimizer or two, any
/// losses), and the trainer runs it over the data.
pub trait Trainable {
    /// What the model is, stored in checkpoints (`"gan"`, `"vae"`, …).
    fn kind(&self) -> &'static str;

    /// The names of the losses [`Trainable::train_step`] returns, in order.
    fn loss_names(&self) -> Vec<&'static str>;

    /// One optimisation step on a batch of training data; returns the losses. `rng` is the
    /// trainer's, saved in its checkpoints: draw noise from it, so a resumed run draws the
    /// same.
    ///
    /// # Errors
    /// [`Error::NonFinite`] for a loss that is not finite (the update is not made).
    fn train_step(&mut self, batch: &Batch, rng: &mut TrainRng) -> nabla_tensor::Result<Vec<f32>>;

    /// The fixed input the sample grids show, drawn once: noise for a generator, the first
    /// `n` training samples (with their targets) for an autoencoder or a classifier.
    ///
    /// # Errors
    /// Shape errors.
    fn fixed_input(&self, data: &TensorDataset, n: usize, rng: &mut TrainRng) -> nabla_tensor::Result<Batch>;

    /// Images with values in [0, 1] for the grid, `[M, …]` (reshaped to the trainer's image
    /// shape), from the fixed input.
    ///
    /// # Errors
    /// Shape errors.
    fn render(&self, fixed: &Batch) -> nabla_tensor::Result<Tensor>;

    /// Parameters, buffers and optimizer state (and any step count a schedule reads), by name.
    fn state(&self) -> Vec<(String, Tensor)>;

    /// Restores [`Trainable::state`] saved from the same model.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming what does not fit.
    fn load_state(&mut self, state: &[(String, Tensor)]) -> nabla_tensor::Result<()>;

    /// The model's random generators (dropout's), by name: [`nabla_nn::Module::rng_states`]
    /// of its networks. None by default.
    fn rng_states(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Restores [`Trainable::rng_states`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a generator the model does not have.
    fn load_rng_states(&mut self, states: &[(String, String)]) -> nabla_tensor::Result<()> {
        match states.first() {
            None => Ok(()),
            Some((name, _)) => Err(Error::invalid("load_rng_states", format!("the model has no generator {name}"))),
        }
    }
}

/// What to do when a loss is NaN or infinite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NonFinite {
    /// Stop with [`TrainError::NonFiniteLoss`] naming the step; the last checkpoint stays.
    #[default]
    Stop,
    /// Skip the step (no update) and go on; [`Trainer::skipped`] counts them.
    Skip,
}

/// How a [`Trainer`] runs.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainerConfig {
    pub epochs: usize,
    /// Samples per batch (over all ranks, in a data-parallel run); the last, smaller batch of
    /// an epoch is dropped.
    pub batch_size: usize,
    /// Seeds the data loader's shuffling and the trainer's RNG (noise, the fixed input).
    pub seed: u64,
    /// Where the grids, `losses.csv`, `losses.png` and `checkpoint.safetensors` go; `None`
    /// writes nothing.
    pub out_dir: Option<PathBuf>,
    /// The shape of one image, `[C, H, W]`, for the sample grids.
    pub image_shape: [usize; 3],
    /// Inputs in each sample grid.
    pub grid: usize,
    /// A checkpoint every this many steps (0: only after each epoch and at the end).
    pub checkpoint_every: usize,
    /// A progress report every this many steps (and after each epoch).
    pub progress_every: usize,
    pub on_non_finite: NonFinite,
}

impl TrainerConfig {
    /// `epochs` of batches of `batch_size` MNIST digits, seed 0, writing nothing, 64 images per
    /// grid, a report every 50 steps, stopping on a non-finite loss.
    pub fn new(epochs: usize, batch_size: usize) -> Self {
        TrainerConfig {
            epochs,
            batch_size,
            seed: 0,
            out_dir: None,
            image_shape: [1, 28, 28],
            grid: 64,
            checkpoint_every: 0,
            progress_every: 50,
            on_non_finite: NonFinite::Stop,
        }
    }
}

/// Where a run stands, as given to the progress callback.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// The epoch under way (1-based) and the number of epochs.
    pub epoch: usize,
    pub epochs: usize,
    /// Steps taken and the steps of the whole run.
    pub step: usize,
    pub steps: usize,
    /// The last step's losses with their names.
    pub losses: Vec<(&'static str, f32)>,
    /// Training samples per second in this run so far.
    pub samples_per_second: f64,
    /// The time left at that pace.
    pub remaining: Duration,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "epoch {}/{}  step {}/{}", self.epoch, self.epochs, self.step, self.steps)?;
        for (name, value) in &self.losses {
            write!(f, "  {name} {value:.4}")?;
        }
        let seconds = self.remaining.as_secs();
        write!(f, "  {:.0} samples/s  {}m{:02}s left", self.samples_per_second, seconds / 60, seconds % 60)
    }
}

/// What went wrong in a training run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A loss became NaN or infinite; nothing was saved after the last good checkpoint.
    #[error("step {step}: {source}")]
    NonFiniteLoss { step: usize, source: Error },

    /// The weights hold NaN or infinite values, so no checkpoint was written.
    #[error("{path}: not saved, the weight {name} holds non-finite values")]
    NonFiniteWeights { path: String, name: String },

    /// A checkpoint that does not belong to this run.
    #[error("{path}: cannot resume from this checkpoint: {reason}")]
    Checkpoint { path: String, reason: String },

    /// A bad configuration or data set.
    #[error("Trainer: {0}")]
    Config(String),

    #[error(transparent)]
    Tensor(#[from] Error),

    #[error(transparent)]
    StateDict(Box<nabla_nn::StateDictError>),

    #[error(transparent)]
    Data(#[from] nabla_data::DataError),

    #[error(transparent)]
    Plot(#[from] PlotError),

    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// What [`Trainer::on_progress`] keeps.
type ProgressCallback = Box<dyn FnMut(&Progress)>;

/// Trains a [`Trainable`] model on a [`TensorDataset`], one batch per step.
pub struct Trainer<M: Trainable> {
    model: M,
    data: TensorDataset,
    loader: DataLoader,
    config: TrainerConfig,
    rng: TrainRng,
    step: usize,
    /// The batches of the epoch under way, and its number.
    epoch_batches: Option<(u64, Vec<Vec<usize>>)>,
    fixed: Batch,
    history: Vec<Vec<f32>>,
    skipped: usize,
    on_progress: Option<ProgressCallback>,
    /// The other ranks of a data-parallel run; `None` on one process.
    sync: Option<Rc<dyn Synchronizer>>,
}

impl<M: Trainable> Trainer<M> {
    /// A fresh run over `data`.
    ///
    /// # Errors
    /// [`TrainError::Config`] for no epochs, a batch of 0 or larger than the data set, or a
    /// grid of 0; [`TrainError::Io`] when the output folder cannot be made.
    pub fn new(model: M, data: TensorDataset, config: TrainerConfig) -> Result<Self, TrainError> {
        Self::start(model, data, config, None, None)
    }

    /// A run continued from a checkpoint: the model (built as before), its optimizers and
    /// random generators, the trainer's RNG, the step and the loss history are restored, so
    /// the run goes on exactly as if it had not stopped (the loader's order depends only on
    /// the seed and the epoch).
    ///
    /// # Errors
    /// As [`Trainer::new`]; [`TrainError::Checkpoint`] for a checkpoint of another kind of
    /// model or data set, or one saved by several ranks; what loading the file and the state
    /// raises.
    pub fn resume(model: M, data: TensorDataset, config: TrainerConfig, path: &Path) -> Result<Self, TrainError> {
        Self::start(model, data, config, Some(path), None)
    }

    /// This process's part of a data-parallel run over `sync`'s ranks, fresh or resumed from
    /// `resume` (a checkpoint saved by as many ranks). Every rank builds the model the same
    /// way and calls this with the same arguments. Then:
    ///
    /// - a fresh run starts every rank from rank 0's parameters, buffers and optimizer state;
    ///   rank `r`'s generators (the trainer's and dropout's) move to their stream `r`, so the
    ///   ranks draw different noise and masks;
    /// - each global batch of `batch_size` is shared out by [`Synchronizer::shard`], and every
    ///   optimizer step in the model's own step averages its gradients over the ranks (see
    ///   [`nabla_optim::with_gradient_reducer`]); the losses recorded are the means over the
    ///   global batch;
    /// - rank 0 alone reports progress and writes the grids, logs and checkpoints (with every
    ///   rank's generators), and the others wait for each checkpoint.
    ///
    /// Batch-norm running statistics stay each rank's own; a checkpoint keeps rank 0's. An
    /// error on one rank leaves the others waiting in a collective: end the job after
    /// reporting it (`MpiWorld::abort` in nabla-distributed), as `nabla train` does.
    ///
    /// # Errors
    /// As [`Trainer::resume`]; [`TrainError::Config`] for a batch smaller than the number of
    /// ranks or [`NonFinite::Skip`] on several ranks; [`TrainError::Checkpoint`] for a
    /// checkpoint saved by another number of ranks.
    pub fn synchronized(
        model: M,
        data: TensorDataset,
        config: TrainerConfig,
        resume: Option<&Path>,
        sync: Rc<dyn Synchronizer>,
    ) -> Result<Self, TrainError> {
        Self::start(model, data, config, resume, Some(sync))
    }

    fn start(
        mut model: M,
        data: TensorDataset,
        config: TrainerConfig,
        resume: Option<&Path>,
        sync: Option<Rc<dyn Synchronizer>>,
    ) -> Result<Self, TrainError> {
        let (rank, ranks) = sync.as_ref().map_or((0, 1), |s| (s.rank(), s.ranks()));
        if ranks > 1 && config.batch_size < ranks {
            return Err(TrainError::Config(format!(
                "a batch of {} cannot be shared by {ranks} ranks: each needs a sample",
                config.batch_size
            )));
        }
        if ranks > 1 && config.on_non_finite == NonFinite::Skip {
            return Err(TrainError::Config(
                "skipping non-finite steps needs one rank: a rank that skips its step would leave the others \
                 waiting for its gradients"
                    .into(),
            ));
        }
        let checkpoint = match resume {
            Some(path) => Some((path, Checkpoint::load(path)?)),
            None => None,
        };
        if let Some((path, checkpoint)) = &checkpoint {
            let bad = |reason: String| TrainError::Checkpoint { path: path.display().to_string(), reason };
            if checkpoint.kind != model.kind() {
                return Err(bad(format!("it holds a model of kind {}, not {}", checkpoint.kind, model.kind())));
            }
            if checkpoint.samples != data.len() {
                return Err(bad(format!("it was trained on {} samples, not {}", checkpoint.samples, data.len())));
            }
            if checkpoint.rngs.len() != ranks {
                return Err(bad(format!(
                    "it was saved by a run on {} rank(s) and this run has {ranks}; resume it on {} (each rank \
                     continues its own random streams)",
                    checkpoint.rngs.len(),
                    checkpoint.rngs.len()
                )));
            }
            model.load_state(&checkpoint.state)?;
            model.load_rng_states(&checkpoint.rngs[rank].model)?;
        }
        let mut trainer = Self::fresh(model, data, config)?;
        match checkpoint {
            Some((path, checkpoint)) => {
                let columns = trainer.model.loss_names().len();
                if checkpoint.history.shape().get(1).is_some_and(|&c| c != columns) {
                    return Err(TrainError::Checkpoint {
                        path: path.display().to_string(),
                        reason: format!(
                            "its history has {:?} columns, the model {columns}",
                            checkpoint.history.shape()
                        ),
                    });
                }
                let values = checkpoint.history.to_vec();
                trainer.history = values.chunks(columns.max(1)).map(<[f32]>::to_vec).collect();
                trainer.rng = checkpoint.rngs[rank].trainer.clone();
                trainer.step = checkpoint.step;
                trainer.fixed = checkpoint.fixed;
            }
            None => {
                if let Some(sync) = &sync {
                    start_from_rank_zero(sync.as_ref(), &mut trainer.model, &mut trainer.rng)?;
                }
            }
        }
        trainer.sync = sync;
        Ok(trainer)
    }

    /// A fresh run on one process, checked.
    fn fresh(model: M, data: TensorDataset, config: TrainerConfig) -> Result<Self, TrainError> {
        let samples = data.len();
        if config.epochs == 0 || config.batch_size == 0 || config.batch_size > samples || config.grid == 0 {
            return Err(TrainError::Config(format!(
                "needs epochs >= 1, 1 <= batch_size <= the {samples} samples and grid >= 1; got epochs {}, \
                 batch_size {}, grid {}",
                config.epochs, config.batch_size, config.grid
            )));
        }
        if let Some(dir) = &config.out_dir {
            std::fs::create_dir_all(dir)
                .map_err(|source| TrainError::Io { path: dir.display().to_string(), source })?;
        }
        // The loader's stream of shuffles is its own, apart from the trainer's RNG.
        let loader = DataLoader::new(samples, config.batch_size)?.shuffled(!config.seed).drop_last(true);
        let mut rng = TrainRng::seed_from_u64(config.seed);
        let fixed = model.fixed_input(&data, config.grid.min(samples), &mut rng)?;
        Ok(Trainer {
            model,
            data,
            loader,
            config,
            rng,
            step: 0,
            epoch_batches: None,
            fixed,
            history: Vec::new(),
            skipped: 0,
            on_progress: None,
            sync: None,
        })
    }

    /// Calls `report` with the run's [`Progress`] every `progress_every` steps and after each
    /// epoch (a command-line tool draws a progress bar from it; an example prints it).
    pub fn on_progress(mut self, report: impl FnMut(&Progress) + 'static) -> Self {
        self.on_progress = Some(Box::new(report));
        self
    }

    /// This process's rank in a data-parallel run (0 on one process).
    pub fn rank(&self) -> usize {
        self.sync.as_ref().map_or(0, |s| s.rank())
    }

    /// The number of ranks training (1 on one process).
    pub fn ranks(&self) -> usize {
        self.sync.as_ref().map_or(1, |s| s.ranks())
    }

    /// Whether `flag` holds on any rank (for decisions every rank must take alike, such as
    /// stopping on Ctrl-C); `flag` itself on one process.
    ///
    /// # Errors
    /// What the synchronizer reports.
    pub fn any_rank(&self, flag: bool) -> Result<bool, TrainError> {
        let Some(sync) = &self.sync else { return Ok(flag) };
        let mut count = [f32::from(u8::from(flag))];
        sync.all_reduce_sum(&mut count)?;
        Ok(count[0] > 0.0)
    }

    /// The model being trained.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model being trained, to evaluate between [`Trainer::run_for`] calls.
    pub fn model_mut(&mut self) -> &mut M {
        &mut self.model
    }

    /// Steps in one epoch (full batches).
    pub fn steps_per_epoch(&self) -> usize {
        self.loader.batches_per_epoch()
    }

    /// The mean of loss `column` (in [`Trainable::loss_names`]' order) over the last epoch's
    /// worth of steps; NaN before a whole epoch has run.
    pub fn last_epoch_mean(&self, column: usize) -> f32 {
        let per_epoch = self.steps_per_epoch();
        let Some(start) = self.history.len().checked_sub(per_epoch) else { return f32::NAN };
        self.history[start..].iter().map(|row| row[column]).sum::<f32>() / per_epoch as f32
    }

    /// The model, ending the run.
    pub fn into_model(self) -> M {
        self.model
    }

    /// Steps taken (skipped ones included).
    pub fn step(&self) -> usize {
        self.step
    }

    /// Steps skipped for a non-finite loss (with [`NonFinite::Skip`]).
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// The losses of every step taken (NaN for a skipped step).
    pub fn history(&self) -> &[Vec<f32>] {
        &self.history
    }

    /// The fixed input of the sample grids.
    pub fn fixed_input(&self) -> &Batch {
        &self.fixed
    }

    /// Trains to the end of the last epoch (see [`Trainer::run_for`]).
    ///
    /// # Errors
    /// As [`Trainer::run_for`].
    pub fn run(&mut self) -> Result<(), TrainError> {
        self.run_for(usize::MAX).map(|_| ())
    }

    /// The sample indices of step `step`'s batch (counted from 0).
    fn batch_indices(&mut self, step: usize) -> &[usize] {
        let per_epoch = self.loader.batches_per_epoch();
        let epoch = (step / per_epoch) as u64;
        if self.epoch_batches.as_ref().is_none_or(|(e, _)| *e != epoch) {
            self.epoch_batches = Some((epoch, self.loader.epoch_batches(epoch)));
        }
        let (_, batches) = self.epoch_batches.as_ref().expect("just filled");
        &batches[step % per_epoch]
    }

    /// Trains for at most `max_steps` more steps; returns whether the run is complete. After
    /// each epoch (and every `checkpoint_every` steps) the output folder gets a sample grid,
    /// the loss CSV and chart, and the checkpoint.
    ///
    /// # Errors
    /// [`TrainError::NonFiniteLoss`] (with [`NonFinite::Stop`]); errors writing the files.
    pub fn run_for(&mut self, max_steps: usize) -> Result<bool, TrainError> {
        let per_epoch = self.loader.batches_per_epoch();
        let total = per_epoch * self.config.epochs;
        let started = Instant::now();
        let first = self.step;
        let mut taken = 0;
        while self.step < total && taken < max_steps {
            let global = self.batch_indices(self.step).to_vec();
            let indices = match &self.sync {
                Some(sync) => sync.shard(&global),
                None => global,
            };
            let batch = self.data.batch(&indices)?;
            let result = match self.sync.as_ref().filter(|s| s.ranks() > 1) {
                Some(sync) => with_gradient_reducer(sync.gradient_reducer(indices.len()), || {
                    self.model.train_step(&batch, &mut self.rng)
                }),
                None => self.model.train_step(&batch, &mut self.rng),
            };
            match result {
                Ok(losses) => {
                    let losses = match &self.sync {
                        Some(sync) => mean_over_ranks(sync.as_ref(), losses, indices.len())?,
                        None => losses,
                    };
                    self.history.push(losses);
                    self.step += 1;
                }
                Err(Error::NonFinite { .. }) if self.config.on_non_finite == NonFinite::Skip => {
                    self.history.push(vec![f32::NAN; self.model.loss_names().len()]);
                    self.step += 1;
                    self.skipped += 1;
                }
                Err(source @ Error::NonFinite { .. }) => {
                    return Err(TrainError::NonFiniteLoss { step: self.step + 1, source });
                }
                Err(other) => return Err(other.into()),
            }
            taken += 1;
            let epoch_done = self.step.is_multiple_of(per_epoch);
            if epoch_done || self.step.is_multiple_of(self.config.progress_every.max(1)) {
                self.report(started, self.step - first, total, per_epoch);
            }
            if epoch_done {
                self.write_epoch_outputs(self.step / per_epoch)?;
            }
            let checkpoint_due =
                self.config.checkpoint_every > 0 && self.step.is_multiple_of(self.config.checkpoint_every);
            if let (true, Some(dir)) = (epoch_done || checkpoint_due, &self.config.out_dir) {
                self.save_checkpoint(&dir.join("checkpoint.safetensors"))?;
            }
        }
        Ok(self.step >= total)
    }

    fn report(&mut self, started: Instant, done: usize, total: usize, per_epoch: usize) {
        if self.rank() != 0 {
            return;
        }
        let Some(report) = self.on_progress.as_mut() else { return };
        let elapsed = started.elapsed().as_secs_f64();
        let pace = if done > 0 { elapsed / done as f64 } else { 0.0 };
        let progress = Progress {
            epoch: (self.step.saturating_sub(1) / per_epoch + 1).min(self.config.epochs),
            epochs: self.config.epochs,
            step: self.step,
            steps: total,
            losses: self.model.loss_names().into_iter().zip(self.history.last().cloned().unwrap_or_default()).collect(),
            samples_per_second: if elapsed > 0.0 { (done * self.config.batch_size) as f64 / elapsed } else { 0.0 },
            remaining: Duration::from_secs_f64(pace * (total - self.step) as f64),
        };
        report(&progress);
    }

    /// The sample grid of this epoch, `losses.csv` and `losses.png`.
    fn write_epoch_outputs(&self, epoch: usize) -> Result<(), TrainError> {
        let Some(dir) = self.config.out_dir.as_ref().filter(|_| self.rank() == 0) else { return Ok(()) };
        self.write_grid(&dir.join(format!("samples_epoch_{epoch:03}.png")))?;
        let names = self.model.loss_names();
        let mut csv = format!("step,{}\n", names.join(","));
        for (i, row) in self.history.iter().enumerate() {
            let values: Vec<String> = row.iter().map(|v| v.to_string()).collect();
            csv.push_str(&format!("{},{}\n", i + 1, values.join(",")));
        }
        let path = dir.join("losses.csv");
        nabla_tensor::io::write_atomically(&path, csv.as_bytes())
            .map_err(|source| TrainError::Io { path: path.display().to_string(), source })?;
        let window = (self.history.len() / 100).max(1);
        let mut chart =
            LineChart::new(format!("{} losses (running mean over {window} steps)", self.model.kind()), "step", "loss");
        for (column, name) in names.iter().enumerate() {
            let points = running_mean(self.history.iter().map(|row| row[column]), window);
            chart = chart.series(Series::new(*name, points));
        }
        chart.write_png(dir.join("losses.png"))?;
        Ok(())
    }

    /// Writes the model's rendering of the fixed input as a grid of images.
    ///
    /// # Errors
    /// Shape errors; [`TrainError::Image`] when the file cannot be written.
    pub fn write_grid(&self, path: &Path) -> Result<(), TrainError> {
        let images = self.model.render(&self.fixed)?;
        let [c, h, w] = self.config.image_shape;
        let images = images.reshape(&[-1, c as isize, h as isize, w as isize])?;
        let columns = (self.config.grid as f64).sqrt().ceil() as usize;
        nabla_data::image::write_png_grid(path, &images, columns, 2)?;
        Ok(())
    }

    /// Writes a checkpoint atomically; refuses (and keeps the previous file) when a weight is
    /// not finite. In a data-parallel run every rank calls it: rank 0 writes, with every rank's
    /// generators, and the others wait until it has.
    ///
    /// # Errors
    /// [`TrainError::NonFiniteWeights`]; errors writing the file (on rank 0).
    pub fn save_checkpoint(&self, path: &Path) -> Result<(), TrainError> {
        let mine = RankRngs { trainer: self.rng.clone(), model: self.model.rng_states() };
        let rngs = match &self.sync {
            Some(sync) => all_gather_text(sync.as_ref(), &mine.to_text())?
                .iter()
                .map(|text| RankRngs::from_text(text))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|reason| TrainError::Checkpoint { path: path.display().to_string(), reason })?,
            None => vec![mine],
        };
        let written = if self.rank() == 0 { self.write_checkpoint(path, rngs) } else { Ok(()) };
        if let Some(sync) = &self.sync {
            sync.barrier()?;
        }
        written
    }

    fn write_checkpoint(&self, path: &Path, rngs: Vec<RankRngs>) -> Result<(), TrainError> {
        let state = self.model.state();
        if let Some((name, _)) = state.iter().find(|(_, t)| t.to_vec().iter().any(|v| !v.is_finite())) {
            return Err(TrainError::NonFiniteWeights { path: path.display().to_string(), name: name.clone() });
        }
        let columns = self.model.loss_names().len();
        let history: Vec<f32> = self.history.iter().flatten().copied().collect();
        Checkpoint {
            kind: self.model.kind().to_string(),
            state,
            step: self.step,
            samples: self.data.len(),
            fixed: self.fixed.clone(),
            history: Tensor::from_vec(history, &[self.history.len(), columns])?,
            rngs,
        }
        .save(path)
    }
}

/// `(step, mean of the finite values among the last `window`)` for each step with one.
fn running_mean(values: impl Iterator<Item = f32>, window: usize) -> Vec<(f64, f64)> {
    let values: Vec<f32> = values.collect();
    (0..values.len())
        .filter_map(|i| {
            let recent: Vec<f64> =
                values[i.saturating_sub(window - 1)..=i].iter().filter(|v| v.is_finite()).map(|&v| v as f64).collect();
            (!recent.is_empty()).then(|| ((i + 1) as f64, recent.iter().sum::<f64>() / recent.len() as f64))
        })
        .collect()
}
