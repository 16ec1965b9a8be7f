//! An autoencoder on MNIST. Dense by default: 784 → 256 → 64 → 256 → 784 (workload W8's
//! shape), ReLU inside, a sigmoid output; with `conv`, the convolutional one (two stride-2
//! convolutions down to a 64-number code, two transposed convolutions up). Binary
//! cross-entropy, Adam, batches of 128.
//!
//! Reports the test reconstruction error (BCE and MSE per pixel) after each epoch and writes a
//! grid of test digits (top rows) above their reconstructions (bottom rows) to
//! `docs/images/autoencoder.png` (`autoencoder_conv.png`). Run with
//! `cargo run --release --example 09_autoencoder [EPOCHS] [conv]`. The experiment is
//! `nabla_cli::topics::autoencoder`, which the tour runs too; nabla-train's `Trainer` trains it.

use nabla::Tensor;
use nabla::data::Mnist;
use nabla::generative::Noise;
use nabla_cli::topics::autoencoder::{Epoch, input, mean_image_error, train};

/// Prints an epoch's line.
fn log(epoch: usize, e: &Epoch) {
    println!(
        "epoch {epoch:>2}  training BCE {:.4}  test BCE {:.4}  test MSE {:.4}",
        e.train_bce, e.test_bce, e.test_mse
    );
}

/// Runs on rayon's pool, as the README recommends (`nabla::tensor::on_pool`).
fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    nabla::tensor::on_pool(run)
}

/// The guide's five-seed table (`-- --five-seeds`): test BCE and MSE over the mean image's
/// after 5 epochs, for seeds 0–4.
fn five_seeds() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mnist = Mnist::bundled()?;
    let (baseline_bce, baseline_mse) = mean_image_error(&mnist)?;
    for seed in 0..5 {
        let (_, history) = train(&mnist, 5, Noise::None, false, seed, None, |_, _| {})?;
        let last = history.last().ok_or("no epoch ran")?;
        println!(
            "seed {seed}: BCE {:.3}, MSE {:.3} of the mean image's",
            last.test_bce / baseline_bce,
            last.test_mse / baseline_mse
        );
    }
    Ok(())
}

fn run() -> std::result::Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--five-seeds") {
        return five_seeds();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let epochs = args.iter().find_map(|s| s.parse().ok()).unwrap_or(10);
    let convolutional = args.iter().any(|a| a == "conv");
    let mnist = Mnist::bundled()?;
    let (baseline_bce, baseline_mse) = mean_image_error(&mnist)?;
    println!("answering with the mean training image: test BCE {baseline_bce:.4}, MSE {baseline_mse:.4}");
    let (model, _) = train(&mnist, epochs, Noise::None, convolutional, 0, None, log)?;
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
        let (_, history) = train(&Mnist::bundled().unwrap(), 5, Noise::None, false, 0, None, log).unwrap();
        let (bce, mse) = (history.last().unwrap().test_bce, history.last().unwrap().test_mse);
        println!("mean image: BCE {baseline_bce}, MSE {baseline_mse}; autoencoder: BCE {bce}, MSE {mse}");
        assert!(
            bce < 0.6 * baseline_bce && mse < 0.45 * baseline_mse,
            "test BCE {bce} vs {baseline_bce}, MSE {mse} vs {baseline_mse}"
        );
    }

    #[test]
    fn a_denoising_autoencoder_trains_on_masked_inputs() {
        let (baseline_bce, _) = mean_image_error(&Mnist::bundled().unwrap()).unwrap();
        let (_, history) = train(&Mnist::bundled().unwrap(), 1, Noise::Masking(0.3), false, 0, None, log).unwrap();
        assert!(history.last().unwrap().test_bce < baseline_bce, "{history:?}");
    }
}
