//! The `Module` trait: a forward function, a visit over named parameters and buffers, and the
//! train/eval mode.

use nabla_tensor::{Result, Tensor};

/// Whether a named tensor of a module is trained or is state the module keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorKind {
    /// Trained by an optimizer (`weight`, `bias`).
    Parameter,
    /// Kept but not trained (`running_mean`, `running_var`, `num_batches_tracked`).
    Buffer,
}

/// A layer or model: PyTorch's `nn.Module`.
///
/// Names follow PyTorch's `state_dict()` keys: a child's tensors are prefixed with its name
/// and a dot (`0.weight` in a [`Sequential`](crate::Sequential)), so a PyTorch state dict loads
/// into the nabla model with the same structure.
pub trait Module: Send + Sync {
    /// Applies the module.
    ///
    /// # Errors
    /// Shapes the module cannot take, naming the module and the shapes.
    fn forward(&self, input: &Tensor) -> Result<Tensor>;

    /// Calls `visit(name, tensor, kind)` for each parameter and buffer, names prefixed by
    /// `prefix` (empty at the top).
    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, TensorKind));

    /// The module's type without its path (`Linear`, `Conv2d`), as errors and listings name
    /// it; the default reads it from the type.
    fn type_name(&self) -> &'static str {
        short_type_name(std::any::type_name::<Self>())
    }

    /// Switches training mode on (`true`) or off; modules with children pass it on. Dropout
    /// and batch norm read it.
    fn set_training(&mut self, training: bool) {
        let _ = training;
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
        self.named_parameters().into_iter().map(|(_, t)| t).collect()
    }

    /// Parameters and buffers by name: what a state dict holds.
    fn state_dict(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        self.visit("", &mut |name, t, _| out.push((name, t.clone())));
        out
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
