//! A test double for a communicator: `size` ranks as threads of one process, meeting at a
//! barrier and summing through shared memory. It checks the algorithms (bucketing, weighting,
//! sharding) without MPI; it is not a transport for real use.

use std::sync::{Arc, Barrier, Mutex};

use nabla_distributed::Communicator;
use nabla_tensor::{Error, Result};

struct Shared {
    barrier: Barrier,
    slots: Mutex<Vec<Vec<f32>>>,
}

#[derive(Clone)]
pub struct ThreadRank {
    rank: usize,
    size: usize,
    shared: Arc<Shared>,
}

/// Runs `body` on `size` threads, one per rank, and returns each rank's result in rank order.
pub fn run<T: Send>(size: usize, body: impl Fn(&ThreadRank) -> T + Sync) -> Vec<T> {
    let shared = Arc::new(Shared { barrier: Barrier::new(size), slots: Mutex::new(vec![Vec::new(); size]) });
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..size)
            .map(|rank| {
                let comm = ThreadRank { rank, size, shared: shared.clone() };
                let body = &body;
                scope.spawn(move || body(&comm))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a rank panicked")).collect()
    })
}

impl ThreadRank {
    /// Posts `values`, waits for every rank, and hands all ranks' values to `read`.
    fn exchange(&self, values: &mut [f32], read: impl FnOnce(&[Vec<f32>], &mut [f32])) -> Result<()> {
        self.shared.slots.lock().unwrap()[self.rank] = values.to_vec();
        self.shared.barrier.wait();
        let result = {
            let slots = self.shared.slots.lock().unwrap();
            if slots.iter().any(|s| s.len() != values.len()) {
                Err(Error::invalid("ThreadRank", "ranks passed buffers of different lengths"))
            } else {
                read(&slots, values);
                Ok(())
            }
        };
        self.shared.barrier.wait();
        result
    }
}

impl Communicator for ThreadRank {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn all_reduce_sum(&self, values: &mut [f32]) -> Result<()> {
        self.exchange(values, |slots, values| {
            // Summed in rank order on every rank, so every rank gets the same bits.
            values.fill(0.0);
            for slot in slots {
                values.iter_mut().zip(slot).for_each(|(v, s)| *v += s);
            }
        })
    }

    fn broadcast(&self, values: &mut [f32], root: usize) -> Result<()> {
        self.exchange(values, |slots, values| values.copy_from_slice(&slots[root]))
    }

    fn barrier(&self) -> Result<()> {
        self.shared.barrier.wait();
        Ok(())
    }
}
