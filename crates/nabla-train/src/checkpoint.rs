//! A training checkpoint: the model's parameters and buffers, its optimizers' state, its
//! random generators, the trainer's RNG, the step, the fixed sample input and the loss history
//! — everything a resumed run needs to continue exactly where it stopped. One safetensors file,
//! written atomically; the scalars and generator states sit in its header's metadata. A
//! data-parallel run keeps one set of generators per rank (rank 0's under the plain keys).

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

/// The metadata key of the number of ranks that saved a checkpoint (absent: 1).
const RANKS: &str = "ranks";

/// One rank's random generators: the trainer's and the model's (dropout's), by name.
#[derive(Debug, Clone)]
pub struct RankRngs {
    pub trainer: TrainRng,
    pub model: Vec<(String, String)>,
}

impl RankRngs {
    /// One line per generator: the trainer's state, then `state name` for each of the model's
    /// (a state holds no space).
    pub(crate) fn to_text(&self) -> String {
        let mut lines = vec![rng_to_text(&self.trainer)];
        lines.extend(self.model.iter().map(|(name, state)| format!("{state} {name}")));
        lines.join("\n")
    }

    /// The generators [`RankRngs::to_text`] wrote.
    pub(crate) fn from_text(text: &str) -> Result<Self, String> {
        let mut lines = text.lines();
        let trainer = rng_from_text(lines.next().unwrap_or_default()).map_err(|e| e.to_string())?;
        let model = lines
            .map(|line| line.split_once(' ').map(|(state, name)| (name.to_string(), state.to_string())))
            .collect::<Option<Vec<_>>>()
            .ok_or("a model generator's line lacks its name")?;
        Ok(RankRngs { trainer, model })
    }

    /// The metadata key prefix of rank `rank`'s generators.
    fn prefix(rank: usize) -> String {
        if rank == 0 { String::new() } else { format!("rank{rank}.") }
    }
}

/// What a checkpoint holds.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// What trained (a GAN, a VAE, …): a checkpoint only resumes the same kind.
    pub kind: String,
    /// Parameters, buffers and optimizer state, by name (the same on every rank).
    pub state: Vec<(String, Tensor)>,
    /// Training steps taken.
    pub step: usize,
    /// The size of the data set trained on: a checkpoint only resumes on one of that size.
    pub samples: usize,
    /// The fixed input the sample grids are drawn from.
    pub fixed: Batch,
    /// The losses of every step, `[steps, losses]`.
    pub history: Tensor,
    /// Each rank's generators as they were after the last step, in rank order: one for a
    /// run on one process.
    pub rngs: Vec<RankRngs>,
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
            (RANKS.to_string(), self.rngs.len().to_string()),
        ]);
        for (rank, rngs) in self.rngs.iter().enumerate() {
            let prefix = RankRngs::prefix(rank);
            metadata.insert(format!("{prefix}rng"), rng_to_text(&rngs.trainer));
            metadata
                .extend(rngs.model.iter().map(|(name, state)| (format!("{prefix}{MODEL_RNG}{name}"), state.clone())));
        }
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
        let ranks = match metadata.get(RANKS) {
            None => 1,
            Some(_) => number(RANKS)?,
        };
        if ranks == 0 {
            return Err(bad("it was saved by 0 ranks".into()));
        }
        let mut rngs = Vec::with_capacity(ranks.min(metadata.len()));
        for rank in 0..ranks {
            let prefix = RankRngs::prefix(rank);
            let trainer = rng_from_text(field(&format!("{prefix}rng"))?).map_err(|e| bad(e.to_string()))?;
            let model_prefix = format!("{prefix}{MODEL_RNG}");
            let mut model: Vec<(String, String)> = metadata
                .iter()
                .filter_map(|(key, state)| {
                    key.strip_prefix(&model_prefix).map(|name| (name.to_string(), state.clone()))
                })
                .collect();
            model.sort();
            rngs.push(RankRngs { trainer, model });
        }
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
            step: number("step")?,
            samples: number("samples")?,
            fixed: Batch { input, target },
            history,
            rngs,
        })
    }
}

impl From<StateDictError> for TrainError {
    fn from(error: StateDictError) -> Self {
        TrainError::StateDict(Box::new(error))
    }
}
