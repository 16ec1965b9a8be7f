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

use nabla_cli::language::{CharLmConfig, print_five_seeds, report, run_printing as run};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--five-seeds") {
        // The guide's five-seed table: the test's 600 steps, seeds 0–4.
        return Ok(nabla::tensor::on_pool(|| print_five_seeds(&CharLmConfig::default()))?);
    }
    nabla::tensor::on_pool(|| {
        let outcome = run(&CharLmConfig::default())?;
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/images/char_lstm.png");
        Ok(report(&outcome, "Character-level LSTM on Genesis", path)?)
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
        let ratio = outcome.share_of_unigram();
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
