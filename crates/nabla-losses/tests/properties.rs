//! Properties of the divergences over random distributions (proptest): KL(p‖q) ≥ 0 with
//! equality iff p = q; JS symmetric and within [0, ln 2], reaching ln 2 on disjoint supports.

use nabla_losses::{js_divergence, kl_divergence};
use nabla_tensor::Tensor;
use proptest::prelude::*;

const LN_2: f32 = std::f32::consts::LN_2;

/// A probability vector of length `n` (some entries may be exactly 0).
fn distribution(n: usize) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(prop_oneof![1 => Just(0.0f32), 4 => 0.01f32..1.0], n).prop_filter_map("all zero", |v| {
        let total: f32 = v.iter().sum();
        (total > 0.0).then(|| v.iter().map(|x| x / total).collect())
    })
}

fn strictly_positive(n: usize) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(0.01f32..1.0, n).prop_map(|v| {
        let total: f32 = v.iter().sum();
        v.iter().map(|x| x / total).collect()
    })
}

fn tensor(v: &[f32]) -> Tensor {
    Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap()
}

fn kl(p: &[f32], q: &[f32]) -> f32 {
    kl_divergence(&tensor(p), &tensor(q), 0).unwrap().item().unwrap()
}

fn js(p: &[f32], q: &[f32]) -> f32 {
    js_divergence(&tensor(p), &tensor(q), 0).unwrap().item().unwrap()
}

proptest! {
    // 256 cases from a fixed seed, so CI is repeatable (see `nabla_testkit::proptest_config`).
    #![proptest_config(nabla_testkit::proptest_config(256))]

    #[test]
    fn kl_is_non_negative((p, q) in (2usize..12).prop_flat_map(|n| (distribution(n), strictly_positive(n)))) {
        prop_assert!(kl(&p, &q) >= -1e-6, "KL = {}", kl(&p, &q));
    }

    #[test]
    fn kl_is_zero_exactly_for_equal_distributions((p, q) in (2usize..12).prop_flat_map(|n| (distribution(n), strictly_positive(n)))) {
        prop_assert!(kl(&p, &p).abs() < 1e-6);
        let largest_gap = p.iter().zip(&q).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        if largest_gap > 0.05 {
            prop_assert!(kl(&p, &q) > 1e-4, "p != q (gap {largest_gap}) but KL = {}", kl(&p, &q));
        }
    }

    #[test]
    fn js_is_symmetric_and_bounded((p, q) in (2usize..12).prop_flat_map(|n| (distribution(n), distribution(n)))) {
        let (pq, qp) = (js(&p, &q), js(&q, &p));
        prop_assert!((pq - qp).abs() <= 1e-6, "JS(p,q) = {pq}, JS(q,p) = {qp}");
        prop_assert!((-1e-6..=LN_2 + 1e-6).contains(&pq), "JS = {pq}");
        prop_assert!(js(&p, &p).abs() < 1e-6);
    }

    #[test]
    fn js_is_ln_2_for_disjoint_supports(
        (a, b, split) in (1usize..6, 1usize..6).prop_flat_map(|(n, m)| (strictly_positive(n), strictly_positive(m), Just(n)))
    ) {
        let len = split + b.len();
        let mut p = vec![0.0; len];
        let mut q = vec![0.0; len];
        p[..split].copy_from_slice(&a);
        q[split..].copy_from_slice(&b);
        prop_assert!((js(&p, &q) - LN_2).abs() < 1e-6, "JS = {}", js(&p, &q));
    }
}
