//! Where a training loop should run: on one of rayon's threads.
//!
//! nabla's kernels split their work on rayon's global pool. Called from a thread outside the
//! pool (a program's main thread), every parallel op hands its work to the pool and sleeps
//! until it is done, and a sleeping pool thread must be woken for each: two wake-ups per op.
//! Called from a pool thread, the op runs its share itself and the idle threads take the rest
//! by work stealing. PyTorch's main thread is likewise the first thread of its OpenMP team.

/// Runs `f` on one of rayon's threads and returns its result: wrap a training loop (or a whole
/// program) in it. `nabla` runs every command this way; the autoencoder step (W8) took
/// 3.6–3.9 ms a step from the main thread and 3.0–3.1 ms on the pool, with 2 threads.
///
/// ```
/// use nabla_tensor::Tensor;
/// let total = nabla_tensor::on_pool(|| Tensor::ones(&[1000]).sum_all().and_then(|s| s.item()));
/// assert_eq!(total.unwrap(), 1000.0);
/// ```
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}
