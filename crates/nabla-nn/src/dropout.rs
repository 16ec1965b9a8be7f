//! `Dropout`: zeroes elements with probability p in training mode and scales the rest by
//! 1/(1-p); the identity in evaluation mode. Seeded.

use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor};

use crate::Module;
use crate::rng::ModuleRng;

/// `nn.Dropout(p)` with its own seeded generator, which a checkpoint saves (see
/// [`Module::rng_states`]) so that a resumed run draws the same masks.
#[derive(Debug, Module)]
pub struct Dropout {
    #[module(skip)]
    p: f32,
    #[module(training)]
    training: bool,
    rng: ModuleRng,
}

impl Dropout {
    /// Dropout with probability `p`, in training mode, its masks drawn from `seed`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless 0 ≤ p < 1.
    pub fn new(p: f32, seed: u64) -> Result<Self> {
        if !(0.0..1.0).contains(&p) {
            return Err(Error::InvalidArgument { op: "Dropout", reason: format!("p must lie in [0, 1), got {p}") });
        }
        Ok(Dropout { p, training: true, rng: ModuleRng::new(seed) })
    }
}

impl Module for Dropout {
    /// # Shapes
    /// Any shape, unchanged.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        if !self.training || self.p == 0.0 {
            return Ok(input.clone());
        }
        let keep = 1.0 / (1.0 - self.p);
        let mask: Vec<f32> = self
            .rng
            .with(|rng| (0..input.numel()).map(|_| if rng.random::<f32>() < self.p { 0.0 } else { keep }).collect());
        input.mul(&Tensor::from_vec(mask, input.shape())?)
    }
}
