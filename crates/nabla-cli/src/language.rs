//! A character-level language model on the bundled Book of Genesis — embedding → 2-layer LSTM
//! → linear read-out, or a small causal transformer ([`CausalTransformer`]) — trained by
//! next-character cross-entropy with Adam and gradient clipping, measured in bits per character
//! on held-out verses against a unigram baseline, and sampled at several temperatures.
//! `examples/14_char_lstm.rs`, `examples/16_char_transformer.rs` and the tour's `language`
//! topic run it.

use nabla_attention::{CausalTransformer, CausalTransformerConfig};
use nabla_data::text::{CharVocab, genesis, windows};
use nabla_losses::{CrossEntropyOptions, cross_entropy};
use nabla_nn::{Embedding, EmbeddingConfig, Linear, LinearConfig, Module};
use nabla_optim::{AdamConfig, Optimizer, clip_grad_norm};
use nabla_recurrent::{Lstm, RecurrentConfig};
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Indices, Result, SamplingOptions, Tensor, no_grad, sample_logits};

use crate::error::CliError;

/// The share of the verses (the last ones) held out for validation.
pub const VALIDATION_SHARE: f64 = 0.1;

/// Which network reads the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharModelKind {
    /// Embedding → LSTM → read-out, carrying its state while sampling.
    Lstm,
    /// A pre-norm causal transformer with `heads` heads, reading at most `window` characters.
    Transformer { heads: usize },
}

/// How big the model is and how long it trains.
#[derive(Debug, Clone, Copy)]
pub struct CharLmConfig {
    pub model: CharModelKind,
    /// The embedding size (the transformer's width).
    pub embedding: usize,
    /// The LSTM's hidden size (the transformer's feed-forward width).
    pub hidden: usize,
    pub layers: usize,
    pub batch: usize,
    /// Characters per training window (truncated backpropagation through time).
    pub window: usize,
    pub steps: usize,
    pub lr: f64,
    /// Held-out loss is measured this many times while training.
    pub evaluations: usize,
    /// Held-out characters measured each time (from the start of the held-out verses).
    pub validation_chars: usize,
    pub seed: u64,
}

impl Default for CharLmConfig {
    fn default() -> Self {
        CharLmConfig {
            model: CharModelKind::Lstm,
            embedding: 32,
            hidden: 128,
            layers: 2,
            batch: 32,
            window: 64,
            steps: 1500,
            lr: 4e-3,
            evaluations: 10,
            validation_chars: 8192,
            seed: 0,
        }
    }
}

impl CharLmConfig {
    /// The transformer the guide sets beside the LSTM: width 96, 4 heads, 2 layers,
    /// feed-forward 384 — 241,596 parameters for Genesis's 60 characters, against the LSTM's
    /// 224,700 — with Adam at 2e-3 and the LSTM's windows, batches and steps.
    pub fn transformer() -> Self {
        CharLmConfig {
            model: CharModelKind::Transformer { heads: 4 },
            embedding: 96,
            hidden: 384,
            lr: 2e-3,
            ..CharLmConfig::default()
        }
    }
}

/// The LSTM model: `embedding` → `lstm` (batch first) → `head`.
pub struct CharLm {
    pub embedding: Embedding,
    pub lstm: Lstm,
    pub head: Linear,
}

impl CharLm {
    fn new(config: &CharLmConfig, vocab: usize) -> Result<Self> {
        let mut rng = StdRng::seed_from_u64(config.seed);
        let embedding = Embedding::new(EmbeddingConfig::new(vocab, config.embedding), &mut rng)?;
        let recurrent = RecurrentConfig {
            num_layers: config.layers,
            batch_first: true,
            ..RecurrentConfig::new(config.embedding, config.hidden)
        };
        let lstm = Lstm::new(recurrent, &mut rng)?.with_forget_bias(1.0)?;
        let head = Linear::new(LinearConfig::new(config.hidden, vocab), &mut rng)?;
        Ok(CharLm { embedding, lstm, head })
    }

    fn parameters(&self) -> Vec<Tensor> {
        let mut params = self.embedding.parameters();
        params.extend(self.lstm.parameters());
        params.extend(self.head.parameters());
        params
    }

    /// Logits `[B, T, vocab]` for tokens `[B, T]`, from `state` (zero when `None`), with the
    /// state after the last step.
    fn forward(&self, tokens: &Indices, state: Option<(&Tensor, &Tensor)>) -> Result<(Tensor, (Tensor, Tensor))> {
        let (hidden, state) = self.lstm.forward_with_state(&self.embedding.lookup(tokens)?, state)?;
        Ok((self.head.forward(&hidden)?, state))
    }
}

/// The network of a run: the LSTM or the transformer.
pub enum CharNet {
    Lstm(Box<CharLm>),
    Transformer(CausalTransformer),
}

impl CharNet {
    /// The network `config` asks for, over `vocab` characters.
    ///
    /// # Errors
    /// Sizes the network refuses.
    pub fn new(config: &CharLmConfig, vocab: usize) -> Result<Self> {
        Ok(match config.model {
            CharModelKind::Lstm => CharNet::Lstm(Box::new(CharLm::new(config, vocab)?)),
            CharModelKind::Transformer { heads } => {
                let size = CausalTransformerConfig {
                    vocab,
                    d_model: config.embedding,
                    heads,
                    layers: config.layers,
                    feedforward: config.hidden,
                    context: config.window,
                    dropout: 0.0,
                };
                CharNet::Transformer(CausalTransformer::new(size, &mut StdRng::seed_from_u64(config.seed))?)
            }
        })
    }

    pub fn parameters(&self) -> Vec<Tensor> {
        match self {
            CharNet::Lstm(lstm) => lstm.parameters(),
            CharNet::Transformer(transformer) => transformer.parameters(),
        }
    }

    /// Logits `[B, T, vocab]` for tokens `[B, T]`, each from the tokens up to it (the LSTM from
    /// a zero state).
    fn logits(&self, tokens: &Indices) -> Result<Tensor> {
        match self {
            CharNet::Lstm(lstm) => Ok(lstm.forward(tokens, None)?.0),
            CharNet::Transformer(transformer) => transformer.logits(tokens),
        }
    }

    /// Mean cross-entropy in nats of predicting each target from the tokens before it.
    fn loss(&self, inputs: &Indices, targets: &Indices) -> Result<Tensor> {
        let logits = self.logits(inputs)?;
        let vocab = logits.shape()[2] as isize;
        cross_entropy(&logits.reshape(&[-1, vocab])?, targets.values(), &CrossEntropyOptions::default())
    }
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct CharLmOutcome {
    /// `(step, training loss in bits per character)`, smoothed over the steps between
    /// evaluations.
    pub train_bits: Vec<(f64, f64)>,
    /// `(step, held-out bits per character)`.
    pub validation_bits: Vec<(f64, f64)>,
    /// Held-out bits per character under the training text's character frequencies.
    pub unigram_bits: f64,
    /// Samples of 300 characters after the prompt, at each temperature of [`TEMPERATURES`].
    pub samples: Vec<(f32, String)>,
    pub vocab: usize,
    pub train_chars: usize,
    pub validation_chars: usize,
    pub seconds: f64,
    /// The network's parameters.
    pub parameter_count: usize,
    /// The transformer's attention over [`ATTENTION_SENTENCE`] in its last layer,
    /// `[head][query][key]`; `None` for the LSTM.
    pub attention: Option<Vec<Vec<Vec<f32>>>>,
}

impl CharLmOutcome {
    /// The last held-out figure.
    pub fn final_validation_bits(&self) -> f64 {
        self.validation_bits.last().map_or(f64::NAN, |p| p.1)
    }

    /// The last held-out figure as a share of the unigram baseline (each guide's bar).
    pub fn share_of_unigram(&self) -> f64 {
        self.final_validation_bits() / self.unigram_bits
    }
}

/// The sentence whose attention [`CharLmOutcome::attention`] holds.
pub const ATTENTION_SENTENCE: &str = "And God said, Let there be light: and there was light.";

/// The transformer's last layer's attention over [`ATTENTION_SENTENCE`], per head.
fn attention_map(net: &CharNet, vocab: &CharVocab) -> std::result::Result<Option<Vec<Vec<Vec<f32>>>>, CliError> {
    let CharNet::Transformer(transformer) = net else { return Ok(None) };
    let tokens = vocab.encode(ATTENTION_SENTENCE)?;
    let weights = no_grad(|| transformer.attention(&tokens, transformer.config().layers - 1))?;
    let t = tokens.len();
    let values = weights.to_vec();
    Ok(Some(values.chunks(t * t).map(|head| head.chunks(t).map(<[f32]>::to_vec).collect()).collect()))
}

/// The temperatures the samples are drawn at.
pub const TEMPERATURES: [f32; 3] = [0.5, 0.8, 1.2];

/// The text every sample starts from.
pub const PROMPT: &str = "And God said";

/// Trains the model on the first 90% of Genesis's verses and measures it on the rest;
/// `progress(step, steps, train_bits)` hears every step.
///
/// # Errors
/// A tensor error, or [`CliError::Interrupted`] when Ctrl-C was pressed.
pub fn train(
    config: &CharLmConfig,
    progress: &mut dyn FnMut(usize, usize, f64),
) -> std::result::Result<CharLmOutcome, CliError> {
    let start = std::time::Instant::now();
    let text = genesis();
    let verses: Vec<&str> = text.lines().collect();
    let split = ((verses.len() as f64) * (1.0 - VALIDATION_SHARE)).round() as usize;
    let (train_text, validation_text) = (verses[..split].join("\n") + "\n", verses[split..].join("\n") + "\n");
    let vocab = CharVocab::from_text(text);
    let train_tokens = vocab.encode(&train_text)?;
    let validation_tokens = vocab.encode(&validation_text)?;
    let held_out = &validation_tokens[..config.validation_chars.min(validation_tokens.len())];

    let model = CharNet::new(config, vocab.len())?;
    let params = model.parameters();
    let mut adam = Optimizer::adam(params.clone(), AdamConfig { lr: config.lr, ..Default::default() })?;
    let mut rng = StdRng::seed_from_u64(config.seed + 1);
    let every = (config.steps / config.evaluations.max(1)).max(1);
    let (mut train_bits, mut validation_bits, mut running) = (Vec::new(), Vec::new(), (0.0, 0usize));
    for step in 1..=config.steps {
        let (inputs, targets) = windows(&train_tokens, config.batch, config.window, &mut rng)?;
        let loss = model.loss(&inputs, &targets)?;
        let bits = loss.item()? as f64 / std::f64::consts::LN_2;
        let mut grads = loss.backward()?;
        clip_grad_norm(&mut grads, &params, 1.0)?;
        adam.step(&grads)?;
        running = (running.0 + bits, running.1 + 1);
        progress(step, config.steps, bits);
        if step % every == 0 || step == config.steps {
            train_bits.push((step as f64, running.0 / running.1 as f64));
            running = (0.0, 0);
            validation_bits.push((step as f64, held_out_bits(&model, held_out, config.window)?));
        }
        if crate::interrupt::requested() {
            return Err(CliError::Interrupted(format!("the language model stopped at step {step}")));
        }
    }
    let mut sampler = StdRng::seed_from_u64(config.seed + 2);
    let samples = TEMPERATURES
        .iter()
        .map(|&t| Ok((t, sample(&model, &vocab, PROMPT, 300, t, config.window, &mut sampler)?)))
        .collect::<std::result::Result<_, CliError>>()?;
    Ok(CharLmOutcome {
        train_bits,
        validation_bits,
        unigram_bits: unigram_bits(&train_tokens, held_out, vocab.len()),
        samples,
        vocab: vocab.len(),
        train_chars: train_tokens.len(),
        validation_chars: held_out.len(),
        seconds: start.elapsed().as_secs_f64(),
        parameter_count: params.iter().map(Tensor::numel).sum(),
        attention: attention_map(&model, &vocab)?,
    })
}

/// Bits per character of predicting `tokens[1..]`, in windows of `window` characters each
/// starting from a zero state.
fn held_out_bits(model: &CharNet, tokens: &[i64], window: usize) -> Result<f64> {
    no_grad(|| {
        let predicted = tokens.len() - 1;
        let mut nats = 0.0;
        for start in (0..predicted).step_by(window) {
            let n = window.min(predicted - start);
            let inputs = Indices::new(tokens[start..start + n].to_vec(), &[1, n])?;
            let loss = model.loss(&inputs, &Indices::from(&tokens[start + 1..start + n + 1]))?.item()? as f64;
            nats += loss * n as f64;
        }
        Ok(nats / predicted as f64 / std::f64::consts::LN_2)
    })
}

/// Bits per character of `held_out` under the character frequencies of `train` (add-one
/// smoothed, so a character unseen in training costs finite bits).
pub fn unigram_bits(train: &[i64], held_out: &[i64], vocab: usize) -> f64 {
    let mut counts = vec![1.0; vocab];
    train.iter().for_each(|&t| counts[t as usize] += 1.0);
    let total: f64 = counts.iter().sum();
    let bits: f64 = held_out.iter().map(|&t| -(counts[t as usize] / total).log2()).sum();
    bits / held_out.len() as f64
}

/// `length` characters drawn one at a time after `prompt`, at `temperature`: the LSTM carries
/// its state, the transformer reads the last `context` characters each time.
fn sample(
    net: &CharNet,
    vocab: &CharVocab,
    prompt: &str,
    length: usize,
    temperature: f32,
    context: usize,
    rng: &mut StdRng,
) -> std::result::Result<String, CliError> {
    let options = SamplingOptions { temperature, top_k: None };
    let tokens = vocab.encode(prompt)?;
    let model = match net {
        CharNet::Lstm(model) => model,
        CharNet::Transformer(transformer) => {
            let drawn = no_grad(|| -> Result<Vec<i64>> {
                let mut text = tokens.clone();
                for _ in 0..length {
                    let window = &text[text.len().saturating_sub(context)..];
                    let logits = transformer.logits(&Indices::new(window.to_vec(), &[1, window.len()])?)?;
                    let last = logits.narrow(1, window.len() - 1, 1)?.reshape(&[1, -1])?;
                    text.push(sample_logits(&last, &options, rng)?.values()[0]);
                }
                Ok(text[tokens.len()..].to_vec())
            })?;
            return Ok(format!("{prompt}{}", vocab.decode(&drawn)?));
        }
    };
    let drawn = no_grad(|| -> Result<Vec<i64>> {
        let n = tokens.len();
        let (mut logits, mut state) = model.forward(&Indices::new(tokens.clone(), &[1, n])?, None)?;
        let mut drawn = Vec::with_capacity(length);
        for _ in 0..length {
            let last = logits.narrow(1, logits.shape()[1] - 1, 1)?.reshape(&[1, -1])?;
            let next = sample_logits(&last, &options, rng)?;
            drawn.push(next.values()[0]);
            (logits, state) = model.forward(&next.reshape(&[1, 1])?, Some((&state.0, &state.1)))?;
        }
        Ok(drawn)
    })?;
    Ok(format!("{prompt}{}", vocab.decode(&drawn)?))
}

/// Trains `config` as examples 14 and 16 do: the training loss every 100 steps on stderr, then
/// each held-out figure on stdout.
///
/// # Errors
/// As [`train`].
pub fn run_printing(config: &CharLmConfig) -> std::result::Result<CharLmOutcome, CliError> {
    let outcome = train(config, &mut |step, steps, bits| {
        if step % 100 == 0 || step == steps {
            eprintln!("step {step:>5}/{steps}: training loss {bits:.3} bits/char");
        }
    })?;
    for (step, bits) in &outcome.validation_bits {
        println!("step {step:>5}: held-out {bits:.3} bits/char");
    }
    Ok(outcome)
}

/// Prints a run's summary and samples, and writes its training and held-out curves to `path`
/// under `title`.
///
/// # Errors
/// [`CliError::Plot`] when the chart cannot be written.
pub fn report(outcome: &CharLmOutcome, title: &str, path: &str) -> std::result::Result<(), CliError> {
    println!(
        "held-out bits per character: {:.3}; unigram baseline {:.3} ({:.0}%); {} parameters; {} training and {} \
         held-out characters; {:.0} s",
        outcome.final_validation_bits(),
        outcome.unigram_bits,
        100.0 * outcome.share_of_unigram(),
        outcome.parameter_count,
        outcome.train_chars,
        outcome.validation_chars,
        outcome.seconds
    );
    for (temperature, text) in &outcome.samples {
        println!("\n--- temperature {temperature} ---\n{text}");
    }
    nabla_plot::LineChart::new(title, "training step", "bits per character")
        .series(nabla_plot::Series::new("training (mean since last point)", outcome.train_bits.clone()))
        .series(nabla_plot::Series::new("held-out verses", outcome.validation_bits.clone()))
        .reference_line(format!("unigram baseline ({:.2})", outcome.unigram_bits), outcome.unigram_bits)
        .size(900, 450)
        .write_png(path)?;
    println!("wrote {path}");
    Ok(())
}

/// The guides' five-seed tables: held-out bits over the unigram baseline after 600 steps of
/// `config`, for seeds 0–4.
///
/// # Errors
/// As [`train`].
pub fn print_five_seeds(config: &CharLmConfig) -> std::result::Result<(), CliError> {
    for seed in 0..5 {
        let outcome = run_printing(&CharLmConfig { steps: 600, evaluations: 2, seed, ..*config })?;
        println!("seed {seed}: {:.3} of the unigram baseline", outcome.share_of_unigram());
    }
    Ok(())
}
