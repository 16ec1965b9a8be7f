//! A graph lives exactly as long as the tensors that reference it: 10,000 training steps of a
//! small model leave the number of live tensors (and the resident memory) where step 100 left
//! them. Its own test binary, so no other test's tensors are counted.

use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Tensor, live_tensor_count};

#[test]
fn ten_thousand_training_steps_do_not_grow_memory() {
    let mut rng = StdRng::seed_from_u64(7);
    // Regression of y = |x·w| with a 4-16-1 ReLU MLP (ReLU as `maximum` with 0).
    let x = Tensor::uniform(&[32, 4], -1.0, 1.0, &mut rng).unwrap();
    let true_w = Tensor::uniform(&[4, 1], -1.0, 1.0, &mut rng).unwrap();
    let y = x.matmul(&true_w).unwrap().abs().unwrap();
    let w1 = Tensor::uniform(&[4, 16], -0.5, 0.5, &mut rng).unwrap().requires_grad(true);
    let b1 = Tensor::zeros(&[16]).requires_grad(true);
    let w2 = Tensor::uniform(&[16, 1], -0.5, 0.5, &mut rng).unwrap().requires_grad(true);
    let zero = Tensor::scalar(0.0);
    let params = [&w1, &b1, &w2];

    let mut first_loss = None;
    let mut loss_value = f32::NAN;
    let (mut live_at_100, mut rss_at_100) = (0, None);
    for step in 0..10_000 {
        loss_value = train_step(&x, &y, &params, &zero);
        first_loss.get_or_insert(loss_value);
        if step == 100 {
            (live_at_100, rss_at_100) = (live_tensor_count(), nabla_testkit::resident_bytes());
        }
    }
    assert!(live_at_100 > 0);
    assert_eq!(live_tensor_count(), live_at_100, "live tensors grew between step 100 and step 10,000");
    if let (Some(before), Some(after)) = (rss_at_100, nabla_testkit::resident_bytes()) {
        assert!(after < before + 8 * 1024 * 1024, "resident memory grew from {before} to {after} bytes");
    }
    let first = first_loss.unwrap();
    assert!(loss_value < 0.05 * first, "the model should learn: loss {first} -> {loss_value}");
}

/// One step of gradient descent (lr 0.05); returns the loss. Everything it records is dropped
/// when it returns.
fn train_step(x: &Tensor, y: &Tensor, params: &[&Tensor; 3], zero: &Tensor) -> f32 {
    let [w1, b1, w2] = *params;
    let hidden = x.matmul(w1).unwrap().add(b1).unwrap().maximum(zero).unwrap();
    let loss = hidden.matmul(w2).unwrap().sub(y).unwrap().powf(2.0).unwrap().mean_all().unwrap();
    let grads = loss.backward().unwrap();
    for p in params {
        let g = grads.get(p).unwrap().data();
        p.update_data(|mut v| v.zip_mut_with(&g, |w, &g| *w -= 0.05 * g)).unwrap();
    }
    loss.item().unwrap()
}
