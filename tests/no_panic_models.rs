//! Bad input never panics, for the higher-level APIs: data generators and loaders, the GAN,
//! DCGAN, autoencoders, VAE and trainer, the judge, and style transfer — built with random
//! sizes and hyperparameters (zeros, NaN, negative values) and fed random shapes. Each call
//! must return `Ok` or a typed `Err`, never unwind. `PROPTEST_CASES` sets the cases per
//! property (256 by default).

use std::panic::{AssertUnwindSafe, catch_unwind};

use nabla::Tensor;
use nabla::data::{DataLoader, TensorDataset, normalize, sequences, synthetic};
use nabla::generative::{
    Autoencoder, DcganConfig, Gan, GanConfig, MlpGanShape, Noise, Vae, frechet_distance, mode_coverage,
};
use nabla::optim::AdamConfig;
use nabla::style::{FeatureExtractor, StyleConfig, stylize};
use nabla::tensor::Result;
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};
use nabla::train::{Trainer, TrainerConfig};
use proptest::prelude::*;

fn awkward_f32() -> impl Strategy<Value = f32> {
    prop::sample::select(vec![0.0f32, 0.02, 0.5, 1.0, 2.0, -1.0, f32::NAN, f32::INFINITY])
}

/// Mostly `usual`, sometimes one of the awkward values.
fn mostly<T: Clone + std::fmt::Debug + 'static>(usual: T, awkward: Vec<T>) -> impl Strategy<Value = T> {
    prop_oneof![5 => Just(usual), 1 => prop::sample::select(awkward)]
}

/// Mostly a size in `1..=max`, sometimes 0.
fn size(max: usize) -> impl Strategy<Value = usize> {
    prop_oneof![6 => 1..=max, 1 => Just(0)]
}

fn no_panic<T, E>(
    what: String,
    call: impl FnOnce() -> std::result::Result<T, E>,
) -> std::result::Result<(), TestCaseError> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(_) => Ok(()),
        Err(_) => Err(TestCaseError::fail(format!("{what} panicked"))),
    }
}

proptest! {
    #![proptest_config(nabla_testkit::proptest_config(256))]

    #[test]
    fn data(n in 0usize..5, length in 0usize..5, parameter in awkward_f32(), batch in 0usize..4, op in 0..7usize, seed in any::<u64>()) {
        let rng = &mut StdRng::seed_from_u64(seed);
        no_panic(format!("data {op} (n {n}, length {length}, parameter {parameter}, batch {batch})"), || -> Result<()> {
            match op {
                0 => { synthetic::blobs(n, &[(0.0, 0.0), (1.0, 1.0)], parameter, rng)?; }
                1 => { synthetic::two_moons(n, parameter, rng)?; }
                2 => { synthetic::ring_of_gaussians(n, length, parameter, parameter, rng)?; }
                3 => { sequences::adding_problem(n, length, rng)?; }
                4 => { sequences::noisy_sine(n, parameter, 0.0, parameter, rng)?; }
                5 => { DataLoader::new(n, batch).map(|mut l| l.epoch())?; }
                _ => { normalize(&Tensor::ones(&[n, length]), 0.5, parameter)?; }
            }
            Ok(())
        })?;
    }

    #[test]
    fn gans(latent in size(3), data in size(3), hidden in size(3), depth in 0usize..3, d_steps in mostly(1usize, vec![0, 2]),
            smoothing in mostly(0.0f32, vec![0.1, 1.0, -1.0, f32::NAN]), lr in mostly(1e-3f64, vec![0.0, -1.0, f64::NAN]),
            image_size in prop_oneof![3 => Just(8usize), 1 => 0usize..17], dc_depth in mostly(2usize, vec![0, 1, 3]),
            batch in prop::collection::vec(0usize..5, 0..5), fits in any::<bool>(), op in 0..3usize, seed in any::<u64>()) {
        let rng = &mut StdRng::seed_from_u64(seed);
        let adam = AdamConfig { lr, ..Default::default() };
        no_panic(format!("gan {op} (latent {latent}, data {data}, hidden {hidden}, depth {depth}, k {d_steps}, smoothing {smoothing}, lr {lr}, image {image_size}/{dc_depth}, batch {batch:?})"), || -> Result<()> {
            let config = GanConfig { d_steps, label_smoothing: smoothing, adam, ..GanConfig::new(latent) };
            let mut gan = match op {
                0 => Gan::mlp(&MlpGanShape { depth, ..MlpGanShape::new(data, hidden) }, config, rng)?,
                _ => Gan::dcgan(&DcganConfig { latent, channels: data, image_size, features: hidden, depth: dc_depth }, rng)?,
            };
            let batch = match (fits, op) {
                (false, _) => batch,
                (true, 0) => vec![batch.first().copied().unwrap_or(2).max(1), data],
                (true, _) => vec![batch.first().copied().unwrap_or(2).max(1), data, image_size, image_size],
            };
            let real = Tensor::uniform(&batch, -1.0, 1.0, rng)?;
            gan.train_step(|_| Ok(real.clone()), rng)?;
            let samples = gan.sample(batch.first().copied().unwrap_or(0), rng)?;
            let _ = mode_coverage(&samples, &[(0.0, 0.0)], smoothing);
            Ok(())
        })?;
    }

    #[test]
    fn autoencoders_vae_and_trainer(widths in prop::collection::vec(size(4), 0..4), noise in mostly(0.1f32, vec![0.0, 0.7, 1.0, -1.0, f32::NAN]),
                                    kind in 0..4usize, batch in prop::collection::vec(0usize..5, 0..4), fits in any::<bool>(),
                                    epochs in mostly(1usize, vec![0, 2]), batch_size in size(4), seed in any::<u64>()) {
        let rng = &mut StdRng::seed_from_u64(seed);
        let batch = match (fits, kind) {
            (false, _) => batch,
            (true, 1) => vec![batch.first().copied().unwrap_or(2), 1, 28, 28],
            (true, _) => vec![batch.first().copied().unwrap_or(2).max(batch_size), widths.first().copied().unwrap_or(2)],
        };
        no_panic(format!("autoencoder {kind} (widths {widths:?}, noise {noise}, batch {batch:?}, epochs {epochs}, batch size {batch_size})"), || -> nabla::Result<()> {
            let data = Tensor::uniform(&batch, 0.0, 1.0, rng)?;
            let corruption = if noise > 0.5 { Noise::Masking(noise) } else { Noise::Gaussian(noise) };
            let trainer_config = TrainerConfig { image_shape: [1, 1, 1], ..TrainerConfig::new(epochs, batch_size) };
            match kind {
                0 => { Autoencoder::new(&widths, corruption, AdamConfig::default(), rng)?.train_step(&data, rng)?; }
                1 => { Autoencoder::convolutional(widths.first().copied().unwrap_or(0), corruption, AdamConfig::default(), rng)?.train_step(&data, rng)?; }
                2 => {
                    let sizes = [widths.first().copied().unwrap_or(0), widths.get(1).copied().unwrap_or(0), widths.get(2).copied().unwrap_or(0)];
                    Vae::new(sizes[0], sizes[1], sizes[2], AdamConfig::default(), rng)?.train_step(&data, rng)?;
                }
                _ => {
                    let model = Autoencoder::new(&widths, corruption, AdamConfig::default(), rng)?;
                    Trainer::new(model, TensorDataset::unlabelled(data)?, trainer_config)?.run()?;
                }
            }
            Ok(())
        })?;
    }

    #[test]
    fn frechet_and_style(a in prop::collection::vec(0usize..6, 0..4), b in prop::collection::vec(0usize..6, 0..4), fits in any::<bool>(),
                         size in prop::sample::select(vec![None, Some(0usize), Some(1), Some(9)]), steps in mostly(1usize, vec![0, 2]),
                         weight in mostly(1.0f32, vec![0.0, -1.0, f32::NAN, f32::INFINITY]), op in 0..2usize, seed in any::<u64>()) {
        let rng = &mut StdRng::seed_from_u64(seed);
        let (a, b) = match (fits, op) {
            (false, _) => (a, b),
            (true, 0) => (vec![a.first().copied().unwrap_or(3), 4], vec![b.first().copied().unwrap_or(3), 4]),
            (true, _) => (vec![3, a.first().copied().unwrap_or(3).max(4), 5], vec![3, 4, b.first().copied().unwrap_or(3).max(4)]),
        };
        no_panic(format!("frechet/style {op} ({a:?}, {b:?}, size {size:?}, steps {steps}, weight {weight})"), || -> Result<()> {
            let (x, y) = (Tensor::uniform(&a, 0.0, 1.0, rng)?, Tensor::uniform(&b, 0.0, 1.0, rng)?);
            match op {
                0 => { frechet_distance(&x, &y)?; }
                _ => {
                    let config = StyleConfig { size, steps, style_weight: weight, ..StyleConfig::default() };
                    stylize(&FeatureExtractor::random(0)?, &x, &[(y, weight)], &config, &mut |_| {})?;
                }
            }
            Ok(())
        })?;
    }
}
