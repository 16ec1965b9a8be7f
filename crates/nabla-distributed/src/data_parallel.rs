//! nabla-train's [`Synchronizer`] over a [`Communicator`]: what lets the
//! [`Trainer`](nabla_train::Trainer) train one model on every rank of an MPI job.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use nabla_optim::GradientReducer;
use nabla_tensor::{Error, Gradients, Result, Tensor};
use nabla_train::Synchronizer;

use crate::sampler::shard;
use crate::{Communicator, DEFAULT_BUCKET_BYTES, GradientAverager};

/// Data-parallel training over a communicator, as PyTorch's `DistributedDataParallel`: give it
/// to [`Trainer::synchronized`](nabla_train::Trainer::synchronized). Each rank takes every
/// `size`-th sample of each global batch (as [`DistributedSampler`](crate::DistributedSampler)
/// deals them), and each optimizer step averages its gradients over the ranks in buckets of
/// `bucket_bytes` (25 MB by default), weighted by the samples each rank had.
pub struct DataParallel {
    comm: Rc<dyn Communicator>,
    bucket_bytes: usize,
    traffic: Rc<Traffic>,
}

/// What the gradient averaging has cost so far, on this rank.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GradientTraffic {
    /// Training steps taken.
    pub steps: usize,
    /// All-reduces made (one per bucket of each optimizer step).
    pub all_reduces: usize,
    /// Bytes this rank contributed to them (the gradients, and one sample count per step).
    pub bytes: usize,
    /// Time spent averaging, waiting for the other ranks included.
    pub time: Duration,
}

/// The running totals behind [`GradientTraffic`], shared with each step's reducer.
#[derive(Debug, Default)]
struct Traffic(Cell<GradientTraffic>);

impl Traffic {
    fn add(&self, change: impl FnOnce(&mut GradientTraffic)) {
        let mut totals = self.0.get();
        change(&mut totals);
        self.0.set(totals);
    }
}

impl DataParallel {
    /// Data-parallel training over `comm`'s ranks, with 25 MB buckets.
    pub fn new(comm: Rc<dyn Communicator>) -> Self {
        DataParallel { comm, bucket_bytes: DEFAULT_BUCKET_BYTES, traffic: Rc::default() }
    }

    /// The same with buckets of at most `bucket_bytes`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for buckets smaller than one f32.
    pub fn with_bucket_bytes(mut self, bucket_bytes: usize) -> Result<Self> {
        if bucket_bytes < std::mem::size_of::<f32>() {
            return Err(Error::invalid("DataParallel", format!("a bucket of {bucket_bytes} bytes holds no f32")));
        }
        self.bucket_bytes = bucket_bytes;
        Ok(self)
    }

    /// The communicator the ranks talk through.
    pub fn communicator(&self) -> &Rc<dyn Communicator> {
        &self.comm
    }

    /// What averaging the gradients has cost so far on this rank.
    pub fn traffic(&self) -> GradientTraffic {
        self.traffic.0.get()
    }
}

impl Synchronizer for DataParallel {
    fn rank(&self) -> usize {
        self.comm.rank()
    }

    fn ranks(&self) -> usize {
        self.comm.size()
    }

    fn shard(&self, global_batch: &[usize]) -> Vec<usize> {
        shard(global_batch, self.comm.rank(), self.comm.size())
    }

    fn all_reduce_sum(&self, values: &mut [f32]) -> Result<()> {
        self.comm.all_reduce_sum(values)
    }

    fn broadcast(&self, values: &mut [f32], root: usize) -> Result<()> {
        self.comm.broadcast(values, root)
    }

    fn barrier(&self) -> Result<()> {
        self.comm.barrier()
    }

    fn gradient_reducer(&self, samples: usize) -> Rc<dyn GradientReducer> {
        self.traffic.add(|t| t.steps += 1);
        Rc::new(StepReducer {
            comm: Rc::clone(&self.comm),
            bucket_bytes: self.bucket_bytes,
            samples,
            traffic: Rc::clone(&self.traffic),
        })
    }
}

/// Averages each optimizer step's gradients during one training step.
struct StepReducer {
    comm: Rc<dyn Communicator>,
    bucket_bytes: usize,
    samples: usize,
    traffic: Rc<Traffic>,
}

impl GradientReducer for StepReducer {
    fn reduce(&self, params: &[Tensor], grads: &mut Gradients) -> Result<()> {
        let started = Instant::now();
        let averager = GradientAverager::new(params.to_vec(), self.bucket_bytes)?;
        averager.average(self.comm.as_ref(), grads, self.samples)?;
        self.traffic.add(|t| {
            t.all_reduces += averager.buckets_per_step();
            t.bytes += averager.values_per_step() * std::mem::size_of::<f32>();
            t.time += started.elapsed();
        });
        Ok(())
    }
}
