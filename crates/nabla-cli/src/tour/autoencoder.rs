//! Tour topic 7: a dense autoencoder reconstructs MNIST digits through a 64-number code
//! ([`topics::autoencoder`](crate::topics::autoencoder)).

use nabla_generative::Noise;
use nabla_tensor::Tensor;

use super::Context;
use crate::error::CliError;
use crate::report::Section;
use crate::topics::autoencoder::{input, mean_image_error, train};

pub fn run(context: &Context) -> Result<Section, CliError> {
    let epochs = if context.quick { 5 } else { 10 };
    let out = Some(context.out.join("autoencoder"));
    let (model, history) = train(&context.mnist, epochs, Noise::None, false, 0, out, |_, _| {})?;
    let test_mse = history.last().map_or(f32::NAN, |e| e.test_mse) as f64;
    let baseline = mean_image_error(&context.mnist)?.1 as f64;
    let originals = context.mnist.test.images.narrow(0, 0, 16)?;
    let reconstructions = model.reconstruct(&input(&originals, false)?)?.reshape(&[16, 1, 28, 28])?;
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
