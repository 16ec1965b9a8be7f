//! The trainer on a model of the user's own: a derived module with dropout, Adam and a cosine
//! learning-rate schedule, trained on labelled points. It learns, and a run stopped in the
//! middle of an epoch and resumed from its checkpoint ends bit for bit where the uninterrupted
//! run ends — which needs dropout's generator in the checkpoint (shown by leaving it out).

use nabla_data::{Batch, TensorDataset, synthetic};
use nabla_losses::{CrossEntropyOptions, cross_entropy};
use nabla_nn::{Activation, Dropout, Linear, LinearConfig, Module, load_part, prefixed, state_dict_part};
use nabla_optim::{AdamConfig, LrSchedule, Optimizer};
use nabla_tensor::rand::SeedableRng;
use nabla_tensor::rand::rngs::StdRng;
use nabla_tensor::{Result, Tensor, no_grad};
use nabla_train::{TrainRng, Trainable, Trainer, TrainerConfig};

#[derive(Module)]
struct Net {
    hidden: Linear,
    dropout: Dropout,
    out: Linear,
}

impl Module for Net {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let h = Activation::Relu.apply(&self.hidden.forward(x)?)?;
        self.out.forward(&self.dropout.forward(&h)?)
    }
}

struct Classifier {
    net: Net,
    optimizer: Optimizer,
    schedule: LrSchedule,
    steps: usize,
    /// Whether the checkpoint keeps dropout's generator (the test turns it off to show it
    /// matters).
    keep_rngs: bool,
}

fn classifier(keep_rngs: bool) -> Classifier {
    let rng = &mut StdRng::seed_from_u64(0);
    let net = Net {
        hidden: Linear::new(LinearConfig::new(2, 32), rng).unwrap(),
        dropout: Dropout::new(0.3, 7).unwrap(),
        out: Linear::new(LinearConfig::new(32, 3), rng).unwrap(),
    };
    let optimizer = Optimizer::adam(net.parameters(), AdamConfig { lr: 0.05, ..Default::default() }).unwrap();
    Classifier { net, optimizer, schedule: LrSchedule::Cosine { t_max: 60, eta_min: 0.0 }, steps: 0, keep_rngs }
}

impl Trainable for Classifier {
    fn kind(&self) -> &'static str {
        "blobs"
    }

    fn loss_names(&self) -> Vec<&'static str> {
        vec!["cross_entropy", "lr"]
    }

    fn train_step(&mut self, batch: &Batch, _rng: &mut TrainRng) -> Result<Vec<f32>> {
        let lr = self.schedule.lr_at(0.05, self.steps);
        self.optimizer.set_learning_rate(0, lr)?;
        let loss =
            cross_entropy(&self.net.forward(&batch.input)?, batch.classes("blobs")?, &CrossEntropyOptions::default())?;
        self.optimizer.step(&loss.backward()?)?;
        self.steps += 1;
        Ok(vec![loss.item()?, lr as f32])
    }

    fn fixed_input(&self, data: &TensorDataset, n: usize, _rng: &mut TrainRng) -> Result<Batch> {
        data.batch(&(0..n).collect::<Vec<_>>())
    }

    fn render(&self, fixed: &Batch) -> Result<Tensor> {
        Ok(fixed.input.clone())
    }

    fn state(&self) -> Vec<(String, Tensor)> {
        let mut state = prefixed("net", self.net.state_dict());
        state.extend(prefixed("optimizer", self.optimizer.state_dict()));
        state.push(("steps".into(), Tensor::scalar(self.steps as f32)));
        state
    }

    fn load_state(&mut self, state: &[(String, Tensor)]) -> Result<()> {
        load_part(&mut self.net, state, "net")?;
        self.optimizer.load_state_dict(&state_dict_part(state, "optimizer"))?;
        self.steps = state.iter().find(|(k, _)| k == "steps").map_or(Ok(0.0), |(_, t)| t.item())? as usize;
        Ok(())
    }

    fn rng_states(&self) -> Vec<(String, String)> {
        if self.keep_rngs { self.net.rng_states() } else { Vec::new() }
    }

    fn load_rng_states(&mut self, states: &[(String, String)]) -> Result<()> {
        self.net.load_rng_states(states)
    }
}

fn blobs() -> TensorDataset {
    let centers = [(-2.0, 0.0), (2.0, 0.0), (0.0, 2.5)];
    synthetic::blobs(40, &centers, 0.6, &mut StdRng::seed_from_u64(3)).unwrap().dataset().unwrap()
}

fn config() -> TrainerConfig {
    // 120 points in batches of 16: 7 steps an epoch (the last 8 points dropped), 63 steps.
    TrainerConfig { seed: 11, image_shape: [1, 1, 2], grid: 4, ..TrainerConfig::new(9, 16) }
}

/// A run's losses at every step and its final state.
type Outcome = (Vec<Vec<f32>>, Vec<(String, Tensor)>);

/// Trains straight through, and again stopped after `first` steps and resumed in a fresh
/// process's worth of objects; returns both trainers' histories and final states.
fn straight_and_resumed(keep_rngs: bool, first: usize) -> [Outcome; 2] {
    let mut straight = Trainer::new(classifier(keep_rngs), blobs(), config()).unwrap();
    straight.run().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoint.safetensors");
    let mut interrupted = Trainer::new(classifier(keep_rngs), blobs(), config()).unwrap();
    interrupted.run_for(first).unwrap();
    interrupted.save_checkpoint(&path).unwrap();
    let mut resumed = Trainer::resume(classifier(keep_rngs), blobs(), config(), &path).unwrap();
    resumed.run().unwrap();
    [straight, resumed].map(|t| (t.history().to_vec(), t.model().state()))
}

#[test]
fn a_model_of_ones_own_learns_through_the_trainer() {
    let mut trainer = Trainer::new(classifier(true), blobs(), config()).unwrap();
    trainer.run().unwrap();
    assert_eq!(trainer.step(), 63);
    let mut model = trainer.into_model();
    model.net.eval();
    let data = blobs();
    let logits = no_grad(|| model.net.forward(&data.inputs)).unwrap();
    let predicted = logits.argmax(1, false).unwrap();
    let labels = nabla_tensor::Indices::from_tensor(data.targets.as_ref().unwrap()).unwrap();
    let correct = predicted.values().iter().zip(labels.values()).filter(|(p, l)| p == l).count();
    assert!(correct as f32 / data.len() as f32 >= 0.95, "{correct} of {} right", data.len());
    // The schedule ran to its end: the last step's rate is the cosine's floor.
    assert_eq!(model.steps, 63);
    assert!(model.optimizer.learning_rates()[0] < 1e-3, "{:?}", model.optimizer.learning_rates());
}

#[test]
fn resuming_mid_epoch_is_exact_with_dropout_and_a_schedule() {
    let [(straight_history, straight_state), (resumed_history, resumed_state)] = straight_and_resumed(true, 17);
    assert_eq!(resumed_history, straight_history, "every step's loss and learning rate");
    for ((name, a), (_, b)) in straight_state.iter().zip(&resumed_state) {
        assert_eq!(a.to_vec(), b.to_vec(), "{name} differs after resuming");
    }
}

#[test]
fn without_dropouts_generator_in_the_checkpoint_the_resumed_run_differs() {
    let [(straight, _), (resumed, _)] = straight_and_resumed(false, 17);
    assert_eq!(straight[..17], resumed[..17], "the same up to the stop");
    assert_ne!(straight[17..], resumed[17..], "dropout draws other masks after resuming");
}

#[test]
fn the_model_sees_its_batches_inputs_and_targets() {
    // No packing: the targets arrive as a tensor of their own.
    let data = blobs();
    let batch = data.batch(&[0, 45, 90]).unwrap();
    assert_eq!(batch.input.shape(), &[3, 2]);
    assert_eq!(batch.classes("test").unwrap().values(), [0, 1, 2]);
}
