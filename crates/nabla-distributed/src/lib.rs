//! # nabla-distributed
//!
//! Data-parallel training: the same model on N processes (ranks), each on its share of every
//! batch, with the gradients averaged before each optimizer step, as PyTorch's
//! `DistributedDataParallel` does. The pieces:
//!
//! - [`Communicator`]: the rank, the number of ranks, and the collectives training needs
//!   (all-reduce of a sum, broadcast, barrier). [`SingleProcess`] is the world of one;
//!   `MpiWorld`, behind the `mpi` feature, is the world `mpirun` started (Open MPI or another
//!   MPI, through rsmpi).
//! - [`broadcast_parameters`]: rank 0's parameters and buffers to every rank at the start.
//! - [`GradientAverager`]: the gradients of all parameters flattened into buckets of a
//!   configurable size (25 MB by default, DDP's), one all-reduce per bucket, each weighted by
//!   the samples its rank saw, so that ranks with unequal shares of a batch still give the
//!   gradient of the whole batch.
//! - [`DistributedSampler`]: each epoch's seeded shuffle (nabla-data's
//!   [`DataLoader`](nabla_data::DataLoader) order), split so that rank `r` takes every
//!   `size`-th sample of each global batch from position `r`, like PyTorch's
//!   `DistributedSampler`: the ranks' batches at a step are exactly the global batch.
//!
//! - [`DataParallel`]: nabla-train's hook for gradient synchronisation built from these, so
//!   that [`Trainer::synchronized`](nabla_train::Trainer::synchronized) trains any
//!   [`Trainable`](nabla_train::Trainable) model on every rank, the model's own step
//!   unchanged: its optimizer steps average their gradients (through
//!   [`nabla_optim::with_gradient_reducer`]), rank 0 writes checkpoints and progress.
//!
//! Batch-norm statistics stay per rank (each rank normalises with its own share of the
//! batch), as in PyTorch's DDP without `SyncBatchNorm`.

mod averaging;
mod communicator;
mod data_parallel;
#[cfg(feature = "mpi")]
mod mpi_world;
mod sampler;

pub use averaging::{DEFAULT_BUCKET_BYTES, GradientAverager, broadcast_parameters};
pub use communicator::{Communicator, SingleProcess, launched_ranks};
pub use data_parallel::{DataParallel, GradientTraffic};
#[cfg(feature = "mpi")]
pub use mpi_world::MpiWorld;
pub use sampler::DistributedSampler;
