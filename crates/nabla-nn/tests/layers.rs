//! The layers' behaviour: gradients of the composite layers, modes, dropout, initialisers,
//! the MLP builder, the perceptron, and shape errors.

use nabla_nn::init::{self, FanMode, Nonlinearity};
use nabla_nn::*;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Error, Tensor};
use nabla_testkit::{assert_gradients, uniform};

#[test]
fn normalisation_layers_pass_gradcheck() {
    // Input, scale and shift all checked: the closure puts gradcheck's tensors into the layer.
    let x = uniform(&[4, 3, 5], -2.0, 2.0, 1);
    let layer_norm = |t: &[Tensor]| {
        let mut layer = LayerNorm::new(&[5]);
        (layer.weight, layer.bias) = (Some(t[1].clone()), Some(t[2].clone()));
        layer.forward(&t[0])
    };
    assert_gradients("LayerNorm", layer_norm, vec![x.clone(), uniform(&[5], 0.5, 1.5, 2), uniform(&[5], -1.0, 1.0, 3)]);
    let batch_norm = |t: &[Tensor]| {
        let mut layer = batch_norm_1d(BatchNormConfig { momentum: None, ..BatchNormConfig::new(3) });
        (layer.weight, layer.bias) = (Some(t[1].clone()), Some(t[2].clone()));
        layer.forward(&t[0])
    };
    assert_gradients("BatchNorm1d train", batch_norm, vec![x, uniform(&[3], 0.5, 1.5, 4), uniform(&[3], -1.0, 1.0, 5)]);
    // [N, C] with more channels than one block of the per-channel sums (64), and without
    // scale and shift.
    let wide = |t: &[Tensor]| {
        let mut layer = batch_norm_1d(BatchNormConfig::new(70));
        (layer.weight, layer.bias) = (Some(t[1].clone()), Some(t[2].clone()));
        layer.forward(&t[0])
    };
    let (w, b) = (uniform(&[70], 0.5, 1.5, 7), uniform(&[70], -1.0, 1.0, 8));
    assert_gradients("BatchNorm1d [N, C]", wide, vec![uniform(&[3, 70], -2.0, 2.0, 6), w, b]);
    let plain =
        |t: &[Tensor]| batch_norm_1d(BatchNormConfig { affine: false, ..BatchNormConfig::new(3) }).forward(&t[0]);
    assert_gradients("BatchNorm1d without affine", plain, vec![uniform(&[5, 3, 2], -2.0, 2.0, 9)]);
}

#[test]
fn the_fused_linear_op_passes_gradcheck() {
    // A 3-D input (rows flattened for the op), the weight and the bias; and no bias.
    let linear = |t: &[Tensor]| Linear { weight: t[1].clone(), bias: t.get(2).cloned() }.forward(&t[0]);
    let (x, weight, bias) =
        (uniform(&[2, 3, 5], -2.0, 2.0, 6), uniform(&[4, 5], -1.0, 1.0, 7), uniform(&[4], -1.0, 1.0, 8));
    assert_gradients("Linear", linear, vec![x.clone(), weight.clone(), bias]);
    assert_gradients("Linear without bias", linear, vec![x, weight]);
    // A single vector in, a single vector out, as in PyTorch.
    let layer = Linear::new(LinearConfig::new(5, 4), &mut StdRng::seed_from_u64(0)).unwrap();
    assert_eq!(layer.forward(&uniform(&[5], -1.0, 1.0, 9)).unwrap().shape(), &[4]);
    // No output features: an empty result with empty gradients, not a panic.
    let empty = Linear::new(LinearConfig::new(5, 0), &mut StdRng::seed_from_u64(0)).unwrap();
    let x = uniform(&[3, 5], -1.0, 1.0, 10).requires_grad(true);
    let y = empty.forward(&x).unwrap();
    assert_eq!(y.shape(), &[3, 0]);
    let grads = y.sum_all().unwrap().backward().unwrap();
    assert_eq!(grads.get(&x).unwrap().to_vec(), vec![0.0; 15]);
    // A weight that is not a matrix is a shape error.
    let broken = Linear { weight: uniform(&[5], -1.0, 1.0, 11), bias: None };
    assert!(matches!(broken.forward(&x), Err(Error::ShapeMismatch { op: "Linear", .. })));
}

#[test]
fn dropout_zeroes_and_rescales_in_training_and_passes_through_in_evaluation() {
    let mut dropout = Dropout::new(0.25, 7).unwrap();
    let x = Tensor::ones(&[10_000]);
    let y = dropout.forward(&x).unwrap().to_vec();
    let zeros = y.iter().filter(|&&v| v == 0.0).count() as f32 / 10_000.0;
    assert!((zeros - 0.25).abs() < 0.02, "dropped share {zeros}");
    assert!(y.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-6));
    let again = Dropout::new(0.25, 7).unwrap().forward(&x).unwrap().to_vec();
    assert_eq!(y, again, "same seed, same mask");
    dropout.eval();
    assert_eq!(dropout.forward(&x).unwrap().to_vec(), x.to_vec());
    assert!(Dropout::new(1.0, 0).is_err());
}

#[test]
fn sequential_passes_the_mode_to_its_children() {
    let mut rng = StdRng::seed_from_u64(0);
    let mut model =
        mlp(&MlpConfig { widths: vec![3, 16, 2], activation: Activation::Tanh, dropout: 0.5 }, &mut rng).unwrap();
    let x = Tensor::ones(&[4, 3]);
    model.eval();
    assert_eq!(model.forward(&x).unwrap().to_vec(), model.forward(&x).unwrap().to_vec(), "deterministic in eval mode");
    model.train();
    assert_ne!(model.forward(&x).unwrap().to_vec(), model.forward(&x).unwrap().to_vec(), "dropout in training mode");
    assert_eq!(model.parameters().len(), 4);
}

#[test]
fn initialisers_have_pytorchs_spread() {
    let mut rng = StdRng::seed_from_u64(3);
    let std = |t: &Tensor| t.var(&[], false, false).unwrap().item().unwrap().sqrt();
    let shape = [256, 512];
    let xavier = init::xavier_normal(&shape, 1.0, &mut rng).unwrap();
    assert!((std(&xavier) - (2.0f32 / 768.0).sqrt()).abs() < 0.002);
    let he = init::kaiming_normal(&shape, FanMode::FanIn, Nonlinearity::Relu, &mut rng).unwrap();
    assert!((std(&he) - (2.0f32 / 512.0).sqrt()).abs() < 0.002);
    let he_out = init::kaiming_uniform(&[64, 32, 3, 3], FanMode::FanOut, Nonlinearity::Relu, &mut rng).unwrap();
    let bound = 3f32.sqrt() * 2f32.sqrt() / (64.0f32 * 9.0).sqrt();
    assert!(
        he_out.to_vec().iter().all(|v| v.abs() <= bound)
            && he_out.max(&[], false).unwrap().item().unwrap() > 0.95 * bound
    );
    let glorot = init::xavier_uniform(&shape, 1.0, &mut rng).unwrap();
    assert!(glorot.to_vec().iter().all(|v| v.abs() <= (6.0f32 / 768.0).sqrt()));
    let linear = Linear::new(LinearConfig::new(100, 50), &mut rng).unwrap();
    assert!(linear.weight.to_vec().iter().all(|v| v.abs() <= 0.1), "PyTorch's Linear: U(±1/√in)");
    assert!(init::fans(&[3]).is_err());
}

#[test]
fn the_perceptron_learns_and_and_or_but_not_xor() {
    let x = Tensor::from_vec(vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], &[4, 2]).unwrap();
    for (name, targets) in [("AND", [0.0, 0.0, 0.0, 1.0]), ("OR", [0.0, 1.0, 1.0, 1.0])] {
        let mut p = Perceptron::new(2);
        let report = p.fit(&x, &targets, 1.0, 100).unwrap();
        assert!(report.converged, "{name}: {report:?}");
        assert_eq!(p.predict(&x).unwrap(), targets.to_vec(), "{name}");
    }
    let mut p = Perceptron::new(2);
    let report = p.fit(&x, &[0.0, 1.0, 1.0, 0.0], 1.0, 1000).unwrap();
    assert!(!report.converged && report.epochs == 1000);
    assert!(report.errors_per_epoch.iter().all(|&e| e >= 1), "some point is always wrong");
    assert!(p.fit(&x, &[0.0, 2.0, 1.0, 0.0], 1.0, 1).is_err());
}

#[test]
fn layers_name_themselves_in_shape_errors() {
    let mut rng = StdRng::seed_from_u64(0);
    let linear = Linear::new(LinearConfig::new(3, 2), &mut rng).unwrap();
    let err = linear.forward(&Tensor::ones(&[4, 5])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Linear: shapes [4, 5] and [2, 3] do not match: the input's last axis must be in_features = 3"
    );
    assert!(matches!(
        batch_norm_1d(BatchNormConfig::new(3)).forward(&Tensor::ones(&[4, 2])),
        Err(Error::ShapeMismatch { op: "BatchNorm1d", .. })
    ));
    assert!(matches!(
        batch_norm_1d(BatchNormConfig::new(3)).forward(&Tensor::ones(&[1, 3])),
        Err(Error::InvalidArgument { op: "BatchNorm1d", .. })
    ));
    assert!(matches!(
        LayerNorm::new(&[4]).forward(&Tensor::ones(&[2, 3])),
        Err(Error::ShapeMismatch { op: "LayerNorm", .. })
    ));
    assert!(mlp(&MlpConfig { widths: vec![3], activation: Activation::Relu, dropout: 0.0 }, &mut rng).is_err());
}

/// A failing child of a `Sequential` is named by index and type, with the child's own error
/// inside (matchable through `Error::root`).
#[test]
fn sequential_names_the_failing_child() {
    let mut rng = StdRng::seed_from_u64(0);
    let model = Sequential::new()
        .push(Linear::new(LinearConfig::new(4, 3), &mut rng).unwrap())
        .push(Activation::Relu)
        .push(Linear::new(LinearConfig::new(5, 2), &mut rng).unwrap());
    let error = model.forward(&Tensor::ones(&[2, 4])).unwrap_err();
    let message = error.to_string();
    assert!(message.starts_with("Sequential child 2 (Linear): Linear: shapes [2, 3] and [2, 5]"), "{message}");
    assert!(matches!(error.root(), nabla_tensor::Error::ShapeMismatch { op: "Linear", .. }));
    assert_eq!(model.layers()[1].type_name(), "Activation");
}

/// An embedding's padding row stays zero and takes no gradient; a frozen table is a buffer.
#[test]
fn embedding_padding_and_freezing() {
    let mut rng = StdRng::seed_from_u64(1);
    let config = EmbeddingConfig { padding_idx: Some(2), ..EmbeddingConfig::new(5, 3) };
    let table = Embedding::new(config, &mut rng).unwrap();
    assert_eq!(&table.weight.to_vec()[6..9], &[0.0; 3]);
    let grads = table.lookup([2, 0, 2]).unwrap().sum_all().unwrap().backward().unwrap();
    let grad = grads.get(&table.weight).unwrap().to_vec();
    assert_eq!(&grad[0..3], &[1.0; 3]);
    assert_eq!(&grad[6..9], &[0.0; 3], "the padding row takes no gradient");
    assert_eq!(table.named_parameters()[0].0, "weight");
    assert!(matches!(table.lookup([5]), Err(nabla_tensor::Error::IndexOutOfRange { op: "Embedding", index: 5, .. })));
    assert!(matches!(table.lookup([-1]), Err(nabla_tensor::Error::IndexOutOfRange { index: -1, .. })));
    let frozen = Embedding::from_pretrained(&table.weight, true, None).unwrap();
    assert!(frozen.parameters().is_empty());
    assert_eq!(frozen.state_dict()[0].0, "weight");
    assert!(matches!(
        frozen.lookup([1]).unwrap().sum_all().unwrap().backward(),
        Err(nabla_tensor::Error::NotTracked { .. })
    ));
    assert!(Embedding::new(EmbeddingConfig { padding_idx: Some(5), ..EmbeddingConfig::new(5, 3) }, &mut rng).is_err());
    assert!(Embedding::from_pretrained(&Tensor::ones(&[4]), false, None).is_err());
}
