//! L-BFGS on problems with known minima: a convex quadratic, and Rosenbrock's valley (the
//! classic test of a quasi-Newton method), with the fixed step and with the strong-Wolfe line
//! search; and its errors.

use nabla_optim::{Lbfgs, LbfgsConfig, LineSearch};
use nabla_tensor::{Error, Tensor};

/// Rosenbrock's function (1 − x)² + 100 (y − x²)², minimum 0 at (1, 1).
fn rosenbrock(p: &Tensor) -> nabla_tensor::Result<Tensor> {
    let x = p.narrow(0, 0, 1)?;
    let y = p.narrow(0, 1, 1)?;
    let a = x.neg()?.add_scalar(1.0)?;
    let b = y.sub(&x.mul(&x)?)?;
    a.mul(&a)?.add(&b.mul(&b)?.mul_scalar(100.0)?)?.sum_all()
}

fn minimise(start: [f32; 2], config: LbfgsConfig, steps: usize) -> (Vec<f32>, f32) {
    let p = Tensor::from_vec(start.to_vec(), &[2]).unwrap().requires_grad(true);
    let mut lbfgs = Lbfgs::new(vec![p.clone()], config).unwrap();
    let mut objective = || {
        let loss = rosenbrock(&p)?;
        Ok((loss.item()?, loss.backward()?))
    };
    for _ in 0..steps {
        lbfgs.step(&mut objective).unwrap();
    }
    let loss = rosenbrock(&p).unwrap().item().unwrap();
    (p.to_vec(), loss)
}

#[test]
fn strong_wolfe_finds_rosenbrocks_minimum() {
    let config = LbfgsConfig { line_search: LineSearch::StrongWolfe, max_iter: 100, ..Default::default() };
    let (p, loss) = minimise([-1.5, 2.0], config, 1);
    assert!(loss < 1e-8 && (p[0] - 1.0).abs() < 1e-3 && (p[1] - 1.0).abs() < 1e-3, "{p:?} {loss}");
}

#[test]
fn a_fixed_step_converges_on_a_quadratic() {
    // f = Σ cᵢ (pᵢ − i)², with curvatures from 1 to 10.
    let p = Tensor::zeros(&[5]).requires_grad(true);
    let target = Tensor::from_vec(vec![0.0, 1.0, 2.0, 3.0, 4.0], &[5]).unwrap();
    let curvature = Tensor::from_vec(vec![1.0, 3.0, 5.0, 7.0, 10.0], &[5]).unwrap();
    let mut lbfgs = Lbfgs::new(vec![p.clone()], LbfgsConfig { lr: 0.1, max_iter: 50, ..Default::default() }).unwrap();
    let mut objective = || {
        let d = p.sub(&target)?;
        let loss = d.mul(&d)?.mul(&curvature)?.sum_all()?;
        Ok((loss.item()?, loss.backward()?))
    };
    let first = lbfgs.step(&mut objective).unwrap();
    for _ in 0..5 {
        lbfgs.step(&mut objective).unwrap();
    }
    let error: f32 = p.to_vec().iter().zip(target.to_vec()).map(|(a, b)| (a - b).abs()).sum();
    assert!(first > 100.0 && error < 1e-3, "first loss {first}, distance {error}: {:?}", p.to_vec());
}

#[test]
fn strong_wolfe_beats_the_fixed_step_on_rosenbrock() {
    let fixed = minimise([-1.5, 2.0], LbfgsConfig { lr: 0.01, max_iter: 100, ..Default::default() }, 1).1;
    let wolfe = minimise([-1.5, 2.0], LbfgsConfig { line_search: LineSearch::StrongWolfe, ..Default::default() }, 1).1;
    assert!(wolfe < fixed, "{wolfe} vs {fixed}");
}

#[test]
fn bad_options_and_non_finite_losses_are_errors() {
    for config in [
        LbfgsConfig { lr: 0.0, ..Default::default() },
        LbfgsConfig { lr: f64::NAN, ..Default::default() },
        LbfgsConfig { max_iter: 0, ..Default::default() },
        LbfgsConfig { history_size: 0, ..Default::default() },
    ] {
        assert!(matches!(Lbfgs::new(vec![], config), Err(Error::InvalidArgument { op: "Lbfgs", .. })));
    }
    let p = Tensor::zeros(&[1]).requires_grad(true);
    let mut lbfgs = Lbfgs::new(vec![p.clone()], LbfgsConfig::default()).unwrap();
    let mut objective = || {
        let loss = p.sum_all()?.add_scalar(f32::NAN)?;
        Ok((loss.item()?, loss.backward()?))
    };
    assert!(matches!(lbfgs.step(&mut objective), Err(Error::NonFinite { .. })));
}
