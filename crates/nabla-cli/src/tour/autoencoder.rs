//! Tour topic 7: a dense autoencoder reconstructs MNIST digits through a 64-number code.

use nabla_losses::{Reduction, mse};
use nabla_tensor::Tensor;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_train::TrainerConfig;

use super::Context;
use crate::error::CliError;
use crate::models::{self, ModelKind};
use crate::report::Section;
use crate::train::fit;

pub fn run(context: &Context) -> Result<Section, CliError> {
    let epochs = if context.quick { 5 } else { 10 };
    let data = ModelKind::Autoencoder.training_data(&context.mnist)?;
    let model = models::autoencoder(1e-3, &mut StdRng::seed_from_u64(0))?;
    let config = TrainerConfig {
        out_dir: Some(context.out.join("autoencoder")),
        grid: 32,
        progress_every: 10,
        ..TrainerConfig::new(epochs, 128)
    };
    let mean_image = data.inputs.mean(&[0], true)?;
    let model = fit(model, data, config, None, "autoencoder")?;

    let test = context.mnist.test.images.flatten(1, -1)?;
    let test_mse = mse(&model.reconstruct(&test)?, &test, Reduction::Mean)?.item()? as f64;
    let mean_image = mean_image.broadcast_to(test.shape())?;
    let baseline = mse(&mean_image, &test, Reduction::Mean)?.item()? as f64;
    let originals = context.mnist.test.images.narrow(0, 0, 16)?;
    let reconstructions = model.reconstruct(&originals.flatten(1, -1)?)?.reshape(&[16, 1, 28, 28])?;
    nabla_data::image::write_png_grid(
        context.out.join("autoencoder_reconstructions.png"),
        &Tensor::concat(&[&originals, &reconstructions], 0)?,
        8,
        2,
    )?;
    Ok(Section::new(
        "autoencoder",
        "An autoencoder on MNIST",
        "784 → 256 → 64 → 256 → 784 (workload W8's shape), ReLU inside and a sigmoid output, trained with binary \
         cross-entropy and Adam on the training digits. Every digit must pass through 64 numbers; the test digits it \
         never saw come back recognisable. The baseline answers every digit with the mean training image.",
    )
    .picture("autoencoder_reconstructions.png", "test digits (top two rows) and their reconstructions (bottom two)")
    .picture("autoencoder/losses.png", "training BCE per step")
    .metric("test_mse", "test reconstruction MSE per pixel", test_mse, "")
    .metric("mean_image_mse", "mean-image baseline MSE per pixel", baseline, "")
    .metric("epochs", "epochs", epochs as f64, "")
    .check("reconstructs test digits with under half the mean image's error", test_mse < 0.5 * baseline))
}
