//! The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian
//! (mean and covariance): the measure behind FID (Heusel et al. 2017),
//! `|μ₁ − μ₂|² + Tr(C₁ + C₂ − 2 (C₁ C₂)^½)`, computed in f64.

use nabla_tensor::{Error, Result, Tensor};

/// The Fréchet distance between Gaussians fitted to the rows of `a` `[n₁, d]` and `b`
/// `[n₂, d]` (unbiased covariances, as `numpy.cov`). `Tr (C₁ C₂)^½` is the sum of the square
/// roots of the eigenvalues of `C₁^½ C₂ C₁^½`, found with Jacobi rotations.
///
/// # Errors
/// [`Error::ShapeMismatch`] unless both are matrices with the same number of columns;
/// [`Error::InvalidArgument`] for fewer than two rows or no columns.
pub fn frechet_distance(a: &Tensor, b: &Tensor) -> Result<f64> {
    let (&[n1, d], &[n2, d2]) = (a.shape(), b.shape()) else {
        return Err(Error::ShapeMismatch {
            op: "frechet_distance",
            lhs: a.shape().to_vec(),
            rhs: b.shape().to_vec(),
            reason: "both must be [samples, features]".into(),
        });
    };
    if d != d2 || d == 0 || n1 < 2 || n2 < 2 {
        return Err(Error::InvalidArgument {
            op: "frechet_distance",
            reason: format!(
                "needs at least 2 rows each and equal, non-zero widths, got {:?} and {:?}",
                a.shape(),
                b.shape()
            ),
        });
    }
    let (mean_a, cov_a) = gaussian(&a.to_vec(), n1, d);
    let (mean_b, cov_b) = gaussian(&b.to_vec(), n2, d);
    let root_a = symmetric_sqrt(&cov_a, d);
    let product = multiply(&multiply(&root_a, &cov_b, d), &root_a, d);
    let (eigenvalues, _) = jacobi_eigen(&product, d);
    let trace_root: f64 = eigenvalues.iter().map(|&l| l.max(0.0).sqrt()).sum();
    let trace = |m: &[f64]| (0..d).map(|i| m[i * d + i]).sum::<f64>();
    let mean_gap: f64 = mean_a.iter().zip(&mean_b).map(|(x, y)| (x - y) * (x - y)).sum();
    Ok((mean_gap + trace(&cov_a) + trace(&cov_b) - 2.0 * trace_root).max(0.0))
}

/// Mean `[d]` and unbiased covariance `[d, d]` of `n` rows.
fn gaussian(rows: &[f32], n: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut mean = vec![0.0; d];
    for row in rows.chunks(d) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += v as f64 / n as f64;
        }
    }
    let mut cov = vec![0.0; d * d];
    for row in rows.chunks(d) {
        let centred: Vec<f64> = row.iter().zip(&mean).map(|(&v, m)| v as f64 - m).collect();
        for i in 0..d {
            for j in i..d {
                cov[i * d + j] += centred[i] * centred[j];
            }
        }
    }
    for i in 0..d {
        for j in i..d {
            cov[i * d + j] /= (n - 1) as f64;
            cov[j * d + i] = cov[i * d + j];
        }
    }
    (mean, cov)
}

fn multiply(x: &[f64], y: &[f64], d: usize) -> Vec<f64> {
    let mut out = vec![0.0; d * d];
    for i in 0..d {
        for k in 0..d {
            let xik = x[i * d + k];
            for j in 0..d {
                out[i * d + j] += xik * y[k * d + j];
            }
        }
    }
    out
}

/// The square root of a symmetric positive semi-definite matrix (negative eigenvalues from
/// rounding are taken as 0).
fn symmetric_sqrt(m: &[f64], d: usize) -> Vec<f64> {
    let (values, vectors) = jacobi_eigen(m, d);
    let mut out = vec![0.0; d * d];
    for (k, &value) in values.iter().enumerate() {
        let root = value.max(0.0).sqrt();
        for i in 0..d {
            for j in 0..d {
                out[i * d + j] += vectors[i * d + k] * root * vectors[j * d + k];
            }
        }
    }
    out
}

/// Eigenvalues and eigenvectors (as columns) of a symmetric matrix by cyclic Jacobi rotations.
fn jacobi_eigen(m: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = m.to_vec();
    let mut v: Vec<f64> = (0..d * d).map(|i| if i / d == i % d { 1.0 } else { 0.0 }).collect();
    let scale: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * d + j].powi(2))
            .sum();
        if off.sqrt() <= 1e-14 * scale {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq.abs() <= 1e-300 {
                    continue;
                }
                let theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let (akp, akq) = (a[k * d + p], a[k * d + q]);
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for k in 0..d {
                    let (apk, aqk) = (a[p * d + k], a[q * d + k]);
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..d).map(|i| a[i * d + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_decomposition_rebuilds_the_matrix() {
        let m = [4.0, 1.0, 2.0, 1.0, 3.0, 0.5, 2.0, 0.5, 5.0];
        let root = symmetric_sqrt(&m, 3);
        let square = multiply(&root, &root, 3);
        for (x, y) in square.iter().zip(&m) {
            assert!((x - y).abs() < 1e-10, "{square:?}");
        }
    }
}
