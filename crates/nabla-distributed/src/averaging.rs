//! Starting every rank from the same weights, and averaging the gradients across ranks in
//! buckets.

use nabla_tensor::{Error, Gradients, Result, Tensor};

use crate::Communicator;

/// PyTorch DDP's default bucket: 25 MB of gradients per all-reduce.
pub const DEFAULT_BUCKET_BYTES: usize = 25 * 1024 * 1024;

/// Sets every tensor in `tensors` (a model's parameters and buffers, in the same order on every
/// rank) to rank 0's values, in one broadcast.
///
/// # Errors
/// What the communicator reports; [`Error::InvalidArgument`] when the tensors cannot be set.
pub fn broadcast_parameters(comm: &dyn Communicator, tensors: &[Tensor]) -> Result<()> {
    let mut flat: Vec<f32> = tensors.iter().flat_map(Tensor::to_vec).collect();
    comm.broadcast(&mut flat, 0)?;
    let mut offset = 0;
    for tensor in tensors {
        let values = flat[offset..offset + tensor.numel()].to_vec();
        offset += tensor.numel();
        tensor.set_data(Tensor::from_vec(values, tensor.shape())?.data())?;
    }
    Ok(())
}

/// Averages the gradients of a fixed list of parameters across ranks, as DDP does after each
/// backward pass.
///
/// The gradients are laid out one parameter after another (a parameter may straddle two
/// buckets) and all-reduced in buckets of at most `bucket_bytes`: one collective per bucket,
/// not per tensor. Each rank's gradient, the mean over its own samples, is weighted by that
/// count, and the sum is divided by the total, so the result is the mean over the whole global
/// batch even when the ranks' shares differ. Every parameter ends with a gradient on every
/// rank (zeros where no rank had one).
#[derive(Debug, Clone)]
pub struct GradientAverager {
    params: Vec<Tensor>,
    bucket_len: usize,
}

impl GradientAverager {
    /// An averager for `params` (the same ones, in the same order, on every rank) with buckets
    /// of at most `bucket_bytes`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for buckets smaller than one f32.
    pub fn new(params: Vec<Tensor>, bucket_bytes: usize) -> Result<Self> {
        let bucket_len = bucket_bytes / std::mem::size_of::<f32>();
        if bucket_len == 0 {
            return Err(Error::invalid("GradientAverager", format!("a bucket of {bucket_bytes} bytes holds no f32")));
        }
        Ok(GradientAverager { params, bucket_len })
    }

    /// The f32 values all-reduced each step: every parameter's, and the sample count.
    pub fn values_per_step(&self) -> usize {
        self.params.iter().map(Tensor::numel).sum::<usize>() + 1
    }

    /// The all-reduces each step.
    pub fn buckets_per_step(&self) -> usize {
        self.values_per_step().div_ceil(self.bucket_len)
    }

    /// Replaces each parameter's gradient in `grads` (a mean over this rank's `samples`) by the
    /// mean over all ranks' samples; returns the number of samples over all ranks.
    ///
    /// # Errors
    /// What the communicator reports; [`Error::InvalidArgument`] when no rank had a sample or a
    /// gradient has the wrong shape.
    pub fn average(&self, comm: &dyn Communicator, grads: &mut Gradients, samples: usize) -> Result<usize> {
        let weight = samples as f32;
        let mut flat = Vec::with_capacity(self.values_per_step());
        for param in &self.params {
            match grads.get(param) {
                Some(grad) if grad.shape() != param.shape() => {
                    return Err(Error::shape_mismatch(
                        "GradientAverager",
                        param.shape(),
                        grad.shape(),
                        "a gradient has its parameter's shape",
                    ));
                }
                Some(grad) => flat.extend(grad.to_vec().iter().map(|g| g * weight)),
                None => flat.resize(flat.len() + param.numel(), 0.0),
            }
        }
        flat.push(weight);
        for bucket in flat.chunks_mut(self.bucket_len) {
            comm.all_reduce_sum(bucket)?;
        }
        let total = flat.pop().unwrap_or(0.0);
        if total.is_nan() || total < 1.0 {
            return Err(Error::invalid("GradientAverager", "no rank had a sample in this step"));
        }
        let mut offset = 0;
        for param in &self.params {
            let values = flat[offset..offset + param.numel()].iter().map(|g| g / total).collect();
            offset += param.numel();
            grads.insert(param, Tensor::from_vec(values, param.shape())?)?;
        }
        Ok(total as usize)
    }
}
