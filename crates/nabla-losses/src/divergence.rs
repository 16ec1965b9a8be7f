//! Divergences between plain distributions along an axis: Kullback–Leibler and
//! Jensen–Shannon, in nats, each one fused op (computed in f64).
//!
//! Exact zeros follow the conventions of information theory: `0·log 0 = 0`, so a zero of `p`
//! contributes nothing, and its gradient omits the divergent `log p` term (the support is held
//! fixed). KL(p‖q) is `+∞` where `q = 0` but `p > 0` — it is returned as `f32::INFINITY`, not an
//! error, and the gradient with respect to `q` there is `-∞`. JS is always finite, at most ln 2.

use nabla_tensor::shape::normalize_axis;
use nabla_tensor::{BackwardContext, Data, Error, Op, Result, Tensor};
use ndarray::{ArrayD, Axis, IxDyn, Zip};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Kl,
    Js,
}

struct Divergence {
    kind: Kind,
    axis: usize,
}

/// `a·ln(a/b)` with `0·ln(0/b) = 0`.
fn plogp(a: f64, b: f64) -> f64 {
    if a > 0.0 { a * (a.ln() - b.ln()) } else { 0.0 }
}

impl Kind {
    fn value(self, p: f64, q: f64) -> f64 {
        match self {
            Kind::Kl => plogp(p, q),
            Kind::Js => {
                let m = 0.5 * (p + q);
                0.5 * plogp(p, m) + 0.5 * plogp(q, m)
            }
        }
    }

    /// (∂/∂p, ∂/∂q) of one term, the support held fixed.
    fn partials(self, p: f64, q: f64) -> (f64, f64) {
        match self {
            Kind::Kl if p > 0.0 => (p.ln() - q.ln() + 1.0, -p / q),
            Kind::Kl => (0.0, 0.0),
            Kind::Js => {
                let m = 0.5 * (p + q);
                let own = |a: f64| if a > 0.0 { 0.5 * ((a / m).ln() + 1.0 - a / (2.0 * m)) } else { 0.0 };
                let cross = |b: f64| if b > 0.0 { -b / (4.0 * m) } else { 0.0 };
                (own(p) + cross(q), own(q) + cross(p))
            }
        }
    }
}

impl Op for Divergence {
    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Kl => "kl_divergence",
            Kind::Js => "js_divergence",
        }
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let (p, q) = (inputs[0], inputs[1]);
        let mut shape = p.shape().to_vec();
        shape.remove(self.axis);
        let mut out = ArrayD::<f32>::zeros(IxDyn(&shape));
        let kind = self.kind;
        Zip::from(&mut out).and(p.lanes(Axis(self.axis))).and(q.lanes(Axis(self.axis))).for_each(|o, p, q| {
            *o = p.iter().zip(q.iter()).map(|(&p, &q)| kind.value(p as f64, q as f64)).sum::<f64>() as f32;
        });
        Ok(out.into_shared())
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let (p, q, g) = (&ctx.inputs[0], &ctx.inputs[1], ctx.grad_output);
        let (mut grad_p, mut grad_q) = (ArrayD::<f32>::zeros(p.raw_dim()), ArrayD::<f32>::zeros(q.raw_dim()));
        let (axis, kind) = (Axis(self.axis), self.kind);
        Zip::from(grad_p.lanes_mut(axis))
            .and(grad_q.lanes_mut(axis))
            .and(p.lanes(axis))
            .and(q.lanes(axis))
            .and(g)
            .for_each(|mut gp, mut gq, p, q, &g| {
                for (i, (&pv, &qv)) in p.iter().zip(q.iter()).enumerate() {
                    let (dp, dq) = kind.partials(pv as f64, qv as f64);
                    gp[i] = (g as f64 * dp) as f32;
                    gq[i] = (g as f64 * dq) as f32;
                }
            });
        Ok(vec![ctx.needs_grad[0].then(|| grad_p.into_shared()), ctx.needs_grad[1].then(|| grad_q.into_shared())])
    }
}

fn divergence(kind: Kind, op: &'static str, p: &Tensor, q: &Tensor, axis: isize) -> Result<Tensor> {
    crate::reduction::same_shape(op, p, q)?;
    let axis = normalize_axis(op, axis, p.shape())?;
    for (name, t) in [("p", p), ("q", q)] {
        if let Some(bad) = t.data().iter().copied().find(|v| !(*v >= 0.0 && v.is_finite())) {
            return Err(Error::InvalidArgument {
                op,
                reason: format!(
                    "{name} must hold finite, non-negative probabilities, found {bad} (shape {:?})",
                    t.shape()
                ),
            });
        }
    }
    Tensor::apply(Divergence { kind, axis }, &[p, q])
}

/// KL(p‖q) = Σ p·ln(p/q) along `axis`, one value per remaining position, in nats. Not
/// symmetric; `+∞` where some `q = 0` under `p > 0` (see the module docs). The inputs are not
/// renormalised.
///
/// ```
/// use nabla_losses::kl_divergence;
/// use nabla_tensor::Tensor;
/// let p = Tensor::from_vec(vec![0.5, 0.5, 0.0], &[3])?;
/// let q = Tensor::from_vec(vec![0.25, 0.25, 0.5], &[3])?;
/// assert!((kl_divergence(&p, &q, 0)?.item()? - 2f32.ln()).abs() < 1e-6);
/// assert_eq!(kl_divergence(&q, &p, 0)?.item()?, f32::INFINITY);
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::AxisOutOfRange`], and [`Error::InvalidArgument`] for a
/// negative or non-finite entry.
pub fn kl_divergence(p: &Tensor, q: &Tensor, axis: isize) -> Result<Tensor> {
    divergence(Kind::Kl, "kl_divergence", p, q, axis)
}

/// JS(p, q) = ½KL(p‖m) + ½KL(q‖m) with m = (p+q)/2, along `axis`, in nats: symmetric, between
/// 0 and ln 2, and ln 2 exactly when the supports are disjoint.
///
/// # Errors
/// As [`kl_divergence`].
pub fn js_divergence(p: &Tensor, q: &Tensor, axis: isize) -> Result<Tensor> {
    divergence(Kind::Js, "js_divergence", p, q, axis)
}
