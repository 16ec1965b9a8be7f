//! Every differentiable core op against central finite differences, broadcasting cases
//! included. Inputs avoid the kinks (|x| at 0, ties of max, clamp bounds) where a derivative
//! does not exist.

use nabla_tensor::{Indices, Tensor};
use nabla_testkit::{assert_gradients, uniform};

fn random(shape: &[usize], seed: u64) -> Tensor {
    uniform(shape, -1.0, 1.0, seed)
}

fn positive(shape: &[usize], seed: u64) -> Tensor {
    uniform(shape, 0.5, 2.0, seed)
}

#[test]
fn broadcasting_binary_ops() {
    let shapes: [(&[usize], &[usize]); 4] =
        [(&[3, 4], &[3, 4]), (&[3, 1, 5], &[4, 1]), (&[2, 3, 4], &[4]), (&[3, 4], &[])];
    for (i, (sa, sb)) in shapes.iter().enumerate() {
        let (a, b) = (random(sa, i as u64), random(sb, 100 + i as u64));
        assert_gradients("add", |x| x[0].add(&x[1]), vec![a.clone(), b.clone()]);
        assert_gradients("sub", |x| x[0].sub(&x[1]), vec![a.clone(), b.clone()]);
        assert_gradients("mul", |x| x[0].mul(&x[1]), vec![a.clone(), b.clone()]);
        assert_gradients("div", |x| x[0].div(&x[1]), vec![a.clone(), positive(sb, 200 + i as u64)]);
        // Shift one side so no pair is within eps of a tie.
        let far = b.add_scalar(0.05).unwrap();
        let apart = a.sub(&far).unwrap().abs().unwrap().min(&[], false).unwrap().item().unwrap();
        if apart > 0.03 {
            assert_gradients("maximum", |x| x[0].maximum(&x[1]), vec![a.clone(), far.clone()]);
            assert_gradients("minimum", |x| x[0].minimum(&x[1]), vec![a.clone(), far.clone()]);
        }
    }
}

#[test]
fn maximum_and_minimum_off_ties() {
    let a = Tensor::from_vec(vec![0.1, 0.9, -0.4, 0.6, -0.8, 0.3], &[2, 3]).unwrap();
    let b = Tensor::from_vec(vec![0.5, 0.2, -0.1, 0.0, -0.3], &[5]).unwrap().narrow(0, 2, 3).unwrap();
    assert_gradients("maximum", |x| x[0].maximum(&x[1]), vec![a.clone(), b.clone()]);
    assert_gradients("minimum", |x| x[0].minimum(&x[1]), vec![a, b]);
}

#[test]
fn unary_ops() {
    let x = random(&[3, 5], 1);
    let p = positive(&[3, 5], 2);
    assert_gradients("neg", |t| t[0].neg(), vec![x.clone()]);
    assert_gradients("add_scalar", |t| t[0].add_scalar(1.5), vec![x.clone()]);
    assert_gradients("sub_scalar", |t| t[0].sub_scalar(1.5), vec![x.clone()]);
    assert_gradients("mul_scalar", |t| t[0].mul_scalar(-2.5), vec![x.clone()]);
    assert_gradients("div_scalar", |t| t[0].div_scalar(4.0), vec![x.clone()]);
    assert_gradients("powf", |t| t[0].powf(2.5), vec![p.clone()]);
    assert_gradients("powf negative", |t| t[0].powf(-1.5), vec![p.clone()]);
    assert_gradients("exp", |t| t[0].exp(), vec![x.clone()]);
    assert_gradients("log", |t| t[0].log(), vec![p.clone()]);
    assert_gradients("sqrt", |t| t[0].sqrt(), vec![p.clone()]);
    let off_zero = Tensor::from_vec(vec![-0.7, -0.2, 0.3, 0.9, -1.4, 0.05], &[2, 3]).unwrap();
    assert_gradients("abs", |t| t[0].abs(), vec![off_zero.clone()]);
    assert_gradients("clamp", |t| t[0].clamp(-0.5, 0.5), vec![off_zero]);
}

#[test]
fn reductions_over_axes() {
    let x = random(&[3, 4, 5], 3);
    // Distinct values spaced further apart than eps, so the arg-max does not move.
    let spaced =
        shuffled(&Tensor::arange(0.0, 60.0, 1.0).unwrap().mul_scalar(0.037).unwrap()).reshape(&[3, 4, 5]).unwrap();
    for (axes, keepdim) in
        [(&[][..], false), (&[0][..], false), (&[1][..], true), (&[0, 2][..], true), (&[-1][..], false)]
    {
        assert_gradients("sum", |t| t[0].sum(axes, keepdim), vec![x.clone()]);
        assert_gradients("mean", |t| t[0].mean(axes, keepdim), vec![x.clone()]);
        assert_gradients("var biased", |t| t[0].var(axes, keepdim, false), vec![x.clone()]);
        assert_gradients("var unbiased", |t| t[0].var(axes, keepdim, true), vec![x.clone()]);
        assert_gradients("max", |t| t[0].max(axes, keepdim), vec![spaced.clone()]);
        assert_gradients("min", |t| t[0].min(axes, keepdim), vec![spaced.clone()]);
    }
}

/// A fixed, non-monotone reordering of a 1-D tensor (so max and min do not simply pick the
/// last element).
fn shuffled(t: &Tensor) -> Tensor {
    let n = t.numel();
    let order: Vec<usize> = (0..n).map(|i| (i * 37 + 11) % n).collect();
    t.index_select(0, &order).unwrap()
}

#[test]
fn matmul_shapes() {
    let cases: [(&[usize], &[usize]); 6] = [
        (&[5, 7], &[7, 3]),
        (&[2, 1, 4, 6], &[3, 6, 5]),
        (&[4, 3, 2], &[2, 5]),
        (&[3], &[3, 4]),
        (&[4, 3], &[3]),
        (&[3], &[3]),
    ];
    for (i, (sa, sb)) in cases.iter().enumerate() {
        assert_gradients("matmul", |t| t[0].matmul(&t[1]), vec![random(sa, 10 + i as u64), random(sb, 20 + i as u64)]);
    }
    // A transposed (strided) operand.
    assert_gradients("matmul transposed", |t| t[0].t()?.matmul(&t[1]), vec![random(&[6, 4], 30), random(&[6, 2], 31)]);
}

#[test]
fn layout_ops() {
    let x = random(&[2, 3, 4], 4);
    assert_gradients("permute", |t| t[0].permute(&[2, 0, 1])?.mul(&random(&[4, 2, 3], 5)), vec![x.clone()]);
    assert_gradients("transpose", |t| t[0].transpose(0, 2), vec![x.clone()]);
    assert_gradients("reshape", |t| t[0].reshape(&[4, -1]), vec![x.clone()]);
    assert_gradients("reshape of a view", |t| t[0].transpose(1, 2)?.reshape(&[8, 3]), vec![x.clone()]);
    assert_gradients("flatten", |t| t[0].flatten(1, 2), vec![x.clone()]);
    assert_gradients("unsqueeze+squeeze", |t| t[0].unsqueeze(1)?.mul_scalar(2.0)?.squeeze(1), vec![x.clone()]);
    assert_gradients("broadcast_to", |t| t[0].broadcast_to(&[5, 3, 4]), vec![random(&[3, 1], 6)]);
}

#[test]
fn joining_and_indexing() {
    let (a, b) = (random(&[3, 2], 7), random(&[3, 4], 8));
    assert_gradients("concat", |t| Tensor::concat(&[&t[0], &t[1], &t[0]], 1), vec![a.clone(), b.clone()]);
    assert_gradients("stack", |t| Tensor::stack(&[&t[0], &t[1]], 1), vec![a.clone(), random(&[3, 2], 9)]);
    assert_gradients("narrow", |t| t[0].narrow(1, 1, 2), vec![b.clone()]);
    assert_gradients("index_select repeated", |t| t[0].index_select(0, [2, 0, 2, 1]), vec![b.clone()]);
    let index = Indices::new(vec![0, 3, 3, 1, 2, 2], &[3, 2]).unwrap();
    assert_gradients("gather", |t| t[0].gather(1, &index), vec![b.clone()]);
    let index0 = Indices::new(vec![2, 0, 1, 1], &[1, 4]).unwrap();
    assert_gradients("gather axis 0", |t| t[0].gather(0, &index0), vec![b]);
}

#[test]
fn where_and_pad() {
    let mask = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], &[4, 1]).unwrap();
    assert_gradients("where_cond", |t| mask.where_cond(&t[0], &t[1]), vec![random(&[4, 3], 10), random(&[3], 11)]);
    assert_gradients("pad", |t| t[0].pad(&[(1, 0), (2, 3)], 0.5), vec![random(&[2, 3], 12)]);
}
