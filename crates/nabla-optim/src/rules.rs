//! The built-in update rules (SGD, Adam, AdamW, RMSprop), each an [`UpdateRule`] written as
//! PyTorch's single-tensor (`foreach=False`) implementations
//! write them: hyperparameters are f64 (Python floats), derived scalars are computed in f64 and
//! rounded to f32 where PyTorch applies them to a float32 tensor, and the element-wise work is
//! f32, operation for operation — so the parameter sequence matches PyTorch's to a few units in
//! the last place.

use crate::UpdateRule;

/// Stochastic gradient descent (`torch.optim.SGD`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdConfig {
    pub lr: f64,
    /// 0 (PyTorch's default) for plain SGD.
    pub momentum: f64,
    /// Damps the gradient's share of the momentum buffer; 0 by default.
    pub dampening: f64,
    /// L2 penalty added to the gradient; 0 by default.
    pub weight_decay: f64,
    pub nesterov: bool,
}

impl Default for SgdConfig {
    /// PyTorch's defaults: lr 1e-3, no momentum, dampening or weight decay.
    fn default() -> Self {
        SgdConfig { lr: 1e-3, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false }
    }
}

/// Adam (`torch.optim.Adam`) and, through [`AdamW`], AdamW.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    pub lr: f64,
    pub betas: (f64, f64),
    pub eps: f64,
    /// Adam: an L2 penalty added to the gradient (default 0). AdamW: decoupled decay of the
    /// weights (default 0.01, as `torch.optim.AdamW`).
    pub weight_decay: f64,
    pub amsgrad: bool,
}

impl Default for AdamConfig {
    /// Adam's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay, no AMSGrad.
    fn default() -> Self {
        AdamConfig { lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.0, amsgrad: false }
    }
}

impl AdamConfig {
    /// AdamW's defaults: Adam's, with weight decay 0.01.
    pub fn adamw() -> Self {
        AdamConfig { weight_decay: 0.01, ..AdamConfig::default() }
    }
}

/// RMSprop (`torch.optim.RMSprop`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmsPropConfig {
    pub lr: f64,
    /// Smoothing of the squared-gradient average.
    pub alpha: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub momentum: f64,
    /// Normalise by the centred second moment (an estimate of the variance).
    pub centered: bool,
}

impl Default for RmsPropConfig {
    /// PyTorch's defaults: lr 1e-2, alpha 0.99, eps 1e-8, no weight decay, momentum 0, not centred.
    fn default() -> Self {
        RmsPropConfig { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0.0, momentum: 0.0, centered: false }
    }
}

/// AdamW (`torch.optim.AdamW`): Adam with decoupled weight decay; start from
/// [`AdamConfig::adamw`] for its defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamW(pub AdamConfig);

/// `None`, or why `value` is not finite and non-negative.
fn non_negative(name: &str, value: f64) -> Result<(), String> {
    if value >= 0.0 && value.is_finite() { Ok(()) } else { Err(format!("{name} must be finite and >= 0, got {value}")) }
}

fn adam_validate(c: &AdamConfig) -> Result<(), String> {
    non_negative("lr", c.lr)?;
    non_negative("eps", c.eps)?;
    non_negative("weight_decay", c.weight_decay)?;
    if (0.0..1.0).contains(&c.betas.0) && (0.0..1.0).contains(&c.betas.1) {
        Ok(())
    } else {
        Err(format!("betas must lie in [0, 1), got {:?}", c.betas))
    }
}

fn adam_slots(c: &AdamConfig) -> Vec<&'static str> {
    if c.amsgrad { vec!["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] } else { vec!["exp_avg", "exp_avg_sq"] }
}

impl UpdateRule for SgdConfig {
    fn name(&self) -> &'static str {
        "SGD"
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    fn slots(&self) -> Vec<&'static str> {
        if self.momentum != 0.0 { vec!["momentum_buffer"] } else { Vec::new() }
    }

    fn validate(&self) -> Result<(), String> {
        non_negative("lr", self.lr)?;
        non_negative("momentum", self.momentum)?;
        non_negative("weight_decay", self.weight_decay)?;
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err("Nesterov momentum needs momentum > 0 and dampening 0".into());
        }
        Ok(())
    }

    fn elementwise(&self) -> bool {
        true
    }

    fn update(&self, lr: f64, param: &mut [f32], grad: &[f32], slots: &mut [&mut [f32]], step: u64) {
        sgd(*self, lr, param, grad, slots, step);
    }
}

impl UpdateRule for AdamConfig {
    fn name(&self) -> &'static str {
        "Adam"
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    fn slots(&self) -> Vec<&'static str> {
        adam_slots(self)
    }

    fn validate(&self) -> Result<(), String> {
        adam_validate(self)
    }

    fn elementwise(&self) -> bool {
        true
    }

    fn update(&self, lr: f64, param: &mut [f32], grad: &[f32], slots: &mut [&mut [f32]], step: u64) {
        adam(*self, lr, param, grad, slots, step, false);
    }
}

impl UpdateRule for AdamW {
    fn name(&self) -> &'static str {
        "AdamW"
    }

    fn lr(&self) -> f64 {
        self.0.lr
    }

    fn slots(&self) -> Vec<&'static str> {
        adam_slots(&self.0)
    }

    fn validate(&self) -> Result<(), String> {
        adam_validate(&self.0)
    }

    fn elementwise(&self) -> bool {
        true
    }

    fn update(&self, lr: f64, param: &mut [f32], grad: &[f32], slots: &mut [&mut [f32]], step: u64) {
        adam(self.0, lr, param, grad, slots, step, true);
    }
}

impl UpdateRule for RmsPropConfig {
    fn name(&self) -> &'static str {
        "RMSprop"
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    fn slots(&self) -> Vec<&'static str> {
        match (self.centered, self.momentum != 0.0) {
            (false, false) => vec!["square_avg"],
            (false, true) => vec!["square_avg", "momentum_buffer"],
            (true, false) => vec!["square_avg", "grad_avg"],
            (true, true) => vec!["square_avg", "grad_avg", "momentum_buffer"],
        }
    }

    fn validate(&self) -> Result<(), String> {
        non_negative("lr", self.lr)?;
        non_negative("eps", self.eps)?;
        non_negative("weight_decay", self.weight_decay)?;
        non_negative("momentum", self.momentum)?;
        if (0.0..=1.0).contains(&self.alpha) {
            Ok(())
        } else {
            Err(format!("alpha must lie in [0, 1], got {}", self.alpha))
        }
    }

    fn elementwise(&self) -> bool {
        true
    }

    fn update(&self, lr: f64, param: &mut [f32], grad: &[f32], slots: &mut [&mut [f32]], _step: u64) {
        rmsprop(*self, lr, param, grad, slots);
    }
}

fn sgd(c: SgdConfig, lr: f64, p: &mut [f32], g: &[f32], slots: &mut [&mut [f32]], step: u64) {
    let (weight_decay, momentum, undamped) = (c.weight_decay as f32, c.momentum as f32, (1.0 - c.dampening) as f32);
    let minus_lr = -lr as f32;
    for i in 0..p.len() {
        let mut d = g[i];
        if c.weight_decay != 0.0 {
            d += weight_decay * p[i];
        }
        if c.momentum != 0.0 {
            let buf = &mut slots[0][i];
            // The first step copies the gradient into the buffer, undamped.
            *buf = if step == 1 { d } else { momentum * *buf + undamped * d };
            d = if c.nesterov { d + momentum * *buf } else { *buf };
        }
        p[i] += minus_lr * d;
    }
}

fn adam(c: AdamConfig, lr: f64, p: &mut [f32], g: &[f32], slots: &mut [&mut [f32]], step: u64, decoupled: bool) {
    let (beta1, beta2) = c.betas;
    let bias_correction1 = 1.0 - beta1.powi(step as i32);
    let constants = AdamStep {
        bias_correction2_sqrt: (1.0 - beta2.powi(step as i32)).sqrt() as f32,
        step_size: (lr / bias_correction1) as f32,
        decay: if decoupled { (1.0 - lr * c.weight_decay) as f32 } else { 1.0 },
        l2: if decoupled { 0.0 } else { c.weight_decay as f32 },
        one_minus_beta1: (1.0 - beta1) as f32,
        one_minus_beta2: (1.0 - beta2) as f32,
        beta2: beta2 as f32,
        eps: c.eps as f32,
    };
    let n = p.len();
    let (m, rest) = slots.split_at_mut(1);
    let (v, vmax) = rest.split_at_mut(1);
    let (g, m, v) = (&g[..n], &mut m[0][..n], &mut v[0][..n]);
    if c.amsgrad {
        adam_amsgrad_loop(p, g, m, v, &mut vmax[0][..n], constants);
    } else {
        adam_loop(p, g, m, v, constants);
    }
}

/// The constants of one Adam step, for its loops.
#[derive(Clone, Copy)]
struct AdamStep {
    bias_correction2_sqrt: f32,
    step_size: f32,
    /// AdamW's decoupled decay factor (1 for Adam).
    decay: f32,
    /// Adam's L2 weight decay added to the gradient (0 for AdamW).
    l2: f32,
    one_minus_beta1: f32,
    one_minus_beta2: f32,
    beta2: f32,
    eps: f32,
}

impl AdamStep {
    /// One moment update and parameter step, in PyTorch's order of operations, with `second`
    /// choosing the second moment that divides (`v`, or AMSGrad's running maximum).
    #[inline(always)]
    fn update(self, w: &mut f32, grad: f32, m: &mut f32, v: &mut f32, second: impl FnOnce(f32) -> f32) {
        // The same for every element: the compiler decides each once, outside the loop.
        if self.decay != 1.0 {
            *w *= self.decay;
        }
        let grad = if self.l2 != 0.0 { grad + self.l2 * *w } else { grad };
        // exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
        *m += self.one_minus_beta1 * (grad - *m);
        *v = *v * self.beta2 + self.one_minus_beta2 * grad * grad;
        let denom = second(*v).sqrt() / self.bias_correction2_sqrt + self.eps;
        *w += -self.step_size * *m / denom;
    }
}

nabla_tensor::wide_kernel! {
    /// Adam's step over zipped slices (no bounds checks), compiled per instruction set: the
    /// square roots and divisions run in whole vectors (the baseline build ran them four at a
    /// time, 19% of W2).
    fn adam_loop(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], constants: AdamStep) {
        for ((w, &grad), (m, v)) in p.iter_mut().zip(g).zip(m.iter_mut().zip(v.iter_mut())) {
            constants.update(w, grad, m, v, |v| v);
        }
    }
}

nabla_tensor::wide_kernel! {
    /// [`adam_loop`] with AMSGrad's running maximum of the second moment in `vmax`.
    fn adam_amsgrad_loop(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], vmax: &mut [f32], constants: AdamStep) {
        let moments = p.iter_mut().zip(g).zip(m.iter_mut().zip(v.iter_mut()));
        for (((w, &grad), (m, v)), vmax) in moments.zip(vmax.iter_mut()) {
            constants.update(w, grad, m, v, |v| {
                *vmax = vmax.max(v);
                *vmax
            });
        }
    }
}

fn rmsprop(c: RmsPropConfig, lr: f64, p: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
    let (alpha, one_minus_alpha) = (c.alpha as f32, (1.0 - c.alpha) as f32);
    let (weight_decay, eps, momentum, minus_lr) = (c.weight_decay as f32, c.eps as f32, c.momentum as f32, -lr as f32);
    for i in 0..p.len() {
        let mut grad = g[i];
        if c.weight_decay != 0.0 {
            grad += weight_decay * p[i];
        }
        slots[0][i] = slots[0][i] * alpha + one_minus_alpha * grad * grad;
        let avg = if c.centered {
            slots[1][i] += one_minus_alpha * (grad - slots[1][i]);
            (slots[0][i] - slots[1][i] * slots[1][i]).sqrt() + eps
        } else {
            slots[0][i].sqrt() + eps
        };
        if c.momentum > 0.0 {
            let buf = &mut slots[slots.len() - 1][i];
            *buf = *buf * momentum + grad / avg;
            p[i] += minus_lr * *buf;
        } else {
            p[i] += minus_lr * grad / avg;
        }
    }
}
