//! The autodiff engine's contract: accumulation, no-grad scopes, detach, leaves, in-place
//! updates, deep graphs, and the typed errors of backward.

use nabla_tensor::{Data, Error, NoGradGuard, Op, Result, Tensor, no_grad};

fn vector(values: &[f32]) -> Tensor {
    Tensor::from_vec(values.to_vec(), &[values.len()]).unwrap()
}

#[test]
fn a_tensor_used_twice_accumulates_both_gradients() {
    let x = vector(&[1.0, -2.0, 3.0]).requires_grad(true);
    // y = Σ (x·x + 3x): dy/dx = 2x + 3
    let y = x.mul(&x).unwrap().add(&x.mul_scalar(3.0).unwrap()).unwrap().sum_all().unwrap();
    let grads = y.backward().unwrap();
    assert_eq!(grads.get(&x).unwrap().to_vec(), vec![5.0, -1.0, 9.0]);
}

#[test]
fn gradients_reach_leaves_only_and_every_leaf() {
    let a = vector(&[1.0, 2.0]).requires_grad(true);
    let b = vector(&[3.0, 4.0]).requires_grad(true);
    let frozen = vector(&[5.0, 6.0]);
    let hidden = a.mul(&b).unwrap();
    let loss = hidden.mul(&frozen).unwrap().sum_all().unwrap();
    let grads = loss.backward().unwrap();
    assert_eq!(grads.len(), 2);
    assert_eq!(grads.get(&a).unwrap().to_vec(), vec![15.0, 24.0]);
    assert_eq!(grads.get(&b).unwrap().to_vec(), vec![5.0, 12.0]);
    assert!(grads.get(&hidden).is_none() && grads.get(&frozen).is_none());
}

#[test]
fn no_grad_records_nothing_and_restores_on_exit() {
    let w = vector(&[1.0, 2.0]).requires_grad(true);
    let inside = no_grad(|| w.mul_scalar(2.0).unwrap());
    assert!(!inside.is_tracked() && inside.is_leaf());
    {
        let _guard = NoGradGuard::new();
        assert!(!nabla_tensor::is_grad_enabled());
        assert!(!w.exp().unwrap().is_tracked());
    }
    assert!(nabla_tensor::is_grad_enabled());
    assert!(w.exp().unwrap().is_tracked());
    // A loss computed from an untracked value has nothing to backpropagate: an error, as in
    // PyTorch, not an empty store that would leave a training loop silently unchanged.
    let error = inside.sum_all().unwrap().backward().unwrap_err();
    assert!(matches!(error, Error::NotTracked { op: "backward", .. }), "{error}");
    assert!(error.to_string().contains("no_grad"), "{error}");
    let loss_under_no_grad = no_grad(|| w.mul_scalar(2.0).unwrap().sum_all().unwrap());
    assert!(matches!(loss_under_no_grad.backward(), Err(Error::NotTracked { .. })));
    let constant = Tensor::ones(&[3]).sum_all().unwrap();
    assert!(matches!(constant.backward_with(&Tensor::ones(&[])), Err(Error::NotTracked { .. })));
}

#[test]
fn detach_stops_the_gradient() {
    let x = vector(&[1.5, -2.0]).requires_grad(true);
    let y = x.mul(&x.detach()).unwrap().sum_all().unwrap();
    // Only the tracked factor contributes: d/dx (x · c) = c = x.
    assert_eq!(y.backward().unwrap().get(&x).unwrap().to_vec(), vec![1.5, -2.0]);
}

#[test]
fn backward_with_an_upstream_gradient() {
    let x = vector(&[1.0, 2.0, 3.0]).requires_grad(true);
    let y = x.mul_scalar(2.0).unwrap();
    let grads = y.backward_with(&vector(&[1.0, 0.0, -1.0])).unwrap();
    assert_eq!(grads.get(&x).unwrap().to_vec(), vec![2.0, 0.0, -2.0]);
    assert!(matches!(y.backward(), Err(Error::InvalidArgument { op: "backward", .. })));
    assert!(matches!(y.backward_with(&vector(&[1.0])), Err(Error::ShapeMismatch { op: "backward", .. })));
}

#[test]
fn set_data_keeps_identity_and_recorded_graphs_keep_their_values() {
    let w = vector(&[2.0]).requires_grad(true);
    let id = w.id();
    let loss = w.mul(&w).unwrap().sum_all().unwrap();
    w.set_data(vector(&[10.0]).data()).unwrap();
    assert_eq!(w.id(), id);
    // The graph saw w = 2, so d(w²)/dw = 4 whatever w holds now.
    assert_eq!(loss.backward().unwrap().get(&w).unwrap().to_vec(), vec![4.0]);
    w.update_data(|mut v| v.mapv_inplace(|x| x + 1.0)).unwrap();
    assert_eq!(w.to_vec(), vec![11.0]);
    assert!(matches!(w.set_data(Tensor::zeros(&[2]).data()), Err(Error::ShapeMismatch { .. })));
    assert!(loss.set_data(Tensor::zeros(&[]).data()).is_err(), "a non-leaf cannot be overwritten");
}

#[test]
fn a_hundred_thousand_step_chain_backpropagates_and_drops_without_recursion() {
    let x = vector(&[1.0, 2.0]).requires_grad(true);
    let mut y = x.clone();
    for _ in 0..100_000 {
        y = y.mul_scalar(1.0).unwrap();
    }
    let grads = y.sum_all().unwrap().backward().unwrap();
    assert_eq!(grads.get(&x).unwrap().to_vec(), vec![1.0, 1.0]);
    let before = nabla_tensor::live_tensor_count();
    drop(y);
    assert!(nabla_tensor::live_tensor_count() < before, "dropping the chain frees it");
}

struct Forward;

impl Op for Forward {
    fn name(&self) -> &'static str {
        "forward_only"
    }
    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        Ok(inputs[0].clone())
    }
}

#[test]
fn an_op_without_backward_is_a_typed_error_not_a_panic() {
    let x = vector(&[1.0]).requires_grad(true);
    let y = Tensor::apply(Forward, &[&x]).unwrap();
    assert_eq!(y.to_vec(), vec![1.0]);
    let err = y.sum_all().unwrap().backward().unwrap_err();
    assert_eq!(err, Error::NoBackward { op: "forward_only" });
    assert_eq!(err.to_string(), "forward_only: this op has no backward rule, so it cannot be differentiated");
}

#[test]
fn a_backward_pass_frees_the_saved_values_so_a_second_one_is_a_typed_error() {
    let w = vector(&[1.0, 2.0]).requires_grad(true);
    let loss = w.mul(&w).unwrap().sum_all().unwrap();
    let address = w.data().as_ptr();
    assert_eq!(loss.backward().unwrap().get(&w).unwrap().to_vec(), vec![2.0, 4.0]);
    // The graph no longer shares the values, so an in-place update does not copy them.
    w.update_data(|mut values| values.iter_mut().for_each(|v| *v += 1.0)).unwrap();
    assert_eq!(w.data().as_ptr(), address);
    let err = loss.backward().unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { op: "backward", .. }), "{err}");
    assert!(err.to_string().contains("already used by a backward pass"), "{err}");
    // A fresh forward pass can be differentiated again, from the updated values.
    let again = w.mul(&w).unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(again.get(&w).unwrap().to_vec(), vec![4.0, 6.0]);
}

#[test]
fn tensors_are_send_and_sync_and_usable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Tensor>();
    let x = vector(&[1.0, 2.0]).requires_grad(true);
    let y = std::thread::spawn({
        let x = x.clone();
        move || x.mul_scalar(3.0).unwrap().sum_all().unwrap()
    })
    .join()
    .unwrap();
    assert_eq!(y.backward().unwrap().get(&x).unwrap().to_vec(), vec![3.0, 3.0]);
}

#[test]
fn flush_denormal_reaches_rayon_threads() {
    assert!(nabla_tensor::set_flush_denormal(true));
    assert!(!denormal_survives_on_pool());
    nabla_tensor::set_flush_denormal(false);
    assert!(denormal_survives_on_pool());
}

/// Whether a denormal product survives on rayon's pool (the threads the kernels use): a large
/// element-wise op is split across the pool.
fn denormal_survives_on_pool() -> bool {
    let product = Tensor::full(&[1 << 16], 1e-20).mul_scalar(1e-19).unwrap();
    product.to_vec().iter().all(|&v| v != 0.0)
}
