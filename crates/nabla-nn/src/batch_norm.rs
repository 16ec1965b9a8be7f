//! Batch normalisation over the channel axis (axis 1), with running statistics: the shared
//! `BatchNorm` and `BatchNorm1d` (`[N, C]` or `[N, C, L]`). Convolutional variants reuse it.

use nabla_tensor::{Error, Result, Tensor, no_grad};

use crate::Module;
use crate::batch_norm_op::{BatchNormOp, BatchStatistics};

/// Options of batch normalisation, PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchNormConfig {
    pub num_features: usize,
    pub eps: f32,
    /// Weight of the new batch in the running averages (0.1); `None` for a cumulative average.
    pub momentum: Option<f32>,
    /// Learned per-channel scale and shift.
    pub affine: bool,
    /// Keep running statistics (and use them in evaluation mode).
    pub track_running_stats: bool,
}

impl BatchNormConfig {
    /// `num_features` channels with eps 1e-5, momentum 0.1, affine, tracking running stats.
    pub fn new(num_features: usize) -> Self {
        BatchNormConfig { num_features, eps: 1e-5, momentum: Some(0.1), affine: true, track_running_stats: true }
    }
}

/// Normalises each channel (axis 1) over every other axis.
#[derive(Debug, Clone, Module)]
pub struct BatchNorm {
    #[module(skip)]
    config: BatchNormConfig,
    /// The accepted ranks and the module's name, for errors.
    #[module(skip)]
    ranks: &'static [usize],
    #[module(skip)]
    name: &'static str,
    #[module(training)]
    training: bool,
    pub weight: Option<Tensor>,
    pub bias: Option<Tensor>,
    #[module(buffer)]
    pub running_mean: Option<Tensor>,
    #[module(buffer)]
    pub running_var: Option<Tensor>,
    #[module(buffer)]
    pub num_batches_tracked: Option<Tensor>,
}

impl BatchNorm {
    /// Batch norm for inputs of the given ranks, named `name` in errors (as `BatchNorm2d` for
    /// `[N, C, H, W]`).
    pub fn with_ranks(config: BatchNormConfig, ranks: &'static [usize], name: &'static str) -> Self {
        let c = config.num_features;
        let tracked = config.track_running_stats;
        BatchNorm {
            config,
            ranks,
            name,
            training: true,
            weight: config.affine.then(|| Tensor::ones(&[c]).requires_grad(true)),
            bias: config.affine.then(|| Tensor::zeros(&[c]).requires_grad(true)),
            running_mean: tracked.then(|| Tensor::zeros(&[c])),
            running_var: tracked.then(|| Tensor::ones(&[c])),
            num_batches_tracked: tracked.then(|| Tensor::scalar(0.0)),
        }
    }

    /// Updates the running statistics from a batch's mean and unbiased variance.
    fn update_running(&self, mean: &Tensor, var_unbiased: &Tensor) -> Result<()> {
        let (Some(rm), Some(rv), Some(count)) = (&self.running_mean, &self.running_var, &self.num_batches_tracked)
        else {
            return Ok(());
        };
        no_grad(|| {
            let batches = count.item()? + 1.0;
            count.set_data(Tensor::scalar(batches).data())?;
            let m = self.config.momentum.unwrap_or(1.0 / batches);
            rm.set_data(rm.mul_scalar(1.0 - m)?.add(&mean.mul_scalar(m)?)?.data())?;
            rv.set_data(rv.mul_scalar(1.0 - m)?.add(&var_unbiased.mul_scalar(m)?)?.data())
        })
    }
}

impl Module for BatchNorm {
    /// # Shapes
    /// `[N, C, ...]`, unchanged. PyTorch: `nn.BatchNorm1d` / `nn.BatchNorm2d`.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let c = self.config.num_features;
        if !self.ranks.contains(&input.ndim()) || input.shape()[1] != c || c == 0 {
            return Err(Error::ShapeMismatch {
                op: self.name,
                lhs: input.shape().to_vec(),
                rhs: vec![c],
                reason: format!("needs an input of rank {:?} with {c} (> 0) channels on axis 1", self.ranks),
            });
        }
        let mut channel_shape = vec![1; input.ndim()];
        channel_shape[1] = c as isize;
        let per_channel = |t: &Tensor| t.reshape(&channel_shape);
        let affine = self.weight.as_ref().zip(self.bias.as_ref());
        if self.training || self.running_mean.is_none() {
            let count = input.numel() / c;
            if self.training && count < 2 {
                return Err(Error::InvalidArgument {
                    op: self.name,
                    reason: format!(
                        "training needs more than 1 value per channel, got input shape {:?}",
                        input.shape()
                    ),
                });
            }
            let statistics = BatchStatistics::of(input);
            if self.training {
                let unbiased: Vec<f32> =
                    statistics.variance.iter().map(|v| v * count as f32 / (count - 1) as f32).collect();
                self.update_running(
                    &Tensor::from_vec(statistics.mean.clone(), &[c])?,
                    &Tensor::from_vec(unbiased, &[c])?,
                )?;
            }
            let op = BatchNormOp { name: self.name, statistics, eps: self.config.eps };
            return match affine {
                Some((w, b)) => Tensor::apply(op, &[input, w, b]),
                None => Tensor::apply(op, &[input]),
            };
        }
        let (rm, rv) = (self.running_mean.as_ref().expect("tracked"), self.running_var.as_ref().expect("tracked"));
        let mut y = input.sub(&per_channel(rm)?)?.div(&per_channel(rv)?.add_scalar(self.config.eps)?.sqrt()?)?;
        if let Some((w, b)) = affine {
            y = y.mul(&per_channel(w)?)?.add(&per_channel(b)?)?;
        }
        Ok(y)
    }
}

/// `nn.BatchNorm1d`: inputs `[N, C]` or `[N, C, L]`.
pub fn batch_norm_1d(config: BatchNormConfig) -> BatchNorm {
    BatchNorm::with_ranks(config, &[2, 3], "BatchNorm1d")
}
