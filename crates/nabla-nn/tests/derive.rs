//! `#[derive(Module)]`: the keys a derived model gives (PyTorch's), buffers, renames, training
//! mode, dropout's generator, and that a field cannot silently drop out.

use nabla_nn::{
    Activation, BatchNormConfig, Dropout, Linear, LinearConfig, Module, Sequential, TensorKind, Visit, batch_norm_1d,
};
use nabla_tensor::rand::SeedableRng;
use nabla_tensor::rand::rngs::StdRng;
use nabla_tensor::{Result, Tensor};

/// A model as a user writes one: children, an optional child, a list, a buffer, a rename.
#[derive(Module)]
struct Net {
    encoder: Sequential,
    head: Linear,
    extra: Option<Linear>,
    blocks: Vec<Linear>,
    #[module(buffer)]
    scale: Tensor,
    #[module(name = "bn")]
    norm: nabla_nn::BatchNorm,
    dropout: Dropout,
    #[module(skip)]
    width: usize,
}

impl Module for Net {
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let hidden = self.dropout.forward(&self.norm.forward(&self.encoder.forward(input)?)?)?;
        self.head.forward(&hidden)?.mul(&self.scale)
    }
}

fn net(extra: bool) -> Net {
    let mut rng = StdRng::seed_from_u64(0);
    let mut linear = |i, o| Linear::new(LinearConfig::new(i, o), &mut rng).unwrap();
    let encoder = Sequential::new().push(linear(4, 8)).push(Activation::Relu);
    Net {
        encoder,
        head: linear(8, 2),
        extra: extra.then(|| linear(2, 2)),
        blocks: vec![linear(2, 2), linear(2, 2)],
        scale: Tensor::ones(&[1]),
        norm: batch_norm_1d(BatchNormConfig::new(8)),
        dropout: Dropout::new(0.5, 3).unwrap(),
        width: 8,
    }
}

fn keys(model: &impl Visit) -> Vec<(String, TensorKind)> {
    let mut out = Vec::new();
    model.visit("", &mut |name, _, kind| out.push((name, kind)));
    out
}

#[test]
fn derived_keys_are_pytorchs() {
    let model = net(true);
    assert_eq!(model.width, 8);
    let names: Vec<String> = keys(&model).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "encoder.0.weight",
            "encoder.0.bias",
            "head.weight",
            "head.bias",
            "extra.weight",
            "extra.bias",
            "blocks.0.weight",
            "blocks.0.bias",
            "blocks.1.weight",
            "blocks.1.bias",
            "scale",
            "bn.weight",
            "bn.bias",
            "bn.running_mean",
            "bn.running_var",
            "bn.num_batches_tracked",
        ]
    );
    let buffers: Vec<String> =
        keys(&model).into_iter().filter(|(_, k)| *k == TensorKind::Buffer).map(|(n, _)| n).collect();
    assert_eq!(buffers, ["scale", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]);
    assert_eq!(model.parameters().len(), 12);
    // An absent optional child has no keys.
    assert_eq!(keys(&net(false)).len(), names.len() - 2);
}

#[test]
fn a_field_added_to_a_model_is_in_its_parameters_without_more_code() {
    // What went wrong with hand-written visits: a new field had to be added there too, and was
    // silently missing when it was not. With the derive there is nothing to forget: every field
    // takes part unless marked, and a field that is not a module or tensor does not compile
    // unmarked (see the compile_fail example on nabla_derive).
    #[derive(Module)]
    struct Grown {
        #[module(flatten)]
        base: Net,
        added: Linear,
    }
    let mut rng = StdRng::seed_from_u64(1);
    let grown = Grown { base: net(false), added: Linear::new(LinearConfig::new(2, 3), &mut rng).unwrap() };
    let names: Vec<String> = grown.state_dict().into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"added.weight".to_string()) && names.contains(&"head.weight".to_string()), "{names:?}");
    impl Module for Grown {
        fn forward(&self, input: &Tensor) -> Result<Tensor> {
            self.added.forward(&self.base.forward(input)?)
        }
    }
}

#[test]
fn training_mode_reaches_every_child() {
    let mut model = net(false);
    let x = Tensor::ones(&[6, 4]);
    model.eval();
    let a = model.forward(&x).unwrap().to_vec();
    let b = model.forward(&x).unwrap().to_vec();
    assert_eq!(a, b, "dropout and batch norm are deterministic in eval mode");
    model.train();
    let c = model.forward(&x).unwrap().to_vec();
    assert_ne!(a, c, "dropout draws masks again in training mode");
}

#[test]
fn dropouts_generator_is_saved_and_restored_by_name() {
    let model = net(false);
    let x = Tensor::ones(&[3, 4]);
    model.forward(&x).unwrap();
    let saved = model.rng_states();
    assert_eq!(saved.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["dropout.rng"]);
    let next = model.forward(&x).unwrap().to_vec();
    let other = net(false);
    other.load_rng_states(&saved).unwrap();
    assert_eq!(other.forward(&x).unwrap().to_vec(), next, "the restored generator draws the same masks");
    let unknown = vec![("nowhere.rng".to_string(), saved[0].1.clone())];
    assert!(other.load_rng_states(&unknown).is_err());
}
