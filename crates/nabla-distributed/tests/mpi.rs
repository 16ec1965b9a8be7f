//! The MPI backend under a real `mpirun -np 2`: collectives, the W3 CNN trained on 2 ranks
//! against 1 process, the trainer's rank-0 checkpoint resumed on 2 ranks bit for bit and
//! refused on another rank count, and a failing rank ending the job.
//!
//! `cargo test -p nabla-distributed --features mpi` runs this file's `main` outside MPI; it
//! then launches itself under `mpirun --oversubscribe -np 2` (twice: once for the checks, once
//! with a rank that fails) and reports what the ranks reported. Needs `mpirun` on the PATH
//! (Debian: openmpi-bin); root is allowed, as CI runs as root.

#[path = "support/model.rs"]
mod model;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use nabla_conv::MnistCnn;
use nabla_data::Mnist;
use nabla_distributed::*;
use nabla_losses::{CrossEntropyOptions, cross_entropy};
use nabla_nn::Module;
use nabla_optim::{Optimizer, SgdConfig};
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Gradients, Result, Tensor};
use nabla_train::{Trainer, TrainerConfig};

/// Set in the job that checks a failing rank.
const FAIL: &str = "NABLA_MPI_TEST_FAIL";
/// The folder, shared by the ranks, where the trainer's checkpoints go.
const DIR: &str = "NABLA_MPI_TEST_DIR";

fn main() -> ExitCode {
    if MpiWorld::launched() {
        let world = match MpiWorld::init() {
            Ok(world) => Rc::new(world),
            Err(e) => {
                eprintln!("rank failed: {e}");
                return ExitCode::FAILURE;
            }
        };
        return match rank_main(&world) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("rank {} failed: {e}", world.rank());
                world.abort(1)
            }
        };
    }
    match launch() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mpi test: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs this binary under `mpirun -np 2`, with `fail` set or not; returns the exit status,
/// the output and the seconds it took, killing a job that runs past `limit`.
fn job(fail: bool, limit: Duration) -> std::result::Result<(bool, String, f64), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut command = Command::new("mpirun");
    command
        .args(["--oversubscribe", "-np", "2"])
        .arg(exe)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env(DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if fail {
        command.env(FAIL, "1");
    }
    let start = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("cannot run mpirun ({e}); install Open MPI (openmpi-bin)"))?;
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            return Err(format!("the job ran past {limit:?}: a rank is hanging"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    Ok((output.status.success(), text, start.elapsed().as_secs_f64()))
}

fn launch() -> std::result::Result<(), String> {
    let (ok, output, seconds) = job(false, Duration::from_secs(300))?;
    print!("{output}");
    if !ok {
        return Err("the 2-rank job failed".into());
    }
    println!("mpi test: the 2-rank checks passed in {seconds:.1} s");
    let (ok, output, seconds) = job(true, Duration::from_secs(60))?;
    if ok || !output.contains("rank 1 failed: test: rank 1 stops here") {
        return Err(format!("a failing rank should fail the job with its error; got success {ok}:\n{output}"));
    }
    println!("mpi test: a failing rank ended the job in {seconds:.1} s with its error");
    Ok(())
}

fn rank_main(world: &Rc<MpiWorld>) -> Result<()> {
    // Two ranks share two cores.
    nabla_tensor::set_thread_count(1)?;
    if std::env::var_os(FAIL).is_some() {
        if world.rank() == 1 {
            return Err(nabla_tensor::Error::invalid("test", "rank 1 stops here"));
        }
        // Rank 0 waits in a collective that rank 1 never joins: only the launcher ending the
        // job can stop it.
        world.all_reduce_sum(&mut [1.0])?;
        return Ok(());
    }
    collectives(world)?;
    cnn_equivalence(world)?;
    let dir = PathBuf::from(std::env::var_os(DIR).ok_or_else(|| nabla_tensor::Error::invalid("test", "no folder"))?);
    trainer_resume(world, &dir)?;
    if world.rank() == 0 {
        println!("rank 0: collectives, the CNN equivalence and the trainer's resume hold on {} ranks", world.size());
    }
    Ok(())
}

fn check(condition: bool, what: String) -> Result<()> {
    if condition { Ok(()) } else { Err(nabla_tensor::Error::invalid("check", what)) }
}

/// Sums over odd sizes, an empty tensor and buckets that split a tensor; broadcast.
fn collectives(world: &MpiWorld) -> Result<()> {
    let shapes: [&[usize]; 4] = [&[3, 5], &[0], &[7], &[1]];
    let params: Vec<Tensor> = shapes.iter().map(|s| Tensor::zeros(s).requires_grad(true)).collect();
    let value = |rank: usize, p: usize, i: usize| (rank * 100 + p * 10 + i) as f32 * 0.37 - 3.0;
    let mut grads = Gradients::default();
    for (p, param) in params.iter().enumerate() {
        let values = (0..param.numel()).map(|i| value(world.rank(), p, i)).collect();
        grads.insert(param, Tensor::from_vec(values, param.shape())?)?;
    }
    let samples = [3usize, 5];
    let averager = GradientAverager::new(params.clone(), 12)?;
    let total = averager.average(world, &mut grads, samples[world.rank()])?;
    check(total == 8, format!("{total} samples in all"))?;
    for (p, param) in params.iter().enumerate() {
        let got = grads.get(param).map(Tensor::to_vec).unwrap_or_default();
        for (i, g) in got.iter().enumerate() {
            let want = (3.0 * value(0, p, i) + 5.0 * value(1, p, i)) / 8.0;
            check((g - want).abs() <= 1e-5 * want.abs().max(1.0), format!("parameter {p}[{i}]: {g} vs {want}"))?;
        }
    }
    let tensors: Vec<Tensor> = shapes.iter().map(|s| Tensor::full(s, world.rank() as f32 + 1.0)).collect();
    broadcast_parameters(world, &tensors)?;
    check(tensors.iter().all(|t| t.to_vec().iter().all(|&v| v == 1.0)), "broadcast from rank 0".into())
}

/// W3's CNN (without dropout) for `steps` of SGD with momentum: on `world` with batches of
/// `per_rank`, starting from rank 0's weights (`seed` 0 there, other seeds elsewhere, then
/// broadcast). SGD rather than W3's Adam: Adam divides each update by the gradient's running
/// size, so for a weight whose gradient is near zero, rounding-level differences in the
/// gradient (a mean over 64 against two means over 32) become differences of the order of the
/// learning rate; measured with Adam, 3e-3 relative after 20 steps. SGD keeps them at the
/// rounding level.
fn train_cnn(world: &dyn Communicator, mnist: &Mnist, per_rank: usize, steps: usize) -> Result<Vec<Vec<f32>>> {
    let model = MnistCnn::new(0.0, &mut StdRng::seed_from_u64(world.rank() as u64))?;
    broadcast_parameters(world, &model.parameters())?;
    let mut sgd = Optimizer::sgd(model.parameters(), SgdConfig { lr: 0.05, momentum: 0.9, ..Default::default() })?;
    let averager = GradientAverager::new(model.parameters(), DEFAULT_BUCKET_BYTES)?;
    let sampler = DistributedSampler::new(mnist.train.len(), per_rank, 11, world.rank(), world.size())?;
    let mut averaging = Duration::ZERO;
    for batch in sampler.batches().iter().take(steps) {
        let (images, labels) = mnist.train.batch(batch)?;
        let loss = cross_entropy(&model.forward(&images)?, &labels, &CrossEntropyOptions::default())?;
        let mut grads = loss.backward()?;
        let start = Instant::now();
        averager.average(world, &mut grads, batch.len())?;
        averaging += start.elapsed();
        sgd.step(&grads)?;
    }
    if world.rank() == 0 && world.size() > 1 {
        println!(
            "rank 0: gradient averaging {:.2} ms a step for {} bytes in {} all-reduce(s)",
            averaging.as_secs_f64() * 1e3 / steps as f64,
            averager.values_per_step() * 4,
            averager.buckets_per_step()
        );
    }
    Ok(model.parameters().iter().map(Tensor::to_vec).collect())
}

/// 2 ranks × 32 against 1 process × 64 on the same samples, 20 steps: the same parameters
/// within 1e-5 relative.
fn cnn_equivalence(world: &MpiWorld) -> Result<()> {
    let mnist = Mnist::bundled().map_err(|e| nabla_tensor::Error::invalid("Mnist::bundled", e.to_string()))?;
    let distributed = train_cnn(world, &mnist, 32, 20)?;
    let alone = train_cnn(&SingleProcess, &mnist, 64, 20)?;
    let (mut worst, mut moved) = (0.0f32, 0.0f32);
    let start = MnistCnn::new(0.0, &mut StdRng::seed_from_u64(0))?.parameters();
    for ((a, b), s) in
        distributed.iter().flatten().zip(alone.iter().flatten()).zip(start.iter().flat_map(Tensor::to_vec))
    {
        // Relative to the value, with a floor of 1e-2 (the weights are of order 0.01–0.1).
        worst = worst.max((a - b).abs() / b.abs().max(1e-2));
        moved = moved.max((b - s).abs());
    }
    if world.rank() == 0 {
        println!(
            "rank 0: W3 CNN, 20 SGD steps, 2 × 32 against 1 × 64: largest relative difference {worst:.2e} \
             (the weights moved by up to {moved:.2e})"
        );
    }
    check(moved > 1e-3, format!("training moved the weights by only {moved:e}"))?;
    check(worst <= 1e-5, format!("the CNN's parameters differ by {worst:e} relative"))
}

/// The trainer (through [`DataParallel`]) on the small classifier with dropout and input
/// noise, for 12 steps, on the job's ranks: `stop_at` steps, a checkpoint, and the rest
/// resumed from it when given, else uninterrupted. Returns this rank's parameters and losses.
fn train_tiny(world: &Rc<MpiWorld>, checkpoint: Option<(&Path, usize)>) -> Result<Vec<Vec<f32>>> {
    let config = TrainerConfig { image_shape: [1, 2, 3], grid: 4, seed: 7, ..TrainerConfig::new(2, 16) };
    let sync = || Rc::new(DataParallel::new(world.clone()));
    let fail = |e: nabla_train::TrainError| nabla_tensor::Error::invalid("Trainer", e.to_string());
    let model = model::Tiny::new(world.rank() as u64, 0.3, 0.05)?;
    let mut trainer = Trainer::synchronized(model, model::data(), config.clone(), None, sync()).map_err(fail)?;
    if let Some((path, stop_at)) = checkpoint {
        trainer.run_for(stop_at).map_err(fail)?;
        trainer.save_checkpoint(path).map_err(fail)?;
        let model = model::Tiny::new(99, 0.3, 0.05)?;
        trainer = Trainer::synchronized(model, model::data(), config, Some(path), sync()).map_err(fail)?;
    }
    trainer.run().map_err(fail)?;
    let mut run = trainer.model().parameters();
    run.extend(trainer.history().iter().cloned());
    Ok(run)
}

/// A rank-0 checkpoint resumed on 2 ranks equals the uninterrupted 2-rank run bit for bit; a
/// checkpoint of one process is refused by a 2-rank run, naming both counts.
fn trainer_resume(world: &Rc<MpiWorld>, dir: &Path) -> Result<()> {
    let path = dir.join("checkpoint.safetensors");
    let uninterrupted = train_tiny(world, None)?;
    let resumed = train_tiny(world, Some((&path, 5)))?;
    check(
        resumed == uninterrupted,
        format!("rank {}: the resumed run differs from the uninterrupted one", world.rank()),
    )?;

    let one_process = dir.join("one-process.safetensors");
    if world.rank() == 0 {
        let config = TrainerConfig { image_shape: [1, 2, 3], grid: 4, ..TrainerConfig::new(1, 16) };
        let trainer = Trainer::new(model::Tiny::new(0, 0.0, 0.0)?, model::data(), config)
            .map_err(|e| nabla_tensor::Error::invalid("Trainer", e.to_string()))?;
        trainer.save_checkpoint(&one_process).map_err(|e| nabla_tensor::Error::invalid("save", e.to_string()))?;
    }
    world.barrier()?;
    let config = TrainerConfig { image_shape: [1, 2, 3], grid: 4, ..TrainerConfig::new(1, 16) };
    let sync = Rc::new(DataParallel::new(world.clone()));
    let refused =
        Trainer::synchronized(model::Tiny::new(0, 0.0, 0.0)?, model::data(), config, Some(&one_process), sync);
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    check(
        message.contains("saved by a run on 1 rank(s) and this run has 2"),
        format!("a 1-process checkpoint on 2 ranks: {message:?}"),
    )?;
    if world.rank() == 0 {
        println!("rank 0: the trainer's checkpoint resumed on 2 ranks bit for bit; on the wrong rank count: {message}");
    }
    Ok(())
}
