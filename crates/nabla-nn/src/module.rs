//! The `Module` trait (a forward function over a [`Visit`]) and `Visit`: the walk over a
//! module's named parameters, buffers and random generators, and its train/eval mode, which
//! `#[derive(Module)]` writes from a struct's fields.

use nabla_tensor::{Error, Result, Tensor};

use crate::rng::ModuleRng;

/// Whether a named tensor of a module is trained or is state the module keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorKind {
    /// Trained by an optimizer (`weight`, `bias`).
    Parameter,
    /// Kept but not trained (`running_mean`, `running_var`, `num_batches_tracked`).
    Buffer,
}

/// The parts of a module: its named tensors, its random generators and its training mode.
///
/// `#[derive(Module)]` writes this from a struct's fields (see [`derive@crate::Module`]); a
/// hand-written implementation is needed only where a layer's keys are computed (a recurrent
/// layer's `weight_ih_l{k}` for each layer and direction).
///
/// Names follow PyTorch's `state_dict()` keys: a child's tensors are prefixed with its name
/// and a dot (`0.weight` in a [`Sequential`](crate::Sequential)), so a PyTorch state dict loads
/// into the nabla model with the same structure.
pub trait Visit {
    /// Calls `visit(name, tensor, kind)` for each parameter and buffer, names prefixed by
    /// `prefix` (empty at the top).
    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, TensorKind));

    /// Calls `visit(name, rng)` for each random generator (dropout's masks), so a checkpoint
    /// can save and restore it; none by default.
    fn visit_rngs(&self, prefix: &str, visit: &mut dyn FnMut(String, &ModuleRng)) {
        let _ = (prefix, visit);
    }

    /// Switches training mode on (`true`) or off; modules with children pass it on. Dropout
    /// and batch norm read it.
    fn set_training(&mut self, training: bool) {
        let _ = training;
    }
}

/// A layer or model: PyTorch's `nn.Module`, a forward function over the parts [`Visit`]
/// walks.
pub trait Module: Visit + Send + Sync {
    /// Applies the module.
    ///
    /// # Errors
    /// Shapes the module cannot take, naming the module and the shapes.
    fn forward(&self, input: &Tensor) -> Result<Tensor>;

    /// The module's type without its path (`Linear`, `Conv2d`), as errors and listings name
    /// it; the default reads it from the type.
    fn type_name(&self) -> &'static str {
        short_type_name(std::any::type_name::<Self>())
    }

    /// Training mode, as `module.train()`.
    fn train(&mut self) {
        self.set_training(true);
    }

    /// Evaluation mode, as `module.eval()`.
    fn eval(&mut self) {
        self.set_training(false);
    }

    /// Every parameter with its name, in definition order.
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        self.visit("", &mut |name, t, kind| {
            if kind == TensorKind::Parameter {
                out.push((name, t.clone()));
            }
        });
        out
    }

    /// Every parameter (what an optimizer takes).
    fn parameters(&self) -> Vec<Tensor> {
        parameters_of(self)
    }

    /// Parameters and buffers by name: what a state dict holds.
    fn state_dict(&self) -> Vec<(String, Tensor)> {
        state_dict_of(self)
    }

    /// The state of every random generator by name (see [`ModuleRng::state`]): what a
    /// checkpoint adds to the state dict so that a resumed run draws the same dropout masks.
    fn rng_states(&self) -> Vec<(String, String)> {
        rng_states_of(self)
    }

    /// Restores [`Module::rng_states`] saved from the same model.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a name the model has no generator under or a malformed
    /// state; nothing changes then.
    fn load_rng_states(&self, states: &[(String, String)]) -> Result<()> {
        load_rng_states_of(self, states)
    }
}

/// Parameters and buffers by name, for anything with a [`Visit`] (a model with no single
/// forward, such as a GAN's pair of networks).
pub fn state_dict_of(parts: &(impl Visit + ?Sized)) -> Vec<(String, Tensor)> {
    let mut out = Vec::new();
    parts.visit("", &mut |name, t, _| out.push((name, t.clone())));
    out
}

/// Every parameter, for anything with a [`Visit`] (what an optimizer takes).
pub fn parameters_of(parts: &(impl Visit + ?Sized)) -> Vec<Tensor> {
    let mut out = Vec::new();
    parts.visit("", &mut |_, t, kind| {
        if kind == TensorKind::Parameter {
            out.push(t.clone());
        }
    });
    out
}

/// [`Module::rng_states`] for anything with a [`Visit`].
pub fn rng_states_of(parts: &(impl Visit + ?Sized)) -> Vec<(String, String)> {
    let mut out = Vec::new();
    parts.visit_rngs("", &mut |name, rng| out.push((name, rng.state())));
    out
}

/// [`Module::load_rng_states`] for anything with a [`Visit`].
///
/// # Errors
/// As [`Module::load_rng_states`].
pub fn load_rng_states_of(parts: &(impl Visit + ?Sized), states: &[(String, String)]) -> Result<()> {
    let mut names = Vec::new();
    parts.visit_rngs("", &mut |name, _| names.push(name));
    let mut parsed = Vec::with_capacity(states.len());
    for (name, state) in states {
        if !names.contains(name) {
            return Err(Error::invalid("load_rng_states", format!("the model has no random generator named {name}")));
        }
        parsed.push((name, crate::rng::rng_from_text(state)?));
    }
    parts.visit_rngs("", &mut |name, rng| {
        if let Some((_, state)) = parsed.iter().find(|(n, _)| **n == name) {
            rng.restore(state.clone());
        }
    });
    Ok(())
}

impl Visit for Tensor {
    /// A tensor field is a parameter under the field's name.
    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, TensorKind)) {
        visit(prefix.to_string(), self, TensorKind::Parameter);
    }
}

impl<T: Visit> Visit for Option<T> {
    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, TensorKind)) {
        if let Some(inner) = self {
            inner.visit(prefix, visit);
        }
    }

    fn visit_rngs(&self, prefix: &str, visit: &mut dyn FnMut(String, &ModuleRng)) {
        if let Some(inner) = self {
            inner.visit_rngs(prefix, visit);
        }
    }

    fn set_training(&mut self, training: bool) {
        if let Some(inner) = self {
            inner.set_training(training);
        }
    }
}

/// Items are children named by their index: `layers.0.weight`.
impl<T: Visit> Visit for Vec<T> {
    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, TensorKind)) {
        for (i, item) in self.iter().enumerate() {
            item.visit(&child_name(prefix, &i.to_string()), visit);
        }
    }

    fn visit_rngs(&self, prefix: &str, visit: &mut dyn FnMut(String, &ModuleRng)) {
        for (i, item) in self.iter().enumerate() {
            item.visit_rngs(&child_name(prefix, &i.to_string()), visit);
        }
    }

    fn set_training(&mut self, training: bool) {
        self.iter_mut().for_each(|item| item.set_training(training));
    }
}

impl<T: Visit + ?Sized> Visit for Box<T> {
    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, TensorKind)) {
        (**self).visit(prefix, visit);
    }

    fn visit_rngs(&self, prefix: &str, visit: &mut dyn FnMut(String, &ModuleRng)) {
        (**self).visit_rngs(prefix, visit);
    }

    fn set_training(&mut self, training: bool) {
        (**self).set_training(training);
    }
}

/// `nabla_nn::linear::Linear` as `Linear` (and `a::Wrapper<b::Inner>` as `Wrapper<b::Inner>`).
fn short_type_name(full: &'static str) -> &'static str {
    let path = full.split('<').next().unwrap_or(full);
    match path.rfind("::") {
        Some(at) => &full[at + 2..],
        None => full,
    }
}

/// `prefix.name`, or `name` at the top level.
pub fn child_name(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") }
}
