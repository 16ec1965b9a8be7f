//! `on_pool`: results through its polling threads, a panic that reaches the caller and leaves
//! the next call working, and no deadlock when calls nest or run at the same time on pools of
//! several sizes. (That a panic also ends the polling is a unit test in `parallel.rs`.)

use std::sync::mpsc;
use std::time::Duration;

use nabla_tensor::{Tensor, on_pool};

/// A sum split recursively by `rayon::join`, with an `on_pool` call nested at every level:
/// jobs that wait on jobs, as the kernels' nested parallel loops do. A few leaves sleep for
/// 2 ms, longer than a poller waits idle before it hands its thread back.
fn nested_sum(values: &[u64]) -> u64 {
    if values.len() <= 64 {
        if values[0].is_multiple_of(8192) {
            std::thread::sleep(Duration::from_millis(2));
        }
        return values.iter().sum();
    }
    let (left, right) = values.split_at(values.len() / 2);
    let (a, b) = rayon::join(|| on_pool(|| nested_sum(left)), || nested_sum(right));
    a + b
}

#[test]
fn results_come_back_through_the_polling_threads() {
    let values: Vec<u64> = (0..100_000).collect();
    assert_eq!(on_pool(|| nested_sum(&values)), values.iter().sum::<u64>());
    let x = Tensor::from_vec((0..1 << 18).map(|i| (i % 7) as f32).collect(), &[1 << 18]).unwrap();
    let total = on_pool(|| x.mul_scalar(2.0).unwrap().sum_all().unwrap().item().unwrap());
    assert_eq!(total, 2.0 * x.to_vec().iter().map(|&v| f64::from(v)).sum::<f64>() as f32);
}

#[test]
fn a_panic_inside_reaches_the_caller_and_the_next_call_runs() {
    let caught = std::panic::catch_unwind(|| on_pool(|| panic!("inside on_pool")));
    assert!(caught.is_err());
    assert_eq!(on_pool(|| 41 + 1), 42);
}

#[test]
fn nested_and_simultaneous_calls_finish_on_pools_of_one_to_five_threads() {
    for threads in 1..=5 {
        let pool = std::sync::Arc::new(rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap());
        let (sender, finished) = mpsc::channel();
        for caller in 0..3u64 {
            let (pool, sender) = (pool.clone(), sender.clone());
            std::thread::spawn(move || {
                let values: Vec<u64> = (0..20_000 + caller).collect();
                for _ in 0..20 {
                    let sum = pool.install(|| on_pool(|| nested_sum(&values)));
                    assert_eq!(sum, values.iter().sum::<u64>());
                }
                sender.send(caller).unwrap();
            });
        }
        for _ in 0..3 {
            // A deadlock shows as a timeout (a panic in a caller, as a closed channel).
            finished.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|e| panic!("{threads} threads: {e}"));
        }
    }
}
