//! `Sequential`: modules applied in order, children named `0`, `1`, … as in PyTorch.

use nabla_tensor::{Result, Tensor};

use crate::Module;

/// Modules applied one after another (`nn.Sequential`).
#[derive(Default, Module)]
pub struct Sequential {
    #[module(flatten)]
    layers: Vec<Box<dyn Module>>,
}

impl Sequential {
    /// An empty sequence.
    pub fn new() -> Self {
        Sequential::default()
    }

    /// Appends a module (its tensors are named by its index: `3.weight`).
    pub fn push(mut self, module: impl Module + 'static) -> Self {
        self.layers.push(Box::new(module));
        self
    }

    /// The layers in order (`model[i]` in PyTorch).
    pub fn layers(&self) -> &[Box<dyn Module>] {
        &self.layers
    }

    /// How many modules it holds.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl Module for Sequential {
    /// Each module's output is the next one's input. An error names the child that failed,
    /// by index and type: `Sequential child 2 (Linear): Linear: shapes …`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let mut x = input.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(&x).map_err(|e| e.context(format!("Sequential child {i} ({})", layer.type_name())))?;
        }
        Ok(x)
    }
}
