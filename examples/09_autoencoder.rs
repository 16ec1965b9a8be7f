//! An autoencoder on MNIST. Dense by default: 784 → 256 → 64 → 256 → 784 (workload W8's
//! shape), ReLU inside, a sigmoid output; with `conv`, the convolutional one (two stride-2
//! convolutions down to a 64-number code, two transposed convolutions up). Binary
//! cross-entropy, Adam, batches of 128.
//!
//! Reports the test reconstruction error (BCE and MSE per pixel) after each epoch and writes a
//! grid of test digits (top rows) above their reconstructions (bottom rows) to
//! `docs/images/autoencoder.png` (`autoencoder_conv.png`). Run with
//! `cargo run --release --example 09_autoencoder [EPOCHS] [conv]`.

use nabla::Tensor;
use nabla::data::{DataLoader, Mnist, MnistSplit};
use nabla::generative::{Autoencoder, Noise};
use nabla::losses::{BceOptions, Reduction, binary_cross_entropy, mse};
use nabla::optim::AdamConfig;
use nabla::tensor::Result;
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};

fn flat(images: &Tensor) -> Result<Tensor> {
    images.flatten(1, -1)
}

/// The model's input for images `[N, 1, 28, 28]`: as they are for the convolutional model,
/// flattened for the dense one.
fn input(images: &Tensor, convolutional: bool) -> Result<Tensor> {
    if convolutional { Ok(images.clone()) } else { flat(images) }
}

/// (BCE, MSE) per pixel of `reconstruction` against the test images.
fn error(reconstruction: &Tensor, test: &MnistSplit) -> Result<(f32, f32)> {
    let x = flat(&test.images)?;
    let reconstruction = reconstruction.clamp(1e-7, 1.0 - 1e-7)?;
    let bce = binary_cross_entropy(&reconstruction, &x, &BceOptions::default())?.item()?;
    Ok((bce, mse(&reconstruction, &x, Reduction::Mean)?.item()?))
}

/// Test reconstruction error: (BCE, MSE) per pixel.
fn test_error(model: &Autoencoder, test: &MnistSplit, convolutional: bool) -> Result<(f32, f32)> {
    error(&flat(&model.reconstruct(&input(&test.images, convolutional)?)?)?, test)
}

/// The error of answering every test digit with the mean training image: the baseline a
/// model must beat.
fn mean_image_error(mnist: &Mnist) -> Result<(f32, f32)> {
    let mean = flat(&mnist.train.images)?.mean(&[0], true)?;
    error(&mean.broadcast_to(&[mnist.test.len(), 784])?, &mnist.test)
}

fn train(epochs: usize, noise: Noise, convolutional: bool, seed: u64) -> nabla::Result<(Autoencoder, Vec<(f32, f32)>)> {
    let mnist = Mnist::bundled()?;
    let mut rng = StdRng::seed_from_u64(seed);
    let adam = AdamConfig { lr: 1e-3, ..Default::default() };
    let mut model = if convolutional {
        Autoencoder::convolutional(64, noise, adam, &mut rng)?
    } else {
        Autoencoder::new(&[784, 256, 64], noise, adam, &mut rng)?
    };
    let mut loader = DataLoader::new(mnist.train.len(), 128)?.shuffled(seed);
    let mut history = Vec::new();
    for epoch in 1..=epochs {
        let mut total = 0.0;
        let batches = loader.epoch();
        for batch in &batches {
            let images = mnist.train.images.index_select(0, batch)?;
            total += model.train_step(&input(&images, convolutional)?, &mut rng)?;
        }
        let (bce, mse) = test_error(&model, &mnist.test, convolutional)?;
        println!(
            "epoch {epoch:>2}  training BCE {:.4}  test BCE {bce:.4}  test MSE {mse:.4}",
            total / batches.len() as f32
        );
        history.push((bce, mse));
    }
    Ok((model, history))
}

/// Runs on rayon's pool, as the README recommends (`nabla::tensor::on_pool`).
fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    nabla::tensor::on_pool(run)
}

fn run() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let epochs = args.iter().find_map(|s| s.parse().ok()).unwrap_or(10);
    let convolutional = args.iter().any(|a| a == "conv");
    let mnist = Mnist::bundled()?;
    let (baseline_bce, baseline_mse) = mean_image_error(&mnist)?;
    println!("answering with the mean training image: test BCE {baseline_bce:.4}, MSE {baseline_mse:.4}");
    let (model, _) = train(epochs, Noise::None, convolutional, 0)?;
    let originals = mnist.test.images.narrow(0, 0, 16)?;
    let reconstructions = model.reconstruct(&input(&originals, convolutional)?)?.reshape(&[16, 1, 28, 28])?;
    let grid = Tensor::concat(&[&originals, &reconstructions], 0)?;
    let name = if convolutional { "autoencoder_conv.png" } else { "autoencoder.png" };
    let path = format!("{}/docs/images/{name}", env!("CARGO_MANIFEST_DIR"));
    nabla::data::image::write_png_grid(&path, &grid, 8, 2)?;
    println!("wrote {path}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconstructs_test_digits_far_better_than_the_mean_image() {
        let (baseline_bce, baseline_mse) = mean_image_error(&Mnist::bundled().unwrap()).unwrap();
        let (_, history) = train(5, Noise::None, false, 0).unwrap();
        let (bce, mse) = *history.last().unwrap();
        println!("mean image: BCE {baseline_bce}, MSE {baseline_mse}; autoencoder: BCE {bce}, MSE {mse}");
        assert!(
            bce < 0.6 * baseline_bce && mse < 0.45 * baseline_mse,
            "test BCE {bce} vs {baseline_bce}, MSE {mse} vs {baseline_mse}"
        );
    }

    #[test]
    fn a_denoising_autoencoder_trains_on_masked_inputs() {
        let (baseline_bce, _) = mean_image_error(&Mnist::bundled().unwrap()).unwrap();
        let (_, history) = train(1, Noise::Masking(0.3), false, 0).unwrap();
        assert!(history.last().unwrap().0 < baseline_bce, "{history:?}");
    }
}
