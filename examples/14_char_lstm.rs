//! A character-level language model: an embedding, a 2-layer LSTM and a linear read-out learn
//! to predict the next character of the Book of Genesis (King James Version, bundled).
//!
//! The last 10% of the verses are held out. The example prints held-out bits per character
//! against a unigram baseline (the training text's character frequencies), draws samples at
//! three temperatures, and plots the training and held-out curves in
//! `docs/images/char_lstm.png`. The model and its training loop are
//! `nabla_cli::language`, which the tour's `language` topic runs too.
//!
//! Run with `cargo run --release --example 14_char_lstm`.

use nabla::plot::{LineChart, Series};
use nabla_cli::language::{CharLmConfig, CharLmOutcome, train};

/// Trains with `config`, printing the held-out figure as it goes.
fn run(config: &CharLmConfig) -> Result<CharLmOutcome, nabla_cli::CliError> {
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

/// The guide's five-seed table (`-- --five-seeds`): held-out bits per character over the
/// unigram baseline after the test's 600 steps, for seeds 0–4.
fn five_seeds() -> Result<(), Box<dyn std::error::Error>> {
    for seed in 0..5 {
        let outcome = run(&CharLmConfig { steps: 600, evaluations: 2, seed, ..CharLmConfig::default() })?;
        println!("seed {seed}: {:.3} of the unigram baseline", outcome.final_validation_bits() / outcome.unigram_bits);
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--five-seeds") {
        return nabla::tensor::on_pool(five_seeds);
    }
    nabla::tensor::on_pool(|| {
        let outcome = run(&CharLmConfig::default())?;
        println!(
            "held-out bits per character: {:.3}; unigram baseline {:.3} ({:.0}%); {} training and {} held-out characters, \
             {:.0} s",
            outcome.final_validation_bits(),
            outcome.unigram_bits,
            100.0 * outcome.final_validation_bits() / outcome.unigram_bits,
            outcome.train_chars,
            outcome.validation_chars,
            outcome.seconds
        );
        for (temperature, text) in &outcome.samples {
            println!("\n--- temperature {temperature} ---\n{text}");
        }
        let chart = LineChart::new("Character-level LSTM on Genesis", "training step", "bits per character")
            .series(Series::new("training (mean since last point)", outcome.train_bits.clone()))
            .series(Series::new("held-out verses", outcome.validation_bits.clone()))
            .reference_line(format!("unigram baseline ({:.2})", outcome.unigram_bits), outcome.unigram_bits)
            .size(900, 450);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/images/char_lstm.png");
        chart.write_png(path)?;
        println!("wrote {path}");
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bar: held-out bits per character below 50% of the unigram baseline, with a
    /// shorter run than the example's (the full one is measured in docs/char-lstm.md). Over
    /// seeds 0–4 this run gives 43.5–44.4% (mean 44.0%, sd 0.4); a trigram model gives 54%, so
    /// the bar asks for more than counting character triples does.
    #[test]
    fn held_out_bits_per_character_fall_below_half_the_unigram_baseline() {
        let config = CharLmConfig { steps: 600, evaluations: 2, ..CharLmConfig::default() };
        let outcome = run(&config).unwrap();
        let ratio = outcome.final_validation_bits() / outcome.unigram_bits;
        println!(
            "held-out {:.3} bits/char, unigram {:.3}: {ratio:.3}",
            outcome.final_validation_bits(),
            outcome.unigram_bits
        );
        assert!(
            ratio < 0.5,
            "held-out {:.3} bits/char is {ratio:.3} of the unigram baseline",
            outcome.final_validation_bits()
        );
        assert_eq!(outcome.samples.len(), 3);
        assert!(
            outcome.samples.iter().all(|(_, text)| text.starts_with(nabla_cli::language::PROMPT) && text.len() > 300)
        );
    }
}
