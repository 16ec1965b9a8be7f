//! Bad input never panics: every public op and layer is called with random shapes and
//! hyperparameters — zero-sized dimensions, mismatched channels, stride 0, kernels larger than
//! their inputs, NaN and infinite values, empty batches — and must return `Ok` with the
//! documented shape (checked against `support/shapes.rs`, PyTorch's shape rules written out
//! independently) or a typed `Err`, never unwind (checked with `catch_unwind`). Each call that
//! succeeds is also differentiated: backward must succeed too, giving each tracked input a
//! gradient of its own shape.
//!
//! Cases per property: `PROPTEST_CASES` (default 256); `docs/reliability.md` has the counts run.

#[path = "support/shapes.rs"]
mod shapes;

use std::panic::{AssertUnwindSafe, catch_unwind};

use nabla::Tensor;
use nabla::activations as act;
use nabla::conv::{
    AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv1dConfig, Conv2d, Conv2dConfig, ConvTranspose2d, InstanceNorm2d,
    MaxPool2d, Pool2dConfig, ReflectionPad2d, ReplicationPad2d, Upsample, UpsampleMode, UpsampleSize, batch_norm_2d,
};
use nabla::losses::{self, BceOptions, CrossEntropyOptions, KlReduction, NllOptions, Reduction};
use nabla::nn::{BatchNormConfig, Dropout, LayerNorm, Linear, LinearConfig, Module, Visit, batch_norm_1d};
use nabla::optim::{AdamConfig, Optimizer, SgdConfig};
use nabla::recurrent::{Gru, Lstm, RecurrentConfig, Rnn, RnnNonlinearity};
use nabla::tensor::Indices;
use nabla::tensor::Result;
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};
use proptest::prelude::*;

/// Values that break careless code.
const AWKWARD: [f32; 8] = [0.0, 1.0, -1.0, 0.5, 1e30, -1e30, f32::NAN, f32::INFINITY];

fn shape(max_rank: usize, max_dim: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..=max_dim, 0..=max_rank)
}

/// A tensor of `shape` whose values are drawn (by `seed`) from ordinary numbers or, when
/// `awkward`, also from [`AWKWARD`].
fn tensor(shape: &[usize], seed: u64, awkward: bool) -> Tensor {
    let n: usize = shape.iter().product();
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let values = (0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let r = (state >> 33) as usize;
            if awkward && r.is_multiple_of(5) { AWKWARD[r % AWKWARD.len()] } else { (r % 2001) as f32 / 1000.0 - 1.0 }
        })
        .collect();
    Tensor::from_vec(values, shape).expect("the shape fits")
}

fn tracked(shape: &[usize], seed: u64, awkward: bool) -> Tensor {
    tensor(shape, seed, awkward).requires_grad(true)
}

/// What a call did, when it did not panic.
enum Outcome {
    /// A typed error from the call.
    Rejected,
    /// The output's shape, and the error its backward pass returned, if any.
    Returned(Vec<usize>, Option<String>),
}

/// Runs `call`; a panic fails the property with `what`. When the call succeeds and its output
/// is tracked, the output is summed and differentiated: a backward error fails the property,
/// as does a gradient whose shape differs from its input's, for each of `inputs`.
fn run(
    what: &str,
    inputs: &[&Tensor],
    call: impl FnOnce() -> Result<Tensor>,
) -> std::result::Result<Outcome, TestCaseError> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let Ok(output) = call() else { return Outcome::Rejected };
        let shape = output.shape().to_vec();
        if !output.is_tracked() {
            return Outcome::Returned(shape, None);
        }
        let grads = match output.sum_all().and_then(|s| s.backward()) {
            Ok(grads) => grads,
            Err(e) => return Outcome::Returned(shape, Some(e.to_string())),
        };
        for (i, input) in inputs.iter().enumerate() {
            if let Some(grad) = grads.get(input).filter(|g| g.shape() != input.shape()) {
                return Outcome::Returned(
                    shape,
                    Some(format!("input {i} {:?} got a gradient of shape {:?}", input.shape(), grad.shape())),
                );
            }
        }
        Outcome::Returned(shape, None)
    }));
    match outcome {
        Ok(outcome) => Ok(outcome),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(TestCaseError::fail(format!("{what} panicked: {message}")))
        }
    }
}

/// [`run`], then: a call that returned `Ok` must have the shape `expected` gives (PyTorch's rule
/// for the call; `None` when PyTorch rejects it) and a backward pass that succeeded.
fn no_panic(
    what: String,
    inputs: &[&Tensor],
    call: impl FnOnce() -> Result<Tensor>,
    expected: impl FnOnce() -> Option<Vec<usize>>,
) -> std::result::Result<(), TestCaseError> {
    if let Outcome::Returned(shape, backward_error) = run(&what, inputs, call)? {
        prop_assert_eq!(Some(shape), expected(), "{}: output shape", what);
        if let Some(error) = backward_error {
            return Err(TestCaseError::fail(format!("{what}: backward failed: {error}")));
        }
    }
    Ok(())
}

/// Mostly a usable size in `1..=max`, sometimes 0.
fn size(max: usize) -> impl Strategy<Value = usize> {
    prop_oneof![8 => 1..=max, 1 => Just(0)]
}

/// A pair of [`size`]s.
fn sizes(max: usize) -> impl Strategy<Value = (usize, usize)> {
    (size(max), size(max))
}

/// Half the time, `shape` made to fit: `rank` axes (padded with 1s or cut) with `dim` set at
/// `axis`. The other half it is left as drawn.
fn fit(mut shape: Vec<usize>, fit: bool, rank: usize, axis: usize, dim: usize) -> Vec<usize> {
    if fit {
        shape.resize(rank, 1);
        shape[axis] = dim;
    }
    shape
}

proptest! {
    #![proptest_config(nabla_testkit::proptest_config(256))]

    #[test]
    fn binary_ops(a in shape(4, 3), b in shape(4, 3), seed in any::<u64>(), op in 0..6usize) {
        let (x, y) = (tracked(&a, seed, true), tracked(&b, seed ^ 1, true));
        let names = ["add", "sub", "mul", "div", "maximum", "minimum"];
        no_panic(format!("{} {a:?} {b:?}", names[op]), &[&x, &y], || match op {
            0 => x.add(&y),
            1 => x.sub(&y),
            2 => x.mul(&y),
            3 => x.div(&y),
            4 => x.maximum(&y),
            _ => x.minimum(&y),
        }, || shapes::broadcast(&a, &b))?;
    }

    #[test]
    fn matmul(a in shape(4, 4), b in shape(4, 4), seed in any::<u64>()) {
        let (x, y) = (tracked(&a, seed, true), tracked(&b, seed ^ 1, true));
        no_panic(format!("matmul {a:?} {b:?}"), &[&x, &y], || x.matmul(&y), || shapes::matmul(&a, &b))?;
    }

    #[test]
    fn reductions(a in shape(4, 3), axes in prop::collection::vec(-5isize..5, 0..3), keep in any::<bool>(),
                  op in 0..5usize, seed in any::<u64>()) {
        let x = tracked(&a, seed, true);
        no_panic(format!("reduction {op} {a:?} over {axes:?}"), &[&x], || match op {
            0 => x.sum(&axes, keep),
            1 => x.mean(&axes, keep),
            2 => x.max(&axes, keep),
            3 => x.min(&axes, keep),
            _ => x.var(&axes, keep, true),
        }, || shapes::reduce(&a, &axes, keep))?;
    }

    #[test]
    fn layout_ops(a in shape(4, 3), target in prop::collection::vec(-2isize..7, 0..4), axis in -5isize..5,
                  start in 0usize..4, len in 0usize..4, indices in prop::collection::vec(0usize..5, 0..4),
                  perm in prop::collection::vec(-5isize..5, 0..5), other in shape(4, 3), op in 0..12usize,
                  seed in any::<u64>()) {
        let x = tracked(&a, seed, true);
        let y = tracked(&other, seed ^ 1, true);
        let target_usize: Vec<usize> = target.iter().map(|&d| d.unsigned_abs()).collect();
        let what = format!("layout op {op} on {a:?} ({target:?}, axis {axis}, {start}+{len}, {indices:?}, {perm:?}, {other:?})");
        no_panic(what, &[&x, &y], || match op {
            0 => x.reshape(&target),
            1 => x.narrow(axis, start, len),
            2 => x.index_select(axis, &indices),
            3 => x.permute(&perm),
            4 => x.transpose(axis, start as isize),
            5 => Tensor::concat(&[&x, &y], axis),
            6 => Tensor::stack(&[&x, &y], axis),
            7 => x.squeeze(axis),
            8 => x.unsqueeze(axis),
            9 => x.flatten(axis, start as isize),
            10 => x.broadcast_to(&target_usize),
            _ => {
                let index = tensor(&other, seed, false);
                let whole = index.to_vec().iter().map(|v| (v.abs() * 3.0).floor() as i64).collect();
                x.gather(axis, Indices::new(whole, index.shape())?)
            }
        }, || match op {
            0 => shapes::reshape(&a, &target),
            1 => shapes::with_axis(&a, axis, len),
            2 => shapes::with_axis(&a, axis, indices.len()),
            3 => shapes::permute(&a, &perm),
            4 => shapes::transpose(&a, axis, start as isize),
            5 => shapes::concat(&a, &other, axis),
            6 => shapes::insert_axis(&a, axis, 2),
            7 => shapes::squeeze(&a, axis),
            8 => shapes::insert_axis(&a, axis, 1),
            9 => shapes::flatten(&a, axis, start as isize),
            10 => Some(target_usize.clone()),
            _ => Some(other.clone()),
        })?;
    }

    #[test]
    fn activations(a in shape(4, 3), axis in -5isize..5, parameter in prop::sample::select(vec![0.0f32, 0.2, -1.0, f32::NAN, 1e30]),
                   op in 0..11usize, seed in any::<u64>()) {
        let x = tracked(&a, seed, true);
        no_panic(format!("activation {op} on {a:?} (axis {axis}, parameter {parameter})"), &[&x], || match op {
            0 => Ok(act::sigmoid(&x)),
            1 => Ok(act::tanh(&x)),
            2 => Ok(act::relu(&x)),
            3 => act::leaky_relu(&x, parameter),
            4 => act::elu(&x, parameter),
            5 => Ok(act::gelu(&x)),
            6 => Ok(act::gelu_tanh(&x)),
            7 => act::softplus(&x, parameter, 20.0),
            8 => Ok(act::silu(&x)),
            9 => act::softmax(&x, axis),
            _ => act::log_softmax(&x, axis),
        }, || Some(a.clone()))?;
    }

    #[test]
    fn losses(a in shape(3, 4), b in shape(3, 4), same in any::<bool>(), targets in prop::collection::vec(-1i64..5, 0..6), axis in -3isize..3,
              parameter in prop::sample::select(vec![0.0f32, 0.1, 1.0, -1.0, f32::NAN]), op in 0..12usize, seed in any::<u64>()) {
        let b = if same { a.clone() } else { b };
        let (x, y) = (tracked(&a, seed, true), tensor(&b, seed ^ 1, true));
        let ce = CrossEntropyOptions { label_smoothing: parameter, ..Default::default() };
        no_panic(format!("loss {op} on {a:?}, {b:?}, targets {targets:?}, axis {axis}, parameter {parameter}"), &[&x], || match op {
            0 => losses::mse(&x, &y, Reduction::Mean),
            1 => losses::l1(&x, &y, Reduction::Sum),
            2 => losses::huber(&x, &y, parameter, Reduction::Mean),
            3 => losses::smooth_l1(&x, &y, parameter, Reduction::None),
            4 => losses::binary_cross_entropy(&x, &y, &BceOptions::default()),
            5 => losses::binary_cross_entropy_with_logits(&x, &y, &Default::default()),
            6 => losses::cross_entropy(&x, &targets, &ce),
            7 => losses::cross_entropy_with_probs(&x, &y, &ce),
            8 => losses::nll_loss(&x, &targets, &NllOptions::default()),
            9 => losses::kl_div(&x, &y, parameter > 0.0, KlReduction::BatchMean),
            10 => losses::kl_divergence(&x.abs()?, &y.abs()?, axis),
            _ => losses::js_divergence(&x.abs()?, &y.abs()?, axis),
        }, || match op {
            // Reduction::None keeps the input's shape; the divergences reduce `axis`; the rest
            // reduce to a scalar.
            3 => Some(a.clone()),
            10 | 11 => shapes::reduce(&a, &[axis], false),
            _ => Some(vec![]),
        })?;
    }

    #[test]
    fn linear_and_normalisation(input in size(3), output in size(3), a in shape(4, 4), fits in any::<bool>(), p in prop::sample::select(vec![0.0f32, 0.5, 1.0, -0.1, f32::NAN]),
                                normalized in shape(2, 3), training in any::<bool>(), op in 0..5usize, seed in any::<u64>()) {
        let rng = &mut StdRng::seed_from_u64(seed);
        let a = match op {
            0 => fit(a, fits, 2, 1, input),
            1 | 2 => fit(a, fits, op + 1, 1, input),
            _ => a,
        };
        let x = tracked(&a, seed, true);
        let what = format!("layer {op} ({input}→{output}, p {p}, normalized {normalized:?}, training {training}) on {a:?}");
        no_panic(what, &[&x], || {
            match op {
                0 => Linear::new(LinearConfig::new(input, output), rng)?.forward(&x),
                1 => {
                    let mut layer = batch_norm_1d(BatchNormConfig::new(input));
                    layer.set_training(training);
                    layer.forward(&x)
                }
                2 => {
                    let mut layer = batch_norm_2d(BatchNormConfig::new(input));
                    layer.set_training(training);
                    layer.forward(&x)
                }
                3 => LayerNorm::new(&normalized).forward(&x),
                _ => {
                    let mut layer = Dropout::new(p, seed)?;
                    layer.set_training(training);
                    layer.forward(&x)
                }
            }
        }, || match op {
            0 => shapes::with_axis(&a, -1, output),
            _ => Some(a.clone()),
        })?;
    }

    #[test]
    fn convolutions(channels in sizes(4), kernel in sizes(4), stride in sizes(2), padding in (0usize..3, 0usize..3),
                    dilation in sizes(2), groups in size(2), output_padding in (0usize..2, 0usize..2), a in shape(5, 7),
                    fits in any::<bool>(), transposed in 0..3usize, seed in any::<u64>()) {
        let rng = &mut StdRng::seed_from_u64(seed);
        let a = fit(a, fits, if transposed == 2 { 3 } else { 4 }, 1, channels.0);
        let config = Conv2dConfig {
            kernel_size: kernel, stride, padding, dilation, groups,
            ..Conv2dConfig::new(channels.0, channels.1, 1)
        };
        let x = tracked(&a, seed, true);
        no_panic(format!("convolution {transposed} {config:?} on {a:?}"), &[&x], || match transposed {
            0 => Conv2d::new(config, rng)?.forward(&x),
            1 => ConvTranspose2d::with_output_padding(config, output_padding, rng)?.forward(&x),
            _ => Conv1d::new(Conv1dConfig {
                stride: stride.0, padding: padding.0, dilation: dilation.0, groups,
                ..Conv1dConfig::new(channels.0, channels.1, kernel.0)
            }, rng)?.forward(&x),
        }, || match (transposed, a.len()) {
            (0, 4) => Some(vec![
                a[0],
                channels.1,
                shapes::window(a[2], padding.0, dilation.0, kernel.0, stride.0)?,
                shapes::window(a[3], padding.1, dilation.1, kernel.1, stride.1)?,
            ]),
            (1, 4) => Some(vec![
                a[0],
                channels.1,
                shapes::transposed_window(a[2], padding.0, dilation.0, kernel.0, stride.0, output_padding.0)?,
                shapes::transposed_window(a[3], padding.1, dilation.1, kernel.1, stride.1, output_padding.1)?,
            ]),
            (2, 3) => Some(vec![a[0], channels.1, shapes::window(a[2], padding.0, dilation.0, kernel.0, stride.0)?]),
            _ => None,
        })?;
    }

    #[test]
    fn pooling_and_resampling(kernel in sizes(3), stride in sizes(2), padding in (0usize..2, 0usize..2),
                              dilation in sizes(2), size in sizes(3), fits in any::<bool>(), scale in prop::sample::select(vec![0.0f32, 0.5, 1.0, 2.0, -1.0, f32::NAN, 1e9, f32::MAX]),
                              pads in (0usize..4, 0usize..4, prop::sample::select(vec![0usize, 2, usize::MAX]), 0usize..4), a in shape(5, 6), op in 0..8usize, seed in any::<u64>()) {
        let config = Pool2dConfig { kernel_size: kernel, stride, padding, dilation };
        let a = fit(a, fits, 4, 1, size.0);
        let x = tracked(&a, seed, true);
        no_panic(format!("pool/resample {op} ({config:?}, size {size:?}, scale {scale}, pads {pads:?}) on {a:?}"), &[&x], || match op {
            0 => MaxPool2d(config).forward(&x),
            1 => AvgPool2d(config).forward(&x),
            2 => AdaptiveAvgPool2d(size).forward(&x),
            3 => Upsample { size: UpsampleSize::Scale(scale, scale), mode: UpsampleMode::Nearest }.forward(&x),
            4 => Upsample { size: UpsampleSize::Size(size.0, size.1), mode: UpsampleMode::Bilinear }.forward(&x),
            5 => ReflectionPad2d(pads).forward(&x),
            6 => ReplicationPad2d(pads).forward(&x),
            _ => InstanceNorm2d::new(size.0).forward(&x),
        }, || {
            if a.len() != 4 {
                return None;
            }
            let (h, w) = (a[2], a[3]);
            let (height, width) = match op {
                0 => (shapes::window(h, padding.0, dilation.0, kernel.0, stride.0)?, shapes::window(w, padding.1, dilation.1, kernel.1, stride.1)?),
                1 => (shapes::window(h, padding.0, 1, kernel.0, stride.0)?, shapes::window(w, padding.1, 1, kernel.1, stride.1)?),
                2 | 4 => size,
                3 => ((h as f64 * scale as f64).floor() as usize, (w as f64 * scale as f64).floor() as usize),
                5 | 6 => (h.checked_add(pads.2)?.checked_add(pads.3)?, w.checked_add(pads.0)?.checked_add(pads.1)?),
                _ => (h, w),
            };
            Some(vec![a[0], a[1], height, width])
        })?;
    }

    #[test]
    fn recurrent(input in size(3), hidden in size(3), layers in size(2), bidirectional in any::<bool>(), batch_first in any::<bool>(),
                 dropout in prop::sample::select(vec![0.0f32, 0.5, 1.0, -1.0]), a in shape(4, 4), fits in any::<bool>(),
                 kind in 0..3usize, seed in any::<u64>()) {
        let rng = &mut StdRng::seed_from_u64(seed);
        let a = fit(a, fits, 3, 2, input);
        let config = RecurrentConfig { num_layers: layers, bidirectional, batch_first, dropout, ..RecurrentConfig::new(input, hidden) };
        let x = tracked(&a, seed, true);
        no_panic(format!("recurrent {kind} {config:?} on {a:?}"), &[&x], || match kind {
            0 => Rnn::new(config, RnnNonlinearity::Tanh, rng)?.forward(&x),
            1 => Lstm::new(config, rng)?.forward(&x),
            _ => Gru::new(config, rng)?.forward(&x),
        }, || {
            let directions = if bidirectional { 2 } else { 1 };
            (a.len() == 3).then(|| vec![a[0], a[1], directions * hidden])
        })?;
    }

    #[test]
    fn optimizers(lr in prop::sample::select(vec![0.1f64, 0.0, -1.0, f64::NAN, f64::INFINITY]), beta in prop::sample::select(vec![0.9f64, 0.0, 1.0, -0.5, f64::NAN]),
                  a in shape(3, 3), grad_shape in shape(3, 3), same in any::<bool>(), rule in 0..2usize, seed in any::<u64>()) {
        let grad_shape = if same { a.clone() } else { grad_shape };
        let param = tracked(&a, seed, false);
        let other = tracked(&grad_shape, seed, true);
        no_panic(format!("optimizer {rule} lr {lr} beta {beta} on {a:?} with a gradient through {grad_shape:?}"), &[&param], || {
            let mut optimizer = match rule {
                0 => Optimizer::sgd(vec![param.clone()], SgdConfig { lr, momentum: beta, ..Default::default() })?,
                _ => Optimizer::adam(vec![param.clone()], AdamConfig { lr, betas: (beta, 0.999), ..Default::default() })?,
            };
            let grads = param.mul(&other)?.sum_all()?.backward()?;
            optimizer.step(&grads)?;
            Ok(param.clone())
        }, || Some(a.clone()))?;
    }
}
