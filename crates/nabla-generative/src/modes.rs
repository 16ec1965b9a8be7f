//! Measuring mode coverage on a mixture of Gaussians: which modes a generator's samples reach,
//! and how many samples are of high quality.

use nabla_tensor::{Error, Result, Tensor};

/// What [`mode_coverage`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct ModeCoverage {
    /// Samples within 3σ of each centre.
    pub per_mode: Vec<usize>,
    /// Modes that hold at least 1% of the samples.
    pub covered: usize,
    /// The share of samples within 3σ of some centre.
    pub high_quality: f32,
}

/// Counts, for samples `[n, 2]`, how many lie within 3σ of each centre. A mode is covered when
/// at least 1% of the samples fall within 3σ of it (the usual criterion on the ring of
/// Gaussians, after Metz et al. 2017).
///
/// # Errors
/// [`Error::ShapeMismatch`] unless the samples are `[n, 2]` with n > 0.
pub fn mode_coverage(samples: &Tensor, centers: &[(f32, f32)], sigma: f32) -> Result<ModeCoverage> {
    if samples.ndim() != 2 || samples.shape()[1] != 2 || samples.shape()[0] == 0 {
        return Err(Error::ShapeMismatch {
            op: "mode_coverage",
            lhs: samples.shape().to_vec(),
            rhs: vec![2],
            reason: "needs samples [n, 2]".into(),
        });
    }
    let n = samples.shape()[0];
    let mut per_mode = vec![0; centers.len()];
    let mut good = 0;
    for p in samples.to_vec().chunks(2) {
        let near =
            centers.iter().position(|&(cx, cy)| ((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt() <= 3.0 * sigma);
        if let Some(mode) = near {
            per_mode[mode] += 1;
            good += 1;
        }
    }
    let covered = per_mode.iter().filter(|&&c| c * 100 >= n).count();
    Ok(ModeCoverage { per_mode, covered, high_quality: good as f32 / n as f32 })
}
