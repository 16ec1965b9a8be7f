//! A training checkpoint: the model's parameters and buffers, its optimizers' state, the
//! trainer's RNG, the step and place in the epoch, the fixed sample input and the loss history
//! — everything a resumed run needs to continue exactly where it stopped. One safetensors file,
//! written atomically; the scalars sit in its header's metadata.

use std::collections::HashMap;
use std::path::Path;

use nabla_nn::{StateDictError, load_tensors_with_metadata, save_tensors_with_metadata};
use nabla_tensor::Tensor;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

use crate::trainer::TrainError;

/// The trainer's random number generator: ChaCha with 8 rounds, whose whole state (seed,
/// stream, word position) a checkpoint can save and restore.
pub type TrainRng = ChaCha8Rng;

/// The checkpoint format's version, in the metadata as `nabla.checkpoint`.
const VERSION: &str = "1";

/// What a checkpoint holds.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// What trained (a GAN, a VAE, …): a checkpoint only resumes the same kind.
    pub kind: String,
    /// Parameters, buffers and optimizer state, by name.
    pub state: Vec<(String, Tensor)>,
    /// Training steps taken.
    pub step: usize,
    /// Steps taken in the current epoch.
    pub position: usize,
    /// The current epoch's order of the training samples.
    pub order: Vec<usize>,
    /// The fixed input the sample grids are drawn from.
    pub fixed: Tensor,
    /// The losses of every step, `[steps, losses]`.
    pub history: Tensor,
    /// The RNG as it was after the last step.
    pub rng: TrainRng,
}

impl Checkpoint {
    /// Writes the checkpoint atomically (a temporary file, flushed, renamed over `path`).
    ///
    /// # Errors
    /// [`TrainError::StateDict`] when the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let mut tensors: Vec<(String, Tensor)> =
            self.state.iter().map(|(name, t)| (format!("state.{name}"), t.clone())).collect();
        tensors.push(("fixed".into(), self.fixed.clone()));
        tensors.push(("history".into(), self.history.clone()));
        let order: Vec<f32> = self.order.iter().map(|&i| i as f32).collect();
        let len = order.len();
        tensors.push(("order".into(), Tensor::from_vec(order, &[len])?));
        let seed: String = self.rng.get_seed().iter().map(|b| format!("{b:02x}")).collect();
        let metadata = HashMap::from([
            ("nabla.checkpoint".to_string(), VERSION.to_string()),
            ("kind".to_string(), self.kind.clone()),
            ("step".to_string(), self.step.to_string()),
            ("position".to_string(), self.position.to_string()),
            ("rng.seed".to_string(), seed),
            ("rng.stream".to_string(), self.rng.get_stream().to_string()),
            ("rng.word_pos".to_string(), self.rng.get_word_pos().to_string()),
        ]);
        save_tensors_with_metadata(path, &tensors, &metadata)?;
        Ok(())
    }

    /// Reads a checkpoint written by [`Checkpoint::save`], checking its header.
    ///
    /// # Errors
    /// [`TrainError::StateDict`] for an unreadable file; [`TrainError::Checkpoint`] for a file
    /// that is not a nabla checkpoint or is missing a part.
    pub fn load(path: &Path) -> Result<Self, TrainError> {
        let name = path.display().to_string();
        let bad = |reason: String| TrainError::Checkpoint { path: name.clone(), reason };
        let (tensors, metadata) = load_tensors_with_metadata(path)?;
        let field = |key: &str| metadata.get(key).ok_or_else(|| bad(format!("the header lacks `{key}`")));
        if field("nabla.checkpoint")? != VERSION {
            return Err(bad(format!("format version {}, this nabla reads {VERSION}", field("nabla.checkpoint")?)));
        }
        let number = |key: &str| -> Result<u128, TrainError> {
            field(key)?.parse().map_err(|_| bad(format!("`{key}` is not a number")))
        };
        let seed_hex = field("rng.seed")?;
        let mut seed = [0u8; 32];
        if seed_hex.len() != 64 || !seed_hex.is_ascii() {
            return Err(bad("`rng.seed` is not 32 bytes of hex".into()));
        }
        for (i, byte) in seed.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&seed_hex[2 * i..2 * i + 2], 16)
                .map_err(|_| bad("`rng.seed` is not 32 bytes of hex".into()))?;
        }
        let mut rng = TrainRng::from_seed(seed);
        rng.set_stream(number("rng.stream")? as u64);
        rng.set_word_pos(number("rng.word_pos")?);
        let mut parts: HashMap<String, Tensor> = HashMap::new();
        let mut state = Vec::new();
        for (key, tensor) in tensors {
            match key.strip_prefix("state.") {
                Some(name) => state.push((name.to_string(), tensor)),
                None => {
                    parts.insert(key, tensor);
                }
            }
        }
        let mut take = |key: &str| parts.remove(key).ok_or_else(|| bad(format!("the tensor `{key}` is missing")));
        let (fixed, history, order) = (take("fixed")?, take("history")?, take("order")?);
        Ok(Checkpoint {
            kind: field("kind")?.clone(),
            state,
            step: number("step")? as usize,
            position: number("position")? as usize,
            order: order.to_vec().iter().map(|&i| i as usize).collect(),
            fixed,
            history,
            rng,
        })
    }
}

impl From<StateDictError> for TrainError {
    fn from(error: StateDictError) -> Self {
        TrainError::StateDict(Box::new(error))
    }
}

/// The entries under `prefix.`, with the prefix taken off.
pub fn part(state: &[(String, Tensor)], prefix: &str) -> Vec<(String, Tensor)> {
    let prefix = format!("{prefix}.");
    state.iter().filter_map(|(k, t)| k.strip_prefix(&prefix).map(|name| (name.to_string(), t.clone()))).collect()
}

/// `entries` with `prefix.` put in front of each name.
pub fn prefixed(prefix: &str, entries: Vec<(String, Tensor)>) -> Vec<(String, Tensor)> {
    entries.into_iter().map(|(k, t)| (format!("{prefix}.{k}"), t)).collect()
}

/// Loads the entries under `prefix.` into a module, strictly.
pub fn load_module(
    module: &dyn nabla_nn::Module,
    state: &[(String, Tensor)],
    prefix: &'static str,
) -> nabla_tensor::Result<()> {
    nabla_nn::load_state_dict(module, &part(state, prefix), true, prefix)
        .map(|_| ())
        .map_err(|e| nabla_tensor::Error::InvalidArgument { op: "load_state", reason: e.to_string() })
}
