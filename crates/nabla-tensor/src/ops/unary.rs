//! Element-wise unary ops: negation, scalar arithmetic, powf, exp, log, sqrt, abs, clamp.
//! Each is one row of a table: the value and its derivative (from the input and the output).

use crate::error::{Error, Result};
use crate::kernels::elementwise::Pointwise;
use crate::tensor::Tensor;

#[derive(Clone, Copy)]
enum Kind {
    Neg,
    AddScalar(f32),
    MulScalar(f32),
    Powf(f32),
    Exp,
    Log,
    Sqrt,
    Abs,
    Clamp(f32, f32),
}

impl Pointwise for Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Neg => "neg",
            Kind::AddScalar(_) => "add_scalar",
            Kind::MulScalar(_) => "mul_scalar",
            Kind::Powf(_) => "powf",
            Kind::Exp => "exp",
            Kind::Log => "log",
            Kind::Sqrt => "sqrt",
            Kind::Abs => "abs",
            Kind::Clamp(..) => "clamp",
        }
    }

    fn value(self, x: f32) -> f32 {
        match self {
            Kind::Neg => -x,
            Kind::AddScalar(s) => x + s,
            Kind::MulScalar(s) => x * s,
            Kind::Powf(p) => x.powf(p),
            Kind::Exp => x.exp(),
            Kind::Log => x.ln(),
            Kind::Sqrt => x.sqrt(),
            Kind::Abs => x.abs(),
            Kind::Clamp(lo, hi) => x.clamp(lo, hi),
        }
    }

    fn derivative(self, x: f32, y: f32) -> f32 {
        match self {
            Kind::Neg => -1.0,
            Kind::AddScalar(_) => 1.0,
            Kind::MulScalar(s) => s,
            Kind::Powf(p) => {
                if p == 0.0 {
                    0.0
                } else {
                    p * x.powf(p - 1.0)
                }
            }
            Kind::Exp => y,
            Kind::Log => 1.0 / x,
            Kind::Sqrt => 0.5 / y,
            Kind::Abs => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            Kind::Clamp(lo, hi) => {
                if x >= lo && x <= hi {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

impl Tensor {
    fn unary(&self, kind: Kind) -> Result<Tensor> {
        Ok(self.apply_pointwise(kind))
    }

    /// `-self`.
    pub fn neg(&self) -> Result<Tensor> {
        self.unary(Kind::Neg)
    }

    /// `self + value` for every element.
    pub fn add_scalar(&self, value: f32) -> Result<Tensor> {
        self.unary(Kind::AddScalar(value))
    }

    /// `self - value` for every element.
    pub fn sub_scalar(&self, value: f32) -> Result<Tensor> {
        self.unary(Kind::AddScalar(-value))
    }

    /// `self * value` for every element.
    pub fn mul_scalar(&self, value: f32) -> Result<Tensor> {
        self.unary(Kind::MulScalar(value))
    }

    /// `self / value` for every element.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `value` is 0.
    pub fn div_scalar(&self, value: f32) -> Result<Tensor> {
        if value == 0.0 {
            return Err(Error::invalid("div_scalar", format!("division by zero (shape {:?})", self.shape())));
        }
        self.unary(Kind::MulScalar(1.0 / value))
    }

    /// `self` raised to the power `exponent` (`torch.pow(x, exponent)`).
    pub fn powf(&self, exponent: f32) -> Result<Tensor> {
        self.unary(Kind::Powf(exponent))
    }

    /// `e^self`.
    pub fn exp(&self) -> Result<Tensor> {
        self.unary(Kind::Exp)
    }

    /// The natural logarithm (`-inf` at 0 and NaN below, as `torch.log`).
    pub fn log(&self) -> Result<Tensor> {
        self.unary(Kind::Log)
    }

    /// The square root.
    pub fn sqrt(&self) -> Result<Tensor> {
        self.unary(Kind::Sqrt)
    }

    /// The absolute value; its gradient at 0 is 0, as PyTorch's.
    pub fn abs(&self) -> Result<Tensor> {
        self.unary(Kind::Abs)
    }

    /// Each element limited to `[min, max]` (`torch.clamp`); the gradient passes where
    /// `min <= x <= max`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `min > max` or either is NaN.
    pub fn clamp(&self, min: f32, max: f32) -> Result<Tensor> {
        if min.is_nan() || max.is_nan() || min > max {
            return Err(Error::invalid("clamp", format!("needs min <= max, got min {min}, max {max}")));
        }
        self.unary(Kind::Clamp(min, max))
    }
}
