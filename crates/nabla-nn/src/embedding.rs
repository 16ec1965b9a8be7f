//! `Embedding`: a lookup table of learned vectors, one row per token, PyTorch's
//! `nn.Embedding`, computed by one fused op whose backward adds each position's gradient to
//! its row (and none to the padding row).

use nabla_tensor::ndarray::{Axis, IxDyn};
use nabla_tensor::rand::Rng;
use nabla_tensor::{BackwardContext, Data, Error, Indices, Op, Result, Tensor};

use crate::module::{Module, TensorKind, Visit, child_name};

/// The shape of an [`Embedding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddingConfig {
    /// How many vectors the table holds (the vocabulary's size).
    pub num_embeddings: usize,
    /// The length of each vector.
    pub embedding_dim: usize,
    /// A row that stays zero and receives no gradient (`padding_idx=`, default none).
    pub padding_idx: Option<usize>,
}

impl EmbeddingConfig {
    /// `num_embeddings` vectors of `embedding_dim`, no padding row.
    pub fn new(num_embeddings: usize, embedding_dim: usize) -> Self {
        EmbeddingConfig { num_embeddings, embedding_dim, padding_idx: None }
    }
}

/// A table of `num_embeddings` vectors: `weight` `[num_embeddings, embedding_dim]`, PyTorch's
/// state-dict key and layout.
///
/// ```
/// use nabla_nn::{Embedding, EmbeddingConfig};
/// use nabla_tensor::{Indices, rand::{rngs::StdRng, SeedableRng}};
/// let table = Embedding::new(EmbeddingConfig::new(10, 4), &mut StdRng::seed_from_u64(0))?;
/// let batch = Indices::new(vec![3, 1, 4, 1, 5, 9], &[2, 3])?; // 2 sequences of 3 tokens
/// assert_eq!(table.lookup(&batch)?.shape(), &[2, 3, 4]);
/// assert_eq!(table.lookup(&[7])?.shape(), &[1, 4]);
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Embedding {
    pub weight: Tensor,
    pub padding_idx: Option<usize>,
    /// A table from [`Embedding::from_pretrained`] with `freeze`: not trained, so listed as a
    /// buffer (still saved under `weight`).
    frozen: bool,
}

impl Embedding {
    /// A table with PyTorch's initialisation: every value N(0, 1), the padding row zero.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty table or a padding row outside it.
    pub fn new<R: Rng + ?Sized>(config: EmbeddingConfig, rng: &mut R) -> Result<Self> {
        let EmbeddingConfig { num_embeddings, embedding_dim, padding_idx } = config;
        if num_embeddings == 0 || embedding_dim == 0 {
            return Err(Error::invalid(
                "Embedding",
                format!("needs at least one vector of length 1, got {num_embeddings} of {embedding_dim}"),
            ));
        }
        let mut weight = Tensor::normal(&[num_embeddings, embedding_dim], 0.0, 1.0, rng)?;
        if let Some(pad) = check_padding(padding_idx, num_embeddings)? {
            let mut values = weight.to_vec();
            values[pad * embedding_dim..(pad + 1) * embedding_dim].fill(0.0);
            weight = Tensor::from_vec(values, &[num_embeddings, embedding_dim])?;
        }
        Ok(Embedding { weight: weight.requires_grad(true), padding_idx, frozen: false })
    }

    /// A table holding `weight` `[num_embeddings, embedding_dim]`
    /// (`nn.Embedding.from_pretrained(weight, freeze, padding_idx)`); with `freeze` it is not
    /// trained: it is a buffer, not a parameter, and takes no gradient.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a weight that is not 2-D and non-empty, or a padding row
    /// outside it.
    pub fn from_pretrained(weight: &Tensor, freeze: bool, padding_idx: Option<usize>) -> Result<Self> {
        if weight.ndim() != 2 || weight.numel() == 0 {
            return Err(Error::invalid(
                "Embedding::from_pretrained",
                format!("needs a non-empty [num_embeddings, embedding_dim] weight, got shape {:?}", weight.shape()),
            ));
        }
        check_padding(padding_idx, weight.shape()[0])?;
        Ok(Embedding { weight: weight.detach().requires_grad(!freeze), padding_idx, frozen: freeze })
    }

    /// The vectors of `indices`: for indices of shape `S`, a tensor of shape
    /// `S + [embedding_dim]`.
    ///
    /// # Shapes
    /// `S` → `S + [embedding_dim]`. PyTorch: `embedding(indices)`.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`] for an index outside the table.
    pub fn lookup(&self, indices: impl Into<Indices>) -> Result<Tensor> {
        let indices = indices.into();
        let rows = indices.positions("Embedding", 0, self.weight.shape()[0], self.weight.shape())?;
        let mut shape = indices.shape().to_vec();
        shape.push(self.weight.shape()[1]);
        let op = Lookup { rows, padding_idx: self.padding_idx, shape };
        Tensor::apply(op, &[&self.weight])
    }
}

fn check_padding(padding_idx: Option<usize>, num_embeddings: usize) -> Result<Option<usize>> {
    match padding_idx {
        Some(pad) if pad >= num_embeddings => Err(Error::invalid(
            "Embedding",
            format!("padding_idx {pad} is outside a table of {num_embeddings} vectors"),
        )),
        other => Ok(other),
    }
}

impl Module for Embedding {
    /// The vectors of the whole numbers `input` holds (as PyTorch's `LongTensor` input).
    ///
    /// # Shapes
    /// `S` → `S + [embedding_dim]`. PyTorch: `nn.Embedding(num, dim)(input)`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        self.lookup(Indices::from_tensor(input)?)
    }
}

/// Written by hand: a frozen table (`from_pretrained` with `freeze`) is a buffer, a trained one
/// a parameter, under the same key.
impl Visit for Embedding {
    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, TensorKind)) {
        let kind = if self.frozen { TensorKind::Buffer } else { TensorKind::Parameter };
        visit(child_name(prefix, "weight"), &self.weight, kind);
    }
}

/// The rows of the table at `rows`, laid out in `shape`.
struct Lookup {
    rows: Vec<usize>,
    padding_idx: Option<usize>,
    shape: Vec<usize>,
}

impl Op for Lookup {
    fn name(&self) -> &'static str {
        "embedding"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let table = inputs[0];
        let dim = table.shape()[1];
        let mut values = Vec::with_capacity(self.rows.len() * dim);
        for &row in &self.rows {
            values.extend(table.index_axis(Axis(0), row).iter().copied());
        }
        Ok(Data::from_shape_vec(IxDyn(&self.shape), values).expect("one vector per index"))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let dim = ctx.inputs[0].shape()[1];
        let mut grad = vec![0.0; ctx.inputs[0].len()];
        let upstream = nabla_tensor::elementwise::contiguous(ctx.grad_output);
        for (&row, g) in self.rows.iter().zip(upstream.chunks_exact(dim)) {
            if Some(row) != self.padding_idx {
                grad[row * dim..(row + 1) * dim].iter_mut().zip(g).for_each(|(a, b)| *a += b);
            }
        }
        Ok(vec![Some(Data::from_shape_vec(ctx.inputs[0].raw_dim(), grad).expect("the table's shape"))])
    }
}
