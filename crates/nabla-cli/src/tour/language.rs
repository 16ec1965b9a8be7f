//! Tour topic 7: character-level language models on Genesis — the LSTM, then a small causal
//! transformer of about its size on the same steps — measured in bits per character on
//! held-out verses against a unigram baseline, and sampled at three temperatures (the models
//! and their loop are [`crate::language`], which examples 14 and 16 run too).

use nabla_plot::{LineChart, Series};

use super::Context;
use crate::error::CliError;
use crate::language::{CharLmConfig, CharLmOutcome, train};
use crate::report::Section;

/// Trains `config` with a progress bar labelled `label`.
fn train_with_bar(config: &CharLmConfig, label: &str) -> Result<CharLmOutcome, CliError> {
    let bar = crate::progress::bar(config.steps as u64, label);
    let outcome = train(config, &mut |step, _, bits| {
        bar.set_position(step as u64);
        bar.set_message(format!("{bits:.2} bits/char"));
    })?;
    bar.finish_and_clear();
    Ok(outcome)
}

pub fn run(context: &Context) -> Result<Section, CliError> {
    let steps = if context.quick { 400 } else { 1000 };
    let outcome = train_with_bar(&CharLmConfig { steps, evaluations: 8, ..CharLmConfig::default() }, "char-lstm")?;
    let transformer =
        train_with_bar(&CharLmConfig { steps, evaluations: 8, ..CharLmConfig::transformer() }, "char-transformer")?;
    LineChart::new("Character-level LSTM and transformer on Genesis", "training step", "bits per character")
        .series(Series::new("LSTM, training", outcome.train_bits.clone()))
        .series(Series::new("LSTM, held-out verses", outcome.validation_bits.clone()))
        .series(Series::new("transformer, held-out verses", transformer.validation_bits.clone()))
        .reference_line(format!("unigram baseline ({:.2})", outcome.unigram_bits), outcome.unigram_bits)
        .write_png(context.out.join("char_lstm.png"))?;
    let held_out = outcome.final_validation_bits();
    let ratio = outcome.share_of_unigram();
    let transformer_bits = transformer.final_validation_bits();
    let samples: String = outcome
        .samples
        .iter()
        .map(|(t, text)| format!(" At temperature {t}: \u{201c}{}\u{201d}", text.replace('\n', " / ")))
        .collect();
    let summary = format!(
        "An embedding (32), a 2-layer LSTM (128 hidden units) and a linear read-out learn to predict the next \
             character of the Book of Genesis (King James Version), trained on windows of 64 characters from the first \
             90% of the verses (Adam 4e-3, gradient-norm clipping at 1) and measured on the rest. Predicting each \
             character from the training text's character frequencies alone costs {:.2} bits; the model reaches \
             {held_out:.2} bits per held-out character after {steps} steps. Samples of 300 characters after \
             \u{201c}And God said\u{201d}:{samples} A causal transformer of about the same size ({} parameters \
             against the LSTM's {}: width 96, 4 heads, 2 pre-norm layers, Adam 2e-3) reaches {transformer_bits:.2} \
             bits on the same steps, in {:.0} s against the LSTM's {:.0} s.",
        outcome.unigram_bits,
        transformer.parameter_count,
        outcome.parameter_count,
        transformer.seconds,
        outcome.seconds
    );
    Ok(Section::new("language", "A character-level language model", &summary)
        .picture("char_lstm.png", "bits per character as it trains")
        .metric("training_steps", "training steps", steps as f64, "")
        .metric("unigram_bits", "unigram baseline", outcome.unigram_bits, "bits/char")
        .metric("held_out_bits", "held-out", held_out, "bits/char")
        .metric("transformer_held_out_bits", "transformer, held-out", transformer_bits, "bits/char")
        .check("held-out bits per character fall below 60% of the unigram baseline", ratio < 0.6)
        .check(
            "the transformer's held-out bits fall below 70% of the unigram baseline",
            transformer.share_of_unigram() < 0.7,
        ))
}
