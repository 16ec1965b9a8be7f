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
//! Writes `docs/images/divergences.png`. Run with `cargo run --release --example 03_divergences`.

use nabla::Tensor;
use nabla::losses::{js_divergence, kl_divergence};
use nabla::plot::{LineChart, Series};
use nabla::tensor::Result;

const GRID_START: f64 = -10.0;
const GRID_STEP: f64 = 0.05;
const GRID_POINTS: usize = 601; // -10 … 20
const SIGMA_P: f64 = 2.0;
const SIGMA_Q: f64 = 1.5;

/// N(mean, sigma²) discretised on the grid: probabilities proportional to the density, summing to 1.
fn gaussian(mean: f64, sigma: f64) -> Vec<f32> {
    let density: Vec<f64> = (0..GRID_POINTS)
        .map(|i| {
            let x = GRID_START + i as f64 * GRID_STEP;
            (-0.5 * ((x - mean) / sigma).powi(2)).exp()
        })
        .collect();
    let total: f64 = density.iter().sum();
    density.iter().map(|d| (d / total) as f32).collect()
}

/// The closed form KL(N(m1, s1²) ‖ N(m2, s2²)).
fn gaussian_kl(m1: f64, s1: f64, m2: f64, s2: f64) -> f64 {
    (s2 / s1).ln() + (s1 * s1 + (m1 - m2).powi(2)) / (2.0 * s2 * s2) - 0.5
}

/// For each shift μ: (μ, KL(p‖q), KL(q‖p), JS(p, q)), computed for all shifts in one call each.
fn divergences(shifts: &[f64]) -> Result<Vec<(f64, f32, f32, f32)>> {
    let p_rows: Vec<f32> = shifts.iter().flat_map(|_| gaussian(0.0, SIGMA_P)).collect();
    let q_rows: Vec<f32> = shifts.iter().flat_map(|&mu| gaussian(mu, SIGMA_Q)).collect();
    let p = Tensor::from_vec(p_rows, &[shifts.len(), GRID_POINTS])?;
    let q = Tensor::from_vec(q_rows, &[shifts.len(), GRID_POINTS])?;
    let (kl_pq, kl_qp, js) =
        (kl_divergence(&p, &q, 1)?.to_vec(), kl_divergence(&q, &p, 1)?.to_vec(), js_divergence(&p, &q, 1)?.to_vec());
    Ok(shifts.iter().enumerate().map(|(i, &mu)| (mu, kl_pq[i], kl_qp[i], js[i])).collect())
}

fn shifts() -> Vec<f64> {
    (0..=32).map(|i| i as f64 * 0.5).collect()
}

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
