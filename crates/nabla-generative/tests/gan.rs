//! The GAN's pieces: mode coverage on known points, configuration errors, and that a training
//! step moves the generator towards the data.

use nabla_generative::*;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Error, Tensor};

#[test]
fn mode_coverage_counts_samples_near_each_centre() {
    let centers = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)];
    // 60 points at the first centre, 2 at the second (covered: 2 of 100 >= 1%), 38 far away.
    let mut points = vec![0.01f32; 120];
    points.extend([1.0, 0.02, 0.98, 0.0]);
    points.extend(std::iter::repeat_n(5.0, 76));
    let samples = Tensor::from_vec(points, &[100, 2]).unwrap();
    let coverage = mode_coverage(&samples, &centers, 0.02).unwrap();
    assert_eq!(coverage.per_mode, vec![60, 2, 0]);
    assert_eq!(coverage.covered, 2);
    assert!((coverage.high_quality - 0.62).abs() < 1e-6);
    assert!(mode_coverage(&Tensor::zeros(&[3, 3]), &centers, 0.1).is_err());
}

#[test]
fn bad_configurations_are_errors() {
    let rng = &mut StdRng::seed_from_u64(0);
    let shape = MlpGanShape::new(2, 8);
    assert!(matches!(
        Gan::mlp(&shape, GanConfig { d_steps: 0, ..GanConfig::new(2) }, rng),
        Err(Error::InvalidArgument { op: "Gan", .. })
    ));
    assert!(Gan::mlp(&shape, GanConfig { label_smoothing: 1.0, ..GanConfig::new(2) }, rng).is_err());
    assert!(Gan::mlp(&shape, GanConfig::new(0), rng).is_err());
}

#[test]
fn training_pulls_the_samples_towards_the_data() {
    let rng = &mut StdRng::seed_from_u64(1);
    let adam = nabla_optim::AdamConfig { lr: 1e-3, betas: (0.5, 0.999), ..Default::default() };
    let config = GanConfig { d_steps: 2, label_smoothing: 0.1, adam, ..GanConfig::new(2) };
    let mut gan = Gan::mlp(&MlpGanShape::new(2, 32), config, rng).unwrap();
    let target = |rng: &mut StdRng| Tensor::normal(&[128, 2], 3.0, 0.1, rng);
    let distance = |gan: &Gan| {
        gan.sample(500, &mut StdRng::seed_from_u64(2))
            .unwrap()
            .mean(&[0], false)
            .unwrap()
            .to_vec()
            .iter()
            .map(|m| (m - 3.0).abs())
            .sum::<f32>()
    };
    let before = distance(&gan);
    for _ in 0..300 {
        let losses = gan.train_step(target, rng).unwrap();
        assert!(losses.discriminator.is_finite() && losses.generator.is_finite());
    }
    let after = distance(&gan);
    assert!(after < 0.25 * before, "the samples' mean moved from {before} to {after} away from (3, 3)");
}
