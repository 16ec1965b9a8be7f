//! Tour topic 8: a GAN learns a ring of eight Gaussians and covers its modes
//! ([`topics::gan_ring`](crate::topics::gan_ring)).

use super::Context;
use crate::error::CliError;
use crate::report::Section;
use crate::topics::gan_ring::{chart, train};

pub fn run(context: &Context) -> Result<Section, CliError> {
    let steps = 2500;
    let (gan, history) = train(steps, steps, 0, false)?;
    let coverage = &history.last().expect("one measurement at the last step").1;
    chart(&gan, steps)?.write_png(context.out.join("gan_ring.png"))?;
    Ok(Section::new(
        "gan",
        "A GAN on a ring of Gaussians",
        "The data: eight Gaussians (σ = 0.02) on a circle of radius 2, the standard test of mode collapse. A generator \
         (2-D noise → two hidden layers of 128 → a point) and a discriminator train in alternation with the \
         non-saturating loss and Adam (1e-3, β₁ = 0.5). A mode counts as covered when at least 1% of 2,000 samples \
         lie within 3σ of its centre.",
    )
    .picture("gan_ring.png", "data and generated samples")
    .metric("modes_covered", "modes covered (of 8)", coverage.covered as f64, "")
    .metric("high_quality_share", "samples within 3σ of a centre", coverage.high_quality as f64, "")
    .metric("steps", "training steps", steps as f64, "")
    .check("covers at least 6 of the 8 modes", coverage.covered >= 6))
}
