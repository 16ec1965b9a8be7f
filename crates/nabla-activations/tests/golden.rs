//! Every activation against PyTorch's values and gradients (`tests/golden/README.md` gives the
//! calls), to 1e-5 relative.

use nabla_activations as act;
use nabla_tensor::{Result, Tensor};
use nabla_testkit::TIGHT;

fn check(case: &str, f: impl Fn(&Tensor) -> Result<Tensor>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
    nabla_testkit::check_case(dir, case, &["input"], TIGHT, |x, _| f(&x[0]));
}

#[test]
fn element_wise_activations_match_pytorch() {
    check("act_sigmoid", |x| Ok(act::sigmoid(x)));
    check("act_tanh", |x| Ok(act::tanh(x)));
    check("act_relu", |x| Ok(act::relu(x)));
    check("act_leaky_relu", |x| act::leaky_relu(x, 0.2));
    check("act_elu", |x| act::elu(x, 1.0));
    check("act_gelu", |x| Ok(act::gelu(x)));
    check("act_gelu_tanh", |x| Ok(act::gelu_tanh(x)));
    check("act_softplus", |x| act::softplus(x, 1.0, 20.0));
}

#[test]
fn softmax_and_log_softmax_match_pytorch() {
    check("act_softmax", |x| act::softmax(x, -1));
    check("act_log_softmax", |x| act::log_softmax(x, -1));
}
