//! `nabla::Error`: every crate's error converts into it, so `?` works across crates in one
//! function, and the crate's own error stays inside to match on.

use nabla::Tensor;
use nabla::data::TensorDataset;
use nabla::nn::{Linear, LinearConfig};
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};

/// Fails at the step `fail_at` names, each with another crate's error, through `?` alone.
fn pipeline(fail_at: &str, dir: &std::path::Path) -> nabla::Result<()> {
    let shape = if fail_at == "tensor" { [3, 2] } else { [2, 2] };
    let product = Tensor::ones(&[2, 2]).matmul(&Tensor::ones(&shape))?;
    let inputs = if fail_at == "train" { Tensor::ones(&[3, 2]) } else { product };
    let data = TensorDataset::unlabelled(inputs)?;
    let config = nabla::train::TrainerConfig::new(1, if fail_at == "train" { 8 } else { 1 });
    let model = nabla::generative::Autoencoder::new(
        &[2, 2],
        nabla::generative::Noise::None,
        nabla::optim::AdamConfig::default(),
        &mut StdRng::seed_from_u64(0),
    )?;
    nabla::train::Trainer::new(model, data, config)?;
    let file = dir.join("model.safetensors");
    let mut layer = Linear::new(LinearConfig::new(2, 2), &mut StdRng::seed_from_u64(0))?;
    nabla::nn::save(&layer, &file)?;
    let saved = if fail_at == "state_dict" { dir.join("absent.safetensors") } else { file.clone() };
    nabla::nn::load(&mut layer, &saved, true)?;
    let image = if fail_at == "data" { dir.join("missing.png") } else { dir.join("image.png") };
    if fail_at != "data" {
        nabla::data::image::write_png(&image, &Tensor::zeros(&[1, 2, 2]))?;
    }
    nabla::data::image::read_png(&image)?;
    std::fs::read(if fail_at == "io" { dir.join("absent") } else { file })?;
    Ok(())
}

#[test]
fn every_crates_error_passes_through_question_mark() {
    let dir = tempfile::tempdir().unwrap();
    assert!(pipeline("none", dir.path()).is_ok());
    let kinds = |fail_at: &str| pipeline(fail_at, dir.path()).expect_err(fail_at);
    let tensor = kinds("tensor");
    assert!(
        matches!(tensor, nabla::Error::Tensor(nabla::tensor::Error::MatmulMismatch { op: "matmul", .. })),
        "{tensor:?}"
    );
    assert!(matches!(kinds("train"), nabla::Error::Train(nabla::train::TrainError::Config(_))));
    assert!(matches!(kinds("state_dict"), nabla::Error::StateDict(_)));
    assert!(matches!(kinds("data"), nabla::Error::Data(_)));
    assert!(matches!(kinds("io"), nabla::Error::Io(_)));
    // The message is the crate's own.
    assert!(tensor.to_string().contains("matmul"), "{tensor}");
}
