//! `ModuleRng`: a layer's own seeded random generator (dropout's masks) whose whole state a
//! checkpoint can save and restore, so that a resumed run draws what the uninterrupted one
//! would have.

use std::sync::Mutex;

use nabla_tensor::rand::SeedableRng;
use nabla_tensor::{Error, Result};
use rand_chacha::ChaCha8Rng;

/// A seeded ChaCha8 generator behind a lock (a module's forward takes `&self`).
#[derive(Debug)]
pub struct ModuleRng(Mutex<ChaCha8Rng>);

/// A ChaCha8 generator's whole state as text: the seed in hex, the stream and the word
/// position, separated by colons. Checkpoints store generators this way.
pub fn rng_to_text(rng: &ChaCha8Rng) -> String {
    let seed: String = rng.get_seed().iter().map(|b| format!("{b:02x}")).collect();
    format!("{seed}:{}:{}", rng.get_stream(), rng.get_word_pos())
}

/// The generator [`rng_to_text`] wrote.
///
/// # Errors
/// [`Error::InvalidArgument`] for text that is not such a state.
pub fn rng_from_text(text: &str) -> Result<ChaCha8Rng> {
    let bad = || Error::invalid("rng_from_text", format!("not a generator state: {text:?}"));
    let mut parts = text.split(':');
    let (Some(seed_hex), Some(stream), Some(word_pos), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if seed_hex.len() != 64 || !seed_hex.is_ascii() {
        return Err(bad());
    }
    let mut seed = [0u8; 32];
    for (byte, pair) in seed.iter_mut().zip(seed_hex.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    let mut rng = ChaCha8Rng::from_seed(seed);
    rng.set_stream(stream.parse().map_err(|_| bad())?);
    rng.set_word_pos(word_pos.parse().map_err(|_| bad())?);
    Ok(rng)
}

impl ModuleRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        ModuleRng(Mutex::new(ChaCha8Rng::seed_from_u64(seed)))
    }

    /// Runs `draw` with the generator.
    pub fn with<R>(&self, draw: impl FnOnce(&mut ChaCha8Rng) -> R) -> R {
        draw(&mut self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// The whole state as text ([`rng_to_text`]).
    pub fn state(&self) -> String {
        self.with(|rng| rng_to_text(rng))
    }

    /// Puts the generator in `state`.
    pub fn restore(&self, state: ChaCha8Rng) {
        self.with(|rng| *rng = state);
    }
}

impl crate::Visit for ModuleRng {
    fn visit(&self, _prefix: &str, _visit: &mut dyn FnMut(String, &nabla_tensor::Tensor, crate::TensorKind)) {}

    fn visit_rngs(&self, prefix: &str, visit: &mut dyn FnMut(String, &ModuleRng)) {
        visit(prefix.to_string(), self);
    }
}

#[cfg(test)]
mod tests {
    use nabla_tensor::rand::Rng;

    use super::ModuleRng;

    #[test]
    fn a_restored_generator_continues_where_the_saved_one_was() {
        let rng = ModuleRng::new(7);
        rng.with(|r| {
            for _ in 0..13 {
                let _: f32 = r.random();
            }
        });
        let saved = rng.state();
        let next: Vec<f32> = rng.with(|r| (0..5).map(|_| r.random()).collect());
        let other = ModuleRng::new(99);
        other.restore(super::rng_from_text(&saved).unwrap());
        assert_eq!(other.with(|r| (0..5).map(|_| r.random()).collect::<Vec<f32>>()), next);
        for bad in ["", "00:1:2", &saved.replace(':', ";"), &format!("{saved}:1")] {
            assert!(super::rng_from_text(bad).is_err(), "{bad:?}");
        }
    }
}
