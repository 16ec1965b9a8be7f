//! An MLP builder: layer widths, an activation between layers, optional dropout.

use nabla_tensor::Result;
use nabla_tensor::rand::Rng;

use crate::activation::Activation;
use crate::dropout::Dropout;
use crate::linear::{Linear, LinearConfig};
use crate::sequential::Sequential;

/// The shape of a multi-layer perceptron.
#[derive(Debug, Clone, PartialEq)]
pub struct MlpConfig {
    /// Input width, hidden widths, output width: `[784, 256, 128, 10]`.
    pub widths: Vec<usize>,
    /// Applied after every layer but the last.
    pub activation: Activation,
    /// Dropout probability after each hidden activation (0 for none).
    pub dropout: f32,
}

/// Builds `Linear → activation (→ Dropout)` for each hidden layer, then a final `Linear`, as
/// a [`Sequential`] with PyTorch's child numbering (so `nn.Sequential` state dicts of the same
/// layout load). Weights use `Linear`'s default initialisation; dropout masks are seeded from
/// `rng`.
///
/// ```
/// use nabla_nn::{mlp, Activation, MlpConfig, Module};
/// use nabla_tensor::{rand::{rngs::StdRng, SeedableRng}, Tensor};
/// let config = MlpConfig { widths: vec![4, 8, 3], activation: Activation::Relu, dropout: 0.0 };
/// let model = mlp(&config, &mut StdRng::seed_from_u64(0))?;
/// assert_eq!(model.forward(&Tensor::ones(&[2, 4]))?.shape(), &[2, 3]);
/// let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
///
/// # Errors
/// [`nabla_tensor::Error::InvalidArgument`] for fewer than two widths, a zero width or a bad
/// dropout probability.
pub fn mlp<R: Rng + ?Sized>(config: &MlpConfig, rng: &mut R) -> Result<Sequential> {
    if config.widths.len() < 2 || config.widths.contains(&0) {
        return Err(nabla_tensor::Error::InvalidArgument {
            op: "mlp",
            reason: format!("needs at least an input and an output width, all non-zero, got {:?}", config.widths),
        });
    }
    let mut model = Sequential::new();
    let layers = config.widths.len() - 1;
    for (i, pair) in config.widths.windows(2).enumerate() {
        model = model.push(Linear::new(LinearConfig::new(pair[0], pair[1]), rng)?);
        if i + 1 < layers {
            model = model.push(config.activation);
            if config.dropout > 0.0 {
                model = model.push(Dropout::new(config.dropout, rng.random())?);
            }
        }
    }
    Ok(model)
}
