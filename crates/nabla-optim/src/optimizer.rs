//! `Optimizer`: parameter groups, per-parameter state, the step, and saving/restoring state.

use std::borrow::Cow;
use std::sync::Arc;

use nabla_tensor::elementwise::contiguous;
use nabla_tensor::{Error, Gradients, Result, Tensor};

use crate::UpdateRule;
use crate::reducer::current_reducer;
use crate::rules::{AdamConfig, AdamW, RmsPropConfig, SgdConfig};

/// Parameters that share a learning rate.
#[derive(Debug, Clone)]
pub struct ParamGroup {
    pub params: Vec<Tensor>,
    /// This group's learning rate; the rule's when `None`.
    pub lr: Option<f64>,
}

/// One parameter's optimizer state: its step count and the rule's buffers.
#[derive(Debug, Clone, Default)]
struct ParamState {
    step: u64,
    slots: Vec<Vec<f32>>,
}

/// Updates parameters from their gradients by one [`UpdateRule`], as `torch.optim` does: any
/// rule, built in or written outside this crate, gets parameter groups, per-parameter state
/// and a state dict that resumes exactly.
///
/// ```
/// use nabla_optim::{AdamConfig, Optimizer};
/// use nabla_tensor::Tensor;
/// let w = Tensor::from_vec(vec![1.0, -1.0], &[2])?.requires_grad(true);
/// let mut adam = Optimizer::adam(vec![w.clone()], AdamConfig { lr: 0.1, ..Default::default() })?;
/// for _ in 0..100 {
///     let loss = w.powf(2.0)?.sum_all()?; // minimum at 0
///     adam.step(&loss.backward()?)?;
/// }
/// assert!(w.to_vec().iter().all(|v| v.abs() < 0.05));
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Optimizer {
    rule: Arc<dyn UpdateRule>,
    groups: Vec<ParamGroup>,
    /// Per group, per parameter.
    state: Vec<Vec<ParamState>>,
}

impl Optimizer {
    /// An optimizer over parameter groups, each with its own learning rate.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad hyperparameter (a negative learning rate, betas
    /// outside [0, 1), Nesterov without momentum) or a parameter that is not a tracked leaf.
    pub fn with_groups(groups: Vec<ParamGroup>, rule: impl UpdateRule + 'static) -> Result<Self> {
        let op = rule.name();
        if let Err(reason) = rule.validate() {
            return Err(Error::InvalidArgument { op, reason });
        }
        for (g, group) in groups.iter().enumerate() {
            if let Some(lr) = group.lr.filter(|lr| !(*lr >= 0.0 && lr.is_finite())) {
                return Err(Error::InvalidArgument {
                    op,
                    reason: format!("group {g}: lr must be finite and >= 0, got {lr}"),
                });
            }
            if let Some(p) = group.params.iter().position(|p| !p.is_leaf() || !p.is_tracked()) {
                return Err(Error::InvalidArgument {
                    op,
                    reason: format!(
                        "group {g}, parameter {p}: parameters must be tracked leaf tensors (use requires_grad(true))"
                    ),
                });
            }
        }
        let state = groups.iter().map(|g| vec![ParamState::default(); g.params.len()]).collect();
        Ok(Optimizer { rule: Arc::new(rule), groups, state })
    }

    /// An optimizer over one group of parameters.
    ///
    /// # Errors
    /// As [`Optimizer::with_groups`].
    pub fn new(params: Vec<Tensor>, rule: impl UpdateRule + 'static) -> Result<Self> {
        Optimizer::with_groups(vec![ParamGroup { params, lr: None }], rule)
    }

    /// SGD (`torch.optim.SGD`).
    ///
    /// # Errors
    /// As [`Optimizer::with_groups`].
    pub fn sgd(params: Vec<Tensor>, config: SgdConfig) -> Result<Self> {
        Optimizer::new(params, config)
    }

    /// Adam (`torch.optim.Adam`).
    ///
    /// # Errors
    /// As [`Optimizer::with_groups`].
    pub fn adam(params: Vec<Tensor>, config: AdamConfig) -> Result<Self> {
        Optimizer::new(params, config)
    }

    /// AdamW (`torch.optim.AdamW`); start from [`AdamConfig::adamw`] for its defaults.
    ///
    /// # Errors
    /// As [`Optimizer::with_groups`].
    pub fn adamw(params: Vec<Tensor>, config: AdamConfig) -> Result<Self> {
        Optimizer::new(params, AdamW(config))
    }

    /// RMSprop (`torch.optim.RMSprop`).
    ///
    /// # Errors
    /// As [`Optimizer::with_groups`].
    pub fn rmsprop(params: Vec<Tensor>, config: RmsPropConfig) -> Result<Self> {
        Optimizer::new(params, config)
    }

    /// The rule this optimizer applies.
    pub fn rule(&self) -> &dyn UpdateRule {
        self.rule.as_ref()
    }

    /// The learning rate of each group.
    pub fn learning_rates(&self) -> Vec<f64> {
        self.groups.iter().map(|g| g.lr.unwrap_or(self.rule.lr())).collect()
    }

    /// Sets the learning rate of group `group`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a group that does not exist or a negative rate.
    pub fn set_learning_rate(&mut self, group: usize, lr: f64) -> Result<()> {
        let op = self.rule.name();
        let count = self.groups.len();
        let target = self
            .groups
            .get_mut(group)
            .ok_or_else(|| Error::InvalidArgument { op, reason: format!("no group {group} (of {count})") })?;
        if !(lr >= 0.0 && lr.is_finite()) {
            return Err(Error::InvalidArgument { op, reason: format!("lr must be finite and >= 0, got {lr}") });
        }
        target.lr = Some(lr);
        Ok(())
    }

    /// Every parameter, group by group.
    pub fn params(&self) -> impl Iterator<Item = &Tensor> {
        self.groups.iter().flat_map(|g| &g.params)
    }

    /// Updates every parameter that has a gradient in `grads` (others are skipped, as PyTorch
    /// skips parameters whose `.grad` is `None`).
    ///
    /// A step in which *none* of the parameters has a gradient is an error, on every step, not
    /// only the first: PyTorch would silently do nothing there, and a training loop whose loss
    /// does not reach its parameters (built from another model, detached, or computed without
    /// tracking) would run to its end without learning. A model that trains only part of its
    /// parameters at a time gives each part an optimizer of its own.
    ///
    /// Inside [`with_gradient_reducer`](crate::with_gradient_reducer), the gradients are
    /// first given to its reducer.
    ///
    /// # Errors
    /// What the reducer reports; [`Error::NoGradient`] when none of the parameters has a gradient in `grads`;
    /// [`Error::InvalidArgument`] when a gradient holds a NaN or infinity. The parameters are
    /// then left unchanged.
    pub fn step(&mut self, grads: &Gradients) -> Result<()> {
        let op = self.rule.name();
        // Inside a gradient-reducer scope, the gradients are first reduced (averaged over the
        // ranks of a data-parallel job), before they are checked, so every rank decides alike.
        let reduced;
        let grads = match current_reducer() {
            Some(reducer) => {
                let params: Vec<Tensor> = self.params().cloned().collect();
                let mut copy = grads.clone();
                reducer.reduce(&params, &mut copy)?;
                reduced = copy;
                &reduced
            }
            None => grads,
        };
        // Each gradient once as a row-major slice (borrowed unless it is a strided view),
        // checked before any parameter changes.
        let data: Vec<Vec<Option<nabla_tensor::Data>>> = self
            .groups
            .iter()
            .map(|group| group.params.iter().map(|p| grads.get(p).map(Tensor::data)).collect())
            .collect();
        let slices: Vec<Vec<Option<Cow<'_, [f32]>>>> =
            data.iter().map(|row| row.iter().map(|d| d.as_ref().map(contiguous)).collect()).collect();
        if let Some((group, i)) = slices
            .iter()
            .enumerate()
            .find_map(|(g, row)| row.iter().position(|s| s.as_ref().is_some_and(|s| !all_finite(s))).map(|i| (g, i)))
        {
            return Err(Error::InvalidArgument {
                op,
                reason: format!("a gradient of shape {:?} holds NaN or infinity", self.groups[group].params[i].shape()),
            });
        }
        if slices.iter().flatten().all(Option::is_none) {
            let parameters = self.groups.iter().map(|g| g.params.len()).sum();
            return Err(Error::NoGradient { op, parameters });
        }
        let slots = self.rule.slots();
        for ((group, states), row) in self.groups.iter().zip(&mut self.state).zip(&slices) {
            let lr = group.lr.unwrap_or(self.rule.lr());
            for ((param, state), grad) in group.params.iter().zip(states.iter_mut()).zip(row) {
                let Some(grad) = grad else { continue };
                if state.slots.len() != slots.len() {
                    state.slots = vec![vec![0.0; param.numel()]; slots.len()];
                }
                state.step += 1;
                let (rule, step) = (self.rule.as_ref(), state.step);
                param.update_data(|mut values| match values.as_slice_mut() {
                    Some(values) => update_in_pieces(rule, lr, values, grad, &mut state.slots, step),
                    None => {
                        let mut copy: Vec<f32> = values.iter().copied().collect();
                        update_in_pieces(rule, lr, &mut copy, grad, &mut state.slots, step);
                        values.iter_mut().zip(copy).for_each(|(v, c)| *v = c);
                    }
                })?;
            }
        }
        Ok(())
    }

    /// The optimizer's state as named tensors (for resuming training): per parameter `i`
    /// (counted across groups, as PyTorch), `state.{i}.step` and `state.{i}.{buffer}` with
    /// PyTorch's buffer names; per group `g`, `param_groups.{g}.lr`.
    pub fn state_dict(&self) -> Vec<(String, Tensor)> {
        let mut entries = Vec::new();
        let params = self.groups.iter().flat_map(|g| &g.params);
        for (i, (param, state)) in params.zip(self.state.iter().flatten()).enumerate() {
            if state.step == 0 {
                continue;
            }
            entries.push((format!("state.{i}.step"), Tensor::scalar(state.step as f32)));
            for (name, values) in self.rule.slots().iter().zip(&state.slots) {
                let tensor =
                    Tensor::from_vec(values.clone(), param.shape()).expect("a buffer has its parameter's shape");
                entries.push((format!("state.{i}.{name}"), tensor));
            }
        }
        for (g, lr) in self.learning_rates().into_iter().enumerate() {
            entries.push((format!("param_groups.{g}.lr"), Tensor::scalar(lr as f32)));
        }
        entries
    }

    /// Restores state saved by [`Optimizer::state_dict`] into an optimizer built over the same
    /// parameters with the same rule. Nothing changes unless every entry fits.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown, missing or malformed entry, naming it.
    pub fn load_state_dict(&mut self, entries: &[(String, Tensor)]) -> Result<()> {
        let op = self.rule.name();
        let bad = |reason: String| Error::InvalidArgument { op, reason };
        let shapes: Vec<Vec<usize>> = self.params().map(|p| p.shape().to_vec()).collect();
        let mut state: Vec<ParamState> = vec![ParamState::default(); shapes.len()];
        let mut lrs = self.learning_rates();
        let slots = self.rule.slots();
        for (key, tensor) in entries {
            let parts: Vec<&str> = key.split('.').collect();
            match parts.as_slice() {
                ["param_groups", g, "lr"] => {
                    let g: usize = g.parse().map_err(|_| bad(format!("{key}: bad group index")))?;
                    let lr = lrs.get_mut(g).ok_or_else(|| bad(format!("{key}: no group {g}")))?;
                    let saved = tensor.item()?;
                    // Saved as f32: a rate that rounds to the saved value keeps its f64 digits,
                    // so a resumed run steps exactly as the original.
                    if *lr as f32 != saved {
                        *lr = saved as f64;
                    }
                }
                ["state", i, field] => {
                    let i: usize = i.parse().map_err(|_| bad(format!("{key}: bad parameter index")))?;
                    let shape = shapes
                        .get(i)
                        .ok_or_else(|| bad(format!("{key}: there are only {} parameters", shapes.len())))?;
                    let entry = &mut state[i];
                    if *field == "step" {
                        entry.step = tensor.item()? as u64;
                    } else {
                        let slot = slots
                            .iter()
                            .position(|s| s == field)
                            .ok_or_else(|| bad(format!("{key}: {op} keeps no buffer named {field}")))?;
                        if tensor.shape() != shape.as_slice() {
                            return Err(bad(format!(
                                "{key}: shape {:?}, but the parameter is {shape:?}",
                                tensor.shape()
                            )));
                        }
                        entry.slots.resize(slots.len(), Vec::new());
                        entry.slots[slot] = tensor.to_vec();
                    }
                }
                _ => return Err(bad(format!("unexpected entry {key}"))),
            }
        }
        if let Some(i) =
            state.iter().position(|s| s.step > 0 && (s.slots.len() != slots.len() || s.slots.iter().any(Vec::is_empty)))
        {
            return Err(bad(format!("state.{i}: missing buffers (expected {slots:?})")));
        }
        let mut flat = state.into_iter();
        for (group, states) in self.groups.iter().zip(&mut self.state) {
            *states = flat.by_ref().take(group.params.len()).collect();
        }
        for (g, lr) in lrs.into_iter().enumerate() {
            self.set_learning_rate(g, lr)?;
        }
        Ok(())
    }
}

/// Whether every value is finite, as a branch-free OR over the exponent bits (all ones for ±∞
/// and NaN), which vectorises; `iter().any(…)` stops early but runs one value at a time.
fn all_finite(values: &[f32]) -> bool {
    const EXPONENT: u32 = 0x7f80_0000;
    values
        .chunks(4096)
        .all(|chunk| chunk.iter().fold(0u32, |bad, v| bad | u32::from(v.to_bits() & EXPONENT == EXPONENT)) == 0)
}

/// Values per piece when an element-wise rule updates a parameter on several threads: 64 KiB of
/// each array, enough to outweigh handing a piece to a thread.
const PIECE: usize = 16 * 1024;

/// `rule.update` on one parameter: whole, or for an element-wise rule and a parameter of more
/// than one piece, piece by piece on rayon's threads (the same values either way: each value's
/// update reads only its own stretch). Adam on W2's 200,000-weight layer was 9–15% of its step
/// on one thread.
fn update_in_pieces(
    rule: &dyn UpdateRule,
    lr: f64,
    param: &mut [f32],
    grad: &[f32],
    slots: &mut [Vec<f32>],
    step: u64,
) {
    use rayon::prelude::*;
    if !rule.elementwise() || param.len() <= PIECE {
        let mut slots: Vec<&mut [f32]> = slots.iter_mut().map(Vec::as_mut_slice).collect();
        return rule.update(lr, param, grad, &mut slots, step);
    }
    let mut pieces: Vec<Vec<&mut [f32]>> = (0..param.len().div_ceil(PIECE)).map(|_| Vec::new()).collect();
    for slot in slots.iter_mut() {
        for (piece, stretch) in pieces.iter_mut().zip(slot.chunks_mut(PIECE)) {
            piece.push(stretch);
        }
    }
    param.par_chunks_mut(PIECE).zip(grad.par_chunks(PIECE)).zip(pieces).for_each(|((param, grad), mut slots)| {
        rule.update(lr, param, grad, &mut slots, step);
    });
}

#[cfg(test)]
mod tests {
    use super::all_finite;

    #[test]
    fn all_finite_finds_nan_and_infinities_anywhere() {
        let mut values = vec![1.0f32; 10_000];
        values[3] = f32::MAX;
        values[4] = -f32::MIN_POSITIVE / 2.0;
        assert!(all_finite(&values));
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for at in [0, 4095, 4096, 9_999] {
                let mut copy = values.clone();
                copy[at] = bad;
                assert!(!all_finite(&copy), "{bad} at {at}");
            }
        }
        assert!(all_finite(&[]));
    }
}
