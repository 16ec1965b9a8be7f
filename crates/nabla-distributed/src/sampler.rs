//! Each rank's share of every batch: the global batches of a seeded shuffle, dealt out to the
//! ranks.

use nabla_data::DataLoader;
use nabla_tensor::{Error, Result};

/// Splits each epoch's shuffled samples across ranks, as PyTorch's `DistributedSampler` with
/// `set_epoch`: every rank computes the same global order (nabla-data's [`DataLoader`], seeded
/// by `seed` and the epoch) and cuts it into global batches of `batch_per_rank · size`; rank
/// `r` takes the samples at positions `r`, `r + size`, `r + 2·size`, … of each. At every step
/// the ranks' batches together are exactly the global batch one process would have taken.
///
/// A last global batch with fewer samples than ranks is dropped (at most `size − 1` samples an
/// epoch), so that no rank's batch is empty; a shorter last batch is dealt out as far as it
/// goes, and the gradient averaging weights each rank by its samples.
#[derive(Debug, Clone)]
pub struct DistributedSampler {
    loader: DataLoader,
    rank: usize,
    size: usize,
    epoch: u64,
}

impl DistributedSampler {
    /// Rank `rank` of `size`'s share of `len` samples in batches of `batch_per_rank`, shuffled
    /// from `seed`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no samples, a batch of 0, no ranks, or a rank outside
    /// `0..size`.
    pub fn new(len: usize, batch_per_rank: usize, seed: u64, rank: usize, size: usize) -> Result<Self> {
        if size == 0 || rank >= size {
            return Err(Error::invalid("DistributedSampler", format!("rank {rank} is not one of {size} ranks")));
        }
        let global = batch_per_rank.checked_mul(size).ok_or_else(|| {
            Error::invalid("DistributedSampler", format!("{batch_per_rank} a rank × {size} ranks overflows"))
        })?;
        let loader = DataLoader::new(len, global)
            .map_err(|_| {
                Error::invalid(
                    "DistributedSampler",
                    format!("needs samples and a batch, got {len} samples in batches of {batch_per_rank} a rank"),
                )
            })?
            .shuffled(seed);
        Ok(DistributedSampler { loader, rank, size, epoch: 0 })
    }

    /// Sets the epoch whose order [`DistributedSampler::batches`] gives (every rank must set the
    /// same one).
    pub fn set_epoch(&mut self, epoch: u64) {
        self.epoch = epoch;
    }

    /// The epoch set last (0 at first).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The samples in one step's batches, over all ranks.
    pub fn global_batch_size(&self) -> usize {
        self.loader.batch_size()
    }

    /// This rank's batches of the current epoch.
    pub fn batches(&self) -> Vec<Vec<usize>> {
        self.global_batches().into_iter().map(|global| shard(&global, self.rank, self.size)).collect()
    }

    /// The global batches of the current epoch, the same on every rank: the shuffled order in
    /// batches of [`DistributedSampler::global_batch_size`], without a last one smaller than the
    /// number of ranks.
    pub fn global_batches(&self) -> Vec<Vec<usize>> {
        let mut batches = self.loader.epoch_batches(self.epoch);
        if batches.last().is_some_and(|last| last.len() < self.size) {
            batches.pop();
        }
        batches
    }
}

/// Rank `rank` of `size`'s share of a global batch: the samples at positions `rank`,
/// `rank + size`, `rank + 2·size`, ….
pub(crate) fn shard(global_batch: &[usize], rank: usize, size: usize) -> Vec<usize> {
    global_batch.iter().copied().skip(rank).step_by(size.max(1)).collect()
}
