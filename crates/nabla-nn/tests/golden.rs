//! Layers against PyTorch's outputs, input and parameter gradients, and running statistics
//! (`tests/golden/README.md`), to 1e-5 relative.

use nabla_nn::*;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_testkit::TIGHT;

fn check(case: &str, module: &dyn Module) {
    nabla_testkit::check_module(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden"), case, module, TIGHT);
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
