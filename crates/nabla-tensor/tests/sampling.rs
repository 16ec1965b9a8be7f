//! Categorical sampling: `multinomial` draws in proportion to the weights, with and without
//! replacement; `sample_logits` sharpens with a low temperature and keeps only the top k.

use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Error, SamplingOptions, Tensor, multinomial, sample_logits};

fn counts(draws: &[i64], classes: usize) -> Vec<usize> {
    let mut counts = vec![0; classes];
    draws.iter().for_each(|&d| counts[d as usize] += 1);
    counts
}

#[test]
fn multinomial_draws_in_proportion_to_the_weights() {
    let weights = Tensor::from_vec(vec![1.0, 0.0, 3.0, 6.0], &[4]).unwrap();
    let draws = multinomial(&weights, 20_000, true, &mut StdRng::seed_from_u64(1)).unwrap();
    assert_eq!(draws.shape(), &[20_000]);
    let counts = counts(draws.values(), 4);
    assert_eq!(counts[1], 0, "a zero weight is never drawn");
    // Each share within 0.015 of its probability (about 5 standard deviations at n = 20,000).
    for (count, p) in counts.iter().zip([0.1, 0.0, 0.3, 0.6]) {
        let share = *count as f64 / 20_000.0;
        assert!((share - p).abs() < 0.015, "share {share} for probability {p}: {counts:?}");
    }
}

#[test]
fn multinomial_without_replacement_draws_each_category_once() {
    let weights = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 0.0, 1.0], &[2, 4]).unwrap();
    let mut rng = StdRng::seed_from_u64(2);
    let draws = multinomial(&weights, 3, false, &mut rng).unwrap();
    assert_eq!(draws.shape(), &[2, 3]);
    for row in draws.values().chunks(3) {
        let mut sorted = row.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 3, "a category drawn twice: {row:?}");
    }
    assert!(!draws.values()[3..].contains(&2), "the second row's category 2 has weight 0");
    // The second row has three categories of non-zero weight: a fourth draw is impossible.
    let error = multinomial(&weights, 4, false, &mut rng).unwrap_err();
    assert!(matches!(error, Error::InvalidArgument { op: "multinomial", .. }), "{error}");
    // The same seed gives the same draws.
    let again = multinomial(&weights, 3, false, &mut StdRng::seed_from_u64(2)).unwrap();
    assert_eq!(again, draws);
}

#[test]
fn multinomial_rejects_bad_weights() {
    let mut rng = StdRng::seed_from_u64(3);
    for bad in [vec![1.0, -1.0], vec![0.0, 0.0], vec![1.0, f32::NAN], vec![f32::INFINITY, 1.0]] {
        let weights = Tensor::from_vec(bad.clone(), &[2]).unwrap();
        assert!(matches!(multinomial(&weights, 1, true, &mut rng), Err(Error::InvalidArgument { .. })), "{bad:?}");
    }
    assert!(matches!(multinomial(&Tensor::ones(&[2, 2, 2]), 1, true, &mut rng), Err(Error::ShapeMismatch { .. })));
    assert!(matches!(multinomial(&Tensor::ones(&[3]), 0, true, &mut rng), Err(Error::InvalidArgument { .. })));
}

#[test]
fn temperature_sharpens_and_top_k_cuts() {
    let logits = Tensor::from_vec(vec![2.0, 1.0, 0.0, -1.0], &[4]).unwrap();
    let share_of_best = |options: SamplingOptions| {
        let mut rng = StdRng::seed_from_u64(4);
        let rows = Tensor::stack(&vec![&logits; 5000], 0).unwrap();
        let draws = sample_logits(&rows, &options, &mut rng).unwrap();
        assert_eq!(draws.shape(), &[5000]);
        (counts(draws.values(), 4)[0] as f64 / 5000.0, counts(draws.values(), 4))
    };
    // softmax([2, 1, 0, -1]) gives the first 0.644; at temperature 0.5, 0.865; at 2, 0.455.
    let (plain, _) = share_of_best(SamplingOptions::default());
    let (cold, _) = share_of_best(SamplingOptions { temperature: 0.5, top_k: None });
    let (hot, _) = share_of_best(SamplingOptions { temperature: 2.0, top_k: None });
    assert!(
        (plain - 0.644).abs() < 0.03 && (cold - 0.865).abs() < 0.03 && (hot - 0.455).abs() < 0.03,
        "{plain} {cold} {hot}"
    );
    let (_, top2) = share_of_best(SamplingOptions { temperature: 1.0, top_k: Some(2) });
    assert_eq!((top2[2], top2[3]), (0, 0), "only the two most likely are drawn: {top2:?}");
    // e^1 / (e^1 + e^0) = 0.731 of the two kept.
    assert!((top2[0] as f64 / 5000.0 - 0.731).abs() < 0.03, "{top2:?}");
    let mut rng = StdRng::seed_from_u64(5);
    for bad in [SamplingOptions { temperature: 0.0, top_k: None }, SamplingOptions { temperature: 1.0, top_k: Some(0) }]
    {
        assert!(matches!(sample_logits(&logits, &bad, &mut rng), Err(Error::InvalidArgument { .. })));
    }
    let impossible = Tensor::full(&[3], f32::NEG_INFINITY);
    assert!(matches!(
        sample_logits(&impossible, &SamplingOptions::default(), &mut rng),
        Err(Error::InvalidArgument { .. })
    ));
}
