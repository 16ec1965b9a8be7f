//! Attention against PyTorch (`tests/golden/make_attention.py`, torch 2.15): scaled dot-product
//! attention with boolean, additive and causal masks; multi-head attention batch-first with
//! padding and a causal block, and sequence-first across inputs in evaluation mode; encoder
//! layers post-norm with ReLU in training mode and pre-norm with GELU in evaluation mode; an
//! encoder stack whose state dict loads strictly; the sinusoidal table. Outputs, weights and
//! the gradients of inputs and parameters.

use std::collections::HashMap;

use nabla_attention::*;
use nabla_nn::{Activation, Module, load_state_dict};
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Gradients, Tensor};
use nabla_testkit::{TIGHT, Tolerance, assert_close};

fn load(case: &str) -> HashMap<String, Tensor> {
    nabla_testkit::load(format!("{}/tests/golden/{case}.safetensors", env!("CARGO_MANIFEST_DIR")))
}

/// The names in a case file that are not the module's state.
const NOT_STATE: [&str; 11] = [
    "input",
    "query",
    "key",
    "value",
    "output",
    "weights",
    "key_padding_mask",
    "attn_mask",
    "src_mask",
    "src_key_padding_mask",
    "pe",
];

/// Loads the file's state dict into `module`, strictly: every key of PyTorch's, no other.
fn load_strict(case: &str, module: &mut impl Module, file: &HashMap<String, Tensor>) {
    let state: Vec<(String, Tensor)> = file
        .iter()
        .filter(|(k, _)| !NOT_STATE.contains(&k.as_str()) && !k.starts_with("grad_"))
        .map(|(k, t)| (k.clone(), t.clone()))
        .collect();
    load_state_dict(module, &state, true, case).unwrap_or_else(|e| panic!("{case}: {e}"));
}

fn input(file: &HashMap<String, Tensor>, name: &str) -> Tensor {
    file[name].clone().requires_grad(true)
}

fn check_grads(
    case: &str,
    grads: &Gradients,
    file: &HashMap<String, Tensor>,
    inputs: &[(&str, &Tensor)],
    module: &dyn Module,
    tol: Tolerance,
) {
    for (name, t) in inputs {
        assert_close(
            case,
            &format!("grad_{name}"),
            grads.get(t).expect("input gradient"),
            &file[&format!("grad_{name}")],
            tol,
        );
    }
    for (name, param) in module.named_parameters() {
        let grad = grads.get(&param).unwrap_or_else(|| panic!("{case}: no gradient for {name}"));
        assert_close(case, &format!("grad_{name}"), grad, &file[&format!("grad_{name}")], tol);
    }
}

/// A case's attention options, from its file (its mask).
type OptionsOf = fn(&HashMap<String, Tensor>) -> AttentionOptions;

#[test]
fn scaled_dot_product_attention_matches_pytorch_with_every_kind_of_mask() {
    let cases: [(&str, OptionsOf); 5] = [
        ("sdpa_plain", |_| AttentionOptions::default()),
        ("sdpa_bool_mask", |f| AttentionOptions {
            masks: vec![AttentionMask::Allow(f["mask"].clone())],
            ..Default::default()
        }),
        ("sdpa_additive_mask", |f| AttentionOptions {
            masks: vec![AttentionMask::Additive(f["mask"].clone())],
            ..Default::default()
        }),
        ("sdpa_causal", |_| AttentionOptions { is_causal: true, ..Default::default() }),
        ("sdpa_causal_rect_scale", |_| AttentionOptions { is_causal: true, scale: Some(0.3), ..Default::default() }),
    ];
    for (case, options) in cases {
        let file = load(case);
        let (q, k, v) = (input(&file, "q"), input(&file, "k"), input(&file, "v"));
        let out = scaled_dot_product_attention(&q, &k, &v, &options(&file)).unwrap();
        assert_close(case, "output", &out, &file["output"], TIGHT);
        let grads = out.backward_with(&file["grad_output"]).unwrap();
        for (name, t) in [("q", &q), ("k", &k), ("v", &v)] {
            assert_close(case, &format!("grad_{name}"), grads.get(t).unwrap(), &file[&format!("grad_{name}")], TIGHT);
        }
    }
}

#[test]
fn multihead_self_attention_batch_first_with_padding_and_a_causal_block() {
    let case = "mha_self_batch_first";
    let file = load(case);
    let config = MultiheadAttentionConfig { batch_first: true, ..MultiheadAttentionConfig::new(8, 2) };
    let mut mha = MultiheadAttention::new(config, &mut StdRng::seed_from_u64(0)).unwrap();
    load_strict(case, &mut mha, &file);
    let x = input(&file, "input");
    let options = AttendOptions {
        key_padding_mask: Some(AttentionMask::Block(file["key_padding_mask"].clone())),
        attn_mask: Some(AttentionMask::Block(file["attn_mask"].clone())),
        need_weights: true,
        ..AttendOptions::new()
    };
    let (out, weights) = mha.attend(&x, &x, &x, &options).unwrap();
    assert_close(case, "output", &out, &file["output"], TIGHT);
    assert_close(case, "weights", &weights.unwrap(), &file["weights"], TIGHT);
    let grads = out.backward_with(&file["grad_output"]).unwrap();
    check_grads(case, &grads, &file, &[("input", &x)], &mha, TIGHT);
}

#[test]
fn multihead_cross_attention_sequence_first_in_evaluation_mode_with_per_head_weights() {
    let case = "mha_cross_seq_first_eval";
    let file = load(case);
    let config = MultiheadAttentionConfig { dropout: 0.1, ..MultiheadAttentionConfig::new(8, 4) };
    let mut mha = MultiheadAttention::new(config, &mut StdRng::seed_from_u64(0)).unwrap();
    load_strict(case, &mut mha, &file);
    mha.eval();
    let (q, k, v) = (input(&file, "query"), input(&file, "key"), input(&file, "value"));
    let options = AttendOptions {
        attn_mask: Some(AttentionMask::Additive(file["attn_mask"].clone())),
        need_weights: true,
        average_attn_weights: false,
        ..AttendOptions::new()
    };
    let (out, weights) = mha.attend(&q, &k, &v, &options).unwrap();
    assert_close(case, "output", &out, &file["output"], TIGHT);
    assert_close(case, "weights", &weights.unwrap(), &file["weights"], TIGHT);
    let grads = out.backward_with(&file["grad_output"]).unwrap();
    check_grads(case, &grads, &file, &[("query", &q), ("key", &k), ("value", &v)], &mha, TIGHT);
}

fn encoder_config(dropout: f32, activation: Activation, batch_first: bool, norm_first: bool) -> EncoderLayerConfig {
    EncoderLayerConfig {
        dim_feedforward: 16,
        dropout,
        activation,
        batch_first,
        norm_first,
        ..EncoderLayerConfig::new(8, 2)
    }
}

#[test]
fn encoder_layer_post_norm_relu_in_training_mode_with_both_masks() {
    let case = "encoder_layer_post_relu_train";
    let file = load(case);
    let config = encoder_config(0.0, Activation::Relu, true, false);
    let mut layer = TransformerEncoderLayer::new(config, &mut StdRng::seed_from_u64(0)).unwrap();
    load_strict(case, &mut layer, &file);
    let x = input(&file, "input");
    let masks = EncoderMasks {
        src_mask: Some(AttentionMask::Additive(file["src_mask"].clone())),
        src_key_padding_mask: Some(AttentionMask::Block(file["src_key_padding_mask"].clone())),
        is_causal: false,
    };
    let out = layer.forward_masked(&x, &masks).unwrap();
    assert_close(case, "output", &out, &file["output"], TIGHT);
    let grads = out.backward_with(&file["grad_output"]).unwrap();
    check_grads(case, &grads, &file, &[("input", &x)], &layer, TIGHT);
}

#[test]
fn encoder_layer_pre_norm_gelu_in_evaluation_mode_causal() {
    let case = "encoder_layer_pre_gelu_eval";
    let file = load(case);
    let config = encoder_config(0.1, Activation::Gelu, false, true);
    let mut layer = TransformerEncoderLayer::new(config, &mut StdRng::seed_from_u64(0)).unwrap();
    load_strict(case, &mut layer, &file);
    layer.eval();
    let x = input(&file, "input");
    let masks = EncoderMasks {
        src_mask: Some(AttentionMask::Additive(file["src_mask"].clone())),
        is_causal: true,
        ..Default::default()
    };
    let out = layer.forward_masked(&x, &masks).unwrap();
    assert_close(case, "output", &out, &file["output"], TIGHT);
    let grads = out.backward_with(&file["grad_output"]).unwrap();
    check_grads(case, &grads, &file, &[("input", &x)], &layer, TIGHT);
}

#[test]
fn a_pytorch_encoder_state_dict_loads_strictly_and_reproduces_its_outputs() {
    let case = "encoder_stack_eval";
    let file = load(case);
    let config = encoder_config(0.1, Activation::Gelu, true, false);
    let mut encoder = TransformerEncoder::new(config, 2, true, &mut StdRng::seed_from_u64(0)).unwrap();
    load_strict(case, &mut encoder, &file);
    encoder.eval();
    let masks = EncoderMasks {
        src_key_padding_mask: Some(AttentionMask::Block(file["src_key_padding_mask"].clone())),
        ..Default::default()
    };
    let out = encoder.forward_masked(&file["input"], &masks).unwrap();
    assert_close(case, "output", &out, &file["output"], TIGHT);
    // Strict: a key of PyTorch's that the encoder lacks is refused.
    let mut extra: Vec<(String, Tensor)> = encoder.state_dict();
    extra.push(("layers.2.norm1.weight".into(), Tensor::ones(&[8])));
    assert!(load_state_dict(&mut encoder, &extra, true, case).is_err());
}

#[test]
fn the_sinusoidal_table_is_the_tutorials() {
    let file = load("positional_sinusoidal");
    let encoding = SinusoidalPositionalEncoding::new(50, 16);
    assert_close("positional_sinusoidal", "pe", &encoding.pe, &file["pe"], TIGHT);
}
