//! Random tensors from an explicit, seeded generator (library code never reaches for a global
//! or time-seeded one: same seed, same tensor).

use ndarray::{ArrayD, IxDyn};
use ndarray_rand::RandomExt;
use ndarray_rand::rand::Rng;
use ndarray_rand::rand_distr::{Normal, Uniform};

use crate::error::{Error, Result};
use crate::tensor::Tensor;

impl Tensor {
    /// Values drawn uniformly from `[low, high)` (`torch.rand(...) * (high - low) + low`).
    ///
    /// ```
    /// use nabla_tensor::{rand::{rngs::StdRng, SeedableRng}, Tensor};
    /// let mut rng = StdRng::seed_from_u64(0);
    /// let t = Tensor::uniform(&[2, 3], -1.0, 1.0, &mut rng)?;
    /// assert!(t.to_vec().iter().all(|v| (-1.0..1.0).contains(v)));
    /// # Ok::<(), nabla_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `low < high`, both finite.
    pub fn uniform<R: Rng + ?Sized>(shape: &[usize], low: f32, high: f32, rng: &mut R) -> Result<Tensor> {
        let dist =
            Uniform::new(low, high).map_err(|e| Error::invalid("uniform", format!("bounds [{low}, {high}): {e}")))?;
        Ok(Tensor::from_array(ArrayD::random_using(IxDyn(shape), dist, rng)))
    }

    /// Values drawn from a normal distribution with this mean and standard deviation.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a negative or non-finite standard deviation.
    pub fn normal<R: Rng + ?Sized>(shape: &[usize], mean: f32, std: f32, rng: &mut R) -> Result<Tensor> {
        if !(std >= 0.0 && std.is_finite() && mean.is_finite()) {
            return Err(Error::invalid(
                "normal",
                format!("needs a finite mean and a finite, non-negative std, got mean {mean}, std {std}"),
            ));
        }
        let dist =
            Normal::new(mean, std).map_err(|e| Error::invalid("normal", format!("mean {mean}, std {std}: {e}")))?;
        Ok(Tensor::from_array(ArrayD::random_using(IxDyn(shape), dist, rng)))
    }
}
