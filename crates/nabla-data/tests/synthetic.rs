//! The synthetic datasets have the shapes, labels and geometry they promise.

use nabla_data::synthetic::*;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};

#[test]
fn logic_gates() {
    assert_eq!(xor().labels, vec![0, 1, 1, 0]);
    assert_eq!(and_gate().targets(), vec![0.0, 0.0, 0.0, 1.0]);
    assert_eq!(or_gate().x.shape(), &[4, 2]);
}

#[test]
fn random_sets_follow_their_parameters() {
    let mut rng = StdRng::seed_from_u64(1);
    let b = blobs(50, &[(0.0, 0.0), (5.0, 5.0)], 0.5, &mut rng).unwrap();
    assert_eq!((b.x.shape(), b.labels.iter().filter(|&&l| l == 1).count()), (&[100usize, 2][..], 50));
    let second = b.x.narrow(0, 50, 50).unwrap().mean(&[0], false).unwrap().to_vec();
    assert!((second[0] - 5.0).abs() < 0.3 && (second[1] - 5.0).abs() < 0.3);

    let moons = two_moons(100, 0.0, &mut rng).unwrap();
    let points = moons.x.to_vec();
    assert!(
        points.chunks(2).take(100).all(|p| ((p[0] * p[0] + p[1] * p[1]).sqrt() - 1.0).abs() < 1e-5),
        "the first moon is a unit half circle"
    );

    let ring = ring_of_gaussians(4000, 8, 2.0, 0.02, &mut rng).unwrap();
    let centers = ring_centers(8, 2.0);
    for (p, &mode) in ring.x.to_vec().chunks(2).zip(&ring.labels) {
        let (cx, cy) = centers[mode];
        assert!(((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt() < 0.15, "within ~7σ of its mode");
    }
    let mut counts = [0usize; 8];
    ring.labels.iter().for_each(|&m| counts[m] += 1);
    assert!(counts.iter().all(|&c| (400..600).contains(&c)), "modes equally likely: {counts:?}");
    assert!(ring_of_gaussians(10, 0, 1.0, 0.1, &mut rng).is_err());
    assert!(blobs(10, &[(0.0, 0.0)], -1.0, &mut rng).is_err());
}
