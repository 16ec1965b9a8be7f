//! Text for character-level language models: the bundled Book of Genesis ([`genesis`]), a
//! character vocabulary ([`CharVocab`]), and random windows of a token sequence as
//! (input, next-token target) batches ([`windows`]).

use std::collections::HashMap;

use nabla_tensor::Indices;
use nabla_tensor::rand::Rng;

use crate::error::{DataError, Result};

/// The Book of Genesis, King James Version (public domain), one verse per line: 196,818
/// ASCII characters, 60 distinct, compiled in (`data/text/README.md` has its provenance).
pub fn genesis() -> &'static str {
    include_str!("../data/text/genesis.txt")
}

/// The characters of a text, each with an index: characters sorted by code point, so the same
/// text always gives the same vocabulary.
///
/// ```
/// use nabla_data::text::CharVocab;
/// let vocab = CharVocab::from_text("hello");
/// assert_eq!(vocab.len(), 4); // e h l o
/// let tokens = vocab.encode("hole")?;
/// assert_eq!(tokens, vec![1, 3, 2, 0]);
/// assert_eq!(vocab.decode(&tokens)?, "hole");
/// # Ok::<(), nabla_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharVocab {
    chars: Vec<char>,
    index: HashMap<char, usize>,
}

impl CharVocab {
    /// The vocabulary of every character in `text`.
    pub fn from_text(text: &str) -> Self {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        let index = chars.iter().enumerate().map(|(i, &c)| (c, i)).collect();
        CharVocab { chars, index }
    }

    /// How many characters it holds.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The index of each character of `text`.
    ///
    /// # Errors
    /// [`DataError::Invalid`] for a character outside the vocabulary.
    pub fn encode(&self, text: &str) -> Result<Vec<i64>> {
        text.chars()
            .map(|c| {
                self.index.get(&c).map(|&i| i as i64).ok_or_else(|| DataError::Invalid {
                    what: "CharVocab::encode",
                    reason: format!("the character {c:?} is not in the vocabulary of {} characters", self.len()),
                })
            })
            .collect()
    }

    /// The characters of `tokens`.
    ///
    /// # Errors
    /// [`DataError::Invalid`] for a token outside `0..len()`.
    pub fn decode(&self, tokens: &[i64]) -> Result<String> {
        tokens
            .iter()
            .map(|&t| {
                usize::try_from(t).ok().and_then(|t| self.chars.get(t).copied()).ok_or_else(|| DataError::Invalid {
                    what: "CharVocab::decode",
                    reason: format!("token {t} is outside a vocabulary of {} characters", self.len()),
                })
            })
            .collect()
    }
}

/// `batch` windows of `length` tokens at random places in `tokens`, as inputs `[batch, length]`
/// and targets `[batch, length]`, each target the token after its input (next-token
/// prediction).
///
/// # Errors
/// [`DataError::Invalid`] when `tokens` has fewer than `length + 1` tokens, or `batch` or
/// `length` is 0.
pub fn windows<R: Rng + ?Sized>(
    tokens: &[i64],
    batch: usize,
    length: usize,
    rng: &mut R,
) -> Result<(Indices, Indices)> {
    if batch == 0 || length == 0 || tokens.len() < length + 1 {
        return Err(DataError::Invalid {
            what: "text::windows",
            reason: format!(
                "needs batch and length of at least 1 and length + 1 tokens, got batch {batch}, length {length}, {} tokens",
                tokens.len()
            ),
        });
    }
    let (mut inputs, mut targets) = (Vec::with_capacity(batch * length), Vec::with_capacity(batch * length));
    for _ in 0..batch {
        let start = rng.random_range(0..tokens.len() - length);
        inputs.extend_from_slice(&tokens[start..start + length]);
        targets.extend_from_slice(&tokens[start + 1..start + length + 1]);
    }
    let shape = [batch, length];
    Ok((Indices::new(inputs, &shape)?, Indices::new(targets, &shape)?))
}
