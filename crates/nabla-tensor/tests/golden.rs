//! The core ops against PyTorch's numbers (`tests/golden/`, see its README and index.json for
//! the exact calls): outputs and the gradients of `output.backward(grad_output)`, matched to
//! 1e-5 relative plus 1e-6 absolute, element by element.

use std::collections::HashMap;

use nabla_tensor::{Indices, Result, Tensor, one_hot};
use nabla_testkit::TIGHT;

fn check(case: &str, inputs: &[&str], f: impl Fn(&[Tensor], &HashMap<String, Tensor>) -> Result<Tensor>) {
    nabla_testkit::check_case(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden"), case, inputs, TIGHT, f);
}

#[test]
fn matmul_2d() {
    check("core_matmul_2d", &["input0", "input1"], |x, _| x[0].matmul(&x[1]));
}

#[test]
fn matmul_batched_broadcast() {
    check("core_matmul_batched_broadcast", &["input0", "input1"], |x, _| x[0].matmul(&x[1]));
}

#[test]
fn broadcasting_arithmetic() {
    check("core_add_broadcast", &["input0", "input1"], |x, _| x[0].add(&x[1]));
    check("core_mul_broadcast", &["input0", "input1"], |x, _| x[0].mul(&x[1]));
    check("core_div_broadcast", &["input0", "input1"], |x, _| x[0].div(&x[1]));
    check("core_maximum", &["input0", "input1"], |x, _| x[0].maximum(&x[1]));
}

#[test]
fn unary() {
    check("core_exp", &["input"], |x, _| x[0].exp());
    check("core_log", &["input"], |x, _| x[0].log());
    check("core_sqrt", &["input"], |x, _| x[0].sqrt());
    check("core_pow", &["input"], |x, _| x[0].powf(2.5));
}

#[test]
fn reductions() {
    check("core_sum_axes_keepdim", &["input"], |x, _| x[0].sum(&[0, 2], true));
    check("core_mean_axis", &["input"], |x, _| x[0].mean(&[1], false));
    check("core_max_axis", &["input"], |x, _| x[0].max(&[-1], false));
    check("core_var_axis", &["input"], |x, _| x[0].var(&[0], true, false));
}

#[test]
fn layout_and_joining() {
    check("core_permute_reshape", &["input"], |x, _| x[0].permute(&[2, 0, 1])?.reshape(&[5, 12]));
    check("core_narrow", &["input"], |x, _| x[0].narrow(1, 1, 3));
    check("core_cat", &["input0", "input1"], |x, _| Tensor::concat(&[&x[0], &x[1]], 1));
    check("core_stack", &["input0", "input1"], |x, _| Tensor::stack(&[&x[0], &x[1]], 0));
}

#[test]
fn indexing() {
    check("core_gather", &["input"], |x, file| x[0].gather(1, Indices::from_tensor(&file["index"])?));
    check("core_index_select", &["input"], |x, file| x[0].index_select(0, Indices::from_tensor(&file["index"])?));
}

/// `torch.topk`, `torch.argmax`, `torch.argmin` and `F.one_hot` (`tests/golden/make_ranking.py`
/// has each call): values, gradients and indices.
#[test]
fn ranking_and_one_hot() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
    let indices = |t: &Tensor| Indices::from_tensor(t).unwrap();
    for (case, k, axis, largest) in [("rank_topk_largest", 3, 1, true), ("rank_topk_smallest", 2, 0, false)] {
        let file = nabla_testkit::load(format!("{dir}/{case}.safetensors"));
        let positions = std::cell::RefCell::new(None);
        check(case, &["input"], |x, _| {
            let (values, picked) = x[0].topk(k, axis, largest)?;
            positions.replace(Some(picked));
            Ok(values)
        });
        assert_eq!(positions.into_inner().unwrap(), indices(&file["indices"]), "{case}: indices");
    }
    let file = nabla_testkit::load(format!("{dir}/rank_argmax_argmin.safetensors"));
    assert_eq!(file["input"].argmax(1, false).unwrap(), indices(&file["argmax_dim1"]));
    assert_eq!(file["input"].argmin(0, true).unwrap(), indices(&file["argmin_dim0_keepdim"]));
    let file = nabla_testkit::load(format!("{dir}/rank_one_hot.safetensors"));
    nabla_testkit::assert_close(
        "rank_one_hot",
        "output",
        &one_hot(indices(&file["index"]), 6).unwrap(),
        &file["output"],
        TIGHT,
    );
}
