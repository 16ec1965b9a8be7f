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

#[test]
fn the_adding_problem_marks_two_values_whose_sum_is_the_target() {
    use nabla_data::sequences::adding_problem;
    let mut rng = StdRng::seed_from_u64(2);
    let batch = adding_problem(500, 20, &mut rng).unwrap();
    assert_eq!((batch.inputs.shape(), batch.targets.shape()), (&[20usize, 500, 2][..], &[500usize, 1][..]));
    let (x, y) = (batch.inputs.to_vec(), batch.targets.to_vec());
    for b in 0..500 {
        let marked: Vec<usize> = (0..20).filter(|t| x[(t * 500 + b) * 2 + 1] == 1.0).collect();
        assert_eq!(marked.len(), 2);
        assert!(marked[0] < 10 && marked[1] >= 10, "one marker in each half");
        let sum: f32 = marked.iter().map(|t| x[(t * 500 + b) * 2]).sum();
        assert_eq!(sum, y[b]);
    }
    let baseline: f32 = y.iter().map(|v| (v - 1.0).powi(2)).sum::<f32>() / 500.0;
    assert!((baseline - 1.0 / 6.0).abs() < 0.03, "always answering 1 scores about 1/6: {baseline}");
}

#[test]
fn sine_windows_predict_the_next_value() {
    use nabla_data::sequences::{next_step_windows, noisy_sine};
    let series = noisy_sine(100, 25.0, 0.0, 0.0, &mut StdRng::seed_from_u64(3)).unwrap();
    assert!(
        (series[25]).abs() < 1e-5 && (series[50 + 6] - (2.0 * std::f32::consts::PI * 6.0 / 25.0).sin()).abs() < 1e-5
    );
    let windows = next_step_windows(&series, 10).unwrap();
    assert_eq!(windows.inputs.shape(), &[10, 90, 1]);
    let x = windows.inputs.to_vec();
    assert_eq!((x[3 * 90 + 7], windows.targets.to_vec()[7]), (series[10], series[17]));
    assert!(next_step_windows(&series[..5], 10).is_err());
}
