//! Mini-batches: a `TensorDataset` of inputs and targets, and a `DataLoader` that splits it
//! into the batches of each epoch, shuffled as a function of its seed and the epoch's number
//! (so a resumed run needs only the epoch to draw the same order); `normalize` standardises
//! inputs.

use nabla_tensor::rand::SeedableRng;
use nabla_tensor::rand::seq::SliceRandom;
use nabla_tensor::{Error, Indices, Tensor};
use rand_chacha::ChaCha8Rng;

use crate::mnist::MnistSplit;

/// The mean and standard deviation of MNIST's training pixels (scaled to [0, 1]), the usual
/// normalisation constants (`transforms.Normalize((0.1307,), (0.3081,))`).
pub const MNIST_MEAN: f32 = 0.1307;
/// See [`MNIST_MEAN`].
pub const MNIST_STD: f32 = 0.3081;

/// Inputs `[N, …]` and, for supervised learning, targets `[N, …]` (class numbers as whole
/// numbers, or values to regress): PyTorch's `TensorDataset`.
#[derive(Debug, Clone)]
pub struct TensorDataset {
    pub inputs: Tensor,
    pub targets: Option<Tensor>,
}

/// One mini-batch: the inputs and, when the data set has them, the targets.
#[derive(Debug, Clone)]
pub struct Batch {
    pub input: Tensor,
    pub target: Option<Tensor>,
}

impl TensorDataset {
    /// A data set of `inputs` and `targets` with the same first dimension.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for an empty data set or targets of another length.
    pub fn new(inputs: Tensor, targets: Option<Tensor>) -> Result<Self, Error> {
        let len = inputs.shape().first().copied().unwrap_or(0);
        let target_len = targets.as_ref().map(|t| t.shape().first().copied().unwrap_or(0));
        if len == 0 || target_len.is_some_and(|n| n != len) {
            return Err(Error::ShapeMismatch {
                op: "TensorDataset",
                lhs: inputs.shape().to_vec(),
                rhs: targets.map(|t| t.shape().to_vec()).unwrap_or_default(),
                reason: "needs a non-empty input and as many targets as inputs".into(),
            });
        }
        Ok(TensorDataset { inputs, targets })
    }

    /// Inputs without targets (an autoencoder's, a GAN's).
    ///
    /// # Errors
    /// As [`TensorDataset::new`].
    pub fn unlabelled(inputs: Tensor) -> Result<Self, Error> {
        TensorDataset::new(inputs, None)
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.inputs.shape()[0]
    }

    /// Whether the data set is empty (never, once built).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The samples at `indices`, in that order.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`] for an index past the data set.
    pub fn batch(&self, indices: &[usize]) -> Result<Batch, Error> {
        Ok(Batch {
            input: self.inputs.index_select(0, indices)?,
            target: self.targets.as_ref().map(|t| t.index_select(0, indices)).transpose()?,
        })
    }
}

impl Batch {
    /// The targets, or an error naming `op` for a batch without them.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the data set has no targets.
    pub fn target(&self, op: &'static str) -> Result<&Tensor, Error> {
        self.target.as_ref().ok_or_else(|| Error::invalid(op, "the data set has no targets"))
    }

    /// The targets as class indices (what `cross_entropy` takes).
    ///
    /// # Errors
    /// As [`Batch::target`]; [`Error::InvalidArgument`] for a target that is not a whole
    /// number.
    pub fn classes(&self, op: &'static str) -> Result<Indices, Error> {
        Indices::from_tensor(self.target(op)?)
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.input.shape().first().copied().unwrap_or(0)
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Splits `0..len` into mini-batches each epoch, like PyTorch's `DataLoader` over indices.
///
/// A shuffled loader's order for epoch `e` depends only on its seed and `e` (a ChaCha8
/// generator on stream `e`), so a run resumed in the middle of an epoch draws the same batches.
#[derive(Debug, Clone)]
pub struct DataLoader {
    len: usize,
    batch_size: usize,
    shuffle: Option<u64>,
    drop_last: bool,
    next_epoch: u64,
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
        Ok(DataLoader { len, batch_size, shuffle: None, drop_last: false, next_epoch: 0 })
    }

    /// Reshuffles every epoch, from `seed` (same seed, same order of batches).
    pub fn shuffled(mut self, seed: u64) -> Self {
        self.shuffle = Some(seed);
        self
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
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

    /// The index batches of the next epoch (the first call gives epoch 0).
    pub fn epoch(&mut self) -> Vec<Vec<usize>> {
        self.next_epoch += 1;
        self.epoch_batches(self.next_epoch - 1)
    }

    /// The index batches of epoch `epoch` (counted from 0), whatever came before.
    pub fn epoch_batches(&self, epoch: u64) -> Vec<Vec<usize>> {
        let mut order: Vec<usize> = (0..self.len).collect();
        if let Some(seed) = self.shuffle {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(epoch);
            order.shuffle(&mut rng);
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
