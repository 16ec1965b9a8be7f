//! `Dropout`: zeroes elements with probability p in training mode and scales the rest by
//! 1/(1-p); the identity in evaluation mode. Seeded.

use std::sync::Mutex;

use nabla_tensor::rand::rngs::StdRng;
use nabla_tensor::rand::{Rng, SeedableRng};
use nabla_tensor::{Error, Result, Tensor};

use crate::module::{Module, TensorKind};

/// `nn.Dropout(p)` with its own seeded generator.
#[derive(Debug)]
pub struct Dropout {
    p: f32,
    training: bool,
    rng: Mutex<StdRng>,
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
        Ok(Dropout { p, training: true, rng: Mutex::new(StdRng::seed_from_u64(seed)) })
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
        let mask: Vec<f32> = {
            let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
            (0..input.numel()).map(|_| if rng.random::<f32>() < self.p { 0.0 } else { keep }).collect()
        };
        input.mul(&Tensor::from_vec(mask, input.shape())?)
    }

    fn visit(&self, _prefix: &str, _visit: &mut dyn FnMut(String, &Tensor, TensorKind)) {}

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}
