//! Tour topic 7: a character-level LSTM language model on Genesis, measured in bits per
//! character on held-out verses against a unigram baseline, and sampled at three temperatures
//! (the model and its loop are [`crate::language`], which example 14 runs too).

use nabla_plot::{LineChart, Series};

use super::Context;
use crate::error::CliError;
use crate::language::{CharLmConfig, train};
use crate::report::Section;

pub fn run(context: &Context) -> Result<Section, CliError> {
    let steps = if context.quick { 400 } else { 1000 };
    let config = CharLmConfig { steps, evaluations: 8, ..CharLmConfig::default() };
    let bar = crate::progress::bar(steps as u64, "char-lstm");
    let outcome = train(&config, &mut |step, _, bits| {
        bar.set_position(step as u64);
        bar.set_message(format!("{bits:.2} bits/char"));
    })?;
    bar.finish_and_clear();
    LineChart::new("Character-level LSTM on Genesis", "training step", "bits per character")
        .series(Series::new("training", outcome.train_bits.clone()))
        .series(Series::new("held-out verses", outcome.validation_bits.clone()))
        .reference_line(format!("unigram baseline ({:.2})", outcome.unigram_bits), outcome.unigram_bits)
        .write_png(context.out.join("char_lstm.png"))?;
    let held_out = outcome.final_validation_bits();
    let ratio = held_out / outcome.unigram_bits;
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
             \u{201c}And God said\u{201d}:{samples}",
        outcome.unigram_bits
    );
    Ok(Section::new("language", "A character-level language model", &summary)
        .picture("char_lstm.png", "bits per character as it trains")
        .metric("training_steps", "training steps", steps as f64, "")
        .metric("unigram_bits", "unigram baseline", outcome.unigram_bits, "bits/char")
        .metric("held_out_bits", "held-out", held_out, "bits/char")
        .check("held-out bits per character fall below 60% of the unigram baseline", ratio < 0.6))
}
