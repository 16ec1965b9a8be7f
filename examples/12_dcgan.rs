//! DCGAN on the bundled MNIST subset: workload W4's networks (docs/benchmarks.md) with the paper's
//! recipe — batch norm, ReLU/tanh in the generator, LeakyReLU(0.2) in the discriminator,
//! N(0, 0.02) weights, Adam(2e-4, β₁ = 0.5), batches of 64 — trained with the shared
//! `Trainer` (progress on stderr, a sample grid per epoch, `losses.csv`, `losses.png`, a
//! checkpoint) in `target/examples-out/dcgan/`.
//!
//! Afterwards a judge — W3's CNN trained on the same subset — scores 1,000 generated digits:
//! the classes covered (≥ 5% of the samples each), the mean top-class probability, and the
//! Fréchet distance of its features to the test digits'. Writes `docs/images/dcgan_samples.png`
//! and `docs/images/dcgan_losses.png`. Run with
//! `cargo run --release --example 12_dcgan [EPOCHS] [--seed N] [--resume]` (20 epochs and seed
//! 0 by default; `--resume` continues from the last checkpoint).

use std::path::{Path, PathBuf};

use nabla::data::{Mnist, TensorDataset};
use nabla::generative::{DcganConfig, Gan, Judge, Verdict};
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};
use nabla::train::{Trainer, TrainerConfig};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Trains a DCGAN for `epochs` (from `resume` when given); grids and logs go to `out`.
fn train(mnist: &Mnist, epochs: usize, seed: u64, out: Option<PathBuf>, resume: Option<&Path>) -> Result<Gan> {
    let data = mnist.train.images.mul_scalar(2.0)?.add_scalar(-1.0)?;
    let gan = Gan::dcgan(&DcganConfig::default(), &mut StdRng::seed_from_u64(seed))?;
    let config = TrainerConfig { out_dir: out, seed, progress_every: 25, ..TrainerConfig::new(epochs, 64) };
    let data = TensorDataset::unlabelled(data)?;
    let mut trainer = match resume {
        Some(path) => Trainer::resume(gan, data, config, path)?,
        None => Trainer::new(gan, data, config)?,
    }
    .on_progress(|p| eprintln!("{p}"));
    trainer.run()?;
    Ok(trainer.into_model())
}

/// 1,000 generated digits in [0, 1] (noise from `draw`), judged against the test digits.
fn verdict(gan: &Gan, judge: &Judge, mnist: &Mnist, draw: u64) -> Result<Verdict> {
    let samples = gan.sample(1000, &mut StdRng::seed_from_u64(draw))?.add_scalar(1.0)?.mul_scalar(0.5)?;
    Ok(judge.judge(&samples, &mnist.test.images)?)
}

/// Runs on rayon's pool, as the README recommends (`nabla::tensor::on_pool`).
fn main() -> Result<()> {
    nabla::tensor::on_pool(run)
}

/// The guide's five-seed table (`-- --five-seeds`): after the test's budget (1 epoch, the
/// 1-epoch judge), classes covered and the distance over the untrained generator's, seeds 0–4.
fn five_seeds() -> Result<()> {
    let mnist = Mnist::bundled()?;
    let (judge, _) = Judge::for_mnist(&mnist, 1, 42)?;
    for seed in 0..5 {
        let untrained = Gan::dcgan(&DcganConfig::default(), &mut StdRng::seed_from_u64(seed))?;
        let before = verdict(&untrained, &judge, &mnist, 7)?;
        let after = verdict(&train(&mnist, 1, seed, None, None)?, &judge, &mnist, 7)?;
        println!(
            "seed {seed}: classes {} -> {}, distance {:.3} of the untrained one's",
            before.classes_covered,
            after.classes_covered,
            after.frechet_distance / before.frechet_distance
        );
    }
    Ok(())
}

fn run() -> Result<()> {
    if std::env::args().any(|a| a == "--five-seeds") {
        return five_seeds();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seed = args.iter().position(|a| a == "--seed").and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(0);
    let epochs = args
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == 0 || args[i - 1] != "--seed")
        .find_map(|(_, a)| a.parse().ok())
        .unwrap_or(20);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = root.join(format!("target/examples-out/dcgan-seed{seed}"));
    let checkpoint = out.join("checkpoint.safetensors");
    let resume = args.iter().any(|a| a == "--resume").then_some(checkpoint.as_path());
    let mnist = Mnist::bundled()?;
    let start = std::time::Instant::now();
    let gan = train(&mnist, epochs, seed, Some(out.clone()), resume)?;
    println!("trained {epochs} epochs in {:.0} s", start.elapsed().as_secs_f64());
    let (judge, accuracy) = Judge::for_mnist(&mnist, 3, 42)?;
    println!("judge: test accuracy {:.2}%", accuracy * 100.0);
    let real = judge.judge(&mnist.test.images.narrow(0, 0, 1000)?, &mnist.test.images)?;
    println!(
        "real test digits:  {} classes, mean top probability {:.3}, Fréchet distance {:.2}",
        real.classes_covered, real.mean_top_probability, real.frechet_distance
    );
    // The class count sits near the 5% line for some digits, so show four draws of 1,000.
    for draw in 7..11 {
        let v = verdict(&gan, &judge, &mnist, draw)?;
        println!(
            "DCGAN samples (draw {draw}): {} classes, mean top probability {:.3}, Fréchet distance {:.2}, shares {:?}",
            v.classes_covered,
            v.mean_top_probability,
            v.frechet_distance,
            v.class_shares.iter().map(|s| (s * 1000.0).round() / 1000.0).collect::<Vec<_>>()
        );
    }
    let images = gan.sample(64, &mut StdRng::seed_from_u64(8))?.add_scalar(1.0)?.mul_scalar(0.5)?;
    let suffix = if seed == 0 { String::new() } else { format!("_seed{seed}") };
    let (samples, losses) =
        (format!("docs/images/dcgan_samples{suffix}.png"), format!("docs/images/dcgan_losses{suffix}.png"));
    nabla::data::image::write_png_grid(root.join(&samples), &images, 8, 2)?;
    std::fs::copy(out.join("losses.png"), root.join(&losses))?;
    println!("wrote {samples} and {losses}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_run_makes_digits_the_judge_recognises() {
        let mnist = Mnist::bundled().unwrap();
        let (judge, accuracy) = Judge::for_mnist(&mnist, 1, 42).unwrap();
        let untrained = Gan::dcgan(&DcganConfig::default(), &mut StdRng::seed_from_u64(0)).unwrap();
        let before = verdict(&untrained, &judge, &mnist, 7).unwrap();
        let gan = train(&mnist, 1, 0, None, None).unwrap();
        let after = verdict(&gan, &judge, &mnist, 7).unwrap();
        println!("judge accuracy {accuracy}; before {before:?}; after {after:?}");
        // Measured: a 95.65% judge; 1 class at distance 931 before, 5 classes at 578 after.
        // Over seeds 0–4 (docs/dcgan.md): 4–7 classes (mean 5.4, sd 1.1) and 0.52–0.62 of the
        // untrained distance (mean 0.58, sd 0.05); the bars sit two standard deviations out.
        assert!(accuracy > 0.93, "{accuracy}");
        assert!(after.frechet_distance < 0.75 * before.frechet_distance, "{before:?} {after:?}");
        assert!(after.classes_covered >= 3, "{after:?}");
    }
}
