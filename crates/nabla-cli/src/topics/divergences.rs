//! Kullback–Leibler and Jensen–Shannon divergences between p = N(0, 2²) and q = N(μ, 1.5²)
//! as q slides away, both discretised as f32 probabilities: KL is asymmetric and unbounded, JS
//! saturates at ln 2. Example 03 and the tour's divergences section.

use nabla_losses::{js_divergence, kl_divergence};
use nabla_tensor::{Result, Tensor};

/// Where the grid starts.
pub const GRID_START: f64 = -10.0;
/// The grid's spacing.
pub const GRID_STEP: f64 = 0.05;
/// Points on the grid.
pub const GRID_POINTS: usize = 601; // -10 … 20
/// p's standard deviation.
pub const SIGMA_P: f64 = 2.0;
/// q's standard deviation.
pub const SIGMA_Q: f64 = 1.5;

/// N(mean, sigma²) discretised on the grid: probabilities proportional to the density, summing to 1.
pub fn gaussian(mean: f64, sigma: f64) -> Vec<f32> {
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
pub fn gaussian_kl(m1: f64, s1: f64, m2: f64, s2: f64) -> f64 {
    (s2 / s1).ln() + (s1 * s1 + (m1 - m2).powi(2)) / (2.0 * s2 * s2) - 0.5
}

/// For each shift μ: (μ, KL(p‖q), KL(q‖p), JS(p, q)), computed for all shifts in one call each.
///
/// # Errors
/// None for a non-empty list of shifts; the divergences' shape checks otherwise.
pub fn divergences(shifts: &[f64]) -> Result<Vec<(f64, f32, f32, f32)>> {
    let p_rows: Vec<f32> = shifts.iter().flat_map(|_| gaussian(0.0, SIGMA_P)).collect();
    let q_rows: Vec<f32> = shifts.iter().flat_map(|&mu| gaussian(mu, SIGMA_Q)).collect();
    let p = Tensor::from_vec(p_rows, &[shifts.len(), GRID_POINTS])?;
    let q = Tensor::from_vec(q_rows, &[shifts.len(), GRID_POINTS])?;
    let (kl_pq, kl_qp, js) =
        (kl_divergence(&p, &q, 1)?.to_vec(), kl_divergence(&q, &p, 1)?.to_vec(), js_divergence(&p, &q, 1)?.to_vec());
    Ok(shifts.iter().enumerate().map(|(i, &mu)| (mu, kl_pq[i], kl_qp[i], js[i])).collect())
}

/// The shifts μ = 0, 0.5, …, 16.
pub fn shifts() -> Vec<f64> {
    (0..=32).map(|i| i as f64 * 0.5).collect()
}
