//! The collectives data-parallel training needs, and the world of one process.

use nabla_tensor::Result;

/// A group of ranks that can sum and share f32 buffers. Every rank must make the same calls in
/// the same order with buffers of the same lengths, as with MPI's collectives.
pub trait Communicator {
    /// This process's rank, from 0.
    fn rank(&self) -> usize;

    /// The number of ranks.
    fn size(&self) -> usize;

    /// Replaces `values` on every rank by their element-wise sum over the ranks.
    ///
    /// # Errors
    /// What the transport reports (a lost rank, mismatched lengths where it can tell).
    fn all_reduce_sum(&self, values: &mut [f32]) -> Result<()>;

    /// Replaces `values` on every rank by `root`'s.
    ///
    /// # Errors
    /// As [`Communicator::all_reduce_sum`].
    fn broadcast(&self, values: &mut [f32], root: usize) -> Result<()>;

    /// Returns once every rank has called it.
    ///
    /// # Errors
    /// As [`Communicator::all_reduce_sum`].
    fn barrier(&self) -> Result<()>;

    /// Whether this rank writes checkpoints, logs and progress (rank 0).
    fn is_root(&self) -> bool {
        self.rank() == 0
    }
}

/// The world of one process: rank 0 of 1, where every collective leaves the values as they are.
/// A program written for N ranks runs unchanged on one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SingleProcess;

impl Communicator for SingleProcess {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn all_reduce_sum(&self, _values: &mut [f32]) -> Result<()> {
        Ok(())
    }

    fn broadcast(&self, _values: &mut [f32], _root: usize) -> Result<()> {
        Ok(())
    }

    fn barrier(&self) -> Result<()> {
        Ok(())
    }
}

/// The number of ranks an MPI launcher (`mpirun`, `mpiexec`, `srun` with PMI) started, read
/// from the variables Open MPI and MPICH set; `None` for a process no launcher started. It
/// needs no MPI library, so a program built without the `mpi` feature can tell that it was
/// launched as one of several ranks and refuse to train alone N times over.
pub fn launched_ranks() -> Option<usize> {
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"].iter().find_map(|v| std::env::var(v).ok()?.parse().ok())
}
