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
    check("act_sigmoid", act::sigmoid);
    check("act_tanh", act::tanh);
    check("act_relu", act::relu);
    check("act_leaky_relu", |x| act::leaky_relu(x, 0.2));
    check("act_elu", |x| act::elu(x, 1.0));
    check("act_gelu", act::gelu);
    check("act_gelu_tanh", act::gelu_tanh);
    check("act_softplus", |x| act::softplus(x, 1.0, 20.0));
}

#[test]
fn softmax_and_log_softmax_match_pytorch() {
    check("act_softmax", |x| act::softmax(x, -1));
    check("act_log_softmax", |x| act::log_softmax(x, -1));
}
