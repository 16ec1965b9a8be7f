//! The `nabla` command end to end: help, training with checkpoints and resume, sampling,
//! Ctrl-C, benchmarks, and one-line errors with non-zero exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn nabla(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nabla")).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The failure is one line, `error: …`, containing `expected`, with exit code `code`.
fn assert_one_line_error(output: &Output, code: i32, expected: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains(expected), "{stderr}");
}

#[test]
fn every_command_has_help() {
    let help = text(&nabla(&["--help"]).stdout);
    for command in ["tour", "train", "sample", "style", "bench"] {
        assert!(help.contains(command), "{help}");
        let output = nabla(&[command, "--help"]);
        assert!(output.status.success() && text(&output.stdout).contains("Usage: nabla"), "{command}");
    }
    assert!(text(&nabla(&["train", "--help"]).stdout).contains("dcgan"));
}

#[test]
fn train_writes_its_outputs_and_resumes_from_the_checkpoint() {
    let out = scratch("train-mlp");
    let dir = out.to_str().unwrap();
    let first = nabla(&["train", "mlp", "--epochs", "1", "--out", dir]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let summary = text(&first.stdout);
    let accuracy: f64 =
        summary.split("test accuracy ").nth(1).and_then(|s| s.split('%').next()).unwrap().parse().unwrap();
    assert!(accuracy > 90.0, "{summary}");
    for file in ["checkpoint.safetensors", "losses.csv", "losses.png", "samples_epoch_001.png"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }

    let checkpoint = out.join("checkpoint.safetensors");
    let resumed = nabla(&["train", "mlp", "--epochs", "2", "--out", dir, "--resume", checkpoint.to_str().unwrap()]);
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    let rows = std::fs::read_to_string(out.join("losses.csv")).unwrap().lines().count();
    assert_eq!(rows, 1 + 2 * 125, "a header and two epochs of 125 steps");
    assert!(out.join("samples_epoch_002.png").is_file());

    // The resumed run ends where a straight two-epoch run does: every parameter, Adam's state
    // and the cosine schedule's step count, bit for bit.
    let straight_out = scratch("train-mlp-straight");
    let straight = nabla(&["train", "mlp", "--epochs", "2", "--out", straight_out.to_str().unwrap()]);
    assert!(straight.status.success(), "{}", text(&straight.stderr));
    let tensors = |path: &Path| {
        let mut all = nabla_nn::load_tensors(path).unwrap();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all.into_iter().map(|(name, t)| (name, t.to_vec())).collect::<Vec<_>>()
    };
    let (resumed_state, straight_state) = (tensors(&checkpoint), tensors(&straight_out.join("checkpoint.safetensors")));
    assert!(
        resumed_state.iter().any(|(name, _)| name.contains("weight")),
        "{:?}",
        resumed_state.iter().map(|e| &e.0).collect::<Vec<_>>()
    );
    assert_eq!(resumed_state.len(), straight_state.len());
    for ((name, resumed), (other, straight)) in resumed_state.iter().zip(&straight_state) {
        assert_eq!((name, resumed), (other, straight), "{name} differs after resuming");
    }

    // A checkpoint of another model is refused with both named.
    let wrong = nabla(&["sample", "gan", "--checkpoint", checkpoint.to_str().unwrap()]);
    assert_one_line_error(&wrong, 1, "holds a mlp checkpoint, not a gan");
}

#[test]
fn a_trained_vae_samples_a_grid() {
    let out = scratch("train-vae");
    let trained = nabla(&["train", "vae", "--epochs", "1", "--out", out.to_str().unwrap()]);
    assert!(trained.status.success(), "{}", text(&trained.stderr));
    assert!(text(&trained.stdout).contains("KL"), "{}", text(&trained.stdout));
    let grid = out.join("grid.png");
    let checkpoint = out.join("checkpoint.safetensors");
    let sampled = nabla(&[
        "sample",
        "vae",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--n",
        "16",
        "--out",
        grid.to_str().unwrap(),
    ]);
    assert!(sampled.status.success(), "{}", text(&sampled.stderr));
    let image = std::fs::read(&grid).unwrap();
    assert!(image.starts_with(b"\x89PNG"), "not a PNG");
}

#[test]
fn ctrl_c_saves_a_checkpoint_and_exits_130() {
    let out = scratch("train-interrupted");
    let child = Command::new(env!("CARGO_BIN_EXE_nabla"))
        .args(["train", "cnn", "--epochs", "3", "--out", out.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(4));
    let sent = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("checkpoint at step") && stderr.contains("--resume"), "{stderr}");
    assert!(out.join("checkpoint.safetensors").is_file());
}

#[test]
fn bad_input_gets_one_line_and_a_non_zero_exit() {
    let missing = scratch("missing").join("checkpoint.safetensors");
    assert_one_line_error(
        &nabla(&["sample", "vae", "--checkpoint", missing.to_str().unwrap()]),
        1,
        "checkpoint.safetensors",
    );
    assert_one_line_error(&nabla(&["style", "--content", "no-such.png", "--style", "no-such.png"]), 1, "no-such.png");
    assert_one_line_error(&nabla(&["train", "mlp", "--data", "/no/such/dir"]), 1, "/no/such/dir");
    assert_one_line_error(&nabla(&["train", "mlp", "--data", "/no/such/dir"]), 1, "t10k-labels-idx1-ubyte");
    assert_one_line_error(&nabla(&["train", "mlp", "--lr=-1"]), 2, "--lr");
    assert_one_line_error(&nabla(&["bench", "--only", "W10"]), 2, "W10");
    assert_one_line_error(&nabla(&["tour", "--only", "nope"]), 2, "nope");
    // clap's own errors: usage text, exit code 2.
    assert_eq!(nabla(&["train", "transformer"]).status.code(), Some(2));
}

/// Built without the `mpi` feature, `nabla` refuses to train as one of several ranks (it would
/// train alone N times over) and says how to build it with MPI.
#[cfg(not(feature = "mpi"))]
#[test]
fn without_mpi_a_distributed_run_is_refused_with_what_to_build() {
    assert_one_line_error(&nabla(&["train", "cnn", "--distributed"]), 2, "built without MPI; build it with");
    let as_rank = Command::new(env!("CARGO_BIN_EXE_nabla"))
        .args(["train", "cnn"])
        .env("OMPI_COMM_WORLD_SIZE", "2")
        .output()
        .unwrap();
    assert_one_line_error(&as_rank, 2, "started by an MPI launcher as one of 2 ranks");
}

#[test]
fn bench_prints_a_row_per_workload() {
    let json = scratch("bench").with_extension("json");
    let output = nabla(&["bench", "--only", "W2,W8", "--seconds", "0.2", "--json", json.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let table = text(&output.stdout);
    for id in ["W2", "W8"] {
        let row = table.lines().find(|l| l.starts_with(id)).unwrap_or_else(|| panic!("{table}"));
        let steps_per_second: f64 = row.split_whitespace().rev().nth(1).unwrap().parse().unwrap();
        assert!(steps_per_second > 1.0, "{row}");
    }
    let written = std::fs::read_to_string(&json).unwrap();
    assert!(
        written.starts_with('[') && written.contains("\"id\": \"W8\"") && written.contains("\"unit\": \"steps/s\""),
        "{written}"
    );
}
