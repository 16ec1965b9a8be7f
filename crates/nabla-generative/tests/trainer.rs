//! The trainer: exact resume from a checkpoint (MLP GAN and DCGAN), what a run leaves in its
//! folder, progress reports, non-finite losses (stop naming the step, or skip), and
//! checkpoints that refuse NaN weights and the wrong model.

use nabla_data::TensorDataset;
use nabla_generative::*;
use nabla_nn::Module;
use nabla_optim::AdamConfig;
use nabla_tensor::Tensor;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_train::{NonFinite, TrainError, Trainable, Trainer, TrainerConfig};

fn mlp_gan() -> Gan {
    let adam = AdamConfig { lr: 1e-3, betas: (0.5, 0.999), ..Default::default() };
    Gan::mlp(&MlpGanShape::new(2, 16), GanConfig { adam, ..GanConfig::new(2) }, &mut StdRng::seed_from_u64(5)).unwrap()
}

fn small_dcgan() -> Gan {
    let config = DcganConfig { latent: 8, channels: 1, image_size: 8, features: 4, depth: 2 };
    Gan::dcgan(&config, &mut StdRng::seed_from_u64(6)).unwrap()
}

/// Trains `total` steps straight, and `first` steps, a checkpoint, a fresh model resumed from
/// it, then the rest: the losses and every tensor of the state must be identical.
fn assert_resume_is_exact<M: Trainable>(build: impl Fn() -> M, data: &Tensor, config: TrainerConfig, first: usize) {
    let data = || TensorDataset::unlabelled(data.clone()).unwrap();
    let mut straight = Trainer::new(build(), data(), config.clone()).unwrap();
    straight.run().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoint.safetensors");
    let mut interrupted = Trainer::new(build(), data(), config.clone()).unwrap();
    assert!(!interrupted.run_for(first).unwrap(), "stopped before the end");
    interrupted.save_checkpoint(&path).unwrap();
    drop(interrupted);
    let mut resumed = Trainer::resume(build(), data(), config, &path).unwrap();
    assert_eq!(resumed.step(), first);
    assert!(resumed.run_for(usize::MAX).unwrap());

    assert_eq!(resumed.history(), straight.history(), "the losses of every step");
    let (a, b) = (straight.model().state(), resumed.model().state());
    assert_eq!(a.len(), b.len());
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert_eq!(x.to_vec(), y.to_vec(), "{name} differs after resuming");
    }
}

#[test]
fn resuming_an_mlp_gan_is_exact() {
    let data = Tensor::normal(&[96, 2], 1.0, 0.5, &mut StdRng::seed_from_u64(1)).unwrap();
    let config = TrainerConfig { image_shape: [1, 1, 2], ..TrainerConfig::new(3, 16) };
    // 6 steps an epoch: stop mid-epoch 2.
    assert_resume_is_exact(mlp_gan, &data, config, 8);
}

#[test]
fn resuming_a_dcgan_is_exact() {
    let data = Tensor::uniform(&[32, 1, 8, 8], -1.0, 1.0, &mut StdRng::seed_from_u64(2)).unwrap();
    let config = TrainerConfig { image_shape: [1, 8, 8], grid: 4, ..TrainerConfig::new(2, 8) };
    assert_resume_is_exact(small_dcgan, &data, config, 3);
}

fn small_autoencoder() -> Autoencoder {
    Autoencoder::new(&[16, 8, 4], Noise::None, AdamConfig::default(), &mut StdRng::seed_from_u64(3)).unwrap()
}

fn small_images(seed: u64) -> TensorDataset {
    TensorDataset::unlabelled(Tensor::uniform(&[40, 16], 0.0, 1.0, &mut StdRng::seed_from_u64(seed)).unwrap()).unwrap()
}

#[test]
fn a_run_leaves_grids_a_loss_log_a_chart_and_a_checkpoint() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let config = TrainerConfig {
        out_dir: Some(dir.to_path_buf()),
        image_shape: [1, 4, 4],
        grid: 9,
        ..TrainerConfig::new(2, 10)
    };
    let reports = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = reports.clone();
    let data = small_images(4);
    let mut trainer = Trainer::new(small_autoencoder(), data, config)
        .unwrap()
        .on_progress(move |p| sink.borrow_mut().push(p.clone()));
    trainer.run().unwrap();
    for file in ["samples_epoch_001.png", "samples_epoch_002.png", "losses.png", "checkpoint.safetensors"] {
        assert!(dir.join(file).metadata().unwrap().len() > 100, "{file}");
    }
    let csv = std::fs::read_to_string(dir.join("losses.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "step,bce");
    assert_eq!(lines.len(), 1 + 8, "4 steps an epoch, 2 epochs");
    assert!(lines[8].starts_with("8,"));
    // The grid shows the 9 fixed inputs (3 rows of 3) above their reconstructions: 6 rows of
    // 4×4 images, 2 pixels apart.
    let grid = nabla_data::image::read_png(dir.join("samples_epoch_002.png")).unwrap();
    assert_eq!(grid.shape(), &[1, 6 * 6 + 2, 3 * 6 + 2]);
    let reports = reports.borrow();
    assert_eq!(reports.last().unwrap().step, 8);
    assert_eq!(reports.last().unwrap().epoch, 2);
    assert_eq!(reports.last().unwrap().losses[0].0, "bce");
    assert!(reports.last().unwrap().to_string().contains("step 8/8"), "{}", reports.last().unwrap());
}

#[test]
fn a_nan_loss_stops_the_run_naming_the_step_and_keeps_the_last_checkpoint() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let config =
        TrainerConfig { out_dir: Some(dir.to_path_buf()), image_shape: [1, 4, 4], ..TrainerConfig::new(3, 10) };
    let mut trainer = Trainer::new(small_autoencoder(), small_images(5), config.clone()).unwrap();
    trainer.run_for(4).unwrap();
    let checkpoint = dir.join("checkpoint.safetensors");
    let saved = std::fs::read(&checkpoint).unwrap();

    // The same run, resumed on data that has turned to NaN.
    let poisoned = || TensorDataset::unlabelled(Tensor::full(&[40, 16], f32::NAN)).unwrap();
    let mut trainer = Trainer::resume(small_autoencoder(), poisoned(), config.clone(), &checkpoint).unwrap();
    match trainer.run_for(4) {
        Err(TrainError::NonFiniteLoss { step, .. }) => assert_eq!(step, 5),
        other => panic!("expected a non-finite loss at step 5, got {:?}", other.map(|_| ())),
    }
    assert_eq!(std::fs::read(&checkpoint).unwrap(), saved, "the last good checkpoint is untouched");
    let message = trainer.run_for(1).unwrap_err().to_string();
    assert!(message.starts_with("step 5: Autoencoder::train_step: the loss is NaN"), "{message}");

    // Resuming from it works, and with Skip the poisoned steps are skipped, not applied.
    let skip = TrainerConfig { on_non_finite: NonFinite::Skip, out_dir: None, ..config };
    let mut resumed = Trainer::resume(small_autoencoder(), poisoned(), skip, &checkpoint).unwrap();
    resumed.run_for(3).unwrap();
    assert_eq!((resumed.skipped(), resumed.step()), (3, 7));
    assert!(resumed.model().state().iter().all(|(_, t)| t.to_vec().iter().all(|v| v.is_finite())));
}

#[test]
fn nan_weights_are_never_saved() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let data = small_images(6);
    let trainer = Trainer::new(small_autoencoder(), data, TrainerConfig::new(1, 10)).unwrap();
    let path = dir.join("checkpoint.safetensors");
    trainer.save_checkpoint(&path).unwrap();
    let before = std::fs::read(&path).unwrap();
    let (name, weight) = trainer.model().encoder.named_parameters().remove(0);
    weight.set_data(Tensor::full(weight.shape(), f32::NAN).data()).unwrap();
    match trainer.save_checkpoint(&path) {
        Err(TrainError::NonFiniteWeights { name: bad, .. }) => assert_eq!(bad, format!("encoder.{name}")),
        other => panic!("{:?}", other.map(|_| ())),
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_checkpoint_resumes_only_its_own_kind_of_model_and_data() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let data = small_images(7);
    let path = dir.join("checkpoint.safetensors");
    Trainer::new(small_autoencoder(), data.clone(), TrainerConfig::new(1, 10)).unwrap().save_checkpoint(&path).unwrap();
    let vae = Vae::new(16, 8, 2, AdamConfig::default(), &mut StdRng::seed_from_u64(0)).unwrap();
    let error = Trainer::resume(vae, data.clone(), TrainerConfig::new(1, 10), &path).err().unwrap();
    assert!(error.to_string().contains("it holds a model of kind autoencoder, not vae"), "{error}");
    let truncated = dir.join("truncated.safetensors");
    std::fs::write(&truncated, &std::fs::read(&path).unwrap()[..100]).unwrap();
    assert!(matches!(
        Trainer::resume(small_autoencoder(), data.clone(), TrainerConfig::new(1, 10), &truncated),
        Err(TrainError::StateDict(_))
    ));
    let bigger = Autoencoder::new(&[16, 9, 4], Noise::None, AdamConfig::default(), &mut StdRng::seed_from_u64(3));
    assert!(Trainer::resume(bigger.unwrap(), data.clone(), TrainerConfig::new(1, 10), &path).is_err());
    let fewer = TensorDataset::unlabelled(Tensor::zeros(&[30, 16])).unwrap();
    let error = Trainer::resume(small_autoencoder(), fewer, TrainerConfig::new(1, 10), &path).err().unwrap();
    assert!(error.to_string().contains("it was trained on 40 samples, not 30"), "{error}");
}

#[test]
fn bad_configurations_are_errors() {
    let data = small_images(8);
    for config in [TrainerConfig::new(0, 10), TrainerConfig::new(1, 0), TrainerConfig::new(1, 41)] {
        assert!(matches!(Trainer::new(small_autoencoder(), data.clone(), config), Err(TrainError::Config(_))));
    }
}
