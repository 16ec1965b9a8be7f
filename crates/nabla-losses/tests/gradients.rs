//! Gradient checks of every loss under every reduction and option.

use nabla_losses::*;
use nabla_tensor::Tensor;
use nabla_testkit::{assert_gradients, uniform};

const REDUCTIONS: [Reduction; 3] = [Reduction::None, Reduction::Sum, Reduction::Mean];

#[test]
fn regression_losses() {
    let (x, t) = (uniform(&[3, 4], -2.0, 2.0, 1), uniform(&[3, 4], -2.0, 2.0, 2));
    for r in REDUCTIONS {
        assert_gradients("mse", |v| mse(&v[0], &v[1], r), vec![x.clone(), t.clone()]);
        assert_gradients("l1", |v| l1(&v[0], &v[1], r), vec![x.clone(), t.clone()]);
        assert_gradients("huber", |v| huber(&v[0], &v[1], 0.7, r), vec![x.clone(), t.clone()]);
        assert_gradients("smooth_l1", |v| smooth_l1(&v[0], &v[1], 0.7, r), vec![x.clone(), t.clone()]);
    }
}

#[test]
fn binary_cross_entropy_forms() {
    let probs = uniform(&[3, 4], 0.1, 0.9, 3);
    let targets = uniform(&[3, 4], 0.0, 1.0, 4);
    let logits = uniform(&[3, 4], -4.0, 4.0, 5);
    let weight = uniform(&[4], 0.5, 2.0, 6);
    for reduction in REDUCTIONS {
        let options = BceOptions { weight: Some(weight.clone()), reduction };
        assert_gradients("bce", |v| binary_cross_entropy(&v[0], &targets, &options), vec![probs.clone()]);
        let options = BceWithLogitsOptions {
            weight: Some(weight.clone()),
            pos_weight: Some(uniform(&[4], 0.5, 3.0, 7)),
            reduction,
        };
        assert_gradients(
            "bce with logits",
            |v| binary_cross_entropy_with_logits(&v[0], &targets, &options),
            vec![logits.clone()],
        );
        // The default pos_weight (one value for all) takes its own, two-input path.
        let options = BceWithLogitsOptions { reduction, ..Default::default() };
        assert_gradients(
            "bce with logits, default pos_weight",
            |v| binary_cross_entropy_with_logits(&v[0], &targets, &options),
            vec![logits.clone()],
        );
    }
}

#[test]
fn cross_entropy_with_classes_weights_ignore_index_and_smoothing() {
    let logits = uniform(&[5, 4], -2.0, 2.0, 8);
    let targets = [3, 0, -100, 1, 3];
    for reduction in REDUCTIONS {
        for label_smoothing in [0.0, 0.2] {
            let options = CrossEntropyOptions {
                weight: Some(vec![1.0, 0.5, 2.0, 1.5]),
                label_smoothing,
                reduction,
                ..Default::default()
            };
            assert_gradients("cross_entropy", |v| cross_entropy(&v[0], targets, &options), vec![logits.clone()]);
        }
        let options = NllOptions { weight: Some(vec![1.0, 0.5, 2.0, 1.5]), ignore_index: 0, reduction };
        assert_gradients("nll_loss", |v| nll_loss(&v[0], [3, 0, 2, 1, 3], &options), vec![logits.clone()]);
    }
}

#[test]
fn cross_entropy_over_spatial_positions() {
    // [N, C, H, W] = [2, 3, 2, 2]: one class target per (n, h, w).
    let logits = uniform(&[2, 3, 2, 2], -2.0, 2.0, 9);
    let targets = [0, 1, 2, 1, 2, 2, 0, 1];
    for reduction in REDUCTIONS {
        let options = CrossEntropyOptions { label_smoothing: 0.1, reduction, ..Default::default() };
        let loss = cross_entropy(&logits, targets, &options).unwrap();
        if reduction == Reduction::None {
            assert_eq!(loss.shape(), &[2, 2, 2]);
        }
        assert_gradients("cross_entropy [N,C,H,W]", |v| cross_entropy(&v[0], targets, &options), vec![logits.clone()]);
    }
}

#[test]
fn cross_entropy_with_probability_targets() {
    let logits = uniform(&[4, 3], -2.0, 2.0, 10);
    let raw = uniform(&[4, 3], 0.1, 1.0, 11);
    let probs = raw.div(&raw.sum(&[1], true).unwrap()).unwrap();
    for reduction in REDUCTIONS {
        let options = CrossEntropyOptions {
            weight: Some(vec![0.5, 1.0, 2.0]),
            label_smoothing: 0.1,
            reduction,
            ..Default::default()
        };
        assert_gradients(
            "cross_entropy probs",
            |v| cross_entropy_with_probs(&v[0], &v[1], &options),
            vec![logits.clone(), probs.clone()],
        );
    }
}

#[test]
fn kl_div_with_probability_and_log_targets() {
    let input = uniform(&[3, 4], -3.0, -0.1, 12);
    let target = uniform(&[3, 4], 0.05, 1.0, 13);
    for reduction in [KlReduction::None, KlReduction::Sum, KlReduction::Mean, KlReduction::BatchMean] {
        assert_gradients("kl_div", |v| kl_div(&v[0], &v[1], false, reduction), vec![input.clone(), target.clone()]);
        assert_gradients(
            "kl_div log_target",
            |v| kl_div(&v[0], &v[1], true, reduction),
            vec![input.clone(), input.mul_scalar(0.5).unwrap()],
        );
    }
}

#[test]
fn plain_divergences_on_their_support() {
    let p = uniform(&[2, 5], 0.05, 1.0, 14);
    let q = uniform(&[2, 5], 0.05, 1.0, 15);
    for axis in [0, 1] {
        assert_gradients("kl_divergence", |v| kl_divergence(&v[0], &v[1], axis), vec![p.clone(), q.clone()]);
        assert_gradients("js_divergence", |v| js_divergence(&v[0], &v[1], axis), vec![p.clone(), q.clone()]);
    }
}

#[test]
fn reductions_relate_as_expected() {
    let (x, t) = (uniform(&[2, 3], -1.0, 1.0, 16), uniform(&[2, 3], -1.0, 1.0, 17));
    let none = mse(&x, &t, Reduction::None).unwrap();
    assert_eq!(none.shape(), &[2, 3]);
    let sum = mse(&x, &t, Reduction::Sum).unwrap().item().unwrap();
    let mean = mse(&x, &t, Reduction::Mean).unwrap().item().unwrap();
    assert!((sum - none.to_vec().iter().sum::<f32>()).abs() < 1e-6);
    assert!((mean - sum / 6.0).abs() < 1e-6);
    let logits = Tensor::from_vec(vec![1.0, 2.0, 3.0, 1.0, 1.0, 1.0], &[2, 3]).unwrap();
    let ignored = cross_entropy(&logits, [2, -100], &CrossEntropyOptions::default()).unwrap().item().unwrap();
    let alone =
        cross_entropy(&logits.narrow(0, 0, 1).unwrap(), [2], &CrossEntropyOptions::default()).unwrap().item().unwrap();
    assert_eq!(ignored, alone, "an ignored row changes neither the sum nor the count");
}
