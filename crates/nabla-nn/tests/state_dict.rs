//! Saving and loading state dicts: round trips, PyTorch's own files, and clear errors for
//! files that do not fit or are not what they claim.

use std::path::PathBuf;

use nabla_nn::*;
use nabla_tensor::Tensor;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};

fn golden(case: &str) -> PathBuf {
    PathBuf::from(format!("{}/tests/golden/{case}.safetensors", env!("CARGO_MANIFEST_DIR")))
}

fn model(seed: u64) -> Sequential {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new()
        .push(Linear::new(LinearConfig::new(3, 4), &mut rng).unwrap())
        .push(Activation::Relu)
        .push(batch_norm_1d(BatchNormConfig::new(4)))
}

#[test]
fn a_saved_model_loads_into_a_fresh_one_and_computes_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let (a, mut b) = (model(1), model(2));
    a.forward(&Tensor::ones(&[5, 3])).unwrap(); // moves the running statistics
    let path = dir.path().join("roundtrip.safetensors");
    save(&a, &path).unwrap();
    let report = load(&mut b, &path, true).unwrap();
    assert_eq!(report, LoadReport::default());
    for ((ka, ta), (kb, tb)) in a.state_dict().iter().zip(b.state_dict()) {
        assert_eq!((ka, ta.to_vec()), (&kb, tb.to_vec()));
    }
    let names: Vec<String> = a.state_dict().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        ["0.weight", "0.bias", "2.weight", "2.bias", "2.running_mean", "2.running_var", "2.num_batches_tracked"]
    );
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".roundtrip.safetensors.tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "the temporary file was renamed away");
}

#[test]
fn pytorchs_linear_state_loads_and_gives_pytorchs_output() {
    // linear_bias.safetensors holds nn.Linear(5, 4)'s weight and bias beside its test tensors.
    let mut layer = Linear::new(LinearConfig::new(5, 4), &mut StdRng::seed_from_u64(0)).unwrap();
    let report = load(&mut layer, golden("linear_bias"), false).unwrap();
    assert!(report.missing.is_empty());
    assert!(report.unexpected.contains(&"input".to_string()) && report.unexpected.contains(&"output".to_string()));
    let file: std::collections::HashMap<String, Tensor> =
        load_tensors(golden("linear_bias")).unwrap().into_iter().collect();
    let output = layer.forward(&file["input"]).unwrap();
    for (got, want) in output.to_vec().iter().zip(file["output"].to_vec()) {
        assert!((got - want).abs() <= 1e-5 * want.abs().max(1.0), "{got} vs {want}");
    }
}

#[test]
fn missing_unexpected_and_mismatched_keys_are_all_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("partial.safetensors");
    let weight = Tensor::zeros(&[4, 2]);
    save_tensors(&path, &[("0.weight".into(), weight), ("extra".into(), Tensor::zeros(&[1]))]).unwrap();
    let mut target = model(3);
    let before: Vec<Vec<f32>> = target.state_dict().iter().map(|(_, t)| t.to_vec()).collect();
    let err = load(&mut target, &path, true).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("missing keys: 0.bias, 2.weight"), "{text}");
    assert!(text.contains("unexpected keys: extra"), "{text}");
    assert!(text.contains("0.weight has shape [4, 2] in the file, [4, 3] in the model"), "{text}");
    let after: Vec<Vec<f32>> = target.state_dict().iter().map(|(_, t)| t.to_vec()).collect();
    assert_eq!(before, after, "a failed load changes nothing");
    assert!(
        matches!(load(&mut target, &path, false), Err(StateDictError::Mismatch { .. })),
        "a wrong shape fails even when not strict"
    );
}

#[test]
fn corrupt_files_are_format_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(golden("linear_bias")).unwrap();
    let truncated = dir.path().join("truncated.safetensors");
    std::fs::write(&truncated, &good[..good.len() - 10]).unwrap();
    let mut layer = Linear::new(LinearConfig::new(5, 4), &mut StdRng::seed_from_u64(0)).unwrap();
    assert!(matches!(load(&mut layer, &truncated, false), Err(StateDictError::Format { .. })));

    // A header that claims a tensor larger than the file holds.
    let header = br#"{"w":{"dtype":"F32","shape":[1000000],"data_offsets":[0,4000000]}}"#;
    let mut lying = (header.len() as u64).to_le_bytes().to_vec();
    lying.extend_from_slice(header);
    lying.extend_from_slice(&[0u8; 16]);
    let lying_path = dir.path().join("lying.safetensors");
    std::fs::write(&lying_path, &lying).unwrap();
    assert!(matches!(load_tensors(&lying_path), Err(StateDictError::Format { .. })));

    let huge_header = dir.path().join("huge-header.safetensors");
    std::fs::write(&huge_header, u64::MAX.to_le_bytes()).unwrap();
    assert!(matches!(load_tensors(&huge_header), Err(StateDictError::Format { .. })));

    assert!(matches!(load_tensors(dir.path().join("does-not-exist.safetensors")), Err(StateDictError::Io { .. })));
}

#[test]
fn half_precision_tensors_are_refused_with_their_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let header = br#"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(&[0u8; 4]);
    let path = dir.path().join("f16.safetensors");
    std::fs::write(&path, &bytes).unwrap();
    let err = load_tensors(&path).unwrap_err();
    assert!(err.to_string().contains("w has dtype F16"), "{err}");
}
