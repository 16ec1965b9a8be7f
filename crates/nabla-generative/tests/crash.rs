//! A process killed while it writes checkpoints never leaves a broken one: a child process
//! saves a 26 MB checkpoint over and over, the test kills it mid-write (SIGKILL), and the file
//! on disk still loads, as the previous checkpoint or the new one.

use std::path::PathBuf;
use std::process::Command;

use std::time::{Duration, Instant};

use nabla_data::TensorDataset;
use nabla_generative::{Autoencoder, Noise};
use nabla_optim::AdamConfig;
use nabla_tensor::Tensor;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_train::{Trainer, TrainerConfig};

const CHILD: &str = "NABLA_CRASH_TEST_CHILD";

fn model() -> Autoencoder {
    // 1024·1024·2 weights: with Adam's two buffers, about 26 MB a checkpoint.
    Autoencoder::new(&[1024, 1024], Noise::None, AdamConfig::default(), &mut StdRng::seed_from_u64(0)).unwrap()
}

fn data() -> TensorDataset {
    TensorDataset::unlabelled(Tensor::uniform(&[8, 1024], 0.0, 1.0, &mut StdRng::seed_from_u64(1)).unwrap()).unwrap()
}

/// In the child: train a step and save, forever.
#[test]
fn child_saves_checkpoints_until_killed() {
    let Ok(path) = std::env::var(CHILD) else { return };
    let mut trainer = Trainer::new(model(), data(), TrainerConfig::new(1_000_000, 8)).unwrap();
    loop {
        trainer.run_for(1).unwrap();
        trainer.save_checkpoint(&PathBuf::from(&path)).unwrap();
    }
}

#[test]
fn a_checkpoint_survives_a_kill_in_the_middle_of_saving() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoint.safetensors");
    for round in 0..3 {
        let _ = std::fs::remove_file(&path);
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_saves_checkpoints_until_killed", "--test-threads", "1"])
            .env(CHILD, &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while !path.exists() {
            assert!(start.elapsed() < Duration::from_secs(60), "the child never saved");
            std::thread::sleep(Duration::from_millis(5));
        }
        // Let it get into later saves, at a different moment each round.
        std::thread::sleep(Duration::from_millis(150 + 70 * round));
        child.kill().unwrap();
        child.wait().unwrap();
        let resumed = Trainer::resume(model(), data(), TrainerConfig::new(1_000_000, 8), &path)
            .unwrap_or_else(|e| panic!("round {round}: the checkpoint left by the killed process does not load: {e}"));
        assert!(resumed.step() >= 1);
    }
}
