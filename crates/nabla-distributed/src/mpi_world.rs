//! The MPI backend: the world `mpirun` started, through rsmpi.

use mpi::collective::SystemOperation;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator as _, CommunicatorCollectives, Root};
use nabla_tensor::{Error, Result};

use crate::Communicator;

/// The ranks of an MPI job (`MPI_COMM_WORLD`). MPI is initialised when this is made and
/// finalised when it is dropped; an MPI error aborts the whole job (MPI's default handler), so
/// a failing rank cannot leave the others waiting.
pub struct MpiWorld {
    world: SimpleCommunicator,
    // Dropped last: finalises MPI.
    _universe: Universe,
}

impl MpiWorld {
    /// Initialises MPI and joins its world.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when MPI was already initialised in this process.
    pub fn init() -> Result<Self> {
        let universe =
            mpi::initialize().ok_or_else(|| Error::invalid("MpiWorld::init", "MPI is already initialised"))?;
        Ok(MpiWorld { world: universe.world(), _universe: universe })
    }

    /// Ends the whole job with `code`: MPI kills every rank (`MPI_Abort`). A rank that fails
    /// should call this after reporting its error; merely exiting can leave the others waiting
    /// in a collective (with Open MPI 4.1, a rank that exits without finalising is not always
    /// noticed while the others poll).
    pub fn abort(&self, code: i32) -> ! {
        self.world.abort(code)
    }

    /// Whether this process was started by an MPI launcher (`mpirun`, `mpiexec`, `srun`), read
    /// from the variables Open MPI, MPICH and PMIx set.
    pub fn launched() -> bool {
        crate::launched_ranks().is_some() || std::env::var_os("PMIX_RANK").is_some()
    }
}

impl Communicator for MpiWorld {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn all_reduce_sum(&self, values: &mut [f32]) -> Result<()> {
        let send = values.to_vec();
        self.world.all_reduce_into(&send[..], values, SystemOperation::sum());
        Ok(())
    }

    fn broadcast(&self, values: &mut [f32], root: usize) -> Result<()> {
        if root >= self.size() {
            return Err(Error::invalid(
                "MpiWorld::broadcast",
                format!("root {root} is not one of {} ranks", self.size()),
            ));
        }
        self.world.process_at_rank(root as i32).broadcast_into(values);
        Ok(())
    }

    fn barrier(&self) -> Result<()> {
        self.world.barrier();
        Ok(())
    }
}
