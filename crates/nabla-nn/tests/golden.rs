//! Layers against PyTorch's outputs, input and parameter gradients, and running statistics
//! (`tests/golden/README.md`), to 1e-5 relative.

use std::collections::HashMap;

use nabla_nn::*;
use nabla_tensor::Tensor;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_testkit::{TIGHT, assert_close};

fn load(case: &str) -> HashMap<String, Tensor> {
    nabla_testkit::load(format!("{}/tests/golden/{case}.safetensors", env!("CARGO_MANIFEST_DIR")))
}

/// Sets the module's state from the file, runs it on `input`, and compares everything stored.
fn check(case: &str, module: &dyn Module) {
    let file = load(case);
    for (name, tensor) in module.state_dict() {
        tensor.set_data(file[&name].data()).unwrap();
    }
    let input = file["input"].clone().requires_grad(true);
    let output = module.forward(&input).unwrap();
    assert_close(case, "output", &output, &file["output"], TIGHT);
    let grads = output.backward_with(&file["grad_output"]).unwrap();
    assert_close(case, "grad_input", grads.get(&input).unwrap(), &file["grad_input"], TIGHT);
    for (name, param) in module.named_parameters() {
        assert_close(case, &format!("grad_{name}"), grads.get(&param).unwrap(), &file[&format!("grad_{name}")], TIGHT);
    }
    for (name, buffer) in module.state_dict() {
        if let Some(after) = file.get(&format!("{name}_after")) {
            assert_close(case, &format!("{name} after"), &buffer, after, TIGHT);
        }
    }
}

#[test]
fn linear_matches_pytorch() {
    let mut rng = StdRng::seed_from_u64(0);
    check("linear_bias", &Linear::new(LinearConfig::new(5, 4), &mut rng).unwrap());
    check("linear_nobias", &Linear::new(LinearConfig { bias: false, ..LinearConfig::new(5, 4) }, &mut rng).unwrap());
}

#[test]
fn layer_norm_matches_pytorch() {
    check("layernorm_last", &LayerNorm::new(&[7]));
}

#[test]
fn batch_norm_1d_matches_pytorch_in_both_modes() {
    check("batchnorm1d_train", &batch_norm_1d(BatchNormConfig::new(5)));
    check("batchnorm1d_train_3d", &batch_norm_1d(BatchNormConfig::new(5)));
    let mut eval = batch_norm_1d(BatchNormConfig::new(5));
    eval.eval();
    check("batchnorm1d_eval", &eval);
}
