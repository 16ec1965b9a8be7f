//! DCGAN: the paper's architecture rules and initialisation, the W4 layout and the deeper
//! 32×32 and 64×64 ones, and PyTorch-saved generator and discriminator that load and reproduce
//! PyTorch's outputs.

use std::collections::HashMap;

use nabla_generative::{DcganConfig, Gan};
use nabla_nn::{Module, load, load_state_dict, load_tensors};
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Error, Tensor, no_grad};
use nabla_testkit::{TIGHT, assert_close};

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

#[test]
fn the_default_is_w4_and_loads_pytorchs_generator_saved_raw() {
    let rng = &mut StdRng::seed_from_u64(0);
    let mut generator = DcganConfig::default().generator(rng).unwrap();
    let report = load(&mut generator, format!("{GOLDEN}/dcgan_g_state.safetensors"), true).unwrap();
    assert!(report.missing.is_empty() && report.unexpected.is_empty());
    let batches = generator.state_dict().into_iter().find(|(k, _)| k == "1.num_batches_tracked").unwrap().1;
    assert_eq!(batches.item().unwrap(), 20.0, "the int64 buffer (20 warm-up passes) is read");
    generator.eval();
    let reference: HashMap<_, _> =
        load_tensors(format!("{GOLDEN}/dcgan_generator.safetensors")).unwrap().into_iter().collect();
    let images = generator.forward(&reference["input"]).unwrap();
    assert_close("dcgan_generator", "output", &images, &reference["output"], TIGHT);
}

#[test]
fn pytorchs_discriminator_loads_and_gives_its_logits() {
    let mut discriminator = DcganConfig::default().discriminator(&mut StdRng::seed_from_u64(0)).unwrap();
    let (io, state): (Vec<_>, Vec<_>) = load_tensors(format!("{GOLDEN}/dcgan_discriminator.safetensors"))
        .unwrap()
        .into_iter()
        .partition(|(k, _)| k == "input" || k == "output");
    load_state_dict(&mut discriminator, &state, true, "dcgan_discriminator").unwrap();
    discriminator.eval();
    let io: HashMap<_, _> = io.into_iter().collect();
    let logits = discriminator.forward(&io["input"]).unwrap();
    assert_close("dcgan_discriminator", "output", &logits, &io["output"], TIGHT);
}

#[test]
fn deeper_layouts_make_32_and_64_pixel_images() {
    for (channels, size, depth) in [(3, 32, 3), (1, 64, 4), (1, 28, 2)] {
        let config = DcganConfig::for_images(channels, size);
        assert_eq!(config.depth, depth, "{config:?}");
        let gan = Gan::dcgan(&config, &mut StdRng::seed_from_u64(1)).unwrap();
        let images = gan.sample(2, &mut StdRng::seed_from_u64(2)).unwrap();
        assert_eq!(images.shape(), &[2, channels, size, size]);
        assert!(images.to_vec().iter().all(|v| v.abs() < 1.0), "tanh output");
        let logits = no_grad(|| gan.discriminator.forward(&images)).unwrap();
        assert_eq!(logits.shape(), &[2, 1]);
    }
}

#[test]
fn the_papers_rules_hold() {
    let config = DcganConfig::for_images(1, 64);
    let rng = &mut StdRng::seed_from_u64(3);
    let generator = config.generator(rng).unwrap();
    let discriminator = config.discriminator(rng).unwrap();
    let names = |m: &dyn Module| m.state_dict().into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    // Batch norm (running_mean) follows every generator stage but the output, and every
    // discriminator convolution but the first.
    let g_norms = names(&generator).iter().filter(|k| k.ends_with("running_mean")).count();
    let d_norms = names(&discriminator).iter().filter(|k| k.ends_with("running_mean")).count();
    assert_eq!((g_norms, d_norms), (4, 3));
    assert!(!names(&discriminator).contains(&"1.running_mean".to_string()), "no batch norm on D's input");
    // N(0, 0.02) weights, N(1, 0.02) batch-norm scales, zero biases.
    for (name, param) in generator.named_parameters().into_iter().chain(discriminator.named_parameters()) {
        let values = param.to_vec();
        let mean = values.iter().sum::<f32>() / values.len() as f32;
        let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / values.len() as f32).sqrt();
        if name.ends_with("bias") {
            assert!(values.iter().all(|&v| v == 0.0), "{name}");
        } else if param.ndim() == 1 {
            assert!((mean - 1.0).abs() < 0.01 && (std - 0.02).abs() < 0.01, "{name}: {mean} {std}");
        } else if values.len() > 1000 {
            assert!(mean.abs() < 0.002 && (std - 0.02).abs() < 0.002, "{name}: {mean} {std}");
        }
    }
}

#[test]
fn impossible_sizes_are_errors() {
    let rng = &mut StdRng::seed_from_u64(0);
    for config in [
        DcganConfig { image_size: 30, depth: 2, ..Default::default() },
        DcganConfig { depth: 0, ..Default::default() },
        DcganConfig { latent: 0, ..Default::default() },
    ] {
        assert!(matches!(config.generator(rng), Err(Error::InvalidArgument { op: "DcganConfig", .. })), "{config:?}");
        assert!(config.discriminator(rng).is_err());
    }
    let gan = Gan::dcgan(&DcganConfig::default(), rng).unwrap();
    assert!(gan.discriminator.forward(&Tensor::zeros(&[2, 1, 32, 32])).is_err(), "D takes only its image size");
}
