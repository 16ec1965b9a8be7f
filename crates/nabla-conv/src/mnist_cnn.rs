//! `MnistCnn`: the small CNN of workload W3 (docs/benchmarks.md) for 1×28×28 digits — the one
//! definition the MNIST classifier, the generated-digit judge and the W3 benchmarks share.

use nabla_nn::{Activation, Dropout, Flatten, Linear, LinearConfig, Module, Sequential};
use nabla_tensor::rand::Rng;
use nabla_tensor::{Result, Tensor};

use crate::{Conv2d, Conv2dConfig, MaxPool2d, Pool2dConfig};

/// Conv(1→32, 3, pad 1) + ReLU + MaxPool 2 → Conv(32→64, 3, pad 1) + ReLU + MaxPool 2 →
/// Linear(3136→128) + ReLU → Linear(128→10), with optional dropout before each linear layer.
#[derive(Module)]
pub struct MnistCnn {
    /// `[N, 1, 28, 28]` → the 128 penultimate features (after ReLU, and dropout if any).
    pub features: Sequential,
    /// Features → 10 logits.
    pub head: Linear,
}

impl MnistCnn {
    /// An untrained network with PyTorch's initialisation; `dropout` > 0 adds dropout of that
    /// probability after the flatten and after the 128 features (seeded 1 and 2).
    ///
    /// # Errors
    /// [`nabla_tensor::Error::InvalidArgument`] for a dropout probability outside [0, 1).
    pub fn new<R: Rng + ?Sized>(dropout: f32, rng: &mut R) -> Result<Self> {
        let conv = |i, o| Conv2dConfig { padding: (1, 1), ..Conv2dConfig::new(i, o, 3) };
        let mut features = Sequential::new()
            .push(Conv2d::new(conv(1, 32), rng)?)
            .push(Activation::Relu)
            .push(MaxPool2d(Pool2dConfig::new(2)))
            .push(Conv2d::new(conv(32, 64), rng)?)
            .push(Activation::Relu)
            .push(MaxPool2d(Pool2dConfig::new(2)))
            .push(Flatten::default());
        if dropout > 0.0 {
            features = features.push(Dropout::new(dropout, 1)?);
        }
        features = features.push(Linear::new(LinearConfig::new(3136, 128), rng)?).push(Activation::Relu);
        if dropout > 0.0 {
            features = features.push(Dropout::new(dropout, 2)?);
        }
        Ok(MnistCnn { features, head: Linear::new(LinearConfig::new(128, 10), rng)? })
    }
}

impl Module for MnistCnn {
    /// # Shapes
    /// `[N, 1, 28, 28]` → `[N, 10]` logits.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        self.head.forward(&self.features.forward(input)?)
    }
}
