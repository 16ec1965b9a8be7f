//! Mini-batches: a `DataLoader` yields the indices of each batch of an epoch, shuffled with its
//! own seeded generator; `normalize` standardises inputs.

use nabla_tensor::rand::SeedableRng;
use nabla_tensor::rand::rngs::StdRng;
use nabla_tensor::rand::seq::SliceRandom;
use nabla_tensor::{Error, Tensor};

use crate::mnist::MnistSplit;

/// The mean and standard deviation of MNIST's training pixels (scaled to [0, 1]), the usual
/// normalisation constants (`transforms.Normalize((0.1307,), (0.3081,))`).
pub const MNIST_MEAN: f32 = 0.1307;
/// See [`MNIST_MEAN`].
pub const MNIST_STD: f32 = 0.3081;

/// Splits `0..len` into mini-batches each epoch, like PyTorch's `DataLoader` over indices.
#[derive(Debug, Clone)]
pub struct DataLoader {
    len: usize,
    batch_size: usize,
    shuffle: bool,
    drop_last: bool,
    rng: StdRng,
}

impl DataLoader {
    /// Batches of `batch_size` in order, keeping a last, smaller batch.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a batch size of 0 or an empty dataset.
    pub fn new(len: usize, batch_size: usize) -> Result<Self, Error> {
        if batch_size == 0 || len == 0 {
            return Err(Error::InvalidArgument {
                op: "DataLoader",
                reason: format!("needs a non-empty dataset and batch size, got {len} items in batches of {batch_size}"),
            });
        }
        Ok(DataLoader { len, batch_size, shuffle: false, drop_last: false, rng: StdRng::seed_from_u64(0) })
    }

    /// Reshuffles every epoch, from `seed` (same seed, same order of batches).
    pub fn shuffled(mut self, seed: u64) -> Self {
        self.shuffle = true;
        self.rng = StdRng::seed_from_u64(seed);
        self
    }

    /// Drops the last batch when it is smaller than the batch size.
    pub fn drop_last(mut self, drop: bool) -> Self {
        self.drop_last = drop;
        self
    }

    /// The number of batches per epoch.
    pub fn batches_per_epoch(&self) -> usize {
        if self.drop_last { self.len / self.batch_size } else { self.len.div_ceil(self.batch_size) }
    }

    /// The index batches of the next epoch.
    pub fn epoch(&mut self) -> Vec<Vec<usize>> {
        let mut order: Vec<usize> = (0..self.len).collect();
        if self.shuffle {
            order.shuffle(&mut self.rng);
        }
        let mut batches: Vec<Vec<usize>> = order.chunks(self.batch_size).map(<[usize]>::to_vec).collect();
        if self.drop_last && batches.last().is_some_and(|b| b.len() < self.batch_size) {
            batches.pop();
        }
        batches
    }
}

/// `(x - mean) / std`, element-wise.
///
/// # Errors
/// [`Error::InvalidArgument`] for a standard deviation that is not positive.
pub fn normalize(x: &Tensor, mean: f32, std: f32) -> Result<Tensor, Error> {
    if !(std > 0.0 && std.is_finite()) {
        return Err(Error::InvalidArgument { op: "normalize", reason: format!("std must be positive, got {std}") });
    }
    x.sub_scalar(mean)?.div_scalar(std)
}

impl MnistSplit {
    /// The images `[B, 1, 28, 28]` and class labels (as `i64`, what
    /// `cross_entropy` takes) at `indices`.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`] for an index past the split.
    pub fn batch(&self, indices: &[usize]) -> Result<(Tensor, Vec<i64>), Error> {
        let images = self.images.index_select(0, indices)?;
        Ok((images, indices.iter().map(|&i| self.labels[i] as i64).collect()))
    }
}
