//! Broadcasting binary ops: add, sub, mul, div, maximum, minimum.

use crate::error::Result;
use crate::kernels::elementwise::{map2, map3};
use crate::op::{BackwardContext, Op};
use crate::shape::{broadcast_shapes, sum_to_shape};
use crate::tensor::{Data, Tensor};

#[derive(Clone, Copy)]
enum Kind {
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
    Minimum,
}

struct Binary(Kind);

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Add => "add",
            Kind::Sub => "sub",
            Kind::Mul => "mul",
            Kind::Div => "div",
            Kind::Maximum => "maximum",
            Kind::Minimum => "minimum",
        }
    }

    fn apply(self, a: f32, b: f32) -> f32 {
        match self {
            Kind::Add => a + b,
            Kind::Sub => a - b,
            Kind::Mul => a * b,
            Kind::Div => a / b,
            Kind::Maximum => {
                if a.is_nan() || b.is_nan() {
                    f32::NAN
                } else {
                    a.max(b)
                }
            }
            Kind::Minimum => {
                if a.is_nan() || b.is_nan() {
                    f32::NAN
                } else {
                    a.min(b)
                }
            }
        }
    }

    /// (∂out/∂a, ∂out/∂b) at (a, b). Ties of maximum/minimum split the gradient evenly, as
    /// PyTorch does.
    fn partials(self, a: f32, b: f32) -> (f32, f32) {
        let pick = |first: bool, tie: bool| {
            if tie {
                (0.5, 0.5)
            } else if first {
                (1.0, 0.0)
            } else {
                (0.0, 1.0)
            }
        };
        match self {
            Kind::Add => (1.0, 1.0),
            Kind::Sub => (1.0, -1.0),
            Kind::Mul => (b, a),
            Kind::Div => (1.0 / b, -a / (b * b)),
            Kind::Maximum => pick(a > b, a == b),
            Kind::Minimum => pick(a < b, a == b),
        }
    }
}

impl Op for Binary {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let (a, b) = (inputs[0], inputs[1]);
        let shape = broadcast_shapes(self.name(), a.shape(), b.shape())?;
        let kind = self.0;
        Ok(map2(a, b, &shape, move |x, y| kind.apply(x, y)))
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let (a, b, g) = (&ctx.inputs[0], &ctx.inputs[1], ctx.grad_output);
        let kind = self.0;
        let shape = g.shape();
        let grad_a = ctx.needs_grad[0].then(|| match kind {
            Kind::Add | Kind::Sub => sum_to_shape(g.clone(), a.shape()),
            _ => sum_to_shape(map3(g, a, b, shape, move |g, x, y| g * kind.partials(x, y).0), a.shape()),
        });
        let grad_a = grad_a.transpose()?;
        let grad_b = ctx.needs_grad[1].then(|| match kind {
            Kind::Add => sum_to_shape(g.clone(), b.shape()),
            _ => sum_to_shape(map3(g, a, b, shape, move |g, x, y| g * kind.partials(x, y).1), b.shape()),
        });
        let grad_b = grad_b.transpose()?;
        Ok(vec![grad_a, grad_b])
    }
}

impl Tensor {
    fn binary(&self, other: &Tensor, kind: Kind) -> Result<Tensor> {
        Tensor::apply(Binary(kind), &[self, other])
    }

    /// `self + other`, broadcasting as NumPy (`torch.add`).
    ///
    /// # Errors
    /// [`Error::Broadcast`](crate::Error::Broadcast) when the shapes do not broadcast.
    pub fn add(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(other, Kind::Add)
    }

    /// `self - other`, broadcasting (`torch.sub`).
    ///
    /// # Errors
    /// [`Error::Broadcast`](crate::Error::Broadcast) when the shapes do not broadcast.
    pub fn sub(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(other, Kind::Sub)
    }

    /// `self * other` element-wise, broadcasting (`torch.mul`).
    ///
    /// # Errors
    /// [`Error::Broadcast`](crate::Error::Broadcast) when the shapes do not broadcast.
    pub fn mul(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(other, Kind::Mul)
    }

    /// `self / other` element-wise, broadcasting (`torch.div`).
    ///
    /// # Errors
    /// [`Error::Broadcast`](crate::Error::Broadcast) when the shapes do not broadcast.
    pub fn div(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(other, Kind::Div)
    }

    /// The element-wise maximum, broadcasting (`torch.maximum`); a tie sends half the gradient
    /// to each side.
    ///
    /// # Errors
    /// [`Error::Broadcast`](crate::Error::Broadcast) when the shapes do not broadcast.
    pub fn maximum(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(other, Kind::Maximum)
    }

    /// The element-wise minimum, broadcasting (`torch.minimum`); ties split the gradient.
    ///
    /// # Errors
    /// [`Error::Broadcast`](crate::Error::Broadcast) when the shapes do not broadcast.
    pub fn minimum(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(other, Kind::Minimum)
    }
}
