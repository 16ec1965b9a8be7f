//! A small classifier for trainer tests: an MLP (6-16-3) with optional dropout, trained by SGD
//! with momentum on inputs the trainer's generator jitters, so that a resumed run must restore
//! parameters, optimizer state, dropout's generator and the trainer's generator to match.

use nabla_data::{Batch, TensorDataset};
use nabla_losses::{CrossEntropyOptions, cross_entropy};
use nabla_nn::{
    Activation, MlpConfig, Module, Sequential, Visit, load_rng_states_of, load_state_dict, mlp, parameters_of,
    prefixed, rng_states_of, state_dict_of, state_dict_part,
};
use nabla_optim::{Optimizer, SgdConfig};
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Error, Result, Tensor};
use nabla_train::{TrainRng, Trainable};

pub struct Tiny {
    net: Sequential,
    optimizer: Optimizer,
    /// The half-width of the uniform jitter added to each input (0: none).
    jitter: f32,
}

impl Tiny {
    /// Weights from `seed` (every rank gets rank 0's anyway), dropout `dropout`.
    pub fn new(seed: u64, dropout: f32, jitter: f32) -> Result<Self> {
        let config = MlpConfig { widths: vec![6, 16, 3], activation: Activation::Tanh, dropout };
        let net = mlp(&config, &mut StdRng::seed_from_u64(seed))?;
        let sgd = SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() };
        let optimizer = Optimizer::sgd(parameters_of(&net), sgd)?;
        Ok(Tiny { net, optimizer, jitter })
    }

    pub fn parameters(&self) -> Vec<Vec<f32>> {
        parameters_of(&self.net).iter().map(Tensor::to_vec).collect()
    }
}

/// 96 points in 6 dimensions with 3 classes.
pub fn data() -> TensorDataset {
    let inputs = Tensor::uniform(&[96, 6], -1.0, 1.0, &mut StdRng::seed_from_u64(3)).unwrap();
    let labels = Tensor::from_vec((0..96).map(|i| (i % 3) as f32).collect(), &[96]).unwrap();
    TensorDataset::new(inputs, Some(labels)).unwrap()
}

impl Trainable for Tiny {
    fn kind(&self) -> &'static str {
        "tiny"
    }

    fn loss_names(&self) -> Vec<&'static str> {
        vec!["cross_entropy"]
    }

    fn train_step(&mut self, batch: &Batch, rng: &mut TrainRng) -> Result<Vec<f32>> {
        let labels = batch.classes("Tiny::train_step")?;
        let mut input = batch.input.clone();
        if self.jitter > 0.0 {
            input = input.add(&Tensor::uniform(input.shape(), -self.jitter, self.jitter, rng)?)?;
        }
        self.net.set_training(true);
        let loss = cross_entropy(&self.net.forward(&input)?, &labels, &CrossEntropyOptions::default())?;
        self.net.set_training(false);
        self.optimizer.step(&loss.backward()?)?;
        Ok(vec![loss.item()?])
    }

    fn fixed_input(&self, data: &TensorDataset, n: usize, _rng: &mut TrainRng) -> Result<Batch> {
        data.batch(&(0..n).collect::<Vec<_>>())
    }

    /// Each input, from [-1, 1] to [0, 1], as a 2×3 image.
    fn render(&self, fixed: &Batch) -> Result<Tensor> {
        fixed.input.add_scalar(1.0)?.mul_scalar(0.5)
    }

    fn state(&self) -> Vec<(String, Tensor)> {
        let mut state = state_dict_of(&self.net);
        state.extend(prefixed("optimizer", self.optimizer.state_dict()));
        state
    }

    fn load_state(&mut self, state: &[(String, Tensor)]) -> Result<()> {
        let model: Vec<(String, Tensor)> =
            state.iter().filter(|(k, _)| !k.starts_with("optimizer.")).cloned().collect();
        load_state_dict(&mut self.net, &model, true, "Tiny").map_err(|e| Error::invalid("Tiny", e.to_string()))?;
        self.optimizer.load_state_dict(&state_dict_part(state, "optimizer"))
    }

    fn rng_states(&self) -> Vec<(String, String)> {
        rng_states_of(&self.net)
    }

    fn load_rng_states(&mut self, states: &[(String, String)]) -> Result<()> {
        load_rng_states_of(&self.net, states)
    }
}
