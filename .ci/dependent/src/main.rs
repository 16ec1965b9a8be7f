//! A user's own model outside the workspace: a character-level language model (embedding →
//! 2-layer LSTM → linear) on the bundled Genesis text, trained with Adam and clipping, then
//! sampled. It prints the time per step and fails unless the held-out loss falls well below
//! the unigram baseline. `--one-op` runs a single op and exits (to see the warning of an
//! unoptimised build).

use std::time::Instant;

use nabla::data::text::{CharVocab, genesis, windows};
use nabla::losses::{CrossEntropyOptions, cross_entropy};
use nabla::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig, Module};
use nabla::optim::{AdamConfig, Optimizer, clip_grad_norm};
use nabla::recurrent::{Lstm, RecurrentConfig};
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};
use nabla::tensor::{Indices, SamplingOptions, no_grad, on_pool, sample_logits};
use nabla::Tensor;

struct CharModel {
    embedding: Embedding,
    lstm: Lstm,
    head: Linear,
}

impl CharModel {
    fn logits(&self, tokens: &Indices) -> nabla::tensor::Result<Tensor> {
        let hidden = self.lstm.forward(&self.embedding.lookup(tokens)?)?;
        let logits = self.head.forward(&hidden)?;
        let vocab = logits.shape()[2] as isize;
        logits.reshape(&[-1, vocab])
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--one-op") {
        println!("{}", Tensor::ones(&[4]).sum_all()?.item()?);
        return Ok(());
    }
    let steps: usize = std::env::args().nth(1).map_or(Ok(200), |s| s.parse())?;
    on_pool(|| {
        let text = genesis();
        let vocab = CharVocab::from_text(text);
        let split = text.len() * 9 / 10;
        let (train, held_out) = (vocab.encode(&text[..split])?, vocab.encode(&text[split..split + 4097])?);
        let mut rng = StdRng::seed_from_u64(0);
        let config = RecurrentConfig { num_layers: 2, batch_first: true, ..RecurrentConfig::new(16, 64) };
        let model = CharModel {
            embedding: Embedding::new(EmbeddingConfig::new(vocab.len(), 16), &mut rng)?,
            lstm: Lstm::new(config, &mut rng)?.with_forget_bias(1.0)?,
            head: Linear::new(LinearConfig::new(64, vocab.len()), &mut rng)?,
        };
        let mut params = model.embedding.parameters();
        params.extend(model.lstm.parameters());
        params.extend(model.head.parameters());
        let mut adam = Optimizer::adam(params.clone(), AdamConfig { lr: 1e-2, ..Default::default() })?;
        let start = Instant::now();
        for _ in 0..steps {
            let (inputs, targets) = windows(&train, 16, 32, &mut rng)?;
            let loss = cross_entropy(&model.logits(&inputs)?, &targets, &CrossEntropyOptions::default())?;
            let mut grads = loss.backward()?;
            clip_grad_norm(&mut grads, &params, 1.0)?;
            adam.step(&grads)?;
        }
        let ms_per_step = start.elapsed().as_secs_f64() * 1e3 / steps as f64;
        let inputs = Indices::new(held_out[..4096].to_vec(), &[1, 4096])?;
        let targets = &held_out[1..];
        let bits = no_grad(|| cross_entropy(&model.logits(&inputs)?, targets, &CrossEntropyOptions::default()))?.item()?
            / std::f32::consts::LN_2;
        let last = no_grad(|| model.logits(&Indices::new(vec![held_out[0]], &[1, 1])?))?;
        let next = sample_logits(&last, &SamplingOptions { temperature: 0.8, top_k: Some(5) }, &mut rng)?;
        println!("{steps} steps, {ms_per_step:.1} ms a step; held-out {bits:.2} bits/char; sampled {:?}", vocab.decode(next.values())?);
        // The unigram baseline of this text is about 4.4 bits per character.
        if bits > 3.3 {
            return Err(format!("held-out loss {bits:.2} bits/char did not fall below 3.3 (unigram: about 4.4)").into());
        }
        Ok(())
    })
}
