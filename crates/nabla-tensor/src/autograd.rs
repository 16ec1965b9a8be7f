//! Reverse-mode automatic differentiation: the recorded node of each tensor, the no-grad scope,
//! and the backward walk that turns an output's gradient into gradients of its leaves.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::op::{BackwardContext, Op};
use crate::tensor::{Data, Tensor, TensorId};

/// What an op recorded about the call that produced a tensor: the op (with anything it saved),
/// its inputs, and the input values it saw (until a backward pass through the node frees them).
pub(crate) struct Node {
    pub(crate) op: Box<dyn Op>,
    pub(crate) inputs: Vec<Tensor>,
    pub(crate) saved: Mutex<Option<Vec<Data>>>,
}

impl Node {
    pub(crate) fn new(op: Box<dyn Op>, inputs: Vec<Tensor>, saved: Vec<Data>) -> Node {
        Node { op, inputs, saved: Mutex::new(Some(saved)) }
    }

    /// Takes the saved input values out, for the one backward pass allowed through the node.
    fn take_saved(&self) -> Result<Vec<Data>> {
        self.saved.lock().unwrap_or_else(|e| e.into_inner()).take().ok_or_else(|| {
            Error::invalid(
                "backward",
                format!(
                    "the graph through `{}` was already used by a backward pass, which frees the values \
                     it saved (as PyTorch does); run the forward pass again",
                    self.op.name()
                ),
            )
        })
    }

    /// The node's inputs, its saved values going to the [buffer store](crate::buffers) where they are
    /// the last owners.
    pub(crate) fn into_inputs(self) -> Vec<Tensor> {
        let saved = self.saved.into_inner().unwrap_or_else(|e| e.into_inner());
        saved.into_iter().flatten().for_each(crate::buffers::recycle);
        self.inputs
    }
}

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether ops on this thread record themselves for autodiff.
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Switches recording off on this thread until dropped (then restores what was there).
#[must_use = "recording resumes as soon as the guard is dropped"]
pub struct NoGradGuard {
    previous: bool,
}

impl NoGradGuard {
    /// Starts a no-grad scope.
    pub fn new() -> Self {
        NoGradGuard { previous: GRAD_ENABLED.with(|g| g.replace(false)) }
    }
}

impl Default for NoGradGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for NoGradGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|g| g.set(self.previous));
    }
}

/// Runs `f` with recording switched off, as `with torch.no_grad():`. Nothing computed inside
/// is part of a graph.
///
/// ```
/// use nabla_tensor::{no_grad, Tensor};
/// let w = Tensor::ones(&[2]).requires_grad(true);
/// let y = no_grad(|| w.mul_scalar(3.0))?;
/// assert!(!y.is_tracked());
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
pub fn no_grad<T>(f: impl FnOnce() -> T) -> T {
    let _guard = NoGradGuard::new();
    f()
}

/// The gradients a backward pass produced, keyed by tensor: one for each tracked leaf the
/// output depends on.
#[derive(Debug, Default, Clone)]
pub struct Gradients {
    map: HashMap<TensorId, Tensor>,
}

impl Gradients {
    /// The gradient of `tensor`, if the output depends on it.
    pub fn get(&self, tensor: &Tensor) -> Option<&Tensor> {
        self.map.get(&tensor.id())
    }

    /// Sets (or replaces) the gradient of `tensor`, as gradient clipping does.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the gradient's shape is not the tensor's.
    pub fn insert(&mut self, tensor: &Tensor, grad: Tensor) -> Result<()> {
        if grad.shape() != tensor.shape() {
            return Err(Error::ShapeMismatch {
                op: "Gradients::insert",
                lhs: tensor.shape().to_vec(),
                rhs: grad.shape().to_vec(),
                reason: "a gradient has its tensor's shape".into(),
            });
        }
        self.map.insert(tensor.id(), grad);
        Ok(())
    }

    /// Takes the gradient of `tensor` out of the store.
    pub fn remove(&mut self, tensor: &Tensor) -> Option<Tensor> {
        self.map.remove(&tensor.id())
    }

    /// How many gradients the store holds.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl Tensor {
    /// Backpropagates from this one-element tensor (a loss), as `loss.backward()`. Like
    /// PyTorch's, it frees the input values the graph saved, so a graph takes one backward
    /// pass: a second one is an error (run the forward pass again).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the tensor has more than one element (use
    /// [`Tensor::backward_with`]); [`Error::NotTracked`] when it is not part of a graph, as
    /// a loss computed inside [`no_grad`] is not; any error of an op's backward rule.
    pub fn backward(&self) -> Result<Gradients> {
        if self.numel() != 1 {
            return Err(Error::invalid(
                "backward",
                format!(
                    "needs a one-element output, got shape {:?}; pass an upstream gradient with backward_with",
                    self.shape()
                ),
            ));
        }
        self.backward_with(&self.ones_like())
    }

    /// Backpropagates `grad_output` (the gradient of some scalar with respect to this tensor),
    /// as `output.backward(grad_output)`, freeing the graph's saved values as
    /// [`Tensor::backward`] does.
    ///
    /// # Errors
    /// [`Error::NotTracked`] when this tensor is not part of a graph (computed inside
    /// [`no_grad`], or from tensors none of which requires a gradient);
    /// [`Error::ShapeMismatch`] when the shapes differ; any error of an op's backward rule.
    pub fn backward_with(&self, grad_output: &Tensor) -> Result<Gradients> {
        if grad_output.shape() != self.shape() {
            return Err(Error::ShapeMismatch {
                op: "backward",
                lhs: self.shape().to_vec(),
                rhs: grad_output.shape().to_vec(),
                reason: "the upstream gradient must have the output's shape".into(),
            });
        }
        let _no_grad = NoGradGuard::new();
        let mut pending: HashMap<TensorId, Data> = HashMap::new();
        let mut result = Gradients::default();
        if !self.is_tracked() {
            return Err(Error::NotTracked { op: "backward", shape: self.shape().to_vec() });
        }
        pending.insert(self.id(), grad_output.data());
        for tensor in topological_order(self).iter().rev() {
            let Some(grad) = pending.remove(&tensor.id()) else { continue };
            let Some(node) = &tensor.0.node else {
                result.map.insert(tensor.id(), Tensor::from_data(grad));
                continue;
            };
            let needs_grad: Vec<bool> = node.inputs.iter().map(Tensor::is_tracked).collect();
            let output = tensor.data();
            let saved = node.take_saved()?;
            let ctx = BackwardContext { inputs: &saved, output: &output, grad_output: &grad, needs_grad: &needs_grad };
            let input_grads = node.op.backward(&ctx)?;
            if input_grads.len() != node.inputs.len() {
                return Err(Error::BadGradient {
                    op: node.op.name(),
                    reason: format!("{} gradients for {} inputs", input_grads.len(), node.inputs.len()),
                });
            }
            for (index, (input, input_grad)) in node.inputs.iter().zip(input_grads).enumerate() {
                let (Some(input_grad), true) = (input_grad, input.is_tracked()) else { continue };
                if input_grad.shape() != input.shape() {
                    return Err(Error::BadGradient {
                        op: node.op.name(),
                        reason: format!(
                            "a gradient of shape {:?} for input {index} of shape {:?}",
                            input_grad.shape(),
                            input.shape()
                        ),
                    });
                }
                accumulate(&mut pending, input.id(), input_grad);
            }
            // This node's saved values and gradient have served: their buffers can serve the
            // next ops (PyTorch frees saved values the same way; the parameters they shared
            // are then updated in place, not copied first).
            drop(output);
            saved.into_iter().for_each(crate::buffers::recycle);
            crate::buffers::recycle(grad);
        }
        Ok(result)
    }
}

fn accumulate(pending: &mut HashMap<TensorId, Data>, id: TensorId, grad: Data) {
    match pending.get_mut(&id) {
        Some(existing) => {
            let sum = crate::kernels::elementwise::add_same_shape(existing, &grad);
            crate::buffers::recycle(std::mem::replace(existing, sum));
            crate::buffers::recycle(grad);
        }
        None => {
            pending.insert(id, grad);
        }
    }
}

/// Every tracked tensor `root` depends on, each after all of its inputs (an iterative
/// depth-first post-order, so deep graphs cannot overflow the call stack).
fn topological_order(root: &Tensor) -> Vec<Tensor> {
    let mut order = Vec::new();
    let mut visited = HashSet::new();
    let mut stack: Vec<(Tensor, bool)> = vec![(root.clone(), false)];
    while let Some((tensor, inputs_done)) = stack.pop() {
        if inputs_done {
            order.push(tensor);
            continue;
        }
        if !visited.insert(tensor.id()) {
            continue;
        }
        stack.push((tensor.clone(), true));
        if let Some(node) = &tensor.0.node {
            for input in node.inputs.iter().filter(|t| t.is_tracked() && !visited.contains(&t.id())) {
                stack.push((input.clone(), false));
            }
        }
    }
    order
}
