//! Element-wise activations: each a row of one table giving the value and the derivative (from
//! the input `x` and the output `y`), run as one fused op by the core's `apply_pointwise`.

use nabla_tensor::elementwise::{Pointwise, contiguous, fill_in_parallel, map1, map3};
use nabla_tensor::math::{self, logistic};
use nabla_tensor::ndarray::{ArrayD, IxDyn};
use nabla_tensor::{Data, Error, Result, Tensor};

#[derive(Clone, Copy)]
enum Kind {
    Sigmoid,
    Tanh,
    Relu,
    LeakyRelu(f32),
    Elu(f32),
    Gelu,
    GeluTanh,
    Softplus { beta: f32, threshold: f32 },
    Silu,
}

const SQRT_2_OVER_PI: f32 = 0.797_884_6;

// The exact GELU's loops, each compiled per instruction set with its body inlined: called
// through `map1`/`map3`'s closure per element, its erf and exp stayed scalar (16% of W9).
nabla_tensor::wide_kernel! {
    /// GELU(x) into `out`.
    fn gelu_into(x: &[f32], out: &mut [f32]) {
        for (o, &x) in out.iter_mut().zip(x) {
            *o = Kind::Gelu.value(x);
        }
    }
}

nabla_tensor::wide_kernel! {
    /// `g · GELU'(x)` into `out`.
    fn gelu_gradient_into(g: &[f32], x: &[f32], out: &mut [f32]) {
        for ((o, &g), &x) in out.iter_mut().zip(g).zip(x) {
            *o = g * Kind::Gelu.derivative(x, 0.0);
        }
    }
}
const GELU_TANH_CUBIC: f32 = 0.044_715;

impl Pointwise for Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Sigmoid => "sigmoid",
            Kind::Tanh => "tanh",
            Kind::Relu => "relu",
            Kind::LeakyRelu(_) => "leaky_relu",
            Kind::Elu(_) => "elu",
            Kind::Gelu => "gelu",
            Kind::GeluTanh => "gelu_tanh",
            Kind::Softplus { .. } => "softplus",
            Kind::Silu => "silu",
        }
    }

    /// The ReLUs, the sigmoid and GELU get loops with the function fixed, so the `match` on the
    /// kind is not taken per element (the ReLUs' loops then vectorise); the others call
    /// `value` per element.
    fn values(self, x: &Data) -> Data {
        match self {
            Kind::Relu => map1(x, |v| Kind::Relu.value(v)),
            Kind::LeakyRelu(slope) => map1(x, move |v| Kind::LeakyRelu(slope).value(v)),
            Kind::Sigmoid => map1(x, |v| Kind::Sigmoid.value(v)),
            Kind::Gelu => {
                let x_values = contiguous(x);
                let mut out = nabla_tensor::buffers::buffer(x_values.len());
                fill_in_parallel(&mut out, |at, part| gelu_into(&x_values[at..at + part.len()], part));
                ArrayD::from_shape_vec(IxDyn(x.shape()), out).expect("same element count").into_shared()
            }
            other => map1(x, move |v| other.value(v)),
        }
    }

    fn gradients(self, g: &Data, x: &Data, y: &Data) -> Data {
        let shape = g.shape();
        match self {
            Kind::Relu => map3(g, x, y, shape, |g, x, y| g * Kind::Relu.derivative(x, y)),
            Kind::LeakyRelu(slope) => map3(g, x, y, shape, move |g, x, y| g * Kind::LeakyRelu(slope).derivative(x, y)),
            Kind::Sigmoid => map3(g, x, y, shape, |g, x, y| g * Kind::Sigmoid.derivative(x, y)),
            Kind::Tanh => map3(g, x, y, shape, |g, x, y| g * Kind::Tanh.derivative(x, y)),
            Kind::Gelu if g.shape() == x.shape() => {
                let (g_values, x_values) = (contiguous(g), contiguous(x));
                let mut out = nabla_tensor::buffers::buffer(x_values.len());
                fill_in_parallel(&mut out, |at, part| {
                    let range = at..at + part.len();
                    gelu_gradient_into(&g_values[range.clone()], &x_values[range], part)
                });
                ArrayD::from_shape_vec(IxDyn(shape), out).expect("same element count").into_shared()
            }
            other => map3(g, x, y, shape, move |g, x, y| g * other.derivative(x, y)),
        }
    }

    #[inline(always)]
    fn value(self, x: f32) -> f32 {
        match self {
            Kind::Sigmoid => logistic(x),
            Kind::Tanh => math::tanh(x),
            // `x <= 0` is false for NaN, so NaN passes through as in PyTorch.
            Kind::Relu => {
                if x <= 0.0 {
                    0.0
                } else {
                    x
                }
            }
            Kind::LeakyRelu(slope) => {
                if x > 0.0 {
                    x
                } else {
                    slope * x
                }
            }
            Kind::Elu(alpha) => {
                if x > 0.0 {
                    x
                } else {
                    alpha * x.exp_m1()
                }
            }
            Kind::Gelu => 0.5 * x * (1.0 + math::erf(x * std::f32::consts::FRAC_1_SQRT_2)),
            Kind::GeluTanh => 0.5 * x * (1.0 + math::tanh(SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x))),
            Kind::Softplus { beta, threshold } => {
                if beta * x > threshold {
                    x
                } else {
                    (beta * x).exp().ln_1p() / beta
                }
            }
            Kind::Silu => x * logistic(x),
        }
    }

    /// d value / dx at input `x` with output `y`. Sigmoid and tanh use the output, as PyTorch
    /// does, so the gradient is exactly 0 where the output has rounded to ±1.
    #[inline(always)]
    fn derivative(self, x: f32, y: f32) -> f32 {
        match self {
            Kind::Sigmoid => y * (1.0 - y),
            Kind::Tanh => 1.0 - y * y,
            Kind::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Kind::LeakyRelu(slope) => {
                if x > 0.0 {
                    1.0
                } else {
                    slope
                }
            }
            Kind::Elu(alpha) => {
                if x > 0.0 {
                    1.0
                } else {
                    alpha * x.exp()
                }
            }
            Kind::Gelu => {
                let cdf = 0.5 * (1.0 + math::erf(x * std::f32::consts::FRAC_1_SQRT_2));
                let pdf = math::exp(-0.5 * x * x) * 0.398_942_3;
                cdf + x * pdf
            }
            Kind::GeluTanh => {
                let inner = SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x);
                let t = inner.tanh();
                let d_inner = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_CUBIC * x * x);
                0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * d_inner
            }
            Kind::Softplus { beta, threshold } => {
                if beta * x > threshold {
                    1.0
                } else {
                    logistic(beta * x)
                }
            }
            Kind::Silu => {
                let s = logistic(x);
                s * (1.0 + x * (1.0 - s))
            }
        }
    }
}

fn apply(x: &Tensor, kind: Kind) -> Tensor {
    x.apply_pointwise(kind)
}

/// The logistic sigmoid `1 / (1 + e^-x)` (`torch.sigmoid`).
pub fn sigmoid(x: &Tensor) -> Tensor {
    apply(x, Kind::Sigmoid)
}

/// The hyperbolic tangent (`torch.tanh`).
pub fn tanh(x: &Tensor) -> Tensor {
    apply(x, Kind::Tanh)
}

/// `max(x, 0)` (`F.relu`); the gradient at 0 is 0.
pub fn relu(x: &Tensor) -> Tensor {
    apply(x, Kind::Relu)
}

/// `x` for `x > 0`, `slope · x` otherwise (`F.leaky_relu(x, negative_slope=slope)`; PyTorch's
/// default slope is 0.01). The gradient at 0 is `slope`.
///
/// # Errors
/// [`Error::InvalidArgument`] for a non-finite slope.
pub fn leaky_relu(x: &Tensor, slope: f32) -> Result<Tensor> {
    if !slope.is_finite() {
        return Err(Error::InvalidArgument { op: "leaky_relu", reason: format!("slope {slope} must be finite") });
    }
    Ok(apply(x, Kind::LeakyRelu(slope)))
}

/// `x` for `x > 0`, `alpha · (e^x - 1)` otherwise (`F.elu(x, alpha)`; PyTorch's default alpha is 1).
///
/// # Errors
/// [`Error::InvalidArgument`] for a non-finite alpha.
pub fn elu(x: &Tensor, alpha: f32) -> Result<Tensor> {
    if !alpha.is_finite() {
        return Err(Error::InvalidArgument { op: "elu", reason: format!("alpha {alpha} must be finite") });
    }
    Ok(apply(x, Kind::Elu(alpha)))
}

/// The Gaussian error linear unit, exact form `x · Φ(x)` with `Φ` from erf (`F.gelu(x)`).
pub fn gelu(x: &Tensor) -> Tensor {
    apply(x, Kind::Gelu)
}

/// GELU's tanh approximation `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))`
/// (`F.gelu(x, approximate="tanh")`).
pub fn gelu_tanh(x: &Tensor) -> Tensor {
    apply(x, Kind::GeluTanh)
}

/// `log(1 + e^(βx)) / β`, and `x` itself where `βx > threshold` (`F.softplus(x, beta,
/// threshold)`; PyTorch's defaults are β = 1, threshold = 20).
///
/// # Errors
/// [`Error::InvalidArgument`] unless β > 0 and both are finite.
pub fn softplus(x: &Tensor, beta: f32, threshold: f32) -> Result<Tensor> {
    if !(beta > 0.0 && beta.is_finite() && threshold.is_finite()) {
        return Err(Error::InvalidArgument {
            op: "softplus",
            reason: format!("needs beta > 0 and finite values, got beta {beta}, threshold {threshold}"),
        });
    }
    Ok(apply(x, Kind::Softplus { beta, threshold }))
}

/// The sigmoid-weighted linear unit `x · σ(x)` (`F.silu`, also called swish).
pub fn silu(x: &Tensor) -> Tensor {
    apply(x, Kind::Silu)
}
