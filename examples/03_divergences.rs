//! Kullback–Leibler and Jensen–Shannon divergences between two Gaussians as one slides away.
//!
//! p = N(0, 2²) stays put; q = N(μ, 1.5²) moves right. Both are discretised on a fine grid and
//! stored as f32 probabilities, as a model's outputs would be. KL is asymmetric (KL(p‖q) ≠
//! KL(q‖p)) and unbounded: it grows with the square of the shift, and once p puts mass where
//! q's f32 probabilities have underflowed to exactly 0 (about 14 standard deviations out),
//! KL(p‖q) is infinite. JS is symmetric and saturates at ln 2 as the distributions stop
//! overlapping — its gradient vanishes, which is why a GAN whose discriminator separates the
//! data from the generator's samples gives the generator almost no signal.
//!
//! The experiment is `nabla_cli::topics::divergences`, which the tour runs too. Writes
//! `docs/images/divergences.png`. Run with `cargo run --release --example 03_divergences`.

use nabla::plot::{LineChart, Series};
use nabla_cli::topics::divergences::{SIGMA_P, SIGMA_Q, divergences, gaussian_kl, shifts};

/// Runs on rayon's pool, as the README recommends (`nabla::tensor::on_pool`).
fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    nabla::tensor::on_pool(run)
}

/// Errors of any crate (tensor, data, chart) end the run with their message.
fn run() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let rows = divergences(&shifts())?;
    println!(
        "p = N(0, 2²), q = N(μ, 1.5²), in nats (ln 2 = {:.4}); 'exact' is the closed form",
        std::f64::consts::LN_2
    );
    println!("{:>5} {:>10} {:>10} {:>10} {:>10} {:>10}", "μ", "KL(p‖q)", "exact", "KL(q‖p)", "exact", "JS(p,q)");
    for &(mu, kl_pq, kl_qp, js) in &rows {
        let (exact_pq, exact_qp) = (gaussian_kl(0.0, SIGMA_P, mu, SIGMA_Q), gaussian_kl(mu, SIGMA_Q, 0.0, SIGMA_P));
        println!("{mu:>5.1} {kl_pq:>10.4} {exact_pq:>10.4} {kl_qp:>10.4} {exact_qp:>10.4} {js:>10.4}");
    }
    let series = |label: &str, pick: fn(&(f64, f32, f32, f32)) -> f32| {
        Series::new(label, rows.iter().map(|r| (r.0, pick(r) as f64)).collect())
    };
    let chart = LineChart::new(
        "KL is asymmetric and unbounded; JS saturates at ln 2",
        "shift μ of q = N(μ, 1.5²) from p = N(0, 2²)",
        "divergence (nats)",
    )
    .series(series("KL(p‖q)  (∞ from μ = 11.5: q underflows to 0 where p > 0)", |r| r.1))
    .series(series("KL(q‖p)", |r| r.2))
    .series(series("JS(p, q)", |r| r.3))
    .reference_line("ln 2", std::f64::consts::LN_2)
    .log_y();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/images/divergences.png");
    chart.write_png(path)?;
    println!("wrote {path}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discretised_kl_matches_the_closed_form_while_finite() {
        for (mu, kl_pq, kl_qp, _) in divergences(&[0.0, 1.0, 3.0]).unwrap() {
            let (exact_pq, exact_qp) = (gaussian_kl(0.0, SIGMA_P, mu, SIGMA_Q), gaussian_kl(mu, SIGMA_Q, 0.0, SIGMA_P));
            assert!(
                ((kl_pq as f64) - exact_pq).abs() < 1e-3 * exact_pq.max(1.0),
                "μ={mu}: KL(p‖q) {kl_pq} vs {exact_pq}"
            );
            assert!(
                ((kl_qp as f64) - exact_qp).abs() < 1e-3 * exact_qp.max(1.0),
                "μ={mu}: KL(q‖p) {kl_qp} vs {exact_qp}"
            );
            assert!(
                (kl_pq - kl_qp).abs() > 0.2 * kl_pq.max(kl_qp),
                "μ={mu}: KL should be asymmetric for unequal widths"
            );
        }
    }

    #[test]
    fn js_rises_to_ln_2_while_kl_becomes_infinite() {
        let rows = divergences(&shifts()).unwrap();
        let ln2 = std::f32::consts::LN_2;
        assert!(rows[0].3 > 0.0 && rows[0].3 < 0.05, "overlapping distributions: JS {}", rows[0].3);
        assert!(rows.windows(2).all(|w| w[1].3 >= w[0].3 - 1e-6), "JS grows with the shift");
        assert!(rows.iter().all(|r| r.3 <= ln2 + 1e-6));
        let far = rows.last().unwrap();
        assert!(far.3 > 0.99 * ln2, "μ = {}: JS {} should be near ln 2", far.0, far.3);
        assert_eq!(far.1, f32::INFINITY, "p has mass where q's probabilities underflowed to 0");
        assert!(far.2.is_finite(), "q's support lies inside p's, so KL(q‖p) stays finite");
    }
}
