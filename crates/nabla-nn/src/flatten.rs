//! `Flatten`: merges axes `start..=end` (by default all but the batch axis).

use nabla_tensor::{Result, Tensor};

use crate::module::{Module, TensorKind};

/// `nn.Flatten(start_dim, end_dim)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flatten {
    pub start: isize,
    pub end: isize,
}

impl Default for Flatten {
    /// PyTorch's default: `start_dim = 1`, `end_dim = -1`.
    fn default() -> Self {
        Flatten { start: 1, end: -1 }
    }
}

impl Module for Flatten {
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C·H·W]` by default.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        input.flatten(self.start, self.end)
    }

    fn visit(&self, _prefix: &str, _visit: &mut dyn FnMut(String, &Tensor, TensorKind)) {}
}
