//! L-BFGS (`torch.optim.LBFGS`): a quasi-Newton method that builds an approximation of the
//! inverse Hessian from the last `history_size` steps and gradient changes. Each call to
//! [`Lbfgs::step`] runs up to `max_iter` iterations, re-evaluating the objective through a
//! closure, with a fixed step or a strong-Wolfe line search. The algorithm and its options
//! follow PyTorch's (itself after minFunc and Torch7's `lswolfe`); the arithmetic is in f64 on
//! the flattened parameters.

use nabla_tensor::{Error, Gradients, Result, Tensor};

/// How [`Lbfgs`] chooses the step length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineSearch {
    /// A fixed step of `lr` (PyTorch's `line_search_fn=None`).
    #[default]
    None,
    /// A line search satisfying the strong Wolfe conditions (`line_search_fn="strong_wolfe"`).
    StrongWolfe,
}

/// L-BFGS options, with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LbfgsConfig {
    /// Step length (1).
    pub lr: f64,
    /// Iterations per [`Lbfgs::step`] (20).
    pub max_iter: usize,
    /// Objective evaluations per step (`max_iter · 5/4` when `None`).
    pub max_eval: Option<usize>,
    /// Stop when every gradient component is at most this (1e-7).
    pub tolerance_grad: f64,
    /// Stop when the loss or the parameters change less than this (1e-9).
    pub tolerance_change: f64,
    /// Steps remembered (100).
    pub history_size: usize,
    pub line_search: LineSearch,
}

impl Default for LbfgsConfig {
    fn default() -> Self {
        LbfgsConfig {
            lr: 1.0,
            max_iter: 20,
            max_eval: None,
            tolerance_grad: 1e-7,
            tolerance_change: 1e-9,
            history_size: 100,
            line_search: LineSearch::None,
        }
    }
}

/// The L-BFGS memory carried from one [`Lbfgs::step`] to the next.
#[derive(Debug, Default)]
struct Memory {
    direction: Vec<f64>,
    step: f64,
    gradient_changes: Vec<Vec<f64>>,
    steps: Vec<Vec<f64>>,
    rho: Vec<f64>,
    hessian_diagonal: f64,
    previous_gradient: Vec<f64>,
    iterations: usize,
}

/// The L-BFGS optimizer over a set of parameters.
pub struct Lbfgs {
    params: Vec<Tensor>,
    config: LbfgsConfig,
    memory: Memory,
}

/// Evaluates the objective: the loss and its gradients at the current parameters.
pub type Objective<'a> = dyn FnMut() -> Result<(f32, Gradients)> + 'a;

impl Lbfgs {
    /// L-BFGS over `params`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a learning rate that is not positive and finite, no
    /// iterations or no history.
    pub fn new(params: Vec<Tensor>, config: LbfgsConfig) -> Result<Self> {
        if !(config.lr > 0.0 && config.lr.is_finite()) || config.max_iter == 0 || config.history_size == 0 {
            return Err(Error::InvalidArgument {
                op: "Lbfgs",
                reason: format!("needs lr > 0 (finite), max_iter >= 1 and history_size >= 1, got {config:?}"),
            });
        }
        Ok(Lbfgs { params, config, memory: Memory::default() })
    }

    /// Runs up to `max_iter` iterations; `objective` is called to evaluate the loss and its
    /// gradients at the current parameters (several times per iteration with the line
    /// search). Returns the loss before the step, as PyTorch.
    ///
    /// # Errors
    /// The objective's errors; [`Error::NonFinite`] when it returns a non-finite loss.
    pub fn step(&mut self, objective: &mut Objective<'_>) -> Result<f32> {
        let config = self.config;
        let max_eval = config.max_eval.unwrap_or(config.max_iter * 5 / 4);
        let (first_loss, mut gradient) = self.evaluate(objective)?;
        let mut loss = first_loss as f64;
        let mut evaluations = 1;
        if max_abs(&gradient) <= config.tolerance_grad {
            return Ok(first_loss);
        }
        for iteration in 1..=config.max_iter {
            self.memory.iterations += 1;
            self.update_direction(&gradient);
            let previous_loss = loss;
            self.memory.previous_gradient.clone_from(&gradient);
            let mut t = if self.memory.iterations == 1 {
                (1.0 / gradient.iter().map(|g| g.abs()).sum::<f64>()).min(1.0) * config.lr
            } else {
                config.lr
            };
            let direction = self.memory.direction.clone();
            let slope = dot(&gradient, &direction);
            if slope > -config.tolerance_change {
                break;
            }
            let mut converged = false;
            match config.line_search {
                LineSearch::StrongWolfe => {
                    let start = self.flat_params();
                    let (found_loss, found_gradient, found_t, spent) =
                        self.strong_wolfe(objective, &start, t, &direction, loss, &gradient, slope)?;
                    (loss, gradient, t) = (found_loss, found_gradient, found_t);
                    self.set_params(&start, t, &direction)?;
                    converged = max_abs(&gradient) <= config.tolerance_grad;
                    evaluations += spent;
                }
                LineSearch::None => {
                    let start = self.flat_params();
                    self.set_params(&start, t, &direction)?;
                    if iteration != config.max_iter {
                        let (new_loss, new_gradient) = self.evaluate(objective)?;
                        (loss, gradient) = (new_loss as f64, new_gradient);
                        converged = max_abs(&gradient) <= config.tolerance_grad;
                        evaluations += 1;
                    }
                }
            }
            self.memory.step = t;
            if iteration == config.max_iter
                || evaluations >= max_eval
                || converged
                || direction.iter().map(|d| (d * t).abs()).fold(0.0, f64::max) <= config.tolerance_change
                || (loss - previous_loss).abs() < config.tolerance_change
            {
                break;
            }
        }
        Ok(first_loss)
    }

    /// The two-loop recursion: the new search direction from the gradient and the memory.
    fn update_direction(&mut self, gradient: &[f64]) {
        let history = self.config.history_size;
        let m = &mut self.memory;
        if m.iterations == 1 {
            m.direction = gradient.iter().map(|g| -g).collect();
            m.gradient_changes.clear();
            m.steps.clear();
            m.rho.clear();
            m.hessian_diagonal = 1.0;
            return;
        }
        let y: Vec<f64> = gradient.iter().zip(&m.previous_gradient).map(|(g, p)| g - p).collect();
        let s: Vec<f64> = m.direction.iter().map(|d| d * m.step).collect();
        let ys = dot(&y, &s);
        if ys > 1e-10 {
            if m.gradient_changes.len() == history {
                m.gradient_changes.remove(0);
                m.steps.remove(0);
                m.rho.remove(0);
            }
            m.hessian_diagonal = ys / dot(&y, &y);
            m.gradient_changes.push(y);
            m.steps.push(s);
            m.rho.push(1.0 / ys);
        }
        let mut q: Vec<f64> = gradient.iter().map(|g| -g).collect();
        let mut alpha = vec![0.0; m.steps.len()];
        for i in (0..m.steps.len()).rev() {
            alpha[i] = dot(&m.steps[i], &q) * m.rho[i];
            axpy(-alpha[i], &m.gradient_changes[i], &mut q);
        }
        for value in &mut q {
            *value *= m.hessian_diagonal;
        }
        for (((y, s), rho), a) in m.gradient_changes.iter().zip(&m.steps).zip(&m.rho).zip(&alpha) {
            let beta = dot(y, &q) * rho;
            axpy(a - beta, s, &mut q);
        }
        m.direction = q;
    }

    /// The loss and flattened gradient at the current parameters.
    fn evaluate(&self, objective: &mut Objective<'_>) -> Result<(f32, Vec<f64>)> {
        let (loss, grads) = objective()?;
        if !loss.is_finite() {
            return Err(Error::NonFinite { op: "Lbfgs::step", reason: format!("the objective returned {loss}") });
        }
        let mut flat = Vec::new();
        for param in &self.params {
            match grads.get(param) {
                Some(g) => flat.extend(g.to_vec().iter().map(|&v| v as f64)),
                None => flat.extend(std::iter::repeat_n(0.0, param.numel())),
            }
        }
        Ok((loss, flat))
    }

    fn flat_params(&self) -> Vec<f64> {
        self.params.iter().flat_map(|p| p.to_vec()).map(|v| v as f64).collect()
    }

    /// Sets the parameters to `start + t · direction`.
    fn set_params(&self, start: &[f64], t: f64, direction: &[f64]) -> Result<()> {
        let mut offset = 0;
        for param in &self.params {
            let n = param.numel();
            let values: Vec<f32> = (offset..offset + n).map(|i| (start[i] + t * direction[i]) as f32).collect();
            param.set_data(Tensor::from_vec(values, param.shape())?.data())?;
            offset += n;
        }
        Ok(())
    }

    /// Loss and gradient at `start + t · direction` (the parameters are left there).
    fn evaluate_at(
        &self,
        objective: &mut Objective<'_>,
        start: &[f64],
        t: f64,
        direction: &[f64],
    ) -> Result<(f64, Vec<f64>)> {
        self.set_params(start, t, direction)?;
        let (loss, gradient) = self.evaluate(objective)?;
        Ok((loss as f64, gradient))
    }

    /// A step length satisfying the strong Wolfe conditions (sufficient decrease c₁ = 1e-4,
    /// curvature c₂ = 0.9): bracketing, then zooming with cubic interpolation, at most 25
    /// evaluations. Returns the loss, gradient and step found and the evaluations spent.
    #[allow(clippy::too_many_arguments)]
    fn strong_wolfe(
        &self,
        objective: &mut Objective<'_>,
        start: &[f64],
        mut t: f64,
        direction: &[f64],
        loss: f64,
        gradient: &[f64],
        slope: f64,
    ) -> Result<(f64, Vec<f64>, f64, usize)> {
        const C1: f64 = 1e-4;
        const C2: f64 = 0.9;
        const MAX_EVALUATIONS: usize = 25;
        let tolerance = self.config.tolerance_change;
        let direction_size = max_abs(direction);
        let (mut new_loss, mut new_gradient) = self.evaluate_at(objective, start, t, direction)?;
        let mut evaluations = 1;
        let mut new_slope = dot(&new_gradient, direction);
        let (mut t_prev, mut loss_prev, mut gradient_prev, mut slope_prev) = (0.0, loss, gradient.to_vec(), slope);
        let mut done = false;
        let mut iterations = 0;
        // Points of the bracket: (step, loss, gradient, slope).
        let mut bracket: Vec<(f64, f64, Vec<f64>, f64)> = Vec::new();
        while iterations < MAX_EVALUATIONS {
            let no_decrease = new_loss > loss + C1 * t * slope || (iterations > 1 && new_loss >= loss_prev);
            if !no_decrease && new_slope.abs() <= -C2 * slope {
                bracket = vec![(t, new_loss, std::mem::take(&mut new_gradient), new_slope)];
                done = true;
                break;
            }
            if no_decrease || new_slope >= 0.0 {
                let new_point = (t, new_loss, std::mem::take(&mut new_gradient), new_slope);
                bracket = vec![(t_prev, loss_prev, std::mem::take(&mut gradient_prev), slope_prev), new_point];
                break;
            }
            let (low, high) = (t + 0.01 * (t - t_prev), t * 10.0);
            let next = cubic_minimum((t_prev, loss_prev, slope_prev), (t, new_loss, new_slope), Some((low, high)));
            (t_prev, loss_prev, gradient_prev, slope_prev) = (t, new_loss, new_gradient, new_slope);
            t = next;
            (new_loss, new_gradient) = self.evaluate_at(objective, start, t, direction)?;
            evaluations += 1;
            new_slope = dot(&new_gradient, direction);
            iterations += 1;
        }
        if iterations == MAX_EVALUATIONS {
            bracket = vec![(0.0, loss, gradient.to_vec(), slope), (t, new_loss, new_gradient, new_slope)];
        }
        let (mut low, mut high) = if bracket[0].1 <= bracket[bracket.len() - 1].1 { (0, 1) } else { (1, 0) };
        let mut insufficient_progress = false;
        while !done && iterations < MAX_EVALUATIONS && bracket.len() == 2 {
            if (bracket[1].0 - bracket[0].0).abs() * direction_size < tolerance {
                break;
            }
            let mut t = cubic_minimum(
                (bracket[0].0, bracket[0].1, bracket[0].3),
                (bracket[1].0, bracket[1].1, bracket[1].3),
                None,
            );
            let (top, bottom) = (bracket[0].0.max(bracket[1].0), bracket[0].0.min(bracket[1].0));
            let margin = 0.1 * (top - bottom);
            if (top - t).min(t - bottom) < margin {
                if insufficient_progress || t >= top || t <= bottom {
                    t = if (t - top).abs() < (t - bottom).abs() { top - margin } else { bottom + margin };
                    insufficient_progress = false;
                } else {
                    insufficient_progress = true;
                }
            } else {
                insufficient_progress = false;
            }
            let (trial_loss, trial_gradient) = self.evaluate_at(objective, start, t, direction)?;
            evaluations += 1;
            iterations += 1;
            let trial_slope = dot(&trial_gradient, direction);
            if trial_loss > loss + C1 * t * slope || trial_loss >= bracket[low].1 {
                bracket[high] = (t, trial_loss, trial_gradient, trial_slope);
                (low, high) = if bracket[0].1 <= bracket[1].1 { (0, 1) } else { (1, 0) };
            } else {
                if trial_slope.abs() <= -C2 * slope {
                    done = true;
                } else if trial_slope * (bracket[high].0 - bracket[low].0) >= 0.0 {
                    bracket[high] = bracket[low].clone();
                }
                bracket[low] = (t, trial_loss, trial_gradient, trial_slope);
            }
        }
        let (t, loss, gradient, _) = bracket.swap_remove(low.min(bracket.len() - 1));
        Ok((loss, gradient, t, evaluations))
    }
}

/// The minimiser of the cubic through two points with their values and slopes, clamped to
/// `bounds` (by default the interval between them); their midpoint when the cubic has none.
fn cubic_minimum((x1, f1, g1): (f64, f64, f64), (x2, f2, g2): (f64, f64, f64), bounds: Option<(f64, f64)>) -> f64 {
    let (low, high) = bounds.unwrap_or(if x1 <= x2 { (x1, x2) } else { (x2, x1) });
    let d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
    let d2_square = d1 * d1 - g1 * g2;
    if d2_square >= 0.0 {
        let d2 = d2_square.sqrt();
        let minimum = if x1 <= x2 {
            x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
        } else {
            x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
        };
        minimum.max(low).min(high)
    } else {
        (low + high) / 2.0
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `y += a · x`.
fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

fn max_abs(values: &[f64]) -> f64 {
    values.iter().fold(0.0, |m, v| m.max(v.abs()))
}
