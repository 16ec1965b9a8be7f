//! A GAN on a ring of eight Gaussians — the standard test of mode collapse.
//!
//! The data: points from eight Gaussians (σ = 0.02) evenly spaced on a circle of radius 2. A
//! generator (2-D noise → two hidden layers of 128 ReLU units → a point) and a discriminator
//! (a point → two hidden layers of 128 LeakyReLU(0.2) units → a logit) train in alternation
//! with the non-saturating generator loss, Adam (1e-3, β₁ = 0.5) and batches of 256. Every 500
//! steps the example counts the modes covered (a mode is covered when at least 1% of 2,000
//! samples lie within 3σ of its centre) and the share of high-quality samples (within 3σ of
//! any centre). Writes `docs/images/gan_ring.png`.
//!
//! Run with `cargo run --release --example 08_gan_ring [STEPS]`.

use nabla::data::synthetic::{ring_centers, ring_of_gaussians};
use nabla::generative::{Gan, GanConfig, MlpGanShape, ModeCoverage, mode_coverage};
use nabla::optim::AdamConfig;
use nabla::plot::{LineChart, Series};
use nabla::tensor::Result;
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};

const SIGMA: f32 = 0.02;
const RADIUS: f32 = 2.0;

/// Trains for `steps` and returns the GAN with its coverage every `every` steps.
fn train(steps: usize, every: usize, seed: u64, log: bool) -> Result<(Gan, Vec<(usize, ModeCoverage)>)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let adam = AdamConfig { lr: 1e-3, betas: (0.5, 0.999), ..Default::default() };
    let mut gan = Gan::mlp(&MlpGanShape::new(2, 128), GanConfig { adam, ..GanConfig::new(2) }, &mut rng)?;
    let centers = ring_centers(8, RADIUS);
    let mut history = Vec::new();
    for step in 1..=steps {
        let losses = gan.train_step(|rng| Ok(ring_of_gaussians(256, 8, RADIUS, SIGMA, rng)?.x), &mut rng)?;
        if step % every == 0 {
            let coverage = mode_coverage(&gan.sample(2000, &mut StdRng::seed_from_u64(7))?, &centers, SIGMA)?;
            if log {
                println!(
                    "step {step:>5}  D loss {:.3}  G loss {:.3}  modes covered {}/8  high-quality samples {:.1}%  per mode {:?}",
                    losses.discriminator,
                    losses.generator,
                    coverage.covered,
                    coverage.high_quality * 100.0,
                    coverage.per_mode
                );
            }
            history.push((step, coverage));
        }
    }
    Ok((gan, history))
}

/// Runs on rayon's pool, as the README recommends (`nabla::tensor::on_pool`).
fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    nabla::tensor::on_pool(run)
}

fn run() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let steps = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(2500);
    let (gan, _) = train(steps, 500, 0, true)?;
    let samples = gan.sample(2000, &mut StdRng::seed_from_u64(7))?.to_vec();
    let data = ring_of_gaussians(2000, 8, RADIUS, SIGMA, &mut StdRng::seed_from_u64(8))?.x.to_vec();
    let cloud = |values: &[f32]| values.chunks(2).map(|p| (p[0] as f64, p[1] as f64)).collect();
    let chart = LineChart::new(format!("GAN on a ring of 8 Gaussians after {steps} steps"), "x", "y")
        .series(Series::scatter("data", cloud(&data)))
        .series(Series::scatter("generated", cloud(&samples)))
        .y_range(-2.6, 2.6)
        .size(620, 600);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/images/gan_ring.png");
    chart.write_png(path)?;
    println!("wrote {path}");
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Training oscillates once it has found the modes (the guide's table), so the claim is
    /// about the checkpoints from step 2,000 to 3,000 rather than one step: for two seeds,
    /// one of them covers all eight modes.
    #[test]
    fn covers_all_eight_modes_between_steps_2000_and_3000() {
        for seed in [0, 1] {
            let (_, history) = super::train(3000, 500, seed, true).unwrap();
            let late: Vec<usize> = history.iter().filter(|(step, _)| *step >= 2000).map(|(_, c)| c.covered).collect();
            assert!(late.contains(&8), "seed {seed}: modes covered at steps 2000, 2500, 3000: {late:?}");
        }
    }
}
