//! Small synthetic datasets: the logic gates, Gaussian blobs, two moons and a ring of 2-D
//! Gaussians (the GAN mode-collapse benchmark). Random sets take an explicit seeded generator.

use nabla_tensor::rand::Rng;
use nabla_tensor::rand_distr::{Distribution, Normal};
use nabla_tensor::{Error, Tensor};

/// Points `x` `[N, 2]` with a class per point.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub x: Tensor,
    pub labels: Vec<usize>,
}

impl Labelled {
    /// The labels as f32 (0.0 / 1.0 for two classes), for binary losses and the perceptron.
    pub fn targets(&self) -> Vec<f32> {
        self.labels.iter().map(|&l| l as f32).collect()
    }

    /// The points with their classes as targets, for a [`DataLoader`](crate::DataLoader) or the
    /// trainer.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for an empty set.
    pub fn dataset(&self) -> Result<crate::TensorDataset, Error> {
        let targets = Tensor::from_vec(self.targets(), &[self.labels.len()])?;
        crate::TensorDataset::new(self.x.clone(), Some(targets))
    }
}

fn gate(outputs: [usize; 4]) -> Labelled {
    let x = Tensor::from_vec(vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], &[4, 2]).expect("4×2");
    Labelled { x, labels: outputs.to_vec() }
}

/// The four points of {0,1}² labelled by XOR — not linearly separable.
pub fn xor() -> Labelled {
    gate([0, 1, 1, 0])
}

/// The four points of {0,1}² labelled by AND.
pub fn and_gate() -> Labelled {
    gate([0, 0, 0, 1])
}

/// The four points of {0,1}² labelled by OR.
pub fn or_gate() -> Labelled {
    gate([0, 1, 1, 1])
}

fn normal(std: f32) -> Result<Normal<f32>, Error> {
    let invalid =
        || Error::InvalidArgument { op: "synthetic", reason: format!("the spread must be finite and >= 0, got {std}") };
    if !(std >= 0.0 && std.is_finite()) {
        return Err(invalid());
    }
    Normal::new(0.0, std).map_err(|_| invalid())
}

/// `per_class` points around each centre (class = the centre's index), with Gaussian spread `std`.
///
/// # Errors
/// [`Error::InvalidArgument`] for a negative or non-finite std.
pub fn blobs<R: Rng + ?Sized>(
    per_class: usize,
    centers: &[(f32, f32)],
    std: f32,
    rng: &mut R,
) -> Result<Labelled, Error> {
    let noise = normal(std)?;
    let mut values = Vec::with_capacity(per_class * centers.len() * 2);
    let mut labels = Vec::with_capacity(per_class * centers.len());
    for (class, &(cx, cy)) in centers.iter().enumerate() {
        for _ in 0..per_class {
            values.extend([cx + noise.sample(rng), cy + noise.sample(rng)]);
            labels.push(class);
        }
    }
    Ok(Labelled { x: Tensor::from_vec(values, &[labels.len(), 2])?, labels })
}

/// Two interleaving half circles (scikit-learn's `make_moons`): `n` points per moon, with
/// Gaussian noise `noise`.
///
/// # Errors
/// [`Error::InvalidArgument`] for a negative or non-finite noise.
pub fn two_moons<R: Rng + ?Sized>(n: usize, noise: f32, rng: &mut R) -> Result<Labelled, Error> {
    let jitter = normal(noise)?;
    let mut values = Vec::with_capacity(4 * n);
    let mut labels = Vec::with_capacity(2 * n);
    for moon in 0..2 {
        for i in 0..n {
            let t = std::f32::consts::PI * i as f32 / (n.max(2) - 1) as f32;
            let (x, y) = if moon == 0 { (t.cos(), t.sin()) } else { (1.0 - t.cos(), 0.5 - t.sin()) };
            values.extend([x + jitter.sample(rng), y + jitter.sample(rng)]);
            labels.push(moon);
        }
    }
    Ok(Labelled { x: Tensor::from_vec(values, &[2 * n, 2])?, labels })
}

/// The centres of `modes` points evenly spaced on a circle of `radius`.
pub fn ring_centers(modes: usize, radius: f32) -> Vec<(f32, f32)> {
    (0..modes)
        .map(|k| {
            let angle = 2.0 * std::f32::consts::PI * k as f32 / modes as f32;
            (radius * angle.cos(), radius * angle.sin())
        })
        .collect()
}

/// `n` samples from an equal mixture of `modes` Gaussians of spread `std` on a circle of
/// `radius` (the GAN benchmark of Metz et al.: 8 modes, radius 2, std 0.02); labels are modes.
///
/// # Errors
/// [`Error::InvalidArgument`] for no modes or a bad std.
pub fn ring_of_gaussians<R: Rng + ?Sized>(
    n: usize,
    modes: usize,
    radius: f32,
    std: f32,
    rng: &mut R,
) -> Result<Labelled, Error> {
    if modes == 0 {
        return Err(Error::InvalidArgument { op: "ring_of_gaussians", reason: "needs at least one mode".into() });
    }
    let noise = normal(std)?;
    let centers = ring_centers(modes, radius);
    let mut values = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let mode = rng.random_range(0..modes);
        values.extend([centers[mode].0 + noise.sample(rng), centers[mode].1 + noise.sample(rng)]);
        labels.push(mode);
    }
    Ok(Labelled { x: Tensor::from_vec(values, &[n, 2])?, labels })
}
