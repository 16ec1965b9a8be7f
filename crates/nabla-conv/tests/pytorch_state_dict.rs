//! A DCGAN generator state dict saved by PyTorch (`safetensors.torch.save_file`, with int64
//! `num_batches_tracked`) loads into the same nabla architecture and reproduces PyTorch's images.

use nabla_conv::{Conv2dConfig, ConvTranspose2d, batch_norm_2d};
use nabla_nn::{
    Activation, BatchNormConfig, Linear, LinearConfig, Module, Sequential, Unflatten, batch_norm_1d, load, load_tensors,
};
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_testkit::{TIGHT, assert_close};

#[test]
fn pytorchs_dcgan_generator_loads_and_reproduces_its_images() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
    let rng = &mut StdRng::seed_from_u64(0);
    let up = |i, o| {
        ConvTranspose2d::new(
            Conv2dConfig { stride: (2, 2), padding: (1, 1), ..Conv2dConfig::new(i, o, 4) },
            &mut StdRng::seed_from_u64(1),
        )
    };
    // G = Sequential(Linear(100, 6272), BatchNorm1d, ReLU, Unflatten(1, (128, 7, 7)),
    //                ConvTranspose2d(128, 64, 4, 2, 1), BatchNorm2d, ReLU, ConvTranspose2d(64, 1, 4, 2, 1), Tanh)
    let mut generator = Sequential::new()
        .push(Linear::new(LinearConfig::new(100, 6272), rng).unwrap())
        .push(batch_norm_1d(BatchNormConfig::new(6272)))
        .push(Activation::Relu)
        .push(Unflatten { axis: 1, shape: vec![128, 7, 7] })
        .push(up(128, 64).unwrap())
        .push(batch_norm_2d(BatchNormConfig::new(64)))
        .push(Activation::Relu)
        .push(up(64, 1).unwrap())
        .push(Activation::Tanh);
    let report = load(&generator, format!("{dir}/dcgan_g_state.safetensors"), true).unwrap();
    assert!(report.missing.is_empty() && report.unexpected.is_empty());
    let batches = generator.state_dict().into_iter().find(|(k, _)| k == "1.num_batches_tracked").unwrap().1;
    assert_eq!(batches.item().unwrap(), 20.0, "the int64 buffer (20 warm-up passes) is read");
    generator.eval();
    let reference: std::collections::HashMap<_, _> =
        load_tensors(format!("{dir}/dcgan_generator.safetensors")).unwrap().into_iter().collect();
    let images = generator.forward(&reference["input"]).unwrap();
    assert_close("dcgan_generator", "output", &images, &reference["output"], TIGHT);
}
