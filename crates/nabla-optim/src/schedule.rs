//! Learning-rate schedules, as `torch.optim.lr_scheduler`'s StepLR, ExponentialLR,
//! CosineAnnealingLR and LinearLR (warm-up), in closed form.

use nabla_tensor::Result;

use crate::Optimizer;

/// How the learning rate follows the epoch (or step) count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LrSchedule {
    /// Multiply by `gamma` every `step_size` epochs (`StepLR`).
    Step { step_size: usize, gamma: f64 },
    /// Multiply by `gamma` every epoch (`ExponentialLR`).
    Exponential { gamma: f64 },
    /// Half a cosine from the base rate down to `eta_min` over `t_max` epochs (`CosineAnnealingLR`).
    Cosine { t_max: usize, eta_min: f64 },
    /// Scale the base rate linearly from `start_factor` to `end_factor` over `total_iters`
    /// epochs, then hold (`LinearLR`, the usual warm-up).
    Linear { start_factor: f64, end_factor: f64, total_iters: usize },
}

impl LrSchedule {
    /// The learning rate at `epoch` for a base rate `base`.
    pub fn lr_at(&self, base: f64, epoch: usize) -> f64 {
        match *self {
            LrSchedule::Step { step_size, gamma } => base * gamma.powi((epoch / step_size.max(1)) as i32),
            LrSchedule::Exponential { gamma } => base * gamma.powi(epoch as i32),
            LrSchedule::Cosine { t_max, eta_min } => {
                let progress = epoch.min(t_max) as f64 / t_max.max(1) as f64;
                eta_min + (base - eta_min) * (1.0 + (std::f64::consts::PI * progress).cos()) / 2.0
            }
            LrSchedule::Linear { start_factor, end_factor, total_iters } => {
                let progress = epoch.min(total_iters) as f64 / total_iters.max(1) as f64;
                base * (start_factor + (end_factor - start_factor) * progress)
            }
        }
    }
}

/// Drives an optimizer's learning rates by a schedule: build it when training starts (it
/// records the base rates) and call [`Scheduler::step`] once per epoch.
#[derive(Debug, Clone)]
pub struct Scheduler {
    schedule: LrSchedule,
    base_rates: Vec<f64>,
    epoch: usize,
}

impl Scheduler {
    /// A scheduler for `optimizer`'s groups, setting their rates for epoch 0.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](nabla_tensor::Error::InvalidArgument) when the schedule's
    /// rate for epoch 0 is negative or not finite (a negative `eta_min`, say).
    pub fn new(optimizer: &mut Optimizer, schedule: LrSchedule) -> Result<Self> {
        let scheduler = Scheduler { schedule, base_rates: optimizer.learning_rates(), epoch: 0 };
        scheduler.apply(optimizer)?;
        Ok(scheduler)
    }

    /// Advances one epoch and sets the optimizer's rates for it.
    ///
    /// # Errors
    /// When the optimizer's groups changed since the scheduler was built.
    pub fn step(&mut self, optimizer: &mut Optimizer) -> Result<()> {
        self.epoch += 1;
        self.apply(optimizer)
    }

    /// The current epoch.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    fn apply(&self, optimizer: &mut Optimizer) -> Result<()> {
        for (group, &base) in self.base_rates.iter().enumerate() {
            optimizer.set_learning_rate(group, self.schedule.lr_at(base, self.epoch))?;
        }
        Ok(())
    }
}
