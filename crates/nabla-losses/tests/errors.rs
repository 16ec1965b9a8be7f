//! Bad input to a loss is a typed error naming the loss and the shapes.

use nabla_losses::*;
use nabla_tensor::{Error, Tensor};

#[test]
fn mismatched_shapes_and_bad_values() {
    let (a, b) = (Tensor::ones(&[2, 3]), Tensor::ones(&[3, 2]));
    assert_eq!(
        mse(&a, &b, Reduction::Mean).unwrap_err().to_string(),
        "mse_loss: shapes [2, 3] and [3, 2] do not match: input and target must have one shape"
    );
    assert!(matches!(huber(&a, &a, 0.0, Reduction::Mean), Err(Error::InvalidArgument { op: "huber_loss", .. })));
    let too_big = Tensor::full(&[2, 3], 1.5);
    assert!(matches!(
        binary_cross_entropy(&too_big, &a, &BceOptions::default()),
        Err(Error::InvalidArgument { op: "binary_cross_entropy", .. })
    ));
    let bad_weight = BceWithLogitsOptions { pos_weight: Some(Tensor::ones(&[2])), ..Default::default() };
    assert!(matches!(binary_cross_entropy_with_logits(&a, &a, &bad_weight), Err(Error::Broadcast { .. })));
    assert!(matches!(kl_div(&a, &b, false, KlReduction::BatchMean), Err(Error::ShapeMismatch { op: "kl_div", .. })));
    let negative = Tensor::full(&[3], -0.1);
    assert!(matches!(
        kl_divergence(&negative, &Tensor::ones(&[3]), 0),
        Err(Error::InvalidArgument { op: "kl_divergence", .. })
    ));
    assert!(matches!(js_divergence(&a, &a, 2), Err(Error::AxisOutOfRange { op: "js_divergence", .. })));
}

#[test]
fn class_targets_are_checked() {
    let logits = Tensor::ones(&[2, 3]);
    let options = CrossEntropyOptions::default();
    // Each loss reports under its own name, with the caller's shapes.
    assert!(matches!(cross_entropy(&logits, [0], &options), Err(Error::ShapeMismatch { op: "cross_entropy", .. })));
    assert!(matches!(
        cross_entropy(&logits, [0, 3], &options),
        Err(Error::IndexOutOfRange { op: "cross_entropy", index: 3, .. })
    ));
    assert!(matches!(
        cross_entropy(&logits, [-100, -100], &options),
        Err(Error::InvalidArgument { op: "cross_entropy", .. })
    ));
    let sequence = Tensor::ones(&[2, 3, 5]);
    assert_eq!(
        cross_entropy(&sequence, [0; 7], &options).unwrap_err().to_string(),
        "cross_entropy: shapes [2, 3, 5] and [7] do not match: needs one target per position of [2, 5]: 10, got 7"
    );
    assert!(cross_entropy(&sequence, nabla_tensor::Indices::new(vec![1; 10], &[2, 5]).unwrap(), &options).is_ok());
    assert!(cross_entropy(&sequence, vec![1usize; 10], &options).is_ok());
    // Targets of a batch of sequences for flattened logits: the count is what matters.
    let flat = Tensor::ones(&[10, 3]);
    assert!(cross_entropy(&flat, nabla_tensor::Indices::new(vec![2; 10], &[2, 5]).unwrap(), &options).is_ok());
    assert!(matches!(
        nll_loss(&sequence, [0, 1, 2, 0, 1, 2, 0, 1, 2, 3], &NllOptions::default()),
        Err(Error::IndexOutOfRange { op: "nll_loss", index: 3, ref shape, .. }) if shape == &[2, 3, 5]
    ));
    assert!(matches!(
        cross_entropy(&Tensor::ones(&[3]), [0], &options),
        Err(Error::InvalidArgument { op: "cross_entropy", .. })
    ));
    let smoothing = CrossEntropyOptions { label_smoothing: 1.5, ..Default::default() };
    assert!(matches!(
        cross_entropy(&logits, [0, 1], &smoothing),
        Err(Error::InvalidArgument { op: "cross_entropy", .. })
    ));
    let weights = NllOptions { weight: Some(vec![1.0; 2]), ..Default::default() };
    assert!(matches!(nll_loss(&logits, [0, 1], &weights), Err(Error::ShapeMismatch { op: "nll_loss", .. })));
}

#[test]
fn a_tracked_target_without_a_gradient_rule_is_an_error_at_backward() {
    let probs = Tensor::full(&[2], 0.5).requires_grad(true);
    let target = Tensor::full(&[2], 1.0).requires_grad(true);
    let loss = binary_cross_entropy(&probs, &target, &BceOptions::default()).unwrap();
    assert!(matches!(loss.backward(), Err(Error::NoBackward { .. })));
}

#[test]
fn extreme_logits_stay_finite() {
    let logits = Tensor::from_vec(vec![-100.0, 100.0, 100.0, -100.0], &[4]).unwrap().requires_grad(true);
    let targets = Tensor::from_vec(vec![1.0, 0.0, 1.0, 0.0], &[4]).unwrap();
    let loss = binary_cross_entropy_with_logits(&logits, &targets, &BceWithLogitsOptions::default()).unwrap();
    assert!((loss.item().unwrap() - 50.0).abs() < 1e-4, "two confidently wrong logits of 100: mean loss 200/4");
    assert!(loss.backward().unwrap().get(&logits).unwrap().to_vec().iter().all(|g| g.is_finite()));
    let rows = Tensor::from_vec(vec![100.0, -100.0, 0.0, -100.0, 100.0, 0.0], &[2, 3]).unwrap().requires_grad(true);
    let ce = cross_entropy(&rows, [1, 1], &CrossEntropyOptions::default()).unwrap();
    assert!((ce.item().unwrap() - 100.0).abs() < 1e-3);
    assert!(ce.backward().unwrap().get(&rows).unwrap().to_vec().iter().all(|g| g.is_finite()));
}
