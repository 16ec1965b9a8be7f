//! Tour topic 9: a DCGAN learns to draw digits, scored by a CNN judge.

use nabla_generative::Judge;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_train::TrainerConfig;

use super::Context;
use crate::error::CliError;
use crate::models::{self, ModelKind};
use crate::report::Section;
use crate::train::fit;

pub fn run(context: &Context) -> Result<Section, CliError> {
    let (epochs, judge_epochs) = if context.quick { (1, 1) } else { (5, 2) };
    let data = ModelKind::Dcgan.training_data(&context.mnist)?;
    let untrained = models::dcgan(2e-4, &mut StdRng::seed_from_u64(0))?;
    let (judge, judge_accuracy) = Judge::for_mnist(&context.mnist, judge_epochs, 42)?;
    let to_unit = |images: nabla_tensor::Tensor| images.add_scalar(1.0)?.mul_scalar(0.5);
    let real = &context.mnist.test.images;
    let before = judge.judge(&to_unit(untrained.sample(1000, &mut StdRng::seed_from_u64(7))?)?, real)?;

    let config =
        TrainerConfig { out_dir: Some(context.out.join("dcgan")), progress_every: 5, ..TrainerConfig::new(epochs, 64) };
    let gan = fit(models::dcgan(2e-4, &mut StdRng::seed_from_u64(0))?, data, config, None, "dcgan", None)?;
    let after = judge.judge(&to_unit(gan.sample(1000, &mut StdRng::seed_from_u64(7))?)?, real)?;
    nabla_data::image::write_png_grid(
        context.out.join("dcgan_samples.png"),
        &to_unit(gan.sample(64, &mut StdRng::seed_from_u64(8))?)?,
        8,
        2,
    )?;
    let summary = format!(
        "Workload W4's networks with the DCGAN paper's recipe (transposed convolutions, batch norm, LeakyReLU in the \
         discriminator, N(0, 0.02) weights, Adam 2e-4 with β₁ = 0.5). A judge — W3's CNN trained on the same digits, \
         {:.1}% on the test digits — scores 1,000 samples: the digit classes that get at least 5% of them, and the \
         Fréchet distance between the judge's features of the samples and of the test digits (lower is closer). \
         After {epochs} epoch{} the samples cover {} of the 10 classes (the untrained generator's: {}), the judge's \
         mean confidence on them is {:.2}, and the distance fell from {:.0} to {:.0}. Longer runs go further: \
         docs/dcgan.md measures 8–9 classes after 20 epochs.",
        judge_accuracy * 100.0,
        if epochs == 1 { "" } else { "s" },
        after.classes_covered,
        before.classes_covered,
        after.mean_top_probability,
        before.frechet_distance,
        after.frechet_distance,
    );
    Ok(Section::new("dcgan", "DCGAN: a convolutional GAN drawing digits", &summary)
        .picture("dcgan_samples.png", "64 generated digits")
        .picture("dcgan/losses.png", "discriminator and generator losses per step")
        .metric("epochs", "epochs", epochs as f64, "")
        .metric("judge_accuracy", "judge's test accuracy", judge_accuracy as f64, "")
        .metric("classes_covered", "digit classes covered by the samples (of 10)", after.classes_covered as f64, "")
        .metric("mean_top_probability", "judge's mean confidence on the samples", after.mean_top_probability as f64, "")
        .metric("frechet_distance", "Fréchet distance, samples to test digits", after.frechet_distance, "")
        .metric("frechet_distance_untrained", "Fréchet distance, untrained generator", before.frechet_distance, "")
        .check(
            "training cuts the Fréchet distance by at least a quarter",
            after.frechet_distance < 0.75 * before.frechet_distance,
        )
        .check(
            "the samples cover more digit classes than the untrained generator's",
            after.classes_covered > before.classes_covered,
        ))
}
