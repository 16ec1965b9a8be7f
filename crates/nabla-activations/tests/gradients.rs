//! Gradient checks of every activation, and their behaviour at the extremes.

use nabla_activations as act;
use nabla_tensor::{Error, Tensor};
use nabla_testkit::{assert_gradients, uniform};

/// Inputs spread over [-3, 3], none within the finite-difference step of 0 (relu's kink).
fn spread() -> Tensor {
    let x = uniform(&[3, 7], -3.0, 3.0, 1);
    let nudged: Vec<f32> = x.to_vec().iter().map(|&v| if v.abs() < 0.05 { v + 0.1 } else { v }).collect();
    Tensor::from_vec(nudged, &[3, 7]).unwrap()
}

#[test]
fn element_wise_activations_pass_gradcheck() {
    let x = spread();
    assert_gradients("sigmoid", |t| Ok(act::sigmoid(&t[0])), vec![x.clone()]);
    assert_gradients("tanh", |t| Ok(act::tanh(&t[0])), vec![x.clone()]);
    assert_gradients("relu", |t| Ok(act::relu(&t[0])), vec![x.clone()]);
    assert_gradients("leaky_relu", |t| act::leaky_relu(&t[0], 0.1), vec![x.clone()]);
    assert_gradients("elu", |t| act::elu(&t[0], 0.7), vec![x.clone()]);
    assert_gradients("gelu", |t| Ok(act::gelu(&t[0])), vec![x.clone()]);
    assert_gradients("gelu_tanh", |t| Ok(act::gelu_tanh(&t[0])), vec![x.clone()]);
    assert_gradients("softplus", |t| act::softplus(&t[0], 1.0, 20.0), vec![x.clone()]);
    assert_gradients("softplus beta 2, threshold 2", |t| act::softplus(&t[0], 2.0, 2.0), vec![x.clone()]);
    assert_gradients("silu", |t| Ok(act::silu(&t[0])), vec![x]);
}

#[test]
fn softmax_family_passes_gradcheck_on_every_axis() {
    let x = uniform(&[2, 3, 4], -2.0, 2.0, 2);
    for axis in [0, 1, -1] {
        assert_gradients("softmax", |t| act::softmax(&t[0], axis), vec![x.clone()]);
        assert_gradients("log_softmax", |t| act::log_softmax(&t[0], axis), vec![x.clone()]);
    }
}

#[test]
fn inputs_of_plus_minus_100_give_finite_values_and_gradients() {
    let x = Tensor::from_vec(vec![-100.0, -50.0, 0.0, 50.0, 100.0], &[5]).unwrap().requires_grad(true);
    type Activation = fn(&Tensor) -> nabla_tensor::Result<Tensor>;
    let all: [(&str, Activation); 11] = [
        ("sigmoid", |x| Ok(act::sigmoid(x))),
        ("tanh", |x| Ok(act::tanh(x))),
        ("relu", |x| Ok(act::relu(x))),
        ("leaky_relu", |x| act::leaky_relu(x, 0.01)),
        ("elu", |x| act::elu(x, 1.0)),
        ("gelu", |x| Ok(act::gelu(x))),
        ("gelu_tanh", |x| Ok(act::gelu_tanh(x))),
        ("softplus", |x| act::softplus(x, 1.0, 20.0)),
        ("silu", |x| Ok(act::silu(x))),
        ("softmax", |x| act::softmax(x, 0)),
        ("log_softmax", |x| act::log_softmax(x, 0)),
    ];
    for (name, f) in all {
        let y = f(&x).unwrap();
        assert!(y.to_vec().iter().all(|v| v.is_finite()), "{name}: {:?}", y.to_vec());
        let g = y.backward_with(&Tensor::ones(&[5])).unwrap();
        assert!(g.get(&x).unwrap().to_vec().iter().all(|v| v.is_finite()), "{name} gradient");
    }
    let tiny = act::sigmoid(&x).to_vec()[0];
    assert!(tiny > 0.0 && tiny < 1e-43, "sigmoid(-100) = e^-100 ≈ 3.7e-44 (a denormal), got {tiny}");
    assert_eq!(act::log_softmax(&x, 0).unwrap().to_vec()[0], -200.0);
}

#[test]
fn bad_arguments_are_typed_errors() {
    let x = Tensor::ones(&[2, 3]);
    assert!(matches!(act::softmax(&x, 2), Err(Error::AxisOutOfRange { op: "softmax", .. })));
    assert!(matches!(act::log_softmax(&x, -3), Err(Error::AxisOutOfRange { op: "log_softmax", .. })));
    assert!(matches!(act::softplus(&x, 0.0, 20.0), Err(Error::InvalidArgument { op: "softplus", .. })));
    assert!(matches!(act::leaky_relu(&x, f32::NAN), Err(Error::InvalidArgument { op: "leaky_relu", .. })));
    assert!(matches!(act::elu(&x, f32::INFINITY), Err(Error::InvalidArgument { op: "elu", .. })));
}
