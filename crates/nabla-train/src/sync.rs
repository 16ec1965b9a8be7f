//! The trainer's hook for gradient synchronisation: what a [`Trainer`](crate::Trainer) needs
//! to run as one of several processes (ranks) training one model on shares of each batch.
//! nabla-distributed implements it over MPI; a trainer without one is rank 0 of 1. Also the
//! steps of the trainer that use it: the start from rank 0, gathering text, mean losses.

use std::rc::Rc;

use nabla_nn::{rng_from_text, rng_to_text};
use nabla_optim::GradientReducer;
use nabla_tensor::{Result, Tensor};

use crate::{TrainRng, Trainable};

/// The ranks of a data-parallel run, seen from one of them. Every rank's trainer makes the
/// same calls in the same order, as collectives require.
pub trait Synchronizer {
    /// This process's rank, from 0. Rank 0 writes the checkpoints, outputs and progress.
    fn rank(&self) -> usize;

    /// The number of ranks.
    fn ranks(&self) -> usize;

    /// This rank's share of a global batch (sample indices, the same on every rank); the
    /// shares of all ranks together are the whole batch.
    fn shard(&self, global_batch: &[usize]) -> Vec<usize>;

    /// Replaces `values` on every rank by their element-wise sum over the ranks.
    ///
    /// # Errors
    /// What the transport reports.
    fn all_reduce_sum(&self, values: &mut [f32]) -> Result<()>;

    /// Replaces `values` on every rank by `root`'s.
    ///
    /// # Errors
    /// As [`Synchronizer::all_reduce_sum`].
    fn broadcast(&self, values: &mut [f32], root: usize) -> Result<()>;

    /// Returns once every rank has called it.
    ///
    /// # Errors
    /// As [`Synchronizer::all_reduce_sum`].
    fn barrier(&self) -> Result<()>;

    /// The reducer every optimizer step of one training step goes through (see
    /// [`nabla_optim::with_gradient_reducer`]), given this rank's `samples` in that step: it
    /// makes each gradient the mean over the whole global batch.
    fn gradient_reducer(&self, samples: usize) -> Rc<dyn GradientReducer>;
}

/// Every rank's `text`, in rank order, on every rank (one broadcast of the length and one of
/// the bytes per rank: for the few generator states a checkpoint gathers, not for data).
///
/// # Errors
/// What the synchronizer reports.
pub(crate) fn all_gather_text(sync: &dyn Synchronizer, text: &str) -> Result<Vec<String>> {
    let mut texts = Vec::with_capacity(sync.ranks());
    for root in 0..sync.ranks() {
        let mine = root == sync.rank();
        // Lengths and bytes are exact in f32 (below 2^24).
        let mut len = [if mine { text.len() as f32 } else { 0.0 }];
        sync.broadcast(&mut len, root)?;
        let mut bytes: Vec<f32> = if mine { text.bytes().map(f32::from).collect() } else { vec![0.0; len[0] as usize] };
        sync.broadcast(&mut bytes, root)?;
        let bytes: Vec<u8> = bytes.iter().map(|&b| b as u8).collect();
        let text = String::from_utf8(bytes).map_err(|_| {
            nabla_tensor::Error::invalid("all_gather_text", format!("rank {root} sent text that is not UTF-8"))
        })?;
        texts.push(text);
    }
    Ok(texts)
}

/// Gives every rank rank 0's model state (parameters, buffers, optimizer state), and moves
/// rank `r`'s generators (`rng`, the trainer's, and the model's) to their stream `r`, so the
/// ranks draw different noise and dropout masks.
///
/// # Errors
/// What the synchronizer and the model's state loading report.
pub(crate) fn start_from_rank_zero(
    sync: &dyn Synchronizer,
    model: &mut impl Trainable,
    rng: &mut TrainRng,
) -> Result<()> {
    let state = model.state();
    let mut values: Vec<f32> = state.iter().flat_map(|(_, t)| t.to_vec()).collect();
    sync.broadcast(&mut values, 0)?;
    let mut offset = 0;
    let mut received = Vec::with_capacity(state.len());
    for (name, tensor) in state {
        let part = values[offset..offset + tensor.numel()].to_vec();
        offset += tensor.numel();
        received.push((name, Tensor::from_vec(part, tensor.shape())?));
    }
    model.load_state(&received)?;
    let rank = sync.rank() as u64;
    if rank > 0 {
        rng.set_stream(rng.get_stream().wrapping_add(rank));
        let mut model_rngs = model.rng_states();
        for (_, state) in &mut model_rngs {
            let mut model_rng = rng_from_text(state)?;
            model_rng.set_stream(model_rng.get_stream().wrapping_add(rank));
            *state = rng_to_text(&model_rng);
        }
        model.load_rng_states(&model_rngs)?;
    }
    Ok(())
}

/// Each loss's mean over the global batch, from this rank's mean over its `samples`.
///
/// # Errors
/// What the synchronizer reports.
pub(crate) fn mean_over_ranks(sync: &dyn Synchronizer, losses: Vec<f32>, samples: usize) -> Result<Vec<f32>> {
    if sync.ranks() == 1 {
        return Ok(losses);
    }
    let weight = samples as f32;
    let mut sums: Vec<f32> = losses.iter().map(|l| l * weight).chain([weight]).collect();
    sync.all_reduce_sum(&mut sums)?;
    let total = sums.pop().unwrap_or(1.0);
    Ok(sums.into_iter().map(|s| s / total).collect())
}
