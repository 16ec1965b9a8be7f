//! Every loss and divergence against PyTorch's values and gradients (`tests/golden/README.md`
//! gives the calls), to 1e-5 relative.

use std::collections::HashMap;

use nabla_losses::*;
use nabla_tensor::{Result, Tensor};
use nabla_testkit::TIGHT;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

fn check(case: &str, f: impl Fn(&Tensor, &HashMap<String, Tensor>) -> Result<Tensor>) {
    nabla_testkit::check_case(DIR, case, &["input"], TIGHT, |x, file| f(&x[0], file));
}

fn classes(t: &Tensor) -> Vec<i64> {
    t.to_vec().iter().map(|&v| v as i64).collect()
}

#[test]
fn regression_losses_match_pytorch() {
    let mean = Reduction::Mean;
    check("loss_mse", |x, f| mse(x, &f["target"], mean));
    check("loss_l1", |x, f| l1(x, &f["target"], mean));
    check("loss_smooth_l1", |x, f| smooth_l1(x, &f["target"], 1.0, mean));
    check("loss_smooth_l1_beta05", |x, f| smooth_l1(x, &f["target"], 0.5, mean));
    check("loss_huber", |x, f| huber(x, &f["target"], 1.0, mean));
    check("loss_huber_delta2", |x, f| huber(x, &f["target"], 2.0, mean));
}

#[test]
fn binary_cross_entropy_matches_pytorch_including_its_clamps() {
    check("loss_bce", |x, f| binary_cross_entropy(x, &f["target"], &BceOptions::default()));
    check("loss_bce_exact01", |x, f| binary_cross_entropy(x, &f["target"], &BceOptions::default()));
    check("loss_bce_logits", |x, f| {
        binary_cross_entropy_with_logits(x, &f["target"], &BceWithLogitsOptions::default())
    });
    check("loss_bce_logits_pos_weight", |x, f| {
        let options = BceWithLogitsOptions { pos_weight: Some(f["pos_weight"].clone()), ..Default::default() };
        binary_cross_entropy_with_logits(x, &f["target"], &options)
    });
}

#[test]
fn cross_entropy_and_nll_match_pytorch() {
    check("loss_cross_entropy", |x, f| cross_entropy(x, classes(&f["target"]), &CrossEntropyOptions::default()));
    check("loss_cross_entropy_ls01", |x, f| {
        let options = CrossEntropyOptions { label_smoothing: 0.1, ..Default::default() };
        cross_entropy(x, classes(&f["target"]), &options)
    });
    check("loss_nll", |x, f| nll_loss(x, classes(&f["target"]), &NllOptions::default()));
}

#[test]
fn kl_div_batchmean_matches_pytorch() {
    check("loss_kl_div_batchmean", |x, f| kl_div(x, &f["target"], false, KlReduction::BatchMean));
}

/// The plain divergences: values, and gradients everywhere — also where p or q is 0, since
/// nabla holds the support fixed as the reference does (see the README).
fn check_divergence(case: &str, f: fn(&Tensor, &Tensor, isize) -> Result<Tensor>) {
    nabla_testkit::check_case(DIR, case, &["p", "q"], TIGHT, |x, _| f(&x[0], &x[1], -1));
}

#[test]
fn plain_divergences_match_the_reference() {
    check_divergence("kl_plain", kl_divergence);
    check_divergence("js_plain", js_divergence);
}
