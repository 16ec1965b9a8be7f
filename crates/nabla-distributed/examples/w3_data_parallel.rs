//! W3 (docs/benchmarks.md: the small CNN's training step, global batch 64, Adam) timed on one
//! process or on every rank of an MPI job, each rank stepping on its share of the batch with
//! the gradients averaged through [`DataParallel`], as the trainer does. Rank 0 prints one JSON
//! line: steps per second of the whole job, and the time and bytes of the averaging.
//!
//! ```text
//! cargo build --release -p nabla-distributed --features mpi --example w3_data_parallel
//! target/release/examples/w3_data_parallel --threads 2            # 1 process × 2 threads
//! mpirun -np 2 target/release/examples/w3_data_parallel --threads 1   # 2 ranks × 1 thread
//! ```
//!
//! `benches/pytorch/distributed.py` runs both beside PyTorch DDP and tabulates the medians.

use std::rc::Rc;
use std::time::{Duration, Instant};

use nabla_conv::MnistCnn;
use nabla_distributed::{Communicator, DataParallel, MpiWorld, SingleProcess, broadcast_parameters};
use nabla_losses::{CrossEntropyOptions, cross_entropy};
use nabla_nn::Module;
use nabla_optim::{AdamConfig, Optimizer, with_gradient_reducer};
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Result, Tensor};
use nabla_train::Synchronizer;

/// The global batch of W3.
const GLOBAL_BATCH: usize = 64;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str, default: f64| -> f64 {
        args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(default)
    };
    let (threads, seconds) = (option("--threads", 1.0) as usize, option("--seconds", 8.0));
    nabla_tensor::set_thread_count(threads)?;
    nabla_tensor::set_flush_denormal(true);
    let world: Rc<dyn Communicator> =
        if MpiWorld::launched() { Rc::new(MpiWorld::init()?) } else { Rc::new(SingleProcess) };
    nabla_tensor::on_pool(|| run(world, threads, seconds))
}

fn run(world: Rc<dyn Communicator>, threads: usize, seconds: f64) -> Result<()> {
    let rng = &mut StdRng::seed_from_u64(3 + world.rank() as u64);
    let network = MnistCnn::new(0.0, rng)?;
    broadcast_parameters(world.as_ref(), &network.parameters())?;
    let mut adam = Optimizer::adam(network.parameters(), AdamConfig::default())?;
    let per_rank = GLOBAL_BATCH / world.size();
    let input = Tensor::uniform(&[per_rank, 1, 28, 28], 0.0, 1.0, rng)?;
    let labels: Vec<usize> = (0..per_rank).map(|i| (i + world.rank() * per_rank) % 10).collect();
    let sync = DataParallel::new(world.clone());
    let mut step = || -> Result<()> {
        let loss = cross_entropy(&network.forward(&input)?, &labels, &CrossEntropyOptions::default())?;
        let grads = loss.backward()?;
        if world.size() > 1 {
            with_gradient_reducer(sync.gradient_reducer(per_rank), || adam.step(&grads))
        } else {
            adam.step(&grads)
        }
    };
    for _ in 0..5 {
        step()?;
    }
    let warm = sync.traffic();
    world.barrier()?;
    let started = Instant::now();
    let mut steps = 0usize;
    // Every rank takes the same number of steps: rank 0 decides when to stop.
    loop {
        step()?;
        steps += 1;
        let mut stop = [f32::from(u8::from(started.elapsed().as_secs_f64() >= seconds))];
        world.broadcast(&mut stop, 0)?;
        if stop[0] > 0.0 {
            break;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let traffic = sync.traffic();
    let averaging: Duration = traffic.time - warm.time;
    let bytes = (traffic.bytes - warm.bytes) / steps.max(1);
    if world.is_root() {
        println!(
            "{{\"side\": \"nabla\", \"ranks\": {}, \"threads\": {threads}, \"steps\": {steps}, \"steps_per_s\": {:.3}, \
             \"averaging_ms_per_step\": {:.3}, \"bytes_per_step\": {bytes}}}",
            world.size(),
            steps as f64 / elapsed,
            averaging.as_secs_f64() * 1e3 / steps as f64,
        );
    }
    Ok(())
}
