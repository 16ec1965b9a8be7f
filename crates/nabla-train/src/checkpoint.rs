//! A training checkpoint: the model's parameters and buffers, its optimizers' state, its
//! random generators, the trainer's RNG, the step, the fixed sample input and the loss history
//! — everything a resumed run needs to continue exactly where it stopped. One safetensors file,
//! written atomically; the scalars and generator states sit in its header's metadata.

use std::collections::HashMap;
use std::path::Path;

use nabla_data::Batch;
use nabla_nn::{StateDictError, load_tensors_with_metadata, rng_from_text, rng_to_text, save_tensors_with_metadata};
use nabla_tensor::Tensor;
use rand_chacha::ChaCha8Rng;

use crate::trainer::TrainError;

/// The trainer's random number generator: ChaCha with 8 rounds, whose whole state (seed,
/// stream, word position) a checkpoint can save and restore.
pub type TrainRng = ChaCha8Rng;

/// The checkpoint format's version, in the metadata as `nabla.checkpoint`.
const VERSION: &str = "2";

/// The metadata key prefix of the model's generators.
const MODEL_RNG: &str = "model_rng.";

/// What a checkpoint holds.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// What trained (a GAN, a VAE, …): a checkpoint only resumes the same kind.
    pub kind: String,
    /// Parameters, buffers and optimizer state, by name.
    pub state: Vec<(String, Tensor)>,
    /// The model's random generators (dropout's), by name.
    pub model_rngs: Vec<(String, String)>,
    /// Training steps taken.
    pub step: usize,
    /// The size of the data set trained on: a checkpoint only resumes on one of that size.
    pub samples: usize,
    /// The fixed input the sample grids are drawn from.
    pub fixed: Batch,
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
        tensors.push(("fixed.input".into(), self.fixed.input.clone()));
        if let Some(target) = &self.fixed.target {
            tensors.push(("fixed.target".into(), target.clone()));
        }
        tensors.push(("history".into(), self.history.clone()));
        let mut metadata = HashMap::from([
            ("nabla.checkpoint".to_string(), VERSION.to_string()),
            ("kind".to_string(), self.kind.clone()),
            ("step".to_string(), self.step.to_string()),
            ("samples".to_string(), self.samples.to_string()),
            ("rng".to_string(), rng_to_text(&self.rng)),
        ]);
        metadata.extend(self.model_rngs.iter().map(|(name, state)| (format!("{MODEL_RNG}{name}"), state.clone())));
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
        let number = |key: &str| -> Result<usize, TrainError> {
            field(key)?.parse().map_err(|_| bad(format!("`{key}` is not a number")))
        };
        let rng = rng_from_text(field("rng")?).map_err(|e| bad(e.to_string()))?;
        let mut model_rngs: Vec<(String, String)> = metadata
            .iter()
            .filter_map(|(key, state)| key.strip_prefix(MODEL_RNG).map(|name| (name.to_string(), state.clone())))
            .collect();
        model_rngs.sort();
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
        let target = parts.remove("fixed.target");
        let mut take = |key: &str| parts.remove(key).ok_or_else(|| bad(format!("the tensor `{key}` is missing")));
        let (input, history) = (take("fixed.input")?, take("history")?);
        Ok(Checkpoint {
            kind: field("kind")?.clone(),
            state,
            model_rngs,
            step: number("step")?,
            samples: number("samples")?,
            fixed: Batch { input, target },
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
