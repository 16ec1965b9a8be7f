//! Positional encodings added to a sequence of embeddings `[N, T, E]` (or `[T, E]`): the fixed
//! sinusoids of "Attention Is All You Need" (PyTorch's tutorial's `PositionalEncoding`, as a
//! buffer `pe`), or one learned vector per position (`weight`).

use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor};

use nabla_nn::Module;

/// Checks `input` is `[N, T, E]` or `[T, E]` with `T ≤ max_len`; returns `T`.
fn positions(op: &'static str, input: &Tensor, table: &Tensor) -> Result<usize> {
    let (max_len, width) = (table.shape()[0], table.shape()[1]);
    let rank = input.ndim();
    let fits = (rank == 2 || rank == 3) && input.shape()[rank - 1] == width && input.shape()[rank - 2] <= max_len;
    if !fits {
        return Err(Error::shape_mismatch(
            op,
            input.shape(),
            table.shape(),
            format!("the input is [N, T, E] or [T, E] with T ≤ {max_len} and E = {width}"),
        ));
    }
    Ok(input.shape()[rank - 2])
}

/// `pe[t, 2i] = sin(t / 10000^(2i/E))`, `pe[t, 2i+1] = cos(…)`, added to the input; no
/// parameters.
#[derive(Debug, Clone, nabla_nn::Module)]
pub struct SinusoidalPositionalEncoding {
    /// `[max_len, E]`.
    #[module(buffer)]
    pub pe: Tensor,
}

impl SinusoidalPositionalEncoding {
    /// The table for `max_len` positions of width `d_model` (even or odd).
    pub fn new(max_len: usize, d_model: usize) -> Self {
        let mut values = vec![0.0f32; max_len * d_model];
        for t in 0..max_len {
            for i in (0..d_model).step_by(2) {
                // As the tutorial: exp(2i · −ln(10000)/E), in f32.
                let frequency = ((i as f32) * (-(10000f32).ln() / d_model as f32)).exp();
                let angle = t as f32 * frequency;
                values[t * d_model + i] = angle.sin();
                if i + 1 < d_model {
                    values[t * d_model + i + 1] = angle.cos();
                }
            }
        }
        let pe = Tensor::from_vec(values, &[max_len, d_model]).expect("the table's length");
        SinusoidalPositionalEncoding { pe }
    }
}

impl Module for SinusoidalPositionalEncoding {
    /// `[N, T, E]` or `[T, E]` plus the first `T` rows of the table.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let t = positions("SinusoidalPositionalEncoding", input, &self.pe)?;
        input.add(&self.pe.narrow(0, 0, t)?)
    }
}

/// A learned vector per position (GPT-2's), initialised N(0, 0.02²); added to the input.
#[derive(Debug, Clone, nabla_nn::Module)]
pub struct LearnedPositionalEncoding {
    /// `[max_len, E]`.
    pub weight: Tensor,
}

impl LearnedPositionalEncoding {
    /// A table for `max_len` positions of width `d_model`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty table.
    pub fn new<R: Rng + ?Sized>(max_len: usize, d_model: usize, rng: &mut R) -> Result<Self> {
        if max_len == 0 || d_model == 0 {
            return Err(Error::invalid(
                "LearnedPositionalEncoding",
                format!("needs positions and a width, got {max_len} × {d_model}"),
            ));
        }
        Ok(LearnedPositionalEncoding {
            weight: Tensor::normal(&[max_len, d_model], 0.0, 0.02, rng)?.requires_grad(true),
        })
    }
}

impl Module for LearnedPositionalEncoding {
    /// `[N, T, E]` or `[T, E]` plus the first `T` learned vectors.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let t = positions("LearnedPositionalEncoding", input, &self.weight)?;
        input.add(&self.weight.narrow(0, 0, t)?)
    }
}
