//! L-BFGS against `torch.optim.LBFGS` (`tests/golden/make_lbfgs.py`): three calls of `step`
//! on a quadratic-plus-quartic with a fixed step and a short history (3, so old pairs are
//! dropped), and on Rosenbrock's function with the strong-Wolfe line search. The returned
//! losses and the parameters after each call must match PyTorch's.

use nabla_optim::{Lbfgs, LbfgsConfig, LineSearch};
use nabla_tensor::{Result, Tensor};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

fn quartic(p: &Tensor) -> Result<Tensor> {
    let c = Tensor::from_vec(vec![1.0, 3.0, 5.0, 7.0, 9.0], &[5])?;
    let t = Tensor::from_vec(vec![0.0, 1.0, 2.0, 3.0, 4.0], &[5])?;
    let d = p.sub(&t)?;
    let p2 = p.mul(p)?;
    c.mul(&d.mul(&d)?)?.sum_all()?.add(&p2.mul(&p2)?.sum_all()?.mul_scalar(0.1)?)
}

fn rosenbrock(p: &Tensor) -> Result<Tensor> {
    let (x, y) = (p.narrow(0, 0, 1)?, p.narrow(0, 1, 1)?);
    let a = x.neg()?.add_scalar(1.0)?;
    let b = y.sub(&x.mul(&x)?)?;
    a.mul(&a)?.add(&b.mul(&b)?.mul_scalar(100.0)?)?.sum_all()
}

fn check(case: &str, objective: fn(&Tensor) -> Result<Tensor>, config: LbfgsConfig, tolerance: f32) {
    let golden = nabla_testkit::load(format!("{DIR}/{case}.safetensors"));
    let p = golden["p_init"].clone().requires_grad(true);
    let mut lbfgs = Lbfgs::new(vec![p.clone()], config).unwrap();
    let mut closure = || {
        let loss = objective(&p)?;
        Ok((loss.item()?, loss.backward()?))
    };
    for k in 1..=3 {
        let loss = lbfgs.step(&mut closure).unwrap();
        let want = golden[&format!("loss_step{k}")].item().unwrap();
        assert!((loss - want).abs() <= tolerance * want.abs().max(1.0), "{case} step {k}: loss {loss}, PyTorch {want}");
        let (got, want) = (p.to_vec(), golden[&format!("p_step{k}")].to_vec());
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() <= tolerance * w.abs().max(1.0), "{case} step {k}: {got:?}, PyTorch {want:?}");
        }
    }
}

#[test]
fn a_fixed_step_with_a_short_history_matches_pytorch() {
    let config = LbfgsConfig { lr: 0.2, max_iter: 4, history_size: 3, ..Default::default() };
    check("lbfgs_quartic_fixed", quartic, config, 1e-4);
}

#[test]
fn the_strong_wolfe_line_search_matches_pytorch() {
    let config = LbfgsConfig { max_iter: 5, line_search: LineSearch::StrongWolfe, ..Default::default() };
    check("lbfgs_rosenbrock_wolfe", rosenbrock, config, 1e-4);
}
