//! State dicts in the safetensors format with PyTorch's key names: saving (atomically) and
//! loading (checking every key, shape and dtype, strict or not).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use nabla_tensor::Tensor;
use safetensors::{Dtype, SafeTensors};

use crate::module::{Visit, state_dict_of};

/// Tensors with their names, in a file's order.
pub type NamedTensors = Vec<(String, Tensor)>;

/// What went wrong saving or loading a state dict.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateDictError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },

    /// The file is not a valid safetensors file (truncated, a header that lies about its
    /// length, overlapping data).
    #[error("{path}: not a valid safetensors file: {reason}")]
    Format { path: String, reason: String },

    /// The file does not fit the model.
    #[error("{path}: the state dict does not fit the model:{}", describe(missing, unexpected, mismatched))]
    Mismatch { path: String, missing: Vec<String>, unexpected: Vec<String>, mismatched: Vec<String> },

    /// A tensor could not be built or assigned.
    #[error(transparent)]
    Tensor(#[from] nabla_tensor::Error),
}

fn describe(missing: &[String], unexpected: &[String], mismatched: &[String]) -> String {
    let mut text = String::new();
    for (label, keys) in [("missing keys", missing), ("unexpected keys", unexpected), ("mismatched", mismatched)] {
        if !keys.is_empty() {
            text.push_str(&format!(" {label}: {};", keys.join(", ")));
        }
    }
    text
}

/// What a non-strict load left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Model keys the file lacks (left as they were).
    pub missing: Vec<String>,
    /// File keys the model lacks (ignored).
    pub unexpected: Vec<String>,
}

/// Writes named tensors as a safetensors file (f32), atomically
/// ([`nabla_tensor::io::write_atomically`]): a crash never leaves a half-written file.
///
/// # Errors
/// [`StateDictError::Io`]; [`StateDictError::Format`] for duplicate names.
pub fn save_tensors(path: impl AsRef<Path>, tensors: &[(String, Tensor)]) -> Result<(), StateDictError> {
    save_tensors_with_metadata(path, tensors, &HashMap::new())
}

/// [`save_tensors`] with a string-to-string metadata map in the file's header (safetensors'
/// `__metadata__`): where a checkpoint keeps its step and RNG state.
///
/// # Errors
/// As [`save_tensors`].
pub fn save_tensors_with_metadata(
    path: impl AsRef<Path>,
    tensors: &[(String, Tensor)],
    metadata: &HashMap<String, String>,
) -> Result<(), StateDictError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = tensors
        .iter()
        .map(|(key, t)| (key.clone(), t.to_vec().iter().flat_map(|v| v.to_le_bytes()).collect(), t.shape().to_vec()))
        .collect();
    let mut views = BTreeMap::new();
    for (key, data, shape) in &bytes {
        let view = safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), data)
            .map_err(|e| StateDictError::Format { path: name.clone(), reason: e.to_string() })?;
        if views.insert(key.clone(), view).is_some() {
            return Err(StateDictError::Format { path: name, reason: format!("the key {key} appears twice") });
        }
    }
    let metadata = (!metadata.is_empty()).then(|| metadata.clone());
    let serialized = safetensors::serialize(views, metadata)
        .map_err(|e| StateDictError::Format { path: name.clone(), reason: e.to_string() })?;
    nabla_tensor::io::write_atomically(path, &serialized).map_err(|source| StateDictError::Io { path: name, source })
}

/// Reads every tensor of a safetensors file as f32 (integer tensors, such as PyTorch's int64
/// `num_batches_tracked`, are converted). The header is validated by `safetensors` before any
/// tensor is built.
///
/// # Errors
/// [`StateDictError::Io`], [`StateDictError::Format`] (also for float16/bfloat16/float64
/// tensors, which nabla does not convert silently).
pub fn load_tensors(path: impl AsRef<Path>) -> Result<Vec<(String, Tensor)>, StateDictError> {
    Ok(load_tensors_with_metadata(path)?.0)
}

/// [`load_tensors`] and the header's metadata map (empty when the file has none).
///
/// # Errors
/// As [`load_tensors`].
pub fn load_tensors_with_metadata(
    path: impl AsRef<Path>,
) -> Result<(NamedTensors, HashMap<String, String>), StateDictError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| StateDictError::Io { path: name.clone(), source })?;
    read_tensors(&bytes, &name)
}

/// Parses a safetensors file's bytes into named f32 tensors and its metadata (what
/// [`load_tensors_with_metadata`] does after reading the file); `name` is used in errors.
/// `safetensors` validates the header (its length, every offset and shape against the data)
/// before any tensor is built.
///
/// # Errors
/// [`StateDictError::Format`] for a malformed file; [`StateDictError::Mismatch`] for an
/// unsupported dtype.
pub fn read_tensors(bytes: &[u8], name: &str) -> Result<(NamedTensors, HashMap<String, String>), StateDictError> {
    let name = name.to_string();
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| StateDictError::Format { path: name.clone(), reason: e.to_string() })?;
    let metadata = header.metadata().clone().unwrap_or_default();
    let file = SafeTensors::deserialize(bytes)
        .map_err(|e| StateDictError::Format { path: name.clone(), reason: e.to_string() })?;
    let mut out = Vec::new();
    for (key, view) in file.tensors() {
        let values = to_f32(view.dtype(), view.data()).ok_or_else(|| StateDictError::Mismatch {
            path: name.clone(),
            missing: vec![],
            unexpected: vec![],
            mismatched: vec![format!("{key} has dtype {:?}; nabla reads F32 (and integer buffers)", view.dtype())],
        })?;
        out.push((key, Tensor::from_vec(values, view.shape())?));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((out, metadata))
}

/// Little-endian values of a supported dtype as f32.
fn to_f32(dtype: Dtype, data: &[u8]) -> Option<Vec<f32>> {
    Some(match dtype {
        Dtype::F32 => data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
        Dtype::I64 => data.chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")) as f32).collect(),
        Dtype::I32 => data.chunks_exact(4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32).collect(),
        _ => return None,
    })
}

/// Saves a module's parameters and buffers (`module.state_dict()`), atomically.
///
/// # Errors
/// As [`save_tensors`].
pub fn save(module: &(impl Visit + ?Sized), path: impl AsRef<Path>) -> Result<(), StateDictError> {
    save_tensors(path, &state_dict_of(module))
}

/// Loads a state dict into a module, checking every key, shape and dtype first: nothing is
/// changed unless the load succeeds. `strict` (PyTorch's default) requires the keys to match
/// exactly; otherwise missing and unexpected keys are reported in the [`LoadReport`] and
/// skipped. A shape mismatch is an error either way.
///
/// # Errors
/// [`StateDictError::Mismatch`] listing every missing, unexpected and mismatched key;
/// [`StateDictError::Io`] and [`StateDictError::Format`] for unreadable files.
pub fn load(
    module: &mut (impl Visit + ?Sized),
    path: impl AsRef<Path>,
    strict: bool,
) -> Result<LoadReport, StateDictError> {
    let path = path.as_ref();
    load_state_dict(module, &load_tensors(path)?, strict, &path.display().to_string())
}

/// [`load`] from named tensors already in memory (a part of a checkpoint); `source` names
/// them in errors.
///
/// # Errors
/// [`StateDictError::Mismatch`] listing every missing, unexpected and mismatched key.
pub fn load_state_dict(
    module: &mut (impl Visit + ?Sized),
    entries: &[(String, Tensor)],
    strict: bool,
    source: &str,
) -> Result<LoadReport, StateDictError> {
    let name = source.to_string();
    let file: HashMap<&str, &Tensor> = entries.iter().map(|(k, t)| (k.as_str(), t)).collect();
    let model = state_dict_of(module);
    let mut missing = Vec::new();
    let mut mismatched = Vec::new();
    for (key, tensor) in &model {
        match file.get(key.as_str()) {
            None => missing.push(key.clone()),
            Some(found) if found.shape() != tensor.shape() => mismatched.push(format!(
                "{key} has shape {:?} in the file, {:?} in the model",
                found.shape(),
                tensor.shape()
            )),
            Some(_) => {}
        }
    }
    let known: std::collections::HashSet<&str> = model.iter().map(|(k, _)| k.as_str()).collect();
    let mut unexpected: Vec<String> = file.keys().filter(|k| !known.contains(*k)).map(|k| k.to_string()).collect();
    unexpected.sort();
    if !mismatched.is_empty() || (strict && (!missing.is_empty() || !unexpected.is_empty())) {
        return Err(StateDictError::Mismatch { path: name, missing, unexpected, mismatched });
    }
    for (key, tensor) in &model {
        if let Some(found) = file.get(key.as_str()) {
            tensor.set_data(found.data())?;
        }
    }
    Ok(LoadReport { missing, unexpected })
}

/// The entries under `prefix.`, with the prefix taken off: one model's part of a checkpoint
/// that holds several (a GAN's `generator.` and `discriminator.`).
pub fn state_dict_part(state: &[(String, Tensor)], prefix: &str) -> Vec<(String, Tensor)> {
    let prefix = format!("{prefix}.");
    state.iter().filter_map(|(k, t)| k.strip_prefix(&prefix).map(|name| (name.to_string(), t.clone()))).collect()
}

/// `entries` with `prefix.` put in front of each name (the inverse of [`state_dict_part`]).
pub fn prefixed(prefix: &str, entries: Vec<(String, Tensor)>) -> Vec<(String, Tensor)> {
    entries.into_iter().map(|(k, t)| (format!("{prefix}.{k}"), t)).collect()
}

/// Loads the entries under `prefix.` into `module`, strictly, reporting a mismatch as a tensor
/// error (what a model's `load_state` returns).
///
/// # Errors
/// [`nabla_tensor::Error::InvalidArgument`] naming every missing, unexpected and mismatched key.
pub fn load_part(
    module: &mut (impl Visit + ?Sized),
    state: &[(String, Tensor)],
    prefix: &str,
) -> nabla_tensor::Result<()> {
    load_state_dict(module, &state_dict_part(state, prefix), true, prefix)
        .map(|_| ())
        .map_err(|e| nabla_tensor::Error::invalid("load_state", e.to_string()))
}
