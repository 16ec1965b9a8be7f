//! # nabla-train
//!
//! The trainer for nabla models. A model implements [`Trainable`] — its own step on a
//! [`Batch`](nabla_data::Batch) of inputs and targets (one optimizer or two, any losses), its
//! state, and what its sample grid shows — and [`Trainer`] runs it over a
//! [`TensorDataset`](nabla_data::TensorDataset):
//!
//! - epochs of batches from nabla-data's [`DataLoader`](nabla_data::DataLoader), shuffled by
//!   seed and epoch;
//! - progress reports ([`Progress`]: epoch, step, losses, samples/s, time left);
//! - after every epoch, a grid of samples from a fixed input, the losses as CSV and as a chart;
//! - checkpoints ([`Checkpoint`]) written atomically, never with non-finite weights, that
//!   resume exactly: parameters, buffers, optimizer state, dropout's generators, the trainer's
//!   RNG, the step and the loss history;
//! - a non-finite loss stops the run naming the step, or skips the step ([`NonFinite`]);
//! - data-parallel training through a [`Synchronizer`] (nabla-distributed's over MPI): each
//!   rank steps on its share of every batch with the gradients averaged, rank 0 writes.

mod checkpoint;
mod sync;
mod trainer;

pub use checkpoint::{Checkpoint, RankRngs, TrainRng};
pub use sync::Synchronizer;
pub use trainer::{NonFinite, Progress, TrainError, Trainable, Trainer, TrainerConfig};
