//! The fused attention op against finite differences and against the same attention composed
//! of plain ops (over several blocks of query rows), its dropout, fully masked rows, errors;
//! the modules' modes and errors; the learned positions' gradient.

use nabla_activations::softmax;
use nabla_attention::*;
use nabla_nn::Module;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Error, Tensor};
use nabla_testkit::{Tolerance, assert_close, assert_gradients, uniform};

fn causal_and_masks(seed: u64) -> AttentionOptions {
    let additive = uniform(&[1, 5, 6], -1.0, 1.0, seed);
    let allow = Tensor::from_vec((0..30).map(|i| if i % 7 == 3 { 0.0 } else { 1.0 }).collect(), &[5, 6]).unwrap();
    AttentionOptions {
        masks: vec![AttentionMask::Additive(additive), AttentionMask::Allow(allow)],
        ..Default::default()
    }
}

#[test]
fn the_fused_op_passes_gradcheck_with_masks_causal_scale_and_dropout() {
    let (q, k, v) =
        (uniform(&[2, 5, 3], -1.0, 1.0, 1), uniform(&[2, 6, 3], -1.0, 1.0, 2), uniform(&[2, 6, 4], -1.0, 1.0, 3));
    let variants = [
        ("masks", causal_and_masks(4)),
        ("causal, scale 0.7", AttentionOptions { is_causal: true, scale: Some(0.7), ..Default::default() }),
        // The dropout masks follow from the seed, so every evaluation drops the same weights.
        ("dropout 0.3", AttentionOptions { dropout: 0.3, dropout_seed: 9, ..causal_and_masks(5) }),
    ];
    for (name, options) in variants {
        let attend = |t: &[Tensor]| scaled_dot_product_attention(&t[0], &t[1], &t[2], &options);
        assert_gradients(name, attend, vec![q.clone(), k.clone(), v.clone()]);
    }
}

/// softmax(Q Kᵀ / √E + mask) V from matmul, softmax and the mask as a tensor.
fn composed(q: &Tensor, k: &Tensor, v: &Tensor, mask: &Tensor) -> Tensor {
    let scale = 1.0 / (q.shape()[2] as f32).sqrt();
    let scores = q.matmul(&k.transpose(1, 2).unwrap()).unwrap().mul_scalar(scale).unwrap().add(mask).unwrap();
    softmax(&scores, -1).unwrap().matmul(v).unwrap()
}

#[test]
fn across_several_blocks_of_rows_it_equals_the_composed_ops() {
    // 150 queries: blocks of 128 and 22 rows.
    let (q, k, v) =
        (uniform(&[2, 150, 8], -1.0, 1.0, 1), uniform(&[2, 20, 8], -1.0, 1.0, 2), uniform(&[2, 20, 5], -1.0, 1.0, 3));
    let mask = uniform(&[150, 20], -2.0, 2.0, 4);
    let grad_output = uniform(&[2, 150, 5], -1.0, 1.0, 5);
    let run = |fused: bool| {
        let (q, k, v) = (q.clone().requires_grad(true), k.clone().requires_grad(true), v.clone().requires_grad(true));
        let out = if fused {
            let options = AttentionOptions { masks: vec![AttentionMask::Additive(mask.clone())], ..Default::default() };
            scaled_dot_product_attention(&q, &k, &v, &options).unwrap()
        } else {
            composed(&q, &k, &v, &mask)
        };
        let grads = out.backward_with(&grad_output).unwrap();
        let grads: Vec<Tensor> = [&q, &k, &v].iter().map(|t| grads.get(t).unwrap().clone()).collect();
        (out, grads)
    };
    let ((fused, fused_grads), (plain, plain_grads)) = (run(true), run(false));
    let tol = Tolerance { rtol: 1e-5, atol: 1e-6 };
    assert_close("blocks", "output", &fused, &plain, tol);
    for (name, (a, b)) in ["q", "k", "v"].iter().zip(fused_grads.iter().zip(&plain_grads)) {
        assert_close("blocks", name, a, b, tol);
    }
}

/// Multi-head attention composed by hand: the in-projection's thirds, the heads permuted to
/// `[N, H, T, D]` for `scaled_dot_product_attention`, and back.
fn heads_composed(mha: &MultiheadAttention, query: &Tensor, key: &Tensor, heads: usize) -> Tensor {
    let (n, l, e) = (query.shape()[0] as isize, query.shape()[1] as isize, query.shape()[2] as isize);
    let project = |x: &Tensor, third: usize| {
        let weight = mha.in_proj_weight.narrow(0, third * e as usize, e as usize).unwrap();
        let bias = mha.in_proj_bias.as_ref().unwrap().narrow(0, third * e as usize, e as usize).unwrap();
        let t = x.matmul(&weight.transpose(0, 1).unwrap()).unwrap().add(&bias).unwrap();
        let len = x.shape()[1] as isize;
        t.reshape(&[n, len, heads as isize, e / heads as isize]).unwrap().permute(&[0, 2, 1, 3]).unwrap()
    };
    let options = AttentionOptions { is_causal: true, ..Default::default() };
    let out = scaled_dot_product_attention(&project(query, 0), &project(key, 1), &project(key, 2), &options).unwrap();
    mha.out_proj.forward(&out.permute(&[0, 2, 1, 3]).unwrap().reshape(&[n, l, e]).unwrap()).unwrap()
}

#[test]
fn multi_head_attention_reads_and_writes_the_heads_in_place_over_several_blocks() {
    // 150 queries (blocks of 128 and 22) in 4 heads of 6: self-attention reads the packed
    // [N, L, 3E] projection, cross-attention three separate ones.
    let mut rng = StdRng::seed_from_u64(3);
    let config = MultiheadAttentionConfig { batch_first: true, ..MultiheadAttentionConfig::new(24, 4) };
    let mut mha = MultiheadAttention::new(config, &mut rng).unwrap();
    mha.in_proj_bias = Some(uniform(&[72], -0.5, 0.5, 9).requires_grad(true));
    let x = uniform(&[2, 150, 24], -1.0, 1.0, 1).requires_grad(true);
    let memory = uniform(&[2, 150, 24], -1.0, 1.0, 2).requires_grad(true);
    let grad_output = uniform(&[2, 150, 24], -1.0, 1.0, 5);
    let options = AttendOptions { is_causal: true, ..AttendOptions::new() };
    let tol = Tolerance { rtol: 1e-5, atol: 1e-6 };
    for (case, key) in [("self", &x), ("cross", &memory)] {
        let fused = mha.attend(&x, key, key, &options).unwrap().0;
        let plain = heads_composed(&mha, &x, key, 4);
        assert_close(case, "output", &fused, &plain, tol);
        let (fused_grads, plain_grads) =
            (fused.backward_with(&grad_output).unwrap(), plain.backward_with(&grad_output).unwrap());
        for (name, t) in [("x", &x), ("key", key), ("in_proj_weight", &mha.in_proj_weight)] {
            assert_close(case, name, fused_grads.get(t).unwrap(), plain_grads.get(t).unwrap(), tol);
        }
    }
}

#[test]
fn a_query_that_every_mask_blocks_gets_zeros_not_nan() {
    let block_row = Tensor::from_vec(vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[2, 3]).unwrap();
    let options = AttentionOptions { masks: vec![AttentionMask::Allow(block_row)], ..Default::default() };
    let (q, k, v) = (
        uniform(&[2, 3], -1.0, 1.0, 1).requires_grad(true),
        uniform(&[3, 3], -1.0, 1.0, 2).requires_grad(true),
        uniform(&[3, 4], -1.0, 1.0, 3).requires_grad(true),
    );
    let out = scaled_dot_product_attention(&q, &k, &v, &options).unwrap();
    assert_eq!(&out.to_vec()[..4], &[0.0; 4]);
    assert!(out.to_vec()[4..].iter().all(|x| x.is_finite() && *x != 0.0));
    let grads = out.sum_all().unwrap().backward().unwrap();
    for t in [&q, &k, &v] {
        assert!(grads.get(t).unwrap().to_vec().iter().all(|g| g.is_finite()));
    }
    assert_eq!(&grads.get(&q).unwrap().to_vec()[..3], &[0.0; 3], "no gradient reaches a blocked query");
    let weights = attention_weights(&q, &k, &options).unwrap();
    assert_eq!(&weights.to_vec()[..3], &[0.0; 3]);
}

#[test]
fn dropout_drops_about_p_of_the_weights_the_same_for_a_seed() {
    // Equal scores: each weight is 1/S, so each output is (1/S)·Σ kept/(1 − p) over S ones.
    let (q, k) = (Tensor::zeros(&[4000, 2]), Tensor::zeros(&[10, 2]));
    let v = Tensor::ones(&[10, 1]);
    let run = |seed| {
        let options = AttentionOptions { dropout: 0.5, dropout_seed: seed, ..Default::default() };
        scaled_dot_product_attention(&q, &k, &v, &options).unwrap().to_vec()
    };
    let out = run(1);
    let mean = out.iter().sum::<f32>() / out.len() as f32;
    assert!((mean - 1.0).abs() < 0.02, "the mean stays 1 (unbiased): {mean}");
    let kept = out.iter().map(|o| o * 10.0 * 0.5).sum::<f32>() / (out.len() * 10) as f32;
    assert!((kept - 0.5).abs() < 0.01, "kept {kept} of the weights");
    assert_eq!(out, run(1));
    assert_ne!(out, run(2));
}

#[test]
fn bad_shapes_and_options_are_typed_errors_naming_the_op() {
    let (q, k, v) = (Tensor::zeros(&[2, 5, 4]), Tensor::zeros(&[2, 6, 4]), Tensor::zeros(&[2, 6, 3]));
    let default = AttentionOptions::default();
    let cases = [
        scaled_dot_product_attention(&q, &Tensor::zeros(&[2, 6, 5]), &v, &default),
        scaled_dot_product_attention(&q, &Tensor::zeros(&[3, 6, 4]), &v, &default),
        scaled_dot_product_attention(&q, &k, &Tensor::zeros(&[2, 7, 3]), &default),
        scaled_dot_product_attention(&Tensor::zeros(&[4]), &k, &v, &default),
        scaled_dot_product_attention(
            &q,
            &k,
            &v,
            &AttentionOptions { masks: vec![AttentionMask::Additive(Tensor::zeros(&[5, 5]))], ..Default::default() },
        ),
    ];
    for result in cases {
        let error = result.unwrap_err();
        assert!(matches!(error, Error::ShapeMismatch { op: "scaled_dot_product_attention", .. }), "{error}");
    }
    for options in [
        AttentionOptions { dropout: 1.0, ..Default::default() },
        AttentionOptions { scale: Some(f32::NAN), ..Default::default() },
    ] {
        let error = scaled_dot_product_attention(&q, &k, &v, &options).unwrap_err();
        assert!(matches!(error, Error::InvalidArgument { .. }), "{error}");
    }
    let rng = &mut StdRng::seed_from_u64(0);
    assert!(MultiheadAttention::new(MultiheadAttentionConfig::new(10, 3), rng).is_err());
    let mha = MultiheadAttention::new(MultiheadAttentionConfig::new(8, 2), rng).unwrap();
    let error = mha.forward(&Tensor::zeros(&[5, 2, 6])).unwrap_err();
    assert!(matches!(error, Error::ShapeMismatch { op: "MultiheadAttention", .. }), "{error}");
    let padding =
        AttendOptions { key_padding_mask: Some(AttentionMask::Block(Tensor::zeros(&[2, 4]))), ..AttendOptions::new() };
    let x = Tensor::zeros(&[5, 2, 8]);
    assert!(mha.attend(&x, &x, &x, &padding).is_err(), "a key-padding mask of the wrong length");
    let relu_only = EncoderLayerConfig { activation: nabla_nn::Activation::Tanh, ..EncoderLayerConfig::new(8, 2) };
    assert!(TransformerEncoderLayer::new(relu_only, rng).is_err());
}

#[test]
fn evaluation_mode_turns_every_dropout_of_an_encoder_off() {
    let config =
        EncoderLayerConfig { dropout: 0.5, dim_feedforward: 16, batch_first: true, ..EncoderLayerConfig::new(8, 2) };
    let mut encoder = TransformerEncoder::new(config, 2, true, &mut StdRng::seed_from_u64(0)).unwrap();
    let x = uniform(&[2, 5, 8], -1.0, 1.0, 1);
    assert_ne!(encoder.forward(&x).unwrap().to_vec(), encoder.forward(&x).unwrap().to_vec(), "training: dropout");
    encoder.eval();
    assert_eq!(encoder.forward(&x).unwrap().to_vec(), encoder.forward(&x).unwrap().to_vec(), "evaluation: none");
}

#[test]
fn positional_encodings_add_to_each_position_and_the_learned_one_trains() {
    let sinusoidal = SinusoidalPositionalEncoding::new(10, 4);
    let out = sinusoidal.forward(&Tensor::zeros(&[2, 3, 4])).unwrap();
    assert_eq!(&out.to_vec()[..12], &sinusoidal.pe.narrow(0, 0, 3).unwrap().to_vec()[..]);
    assert!(sinusoidal.named_parameters().is_empty(), "a buffer, not a parameter");
    assert!(sinusoidal.forward(&Tensor::zeros(&[11, 4])).is_err(), "more positions than the table");
    let learned = LearnedPositionalEncoding::new(6, 3, &mut StdRng::seed_from_u64(0)).unwrap();
    let x = uniform(&[2, 4, 3], -1.0, 1.0, 2);
    let add = |t: &[Tensor]| LearnedPositionalEncoding { weight: t[1].clone() }.forward(&t[0])?.powf(2.0);
    assert_gradients("learned positions", add, vec![x, learned.weight.clone()]);
}
