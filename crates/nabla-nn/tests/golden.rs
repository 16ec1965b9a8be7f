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

/// `nn.Embedding(10, 4, padding_idx=1)` and `nn.Embedding.from_pretrained(weight, freeze=False)`
/// (`tests/golden/make_embedding.py`): the output and the table's gradient, the padding row's
/// staying zero.
#[test]
fn embedding_matches_pytorch() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
    for (case, padding_idx) in [("embedding_padding", Some(1)), ("embedding_pretrained", None)] {
        let file = nabla_testkit::load(format!("{dir}/{case}.safetensors"));
        let table = Embedding::from_pretrained(&file["weight"], false, padding_idx).unwrap();
        let input = nabla_tensor::Indices::from_tensor(&file["input"]).unwrap();
        let output = table.lookup(&input).unwrap();
        nabla_testkit::assert_close(case, "output", &output, &file["output"], TIGHT);
        let grads = output.backward_with(&file["grad_output"]).unwrap();
        nabla_testkit::assert_close(
            case,
            "grad_weight",
            grads.get(&table.weight).unwrap(),
            &file["grad_weight"],
            TIGHT,
        );
        // The module form takes the indices as a float tensor, as PyTorch's takes a LongTensor.
        nabla_testkit::assert_close(case, "forward", &table.forward(&file["input"]).unwrap(), &file["output"], TIGHT);
    }
}
