//! An autoencoder on MNIST: dense (784 → 256 → 64 → 256 → 784, workload W8's shape) or
//! convolutional (two stride-2 convolutions down to a 64-number code, two transposed
//! convolutions up), binary cross-entropy, Adam (1e-3), batches of 128, trained by the
//! [`Trainer`] and tested after every epoch against the mean-image baseline. Example 09 and
//! the tour's autoencoder section.

use std::path::PathBuf;

use nabla_data::{Mnist, MnistSplit, TensorDataset};
use nabla_generative::{Autoencoder, Noise};
use nabla_losses::{BceOptions, Reduction, binary_cross_entropy, mse};
use nabla_optim::AdamConfig;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Result, Tensor};
use nabla_train::{Trainer, TrainerConfig};

use crate::error::CliError;

/// One epoch's measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Epoch {
    /// The mean training BCE over the epoch's steps.
    pub train_bce: f32,
    /// Test reconstruction error per pixel.
    pub test_bce: f32,
    pub test_mse: f32,
}

/// The model's input for images `[N, 1, 28, 28]`: as they are for the convolutional model,
/// flattened for the dense one.
///
/// # Errors
/// Shape errors.
pub fn input(images: &Tensor, convolutional: bool) -> Result<Tensor> {
    if convolutional { Ok(images.clone()) } else { images.flatten(1, -1) }
}

/// (BCE, MSE) per pixel of `reconstruction` against the test images.
///
/// # Errors
/// Shape errors for a reconstruction that is not one image per test digit.
pub fn error(reconstruction: &Tensor, test: &MnistSplit) -> Result<(f32, f32)> {
    let x = test.images.flatten(1, -1)?;
    let reconstruction = reconstruction.flatten(1, -1)?.clamp(1e-7, 1.0 - 1e-7)?;
    let bce = binary_cross_entropy(&reconstruction, &x, &BceOptions::default())?.item()?;
    Ok((bce, mse(&reconstruction, &x, Reduction::Mean)?.item()?))
}

/// The test reconstruction error (BCE, MSE) per pixel.
///
/// # Errors
/// Shape errors.
pub fn test_error(model: &Autoencoder, test: &MnistSplit, convolutional: bool) -> Result<(f32, f32)> {
    error(&model.reconstruct(&input(&test.images, convolutional)?)?, test)
}

/// The error of answering every test digit with the mean training image: the baseline a
/// model must beat.
///
/// # Errors
/// Shape errors.
pub fn mean_image_error(mnist: &Mnist) -> Result<(f32, f32)> {
    let mean = mnist.train.images.flatten(1, -1)?.mean(&[0], true)?;
    error(&mean.broadcast_to(&[mnist.test.len(), 784])?, &mnist.test)
}

/// Trains an autoencoder (corrupting its inputs with `noise`) for `epochs` from `seed`; the
/// trainer's grids, logs and checkpoint go to `out` when given, and `on_epoch` hears each
/// epoch's measurements.
///
/// # Errors
/// What building and training the model raises.
pub fn train(
    mnist: &Mnist,
    epochs: usize,
    noise: Noise,
    convolutional: bool,
    seed: u64,
    out: Option<PathBuf>,
    mut on_epoch: impl FnMut(usize, &Epoch),
) -> std::result::Result<(Autoencoder, Vec<Epoch>), CliError> {
    let rng = &mut StdRng::seed_from_u64(seed);
    let adam = AdamConfig { lr: 1e-3, ..Default::default() };
    let model = if convolutional {
        Autoencoder::convolutional(64, noise, adam, rng)?
    } else {
        Autoencoder::new(&[784, 256, 64], noise, adam, rng)?
    };
    let data = TensorDataset::unlabelled(input(&mnist.train.images, convolutional)?)?;
    let config =
        TrainerConfig { seed, out_dir: out, grid: 32, progress_every: usize::MAX, ..TrainerConfig::new(epochs, 128) };
    let mut trainer = Trainer::new(model, data, config)?;
    let mut history = Vec::with_capacity(epochs);
    for epoch in 1..=epochs {
        trainer.run_for(trainer.steps_per_epoch())?;
        let train_bce = trainer.last_epoch_mean(0);
        let (test_bce, test_mse) = test_error(trainer.model(), &mnist.test, convolutional)?;
        let record = Epoch { train_bce, test_bce, test_mse };
        on_epoch(epoch, &record);
        history.push(record);
    }
    Ok((trainer.into_model(), history))
}
