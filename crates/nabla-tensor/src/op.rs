//! The op-extension trait: how any crate (this one included) adds a differentiable op.
//!
//! An op computes its output from its inputs' data in [`Op::forward`] and, in [`Op::backward`],
//! the gradients of its inputs from the gradient of its output. [`Tensor::apply`] runs the
//! forward pass and, when any input is tracked, records the op so `backward` can reach it.

use crate::autograd::{Node, is_grad_enabled};
use crate::error::{Error, Result};
use crate::tensor::{Data, Tensor};

/// What an op's backward rule receives.
pub struct BackwardContext<'a> {
    /// The inputs' values as the forward pass saw them.
    pub inputs: &'a [Data],
    /// The forward pass's output.
    pub output: &'a Data,
    /// The gradient of the final scalar with respect to the output (the output's shape).
    pub grad_output: &'a Data,
    /// For each input, whether its gradient is wanted; an op may skip the others (return `None`).
    pub needs_grad: &'a [bool],
}

/// A differentiable operation on tensors.
///
/// `forward` may take `&mut self` to save what `backward` needs (an arg-max, a mask); the op
/// value is then kept in the graph until the output tensor is dropped. `backward` runs with
/// recording off, so it may also be written with tensor ops on `Tensor::from_data(...)`.
///
/// # Defining an op outside the core
///
/// A fused `x ↦ x·sin(x)` with its own backward, gradient-checked:
///
/// ```
/// use nabla_tensor::{gradcheck, BackwardContext, Data, GradcheckOptions, Op, Result, Tensor};
///
/// struct XSinX;
///
/// impl Op for XSinX {
///     fn name(&self) -> &'static str {
///         "x_sin_x"
///     }
///     fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
///         Ok(inputs[0].mapv(|x| x * x.sin()).into_shared())
///     }
///     fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
///         // d/dx (x sin x) = sin x + x cos x
///         let mut grad = ctx.grad_output.to_owned();
///         grad.zip_mut_with(&ctx.inputs[0], |g, &x| *g *= x.sin() + x * x.cos());
///         Ok(vec![Some(grad.into_shared())])
///     }
/// }
///
/// let x = Tensor::from_vec(vec![0.3, -1.2, 2.0], &[3])?.requires_grad(true);
/// let report = gradcheck(|xs| Tensor::apply(XSinX, &[&xs[0]]), &[x], &GradcheckOptions::default())?;
/// assert!(report.passed(), "{report}");
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
///
/// # Two inputs, one a broadcast parameter
///
/// Swish with a learnable β per feature, `x · σ(β·x)` for `x` `[N, F]` and `β` `[F]`: `β` is
/// broadcast over the rows, so its gradient is summed back to `[F]` with
/// [`sum_to_shape`](crate::shape::sum_to_shape); bad shapes are nabla's own error, built with
/// [`Error::shape_mismatch`].
///
/// ```
/// use nabla_tensor::ndarray::Zip;
/// use nabla_tensor::shape::sum_to_shape;
/// use nabla_tensor::{gradcheck, BackwardContext, Data, Error, GradcheckOptions, Op, Result, Tensor};
///
/// struct Swish;
///
/// fn sigmoid(v: f32) -> f32 {
///     1.0 / (1.0 + (-v).exp())
/// }
///
/// impl Op for Swish {
///     fn name(&self) -> &'static str {
///         "swish"
///     }
///     fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
///         let (x, beta) = (inputs[0], inputs[1]);
///         if x.ndim() != 2 || beta.shape() != &x.shape()[1..] {
///             return Err(Error::shape_mismatch("swish", x.shape(), beta.shape(), "β is one value per feature"));
///         }
///         let beta = beta.broadcast(x.raw_dim()).expect("checked above");
///         Ok(Zip::from(x).and(&beta).map_collect(|&x, &b| x * sigmoid(b * x)).into_shared())
///     }
///     fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
///         let (x, g) = (&ctx.inputs[0], ctx.grad_output);
///         let beta = ctx.inputs[1].broadcast(x.raw_dim()).expect("checked in forward");
///         // d/dx = s + x·β·s(1-s), d/dβ = x²·s(1-s), with s = σ(β·x).
///         let dx = Zip::from(x).and(&beta).and(g).map_collect(|&x, &b, &g| {
///             let s = sigmoid(b * x);
///             g * (s + x * b * s * (1.0 - s))
///         });
///         let dbeta = Zip::from(x).and(&beta).and(g).map_collect(|&x, &b, &g| {
///             let s = sigmoid(b * x);
///             g * x * x * s * (1.0 - s)
///         });
///         let dbeta = sum_to_shape(dbeta.into_shared(), ctx.inputs[1].shape())?;
///         Ok(vec![Some(dx.into_shared()), Some(dbeta)])
///     }
/// }
///
/// let x = Tensor::from_vec(vec![0.3, -1.2, 2.0, 0.7, -0.4, 1.1], &[2, 3])?.requires_grad(true);
/// let beta = Tensor::from_vec(vec![1.0, 0.5, 2.0], &[3])?.requires_grad(true);
/// let swish = |xs: &[Tensor]| Tensor::apply(Swish, &[&xs[0], &xs[1]]);
/// let report = gradcheck(swish, &[x.clone(), beta], &GradcheckOptions::default())?;
/// assert!(report.passed(), "{report}");
/// let wrong = Tensor::ones(&[2]);
/// let error = Tensor::apply(Swish, &[&x, &wrong]).unwrap_err();
/// assert_eq!(error.to_string(), "swish: shapes [2, 3] and [2] do not match: β is one value per feature");
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
pub trait Op: Send + Sync + 'static {
    /// The name errors and debugging use.
    fn name(&self) -> &'static str;

    /// Computes the output from the inputs' values.
    ///
    /// # Errors
    /// Whatever is wrong with the inputs (shapes, values), naming the op and the shapes.
    fn forward(&mut self, inputs: &[&Data]) -> Result<Data>;

    /// Returns one gradient per input (`None` for an input that takes none), each of that
    /// input's shape. The default says the op cannot be differentiated.
    ///
    /// # Errors
    /// [`Error::NoBackward`] by default.
    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let _ = ctx;
        Err(Error::NoBackward { op: self.name() })
    }
}

impl Tensor {
    /// Applies `op` to `inputs`, recording it for autodiff when gradients are enabled and any
    /// input is tracked.
    ///
    /// # Errors
    /// Whatever the op's forward returns.
    pub fn apply(mut op: impl Op, inputs: &[&Tensor]) -> Result<Tensor> {
        crate::optimisation::warn_once();
        let saved: Vec<Data> = inputs.iter().map(|t| t.data()).collect();
        let output = {
            let refs: Vec<&Data> = saved.iter().collect();
            op.forward(&refs)?
        };
        let tracked = is_grad_enabled() && inputs.iter().any(|t| t.is_tracked());
        if !tracked {
            return Ok(Tensor::from_parts(output, None, false));
        }
        let node = Node::new(Box::new(op), inputs.iter().map(|&t| t.clone()).collect(), saved);
        Ok(Tensor::from_parts(output, Some(node), true))
    }
}
