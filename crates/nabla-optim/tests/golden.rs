//! Each optimizer replays PyTorch's five reference steps (`tests/golden/README.md`) and lands
//! on the same parameters and final state to 1e-6 relative.

use nabla_optim::*;
use nabla_tensor::{Gradients, Tensor};
use nabla_testkit::{Tolerance, assert_close};

const TOL: Tolerance = Tolerance { rtol: 1e-6, atol: 1e-7 };

/// Replays `case` with `rule`, whose buffers PyTorch names `buffers`.
fn replay(case: &str, rule: impl UpdateRule + 'static, buffers: &[&str]) {
    let file = nabla_testkit::load(format!("{}/tests/golden/{case}.safetensors", env!("CARGO_MANIFEST_DIR")));
    let w = file["w_init"].clone().requires_grad(true);
    let b = file["b_init"].clone().requires_grad(true);
    let mut optimizer = Optimizer::new(vec![w.clone(), b.clone()], rule).unwrap();
    for k in 1..=5 {
        let mut grads = Gradients::default();
        grads.insert(&w, file[&format!("grad_w_step{k}")].clone()).unwrap();
        grads.insert(&b, file[&format!("grad_b_step{k}")].clone()).unwrap();
        optimizer.step(&grads).unwrap();
        assert_close(case, &format!("w_step{k}"), &w, &file[&format!("w_step{k}")], TOL);
        assert_close(case, &format!("b_step{k}"), &b, &file[&format!("b_step{k}")], TOL);
    }
    let state: std::collections::HashMap<String, Tensor> = optimizer.state_dict().into_iter().collect();
    for (index, name) in ["w", "b"].iter().enumerate() {
        for buffer in buffers {
            let want = &file[&format!("{name}_{buffer}_after")];
            assert_close(case, &format!("{name} {buffer}"), &state[&format!("state.{index}.{buffer}")], want, TOL);
        }
        assert_eq!(state[&format!("state.{index}.step")].item().unwrap(), 5.0);
    }
}

#[test]
fn sgd_variants_match_pytorch() {
    replay("optim_sgd", SgdConfig { lr: 0.1, ..Default::default() }, &[]);
    replay("optim_sgd_momentum", SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() }, &["momentum_buffer"]);
    replay(
        "optim_sgd_nesterov",
        SgdConfig { lr: 0.1, momentum: 0.9, weight_decay: 0.01, nesterov: true, ..Default::default() },
        &["momentum_buffer"],
    );
}

#[test]
fn adam_and_adamw_match_pytorch() {
    replay("optim_adam", AdamConfig { lr: 1e-2, ..Default::default() }, &["exp_avg", "exp_avg_sq"]);
    replay(
        "optim_adamw",
        AdamW(AdamConfig { lr: 1e-2, weight_decay: 0.1, ..AdamConfig::adamw() }),
        &["exp_avg", "exp_avg_sq"],
    );
}

#[test]
fn rmsprop_matches_pytorch() {
    replay("optim_rmsprop", RmsPropConfig { lr: 1e-2, ..Default::default() }, &["square_avg"]);
}
