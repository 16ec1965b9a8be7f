//! `Flatten`: merges axes `start..=end` (by default all but the batch axis).

use nabla_tensor::{Result, Tensor};

use crate::Module;

/// `nn.Flatten(start_dim, end_dim)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Module)]
pub struct Flatten {
    #[module(skip)]
    pub start: isize,
    #[module(skip)]
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
}
