//! The docs/benchmarks.md workloads (W1–W9), defined once: [`step`] builds a workload's state
//! and returns one step of it, which both `nabla bench` (each workload warmed up and timed for
//! a second or so, printed as a table) and the criterion benches under `benches/` (the careful
//! measurement) time; `benches/pytorch/compare.py` compares them with PyTorch.

use std::time::Instant;

use nabla_attention::{CausalTransformer, CausalTransformerConfig};
use nabla_conv::MnistCnn;
use nabla_conv::{Conv2d, Conv2dConfig};
use nabla_generative::{Autoencoder, DcganConfig, Gan, Noise};
use nabla_losses::{CrossEntropyOptions, cross_entropy};
use nabla_nn::{Activation, MlpConfig, Module, mlp};
use nabla_optim::{AdamConfig, Optimizer, SgdConfig};
use nabla_recurrent::{Lstm, RecurrentConfig};
use nabla_style::{FeatureExtractor, StyleConfig, images, stylize};
use nabla_tensor::rand::{Rng, SeedableRng, rngs::StdRng};
use nabla_tensor::{Indices, Result, Tensor};

use crate::error::CliError;

/// The `bench` command's arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Run only these workloads (W1 … W9); all when absent.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Threads for the matrix multiplies and parallel kernels (all cores when absent).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Seconds to time each workload.
    #[arg(long, default_value_t = 1.0)]
    pub seconds: f64,
    /// Also write the measurements to this file as JSON (for scripts such as
    /// `benches/pytorch/compare.py`).
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
}

/// One workload's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub id: &'static str,
    pub workload: &'static str,
    /// Mean seconds per step.
    pub seconds_per_step: f64,
    /// The figure docs/benchmarks.md reports, and its unit.
    pub figure: f64,
    pub unit: &'static str,
}

/// One step of a workload, with its state captured.
pub type Step = Box<dyn FnMut() -> Result<()>>;

/// The floating-point operations of W6's step: forward and both backward products of the
/// 64→128 3×3 convolution of 32 images of 32×32.
pub const W6_FLOPS: u64 = 3 * 2 * 32 * 128 * 32 * 32 * 64 * 9;

/// W7 is timed as `stylize` for 1 + `STYLE_STEPS` steps less `stylize` for 1 step (its fixed
/// cost: the targets, the resizing), over `STYLE_STEPS`.
pub const STYLE_STEPS: usize = 5;

/// Workload `id`'s state, built fresh, and one step of it (W1 at N = 1024; [`matmul`] for other
/// sizes; W7's step is `stylize` for 1 + [`STYLE_STEPS`] steps, see [`stylize_for`]).
///
/// # Errors
/// [`CliError::Usage`] for an unknown workload; errors building it.
pub fn step(id: &str) -> std::result::Result<Step, CliError> {
    let workload = WORKLOADS
        .iter()
        .find(|w| w.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| CliError::Usage(format!("no workload {id:?}; they are W1 … W9 (see docs/benchmarks.md)")))?;
    Ok((workload.setup)()?)
}

/// A workload: its id, what it is, how to turn seconds per step into its figure, and its step.
struct Workload {
    id: &'static str,
    name: &'static str,
    unit: &'static str,
    /// The figure from seconds per step.
    figure: fn(f64) -> f64,
    /// Builds the workload's state and returns one step.
    setup: fn() -> Result<Step>,
}

fn per_second(seconds: f64) -> f64 {
    1.0 / seconds
}

const WORKLOADS: [Workload; 9] = [
    Workload {
        id: "W1",
        name: "matmul 1024×1024",
        unit: "GFLOP/s",
        figure: |s| 2.0 * 1024f64.powi(3) / s / 1e9,
        setup: w1,
    },
    Workload { id: "W2", name: "MLP 784-256-128-10 step, batch 64", unit: "steps/s", figure: per_second, setup: w2 },
    Workload { id: "W3", name: "small CNN step, batch 64", unit: "steps/s", figure: per_second, setup: w3 },
    Workload { id: "W4", name: "DCGAN iteration, batch 64", unit: "iterations/s", figure: per_second, setup: w4 },
    Workload { id: "W5", name: "LSTM 64→256, 35 steps, batch 32", unit: "steps/s", figure: per_second, setup: w5 },
    Workload {
        id: "W6",
        name: "Conv2d 64→128 32×32 fwd+bwd, batch 32",
        unit: "GFLOP/s",
        figure: |s| W6_FLOPS as f64 / s / 1e9,
        setup: w6,
    },
    Workload { id: "W7", name: "style-transfer step, 128×128", unit: "steps/s", figure: per_second, setup: w7 },
    Workload {
        id: "W8",
        name: "autoencoder 784-256-64 step, batch 128",
        unit: "steps/s",
        figure: per_second,
        setup: w8,
    },
    Workload {
        id: "W9",
        name: "causal transformer step, 32 × 128 tokens",
        unit: "steps/s",
        figure: per_second,
        setup: w9,
    },
];

fn w1() -> Result<Step> {
    Ok(matmul(1024))
}

/// W1's product of two `n × n` matrices of uniform values in [-1, 1].
pub fn matmul(n: usize) -> Step {
    let rng = &mut StdRng::seed_from_u64(1);
    let mut uniform = || Tensor::uniform(&[n, n], -1.0, 1.0, rng).expect("[-1, 1] is a valid range");
    let (a, b) = (uniform(), uniform());
    Box::new(move || a.matmul(&b).map(|_| ()))
}

/// A classifier step: forward, cross-entropy, backward, Adam.
fn classifier_step(
    forward: impl Fn(&Tensor) -> Result<Tensor> + 'static,
    params: Vec<Tensor>,
    input: Tensor,
) -> Result<Step> {
    let labels: Vec<i64> = (0..input.shape()[0] as i64).map(|i| i % 10).collect();
    let mut adam = Optimizer::adam(params, AdamConfig::default())?;
    Ok(Box::new(move || {
        let loss = cross_entropy(&forward(&input)?, &labels, &CrossEntropyOptions::default())?;
        adam.step(&loss.backward()?)
    }))
}

fn w2() -> Result<Step> {
    let rng = &mut StdRng::seed_from_u64(2);
    let model = mlp(&MlpConfig { widths: vec![784, 256, 128, 10], activation: Activation::Relu, dropout: 0.0 }, rng)?;
    let (params, input) = (model.parameters(), Tensor::uniform(&[64, 784], 0.0, 1.0, rng)?);
    classifier_step(move |x| model.forward(x), params, input)
}

fn w3() -> Result<Step> {
    let rng = &mut StdRng::seed_from_u64(3);
    let network = MnistCnn::new(0.0, rng)?;
    let params = network.parameters();
    let input = Tensor::uniform(&[64, 1, 28, 28], 0.0, 1.0, rng)?;
    classifier_step(move |x| network.forward(x), params, input)
}

fn w4() -> Result<Step> {
    let rng = &mut StdRng::seed_from_u64(4);
    let mut gan = Gan::dcgan(&DcganConfig::default(), rng)?;
    let real = Tensor::uniform(&[64, 1, 28, 28], -1.0, 1.0, rng)?;
    let mut rng = StdRng::seed_from_u64(40);
    Ok(Box::new(move || gan.train_step(|_| Ok(real.clone()), &mut rng).map(|_| ())))
}

fn w5() -> Result<Step> {
    let rng = &mut StdRng::seed_from_u64(5);
    let lstm = Lstm::new(RecurrentConfig::new(64, 256), rng)?;
    let input = Tensor::uniform(&[35, 32, 64], -1.0, 1.0, rng)?;
    let mut sgd = Optimizer::sgd(lstm.parameters(), SgdConfig { lr: 0.01, ..Default::default() })?;
    Ok(Box::new(move || {
        let (_, (h_n, _)) = lstm.forward_with_state(&input, None)?;
        sgd.step(&h_n.powf(2.0)?.mean_all()?.backward()?)
    }))
}

fn w6() -> Result<Step> {
    let rng = &mut StdRng::seed_from_u64(6);
    let conv = Conv2d::new(Conv2dConfig { padding: (1, 1), bias: false, ..Conv2dConfig::new(64, 128, 3) }, rng)?;
    let input = Tensor::uniform(&[32, 64, 32, 32], -1.0, 1.0, rng)?.requires_grad(true);
    Ok(Box::new(move || conv.forward(&input)?.sum_all()?.backward().map(|_| ())))
}

/// `stylize` for `steps` steps at 128×128: W7's workload with its fixed cost.
///
/// # Errors
/// Errors building the feature extractor.
pub fn stylize_for(steps: usize) -> Result<Step> {
    let extractor = FeatureExtractor::random(0)?;
    let (content, style) = (images::astronaut(), images::gravel());
    let config = StyleConfig { steps, size: Some(128), ..StyleConfig::default() };
    Ok(Box::new(move || stylize(&extractor, &content, &[(style.clone(), 1.0)], &config, &mut |_| {}).map(|_| ())))
}

fn w7() -> Result<Step> {
    stylize_for(1 + STYLE_STEPS)
}

fn w7_fixed_cost() -> Result<Step> {
    stylize_for(1)
}

fn w8() -> Result<Step> {
    let rng = &mut StdRng::seed_from_u64(8);
    let mut model = Autoencoder::new(&[784, 256, 64], Noise::None, AdamConfig::default(), rng)?;
    let input = Tensor::uniform(&[128, 784], 0.0, 1.0, rng)?;
    let mut rng = StdRng::seed_from_u64(80);
    Ok(Box::new(move || model.train_step(&input, &mut rng).map(|_| ())))
}

/// The measurements as a JSON array of `{"id", "workload", "seconds_per_step", "figure", "unit"}`.
pub fn to_json(measurements: &[Measurement]) -> String {
    let rows: Vec<String> = measurements
        .iter()
        .map(|m| {
            format!(
                "  {{\"id\": \"{}\", \"workload\": \"{}\", \"seconds_per_step\": {}, \"figure\": {}, \"unit\": \"{}\"}}",
                m.id, m.workload, m.seconds_per_step, m.figure, m.unit
            )
        })
        .collect();
    format!("[\n{}\n]\n", rows.join(",\n"))
}

/// The mean seconds of a call to `step` after two warm-up calls, over at least three calls
/// and `seconds`.
fn seconds_per_call(mut step: Step, seconds: f64) -> Result<f64> {
    for _ in 0..2 {
        step()?;
    }
    let (start, mut calls) = (Instant::now(), 0);
    while calls < 3 || start.elapsed().as_secs_f64() < seconds {
        step()?;
        calls += 1;
    }
    Ok(start.elapsed().as_secs_f64() / calls as f64)
}

/// Times the workloads named in `only` (all when empty) for about `seconds` each.
///
/// # Errors
/// [`CliError::Usage`] for an unknown workload or a bad time; errors of a workload.
pub fn measure(
    only: &[String],
    seconds: f64,
    report: &mut dyn FnMut(&Measurement),
) -> std::result::Result<Vec<Measurement>, CliError> {
    let wanted: Vec<String> = only.iter().map(|w| w.to_uppercase()).collect();
    if let Some(unknown) = wanted.iter().find(|w| !WORKLOADS.iter().any(|k| k.id == w.as_str())) {
        return Err(CliError::Usage(format!("no workload {unknown:?}; they are W1 … W9 (see docs/benchmarks.md)")));
    }
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 600.0) {
        return Err(CliError::Usage(format!("--seconds must lie in (0, 600], got {seconds}")));
    }
    nabla_tensor::set_flush_denormal(true);
    let mut results = Vec::new();
    for workload in WORKLOADS.iter().filter(|w| wanted.is_empty() || wanted.iter().any(|id| id == w.id)) {
        let mut per_step = seconds_per_call((workload.setup)()?, seconds)?;
        if workload.id == "W7" {
            per_step = (per_step - seconds_per_call(w7_fixed_cost()?, seconds)?).max(0.0) / STYLE_STEPS as f64;
        }
        let measurement = Measurement {
            id: workload.id,
            workload: workload.name,
            seconds_per_step: per_step,
            figure: (workload.figure)(per_step),
            unit: workload.unit,
        };
        report(&measurement);
        results.push(measurement);
    }
    Ok(results)
}

/// W9: one AdamW step of [`CausalTransformerConfig::w9`] on 32 random sequences of 128 tokens,
/// cross-entropy on the next token.
fn w9() -> Result<Step> {
    let rng = &mut StdRng::seed_from_u64(9);
    let config = CausalTransformerConfig::w9();
    let model = CausalTransformer::new(config, rng)?;
    let (batch, length) = (32, config.context);
    let tokens: Vec<i64> = (0..batch * (length + 1)).map(|_| rng.random_range(0..config.vocab as i64)).collect();
    let rows: Vec<&[i64]> = tokens.chunks(length + 1).collect();
    let inputs = Indices::new(rows.iter().flat_map(|r| r[..length].to_vec()).collect(), &[batch, length])?;
    let targets: Vec<i64> = rows.iter().flat_map(|r| r[1..].to_vec()).collect();
    let mut adamw = Optimizer::adamw(model.parameters(), AdamConfig::adamw())?;
    Ok(Box::new(move || {
        let logits = model.logits(&inputs)?.reshape(&[-1, config.vocab as isize])?;
        let loss = cross_entropy(&logits, &targets[..], &CrossEntropyOptions::default())?;
        adamw.step(&loss.backward()?)
    }))
}
