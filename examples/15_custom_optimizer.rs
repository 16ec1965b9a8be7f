//! An optimizer of one's own: Lion (Chen et al., 2023, "Symbolic Discovery of Optimization
//! Algorithms") written here, outside nabla-optim, as an [`UpdateRule`]. The `Optimizer`
//! gives it what the built-in rules get — parameter groups, per-parameter buffers, a state dict
//! with PyTorch-style keys and exact resume — with no change to nabla-optim.
//!
//! Lion keeps one moment `m` per parameter and moves every weight by the same step size:
//! `w ← w·(1 − lr·λ) − lr·sign(β₁·m + (1 − β₁)·g)`, then `m ← β₂·m + (1 − β₂)·g`.
//!
//! The model is a `#[derive(Module)]` struct, and `run` returns `nabla::Result`, so errors of
//! the tensor, nn (state dict) and plot crates all pass through `?`. It trains a 2-32-32-2
//! MLP on two moons with Lion and with Adam, and writes `docs/images/lion_vs_adam.png`. Run
//! with `cargo run --release --example 15_custom_optimizer`.

use nabla::data::synthetic::two_moons;
use nabla::losses::{CrossEntropyOptions, cross_entropy};
use nabla::optim::{AdamConfig, Optimizer, UpdateRule};
use nabla::plot::{LineChart, Series};
use nabla::prelude::*;
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};

/// Lion's hyperparameters; the defaults are the paper's (lr 1e-4, betas (0.9, 0.99)).
#[derive(Debug, Clone, Copy)]
struct Lion {
    lr: f64,
    betas: (f64, f64),
    weight_decay: f64,
}

impl Default for Lion {
    fn default() -> Self {
        Lion { lr: 1e-4, betas: (0.9, 0.99), weight_decay: 0.0 }
    }
}

impl UpdateRule for Lion {
    fn name(&self) -> &'static str {
        "Lion"
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    fn slots(&self) -> Vec<&'static str> {
        vec!["exp_avg"]
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let (b1, b2) = self.betas;
        if !(self.lr >= 0.0 && self.lr.is_finite() && self.weight_decay >= 0.0) {
            return Err(format!(
                "lr and weight_decay must be finite and >= 0, got {} and {}",
                self.lr, self.weight_decay
            ));
        }
        if !((0.0..1.0).contains(&b1) && (0.0..1.0).contains(&b2)) {
            return Err(format!("betas must lie in [0, 1), got {:?}", self.betas));
        }
        Ok(())
    }

    /// Each value's update reads only that value: a large parameter updates in pieces on threads.
    fn elementwise(&self) -> bool {
        true
    }

    fn update(&self, lr: f64, param: &mut [f32], grad: &[f32], slots: &mut [&mut [f32]], _step: u64) {
        let (b1, b2) = (self.betas.0 as f32, self.betas.1 as f32);
        let (lr, decay) = (lr as f32, (1.0 - lr * self.weight_decay) as f32);
        for ((w, &g), m) in param.iter_mut().zip(grad).zip(slots[0].iter_mut()) {
            let direction = b1 * *m + (1.0 - b1) * g;
            *w = *w * decay - lr * sign(direction);
            *m = b2 * *m + (1.0 - b2) * g;
        }
    }
}

/// `sign` as `torch.sign`: 0 at 0 (Rust's `signum` gives ±1 there).
fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[derive(Module)]
struct Mlp {
    layers: Vec<Linear>,
}

impl Mlp {
    fn new(seed: u64) -> Result<Self> {
        let rng = &mut StdRng::seed_from_u64(seed);
        let sizes = [(2, 32), (32, 32), (32, 2)];
        let layers: nabla::tensor::Result<Vec<Linear>> =
            sizes.iter().map(|&(i, o)| Linear::new(LinearConfig::new(i, o), rng)).collect();
        Ok(Mlp { layers: layers? })
    }
}

impl Module for Mlp {
    fn forward(&self, x: &Tensor) -> nabla::tensor::Result<Tensor> {
        let last = self.layers.len() - 1;
        self.layers.iter().enumerate().try_fold(x.clone(), |h, (i, layer)| {
            let h = layer.forward(&h)?;
            if i < last { Activation::Relu.apply(&h) } else { Ok(h) }
        })
    }
}

/// What one run gives: the loss of each step and the final training accuracy.
struct Run {
    losses: Vec<f32>,
    accuracy: f32,
}

/// Trains a fresh MLP on two moons for `steps` full-batch steps with `rule`.
fn train(rule: impl UpdateRule + 'static, steps: usize) -> Result<Run> {
    let data = two_moons(200, 0.1, &mut StdRng::seed_from_u64(1))?;
    let targets = data.labels.clone();
    let model = Mlp::new(0)?;
    let mut optimizer = Optimizer::new(model.parameters(), rule)?;
    let mut losses = Vec::with_capacity(steps);
    for _ in 0..steps {
        let loss = cross_entropy(&model.forward(&data.x)?, &targets, &CrossEntropyOptions::default())?;
        optimizer.step(&loss.backward()?)?;
        losses.push(loss.item()?);
    }
    let predicted = no_grad(|| model.forward(&data.x))?.argmax(1, false)?;
    let correct = predicted.values().iter().zip(&targets).filter(|(p, t)| **p as usize == **t).count();
    Ok(Run { losses, accuracy: correct as f32 / targets.len() as f32 })
}

/// Lion at the paper's advice of a rate 3–10× below Adam's, against Adam at 1e-2.
const LION: Lion = Lion { lr: 2e-3, betas: (0.9, 0.99), weight_decay: 0.0 };
const STEPS: usize = 300;

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    Ok(nabla::tensor::on_pool(run)?)
}

fn run() -> Result<()> {
    let lion = train(LION, STEPS)?;
    let adam = train(AdamConfig { lr: 1e-2, ..Default::default() }, STEPS)?;
    println!("Lion: final loss {:.4}, accuracy {:.1}%", lion.losses[STEPS - 1], lion.accuracy * 100.0);
    println!("Adam: final loss {:.4}, accuracy {:.1}%", adam.losses[STEPS - 1], adam.accuracy * 100.0);
    let curve = |losses: &[f32]| losses.iter().enumerate().map(|(i, &l)| (i as f64 + 1.0, l as f64)).collect();
    std::fs::create_dir_all("docs/images")?;
    LineChart::new("Two moons, 2-32-32-2 MLP: Lion (written outside nabla) and Adam", "step", "cross-entropy")
        .series(Series::new("Lion, lr 2e-3", curve(&lion.losses)))
        .series(Series::new("Adam, lr 1e-2", curve(&adam.losses)))
        .log_y()
        .write_png("docs/images/lion_vs_adam.png")?;
    // A state dict of the model, through the nn crate's error and `?`.
    let dir = std::env::temp_dir().join("nabla_lion_example");
    std::fs::create_dir_all(&dir)?;
    nabla::nn::save(&Mlp::new(0)?, dir.join("mlp.safetensors"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_step_is_lions_formula() {
        let w = Tensor::from_vec(vec![1.0, -2.0, 0.5], &[3]).unwrap().requires_grad(true);
        let rule = Lion { lr: 0.1, betas: (0.9, 0.99), weight_decay: 0.5 };
        let mut lion = Optimizer::new(vec![w.clone()], rule).unwrap();
        // Gradient of Σ w³/3 is w²: all positive, so every weight steps down by lr after decay.
        lion.step(&w.powf(3.0).unwrap().div_scalar(3.0).unwrap().sum_all().unwrap().backward().unwrap()).unwrap();
        let expected: Vec<f32> = [1.0f32, -2.0, 0.5].iter().map(|v| v * (1.0 - 0.1 * 0.5) - 0.1).collect();
        assert_eq!(w.to_vec(), expected);
        // The moment is (1 − β₂)·g, saved under the slot's name.
        let state: std::collections::HashMap<String, Tensor> = lion.state_dict().into_iter().collect();
        let moment = state["state.0.exp_avg"].to_vec();
        for (m, g) in moment.iter().zip([1.0f32, 4.0, 0.25]) {
            assert!((m - 0.01 * g).abs() < 1e-7, "{moment:?}");
        }
    }

    #[test]
    fn lion_trains_two_moons_as_well_as_adam() {
        let lion = train(LION, STEPS).unwrap();
        let adam = train(AdamConfig { lr: 1e-2, ..Default::default() }, STEPS).unwrap();
        assert!(lion.accuracy >= 0.97, "Lion reached {:.3}", lion.accuracy);
        assert!(lion.losses[STEPS - 1] < 0.1 * lion.losses[0], "{} → {}", lion.losses[0], lion.losses[STEPS - 1]);
        assert!(lion.accuracy >= adam.accuracy - 0.02, "Lion {:.3}, Adam {:.3}", lion.accuracy, adam.accuracy);
    }

    #[test]
    fn lions_state_resumes_exactly_and_bad_betas_are_refused() {
        let run = |split: Option<usize>| {
            let w = Tensor::from_vec(vec![0.3, -0.7], &[2]).unwrap().requires_grad(true);
            let mut opt = Optimizer::new(vec![w.clone()], LION).unwrap();
            for step in 0..10 {
                if Some(step) == split {
                    let saved = opt.state_dict();
                    opt = Optimizer::new(vec![w.clone()], LION).unwrap();
                    opt.load_state_dict(&saved).unwrap();
                }
                opt.step(&w.sub_scalar(0.1).unwrap().powf(2.0).unwrap().sum_all().unwrap().backward().unwrap())
                    .unwrap();
            }
            w.to_vec()
        };
        assert_eq!(run(Some(4)), run(None));
        let bad = Lion { betas: (0.9, 1.0), ..Lion::default() };
        let error = Optimizer::new(vec![Tensor::zeros(&[1]).requires_grad(true)], bad).unwrap_err();
        assert!(error.to_string().contains("Lion") && error.to_string().contains("betas"), "{error}");
    }
}
