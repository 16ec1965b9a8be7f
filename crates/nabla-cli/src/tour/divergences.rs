//! Tour topic 3: KL is asymmetric and unbounded, JS saturates at ln 2, as two Gaussians part
//! ([`topics::divergences`](crate::topics::divergences)).

use nabla_plot::{LineChart, Series};

use super::Context;
use crate::error::CliError;
use crate::report::Section;
use crate::topics::divergences::{SIGMA_P, SIGMA_Q, divergences, gaussian_kl, shifts};

pub fn run(context: &Context) -> Result<Section, CliError> {
    let shifts = shifts();
    let rows = divergences(&shifts)?;
    let kl_pq: Vec<f32> = rows.iter().map(|r| r.1).collect();
    let kl_qp: Vec<f32> = rows.iter().map(|r| r.2).collect();
    let js: Vec<f32> = rows.iter().map(|r| r.3).collect();
    let series = |label: &str, values: &[f32]| {
        Series::new(label, shifts.iter().zip(values).map(|(&mu, &v)| (mu, v as f64)).collect())
    };
    LineChart::new(
        "KL is asymmetric and unbounded; JS saturates at ln 2",
        "shift μ of q = N(μ, 1.5²) from p = N(0, 2²)",
        "divergence (nats)",
    )
    .series(series("KL(p‖q)", &kl_pq))
    .series(series("KL(q‖p)", &kl_qp))
    .series(series("JS(p, q)", &js))
    .reference_line("ln 2", std::f64::consts::LN_2)
    .log_y()
    .write_png(context.out.join("divergences.png"))?;

    let at_two = 4; // μ = 2
    let ln2 = std::f32::consts::LN_2;
    let last = shifts.len() - 1;
    let exact_pq = gaussian_kl(0.0, SIGMA_P, shifts[at_two], SIGMA_Q);
    Ok(Section::new(
        "divergences",
        "Kullback–Leibler and Jensen–Shannon divergences",
        "p = N(0, 2²) stays put while q = N(μ, 1.5²) slides right, both discretised as f32 probabilities. KL is \
         asymmetric and grows without bound (it becomes infinite once q's probabilities underflow to 0 where p has \
         mass); JS is symmetric and saturates at ln 2 as the two stop overlapping — its gradient vanishes, which is \
         why a GAN's generator gets little signal from a discriminator that separates perfectly.",
    )
    .picture("divergences.png", "KL(p‖q), KL(q‖p) and JS(p, q) against the shift μ")
    .metric("kl_pq_mu2", "KL(p‖q) at μ = 2", kl_pq[at_two] as f64, "nats")
    .metric("kl_pq_mu2_exact", "KL(p‖q) at μ = 2, closed form", exact_pq, "nats")
    .metric("kl_qp_mu2", "KL(q‖p) at μ = 2", kl_qp[at_two] as f64, "nats")
    .metric("js_mu2", "JS(p, q) at μ = 2", js[at_two] as f64, "nats")
    .metric("js_mu16", "JS(p, q) at μ = 16", js[last] as f64, "nats")
    .check(
        "discretised KL(p‖q) matches the closed form to 0.1%",
        ((kl_pq[at_two] as f64 - exact_pq) / exact_pq).abs() < 1e-3,
    )
    .check("KL is asymmetric", (kl_pq[at_two] - kl_qp[at_two]).abs() > 0.1 * kl_pq[at_two])
    .check("JS never exceeds ln 2 and reaches 99% of it", js.iter().all(|&v| v <= ln2 + 1e-6) && js[last] > 0.99 * ln2)
    .check("KL(p‖q) becomes infinite", kl_pq[last].is_infinite()))
}
