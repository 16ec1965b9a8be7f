//! Where a training loop should run: on one of rayon's threads, with the others kept awake.
//!
//! nabla's kernels split their work on rayon's global pool. Called from a thread outside the
//! pool (a program's main thread), every parallel op hands its work to the pool and sleeps
//! until it is done, and a sleeping pool thread must be woken for each: two wake-ups per op.
//! Called from a pool thread, the op runs its share itself and the idle threads take the rest
//! by work stealing. But an idle pool thread soon goes to sleep, and a training step's serial
//! stretches (the optimizer's update, small products) are long enough for that, so the next
//! parallel op wakes it again through the kernel. [`on_pool`] therefore keeps the other
//! threads polling for work while the loop runs, as the threads of PyTorch's OpenMP team spin
//! between parallel regions.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Idle polls after which a polling thread also yields its core to the OS between polls, so
/// that other processes are not starved while a training loop runs serial code.
const POLLS_BEFORE_YIELDING: u32 = 1 << 10;

/// How long a poller may go without finding work before it hands its thread back to rayon
/// (queuing a fresh poller in its place). A poller blocks the thread it runs on; when a thread
/// that was waiting inside another job picked it up, this bounds how long that job is held.
const IDLE_LIMIT: Duration = Duration::from_millis(1);

/// Whether some [`on_pool`] call's pollers are running; a second call at the same time (or
/// nested) starts none of its own.
static POLLING: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Whether this thread is running a poller (one picked up inside another returns at once).
    static IN_POLLER: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` (a training loop, or a whole program) with rayon's pool ready for it, and returns
/// what it returns: any closure, whatever its result, `Result<(), Box<dyn Error>>` included.
/// `nabla` and the examples run their work this way.
///
/// - Called from the program's main thread before anything else used rayon, it makes that
///   thread one of the global pool's threads (rayon's `use_current_thread`), for good: its
///   ops then run their share of each parallel loop themselves and the other threads take the
///   rest by work stealing, instead of being woken from outside for each op. With 2 threads
///   the autoencoder step (W8) took 3.6–3.9 ms from outside the pool and 3.0–3.1 ms inside.
///   Joining the pool this way measured the same as running `f` on a spawned pool thread, as
///   this function did before it took closures that are not `Send` (12 interleaved pairs of
///   `nabla bench --threads 2`: medians W5 18.8 ms and W8 3.39 ms either way, AVX-512).
/// - While `f` runs, the pool's other threads poll for work instead of sleeping, so each
///   parallel op finds them awake; once idle they yield their cores to the OS between polls,
///   but they stay busy until `f` returns, as OpenMP's threads do (W8: 2.50 ms against 2.76).
///
/// Called from a pool thread (inside `ThreadPool::install`), `f` runs there with the same
/// polling. Called from another thread, or after the global pool was built elsewhere, `f` runs
/// where it is called, with the polling but without the work stealing: set the thread count
/// with [`set_thread_count`], not rayon's `build_global`, to keep it.
///
/// ```
/// use nabla_tensor::Tensor;
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     nabla_tensor::on_pool(|| {
///         let total = Tensor::ones(&[1000]).sum_all()?.item()?;
///         assert_eq!(total, 1000.0);
///         Ok(())
///     })
/// }
/// ```
pub fn on_pool<R>(f: impl FnOnce() -> R) -> R {
    // When the global pool was built already, `f` runs where it is called.
    let _ = join_global_pool(None);
    if POLLING.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_err() {
        return f();
    }
    let done = Arc::new(AtomicBool::new(false));
    // Set when `f` returns or unwinds: the pollers end with it.
    let _stop = Stop(done.clone());
    let owner = rayon::current_thread_index();
    for _ in 1..rayon::current_num_threads() {
        let done = done.clone();
        rayon::spawn(move || poll_until(done, owner));
    }
    f()
}

/// Builds rayon's global pool with `threads` threads, the calling thread among them when it is
/// the program's main thread (as [`on_pool`] does with the default count, one per core or
/// `RAYON_NUM_THREADS`). Call it first, before any tensor op.
///
/// # Errors
/// [`Error::InvalidArgument`] for 0 threads, or when the global pool was already built (by an
/// earlier op, call or `on_pool`).
pub fn set_thread_count(threads: usize) -> Result<()> {
    if threads == 0 {
        return Err(Error::invalid("set_thread_count", "needs at least one thread"));
    }
    join_global_pool(Some(threads)).map_err(|e| Error::invalid("set_thread_count", format!("{threads} threads: {e}")))
}

/// Builds the global pool with the calling thread in it, once, when that thread is the
/// program's main thread (which lives as long as the pool) and is in no pool yet.
fn join_global_pool(threads: Option<usize>) -> std::result::Result<(), rayon::ThreadPoolBuildError> {
    let main = std::thread::current().name() == Some("main");
    let builder = rayon::ThreadPoolBuilder::new().num_threads(threads.unwrap_or(0));
    if !main || rayon::current_thread_index().is_some() {
        return match threads {
            Some(_) => builder.build_global(),
            None => Ok(()),
        };
    }
    builder.use_current_thread().build_global()
}

/// Ends an [`on_pool`] call's polling when dropped.
struct Stop(Arc<AtomicBool>);

impl Drop for Stop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
        POLLING.store(false, Ordering::Release);
    }
}

/// Runs the pool's pending jobs until `done` is set, spinning while there are none. Returns
/// at once on `owner` (the thread running the loop, which picks a poller up while it waits
/// inside the loop) or inside another poller; after [`IDLE_LIMIT`] without work it queues a
/// fresh poller and returns, so that the thread gets back to any job it was waiting in.
fn poll_until(done: Arc<AtomicBool>, owner: Option<usize>) {
    if rayon::current_thread_index() == owner || IN_POLLER.with(|p| p.replace(true)) {
        return;
    }
    let (mut idle_polls, mut idle_since) = (0u32, Instant::now());
    while !done.load(Ordering::Acquire) {
        if rayon::yield_now() == Some(rayon::Yield::Executed) {
            (idle_polls, idle_since) = (0, Instant::now());
        } else if idle_polls < POLLS_BEFORE_YIELDING {
            idle_polls += 1;
            std::hint::spin_loop();
        } else if idle_since.elapsed() < IDLE_LIMIT {
            std::thread::yield_now();
        } else {
            let done = done.clone();
            rayon::spawn(move || poll_until(done, owner));
            break;
        }
    }
    IN_POLLER.with(|p| p.set(false));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The only unit test here that calls `on_pool`, so no other call holds the flag meanwhile.
    #[test]
    fn the_polling_ends_with_the_loop_even_when_it_panics() {
        assert!(on_pool(|| POLLING.load(Ordering::Acquire)), "the loop has its pollers");
        assert!(!POLLING.load(Ordering::Acquire));
        assert!(std::panic::catch_unwind(|| on_pool(|| panic!("inside on_pool"))).is_err());
        assert!(!POLLING.load(Ordering::Acquire), "a panic left the pollers running");
    }
}
