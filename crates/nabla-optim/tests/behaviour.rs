//! Parameter groups, every rule variant converging, resuming from saved state, clipping,
//! schedules and bad hyperparameters.

use std::sync::Arc;

use nabla_optim::*;
use nabla_tensor::{Error, Gradients, Result, Tensor};

fn param(values: &[f32]) -> Tensor {
    Tensor::from_vec(values.to_vec(), &[values.len()]).unwrap().requires_grad(true)
}

/// Gradients of Σ (p - 3)² for every parameter.
fn quadratic_grads(params: &[&Tensor]) -> Result<Gradients> {
    let mut total = Tensor::scalar(0.0);
    for p in params {
        total = total.add(&p.sub_scalar(3.0)?.powf(2.0)?.sum_all()?)?;
    }
    total.backward()
}

/// Every rule variant, each with the state it keeps (momentum and Nesterov, dampening, weight
/// decay, AMSGrad's maximum, AdamW's decoupled decay, RMSprop's centred average and momentum).
fn every_rule_variant() -> [Arc<dyn UpdateRule>; 8] {
    [
        Arc::new(SgdConfig { lr: 0.1, ..Default::default() }),
        Arc::new(SgdConfig { lr: 0.05, momentum: 0.9, dampening: 0.1, weight_decay: 1e-4, ..Default::default() }),
        Arc::new(SgdConfig { lr: 0.05, momentum: 0.9, nesterov: true, ..Default::default() }),
        Arc::new(AdamConfig { lr: 0.1, ..Default::default() }),
        Arc::new(AdamConfig { lr: 0.1, amsgrad: true, weight_decay: 1e-4, ..Default::default() }),
        Arc::new(AdamW(AdamConfig { lr: 0.1, ..AdamConfig::adamw() })),
        Arc::new(RmsPropConfig { lr: 0.05, ..Default::default() }),
        Arc::new(RmsPropConfig { lr: 0.02, momentum: 0.5, centered: true, ..Default::default() }),
    ]
}

#[test]
fn every_rule_variant_minimises_a_quadratic() {
    for rule in every_rule_variant() {
        let p = param(&[0.0, -1.0, 5.0]);
        let mut optimizer = Optimizer::new(vec![p.clone()], rule.clone()).unwrap();
        for _ in 0..300 {
            optimizer.step(&quadratic_grads(&[&p]).unwrap()).unwrap();
        }
        // AdamW's decay pulls slightly towards 0; everything else reaches 3.
        assert!(p.to_vec().iter().all(|v| (v - 3.0).abs() < 0.05), "{rule:?}: {:?}", p.to_vec());
    }
}

#[test]
fn groups_have_their_own_learning_rates() {
    let (fast, slow) = (param(&[0.0]), param(&[0.0]));
    let groups = vec![
        ParamGroup { params: vec![fast.clone()], lr: None },
        ParamGroup { params: vec![slow.clone()], lr: Some(0.01) },
    ];
    let mut sgd = Optimizer::with_groups(groups, SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
    assert_eq!(sgd.learning_rates(), vec![0.1, 0.01]);
    sgd.step(&quadratic_grads(&[&fast, &slow]).unwrap()).unwrap();
    // One step from 0 with gradient -6.
    assert!((fast.to_vec()[0] - 0.6).abs() < 1e-6 && (slow.to_vec()[0] - 0.06).abs() < 1e-6);
}

/// Six steps straight, against three steps, the state dict saved into a fresh optimizer, and
/// three more, with the learning rate changed by a schedule halfway (as a resumed run sets it).
fn assert_resumes_exactly(rule: Arc<dyn UpdateRule>) -> Vec<(String, Tensor)> {
    let run = |optimizer: &mut Optimizer, p: &Tensor, steps: std::ops::Range<usize>| {
        for step in steps {
            let lr = LrSchedule::Step { step_size: 2, gamma: 0.5 }.lr_at(rule.lr(), step);
            optimizer.set_learning_rate(0, lr).unwrap();
            optimizer.step(&quadratic_grads(&[p]).unwrap()).unwrap();
        }
    };
    let uninterrupted = param(&[0.0, 1.0]);
    run(&mut Optimizer::new(vec![uninterrupted.clone()], rule.clone()).unwrap(), &uninterrupted, 0..6);

    let resumed = param(&[0.0, 1.0]);
    let mut first = Optimizer::new(vec![resumed.clone()], rule.clone()).unwrap();
    run(&mut first, &resumed, 0..3);
    let saved = first.state_dict();
    let mut second = Optimizer::new(vec![resumed.clone()], rule.clone()).unwrap();
    second.load_state_dict(&saved).unwrap();
    run(&mut second, &resumed, 3..6);
    assert_eq!(resumed.to_vec(), uninterrupted.to_vec(), "{rule:?}");
    // Without the saved state the continuation differs for every rule that keeps some.
    let fresh = param(&[0.0, 1.0]);
    run(&mut Optimizer::new(vec![fresh.clone()], rule.clone()).unwrap(), &fresh, 0..3);
    run(&mut Optimizer::new(vec![fresh.clone()], rule.clone()).unwrap(), &fresh, 3..6);
    let keeps_state = saved.iter().any(|(name, _)| name.starts_with("state.0.") && !name.ends_with(".step"));
    assert_eq!(fresh.to_vec() != uninterrupted.to_vec(), keeps_state, "{rule:?}: {saved:?}");
    saved
}

#[test]
fn a_restored_optimizer_continues_exactly_where_the_saved_one_was() {
    for rule in every_rule_variant() {
        assert_resumes_exactly(rule);
    }
    let saved = assert_resumes_exactly(Arc::new(AdamConfig { lr: 0.05, amsgrad: true, ..Default::default() }));
    let mut second = Optimizer::new(vec![param(&[0.0, 1.0])], AdamConfig::default()).unwrap();
    let mut wrong = saved.clone();
    wrong.push(("state.0.momentum_buffer".into(), Tensor::zeros(&[2])));
    assert!(matches!(second.load_state_dict(&wrong), Err(Error::InvalidArgument { .. })));
    let bad_shape: Vec<_> = saved
        .iter()
        .map(|(k, t)| if k == "state.0.exp_avg" { (k.clone(), Tensor::zeros(&[3])) } else { (k.clone(), t.clone()) })
        .collect();
    let err = second.load_state_dict(&bad_shape).unwrap_err();
    assert!(err.to_string().contains("state.0.exp_avg: shape [3], but the parameter is [2]"), "{err}");
}

#[test]
fn clipping_by_norm_and_by_value() {
    let (a, b) = (param(&[0.0, 0.0]), param(&[0.0]));
    let mut grads = quadratic_grads(&[&a, &b]).unwrap(); // all -6: norm 6√3
    let norm = clip_grad_norm(&mut grads, [&a, &b], 1.0).unwrap();
    assert!((norm - 6.0 * 3f32.sqrt()).abs() < 1e-4);
    let clipped: f32 = [&a, &b].iter().flat_map(|p| grads.get(p).unwrap().to_vec()).map(|v| v * v).sum::<f32>().sqrt();
    assert!((clipped - 1.0).abs() < 1e-5, "clipped norm {clipped}");
    let unchanged = clip_grad_norm(&mut grads, [&a, &b], 10.0).unwrap();
    assert!((unchanged - 1.0).abs() < 1e-5);

    let mut grads = quadratic_grads(&[&a]).unwrap();
    clip_grad_value(&mut grads, [&a], 2.5).unwrap();
    assert_eq!(grads.get(&a).unwrap().to_vec(), vec![-2.5, -2.5]);
    assert!(clip_grad_norm(&mut grads, [&a], -1.0).is_err());
}

#[test]
fn schedules_follow_pytorch_formulas() {
    let step = LrSchedule::Step { step_size: 3, gamma: 0.1 };
    let lrs: Vec<f64> = (0..7).map(|e| step.lr_at(1.0, e)).collect();
    let expected = [1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01];
    assert!(lrs.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-12), "{lrs:?}");
    assert!((LrSchedule::Exponential { gamma: 0.5 }.lr_at(0.8, 3) - 0.1).abs() < 1e-12);
    let cosine = LrSchedule::Cosine { t_max: 10, eta_min: 0.0 };
    assert!(
        (cosine.lr_at(0.1, 0) - 0.1).abs() < 1e-12
            && (cosine.lr_at(0.1, 5) - 0.05).abs() < 1e-12
            && cosine.lr_at(0.1, 10).abs() < 1e-12
    );
    let warmup = LrSchedule::Linear { start_factor: 0.25, end_factor: 1.0, total_iters: 4 };
    let lrs: Vec<f64> = (0..6).map(|e| warmup.lr_at(0.4, e)).collect();
    assert!(lrs.iter().zip([0.1, 0.175, 0.25, 0.325, 0.4, 0.4]).all(|(a, b)| (a - b).abs() < 1e-12), "{lrs:?}");

    let p = param(&[0.0]);
    let mut sgd = Optimizer::sgd(vec![p], SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
    let mut scheduler = Scheduler::new(&mut sgd, step).unwrap();
    for _ in 0..3 {
        scheduler.step(&mut sgd).unwrap();
    }
    assert!((sgd.learning_rates()[0] - 0.01).abs() < 1e-12);
}

#[test]
fn bad_hyperparameters_and_gradients_are_errors() {
    let p = param(&[1.0]);
    let invalid =
        |rule: Arc<dyn UpdateRule>| matches!(Optimizer::new(vec![p.clone()], rule), Err(Error::InvalidArgument { .. }));
    assert!(invalid(Arc::new(SgdConfig { lr: -0.1, ..Default::default() })));
    assert!(invalid(Arc::new(SgdConfig { nesterov: true, ..Default::default() })));
    assert!(invalid(Arc::new(AdamConfig { betas: (0.9, 1.0), ..Default::default() })));
    assert!(invalid(Arc::new(AdamW(AdamConfig { eps: -1.0, ..AdamConfig::adamw() }))));
    assert!(invalid(Arc::new(RmsPropConfig { alpha: 1.5, ..Default::default() })));
    let not_leaf = p.mul_scalar(2.0).unwrap();
    assert!(Optimizer::sgd(vec![not_leaf], SgdConfig::default()).is_err());
    assert!(
        Optimizer::sgd(vec![Tensor::ones(&[1])], SgdConfig::default()).is_err(),
        "an untracked tensor is not a parameter"
    );

    let mut sgd = Optimizer::sgd(vec![p.clone()], SgdConfig::default()).unwrap();
    let mut grads = Gradients::default();
    grads.insert(&p, Tensor::full(&[1], f32::NAN)).unwrap();
    assert!(matches!(sgd.step(&grads), Err(Error::InvalidArgument { op: "SGD", .. })));
    assert_eq!(p.to_vec(), vec![1.0], "a failed step leaves the parameters alone");
}

/// A step given gradients for none of its parameters is an error on every step, and leaves
/// them unchanged: the loss did not reach them, so training would silently do nothing.
#[test]
fn a_step_without_any_gradient_is_an_error() {
    let w = param(&[1.0, -2.0]);
    let other = param(&[0.5]);
    let mut adam = Optimizer::adam(vec![w.clone()], AdamConfig::default()).unwrap();
    // Gradients of a loss that depends on another tensor only.
    let grads = other.mul(&other).unwrap().sum_all().unwrap().backward().unwrap();
    for _ in 0..2 {
        let error = adam.step(&grads).unwrap_err();
        assert!(matches!(error, Error::NoGradient { op: "Adam", parameters: 1 }), "{error}");
    }
    assert!(matches!(adam.step(&Gradients::default()), Err(Error::NoGradient { .. })));
    assert_eq!(w.to_vec(), vec![1.0, -2.0]);
    // One parameter of two with a gradient is a normal step (PyTorch skips the other).
    let mut sgd = Optimizer::sgd(vec![w.clone(), other.clone()], SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
    sgd.step(&grads).unwrap();
    assert_eq!(w.to_vec(), vec![1.0, -2.0]);
    assert!((other.to_vec()[0] - 0.4).abs() < 1e-6, "{other:?}");
}

/// `rule` with `elementwise` false: the optimizer updates each parameter whole, on one thread.
#[derive(Debug)]
struct Whole(Arc<dyn UpdateRule>);

impl UpdateRule for Whole {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn lr(&self) -> f64 {
        self.0.lr()
    }

    fn slots(&self) -> Vec<&'static str> {
        self.0.slots()
    }

    fn update(&self, lr: f64, param: &mut [f32], grad: &[f32], slots: &mut [&mut [f32]], step: u64) {
        self.0.update(lr, param, grad, slots, step);
    }
}

#[test]
fn a_large_parameter_updated_in_pieces_on_threads_equals_it_updated_whole() {
    // 40,001 values: two whole pieces of 16,384 and a short one, each a different stretch.
    let values: Vec<f32> = (0..40_001).map(|i| ((i * 37 % 1001) as f32 - 500.0) * 1e-3).collect();
    let rules: [Arc<dyn UpdateRule>; 4] = [
        Arc::new(SgdConfig { lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 1e-3, ..Default::default() }),
        Arc::new(AdamConfig { lr: 0.01, amsgrad: true, weight_decay: 1e-3, ..Default::default() }),
        Arc::new(AdamW(AdamConfig { lr: 0.01, ..AdamConfig::adamw() })),
        Arc::new(RmsPropConfig { lr: 0.01, momentum: 0.5, centered: true, ..Default::default() }),
    ];
    for rule in rules {
        assert!(rule.elementwise(), "{} updates each value alone", rule.name());
        let run = |rule: Arc<dyn UpdateRule>| -> Vec<f32> {
            let w = param(&values);
            let mut opt = Optimizer::new(vec![w.clone()], rule).unwrap();
            for _ in 0..3 {
                // Gradients that differ value by value: Σ (w - 3)² · w.
                let loss = w.sub_scalar(3.0).unwrap().powf(2.0).unwrap().mul(&w).unwrap().sum_all().unwrap();
                opt.step(&loss.backward().unwrap()).unwrap();
            }
            w.to_vec()
        };
        let (pieces, whole) = (run(rule.clone()), run(Arc::new(Whole(rule.clone()))));
        assert_ne!(pieces, values, "{} moved the parameter", rule.name());
        assert!(pieces.iter().zip(&whole).all(|(a, b)| a.to_bits() == b.to_bits()), "{}", rule.name());
    }
}
