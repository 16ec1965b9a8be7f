//! `nabla train --distributed`: joining the MPI job `mpirun` started, sizing each rank's
//! threads, and ending the whole job when one rank fails. MPI comes with the `mpi` feature;
//! a `nabla` built without it refuses `--distributed` and refuses to run as one of several
//! ranks, rather than training alone N times over.

use std::rc::Rc;

use nabla_train::Synchronizer;

use crate::error::CliError;

/// The MPI job this process is a rank of.
#[cfg(feature = "mpi")]
pub type World = nabla_distributed::MpiWorld;

/// Without MPI there is no job to be a rank of.
#[cfg(not(feature = "mpi"))]
pub type World = std::convert::Infallible;

/// Joins the MPI job when `requested` or when an MPI launcher started this process; `None` for
/// a run on one process.
///
/// # Errors
/// [`CliError::Usage`] for `--distributed`, or a launch as one of several ranks, in a `nabla`
/// built without MPI; MPI failing to start.
pub fn join(requested: bool) -> Result<Option<World>, CliError> {
    #[cfg(feature = "mpi")]
    {
        if !requested && !World::launched() {
            return Ok(None);
        }
        Ok(Some(World::init()?))
    }
    #[cfg(not(feature = "mpi"))]
    {
        let rebuild = "this nabla was built without MPI; build it with `cargo install nabla-cli --features mpi` \
                       (needs Open MPI and libclang: Debian's openmpi-bin, libopenmpi-dev, libclang-dev)";
        match nabla_distributed::launched_ranks() {
            _ if requested => Err(CliError::Usage(format!("--distributed: {rebuild}"))),
            Some(ranks) if ranks > 1 => {
                Err(CliError::Usage(format!("started by an MPI launcher as one of {ranks} ranks, but {rebuild}")))
            }
            _ => Ok(None),
        }
    }
}

/// Threads for each rank: the machine's cores shared among the ranks on it (from the
/// launcher's local rank count), at least 1.
pub fn threads_per_rank() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let local = ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"]
        .iter()
        .find_map(|v| std::env::var(v).ok()?.parse::<usize>().ok())
        .unwrap_or(1);
    (cores / local.max(1)).max(1)
}

/// Runs `train` as one rank of `world`'s job; returns rank 0's summary, with what averaging
/// the gradients cost, and `None` on the other ranks. A rank that fails prints its error and
/// ends the whole job (MPI's abort), so the others do not wait for it.
///
/// # Errors
/// `train`'s error, on a job of one rank.
pub fn run_as_rank(
    world: World,
    train: impl FnOnce(Rc<dyn Synchronizer>) -> Result<String, CliError>,
) -> Result<Option<String>, CliError> {
    #[cfg(not(feature = "mpi"))]
    {
        let _ = train;
        match world {}
    }
    #[cfg(feature = "mpi")]
    {
        use nabla_distributed::{Communicator, DataParallel};
        let world = Rc::new(world);
        let sync = Rc::new(DataParallel::new(world.clone()));
        match train(sync.clone()) {
            Ok(summary) if world.is_root() => Ok(Some(format!("{summary}; {}", traffic(&sync)))),
            Ok(_) => Ok(None),
            Err(error) if world.size() > 1 => {
                eprintln!("error: rank {} of {}: {error}", world.rank(), world.size());
                world.abort(error.exit_code())
            }
            Err(error) => Err(error),
        }
    }
}

/// What averaging the gradients cost on this rank, per step.
#[cfg(feature = "mpi")]
fn traffic(sync: &nabla_distributed::DataParallel) -> String {
    let t = sync.traffic();
    let steps = t.steps.max(1) as f64;
    format!(
        "{} ranks; gradients averaged in {:.1} all-reduce(s) of {:.2} MB a step, {:.2} ms a step",
        sync.ranks(),
        t.all_reduces as f64 / steps,
        t.bytes as f64 / steps / 1e6,
        t.time.as_secs_f64() * 1e3 / steps
    )
}
