//! Gradient checks of every convolution and pooling option (input, weight and bias), and the
//! typed errors for impossible configurations.

use nabla_conv::*;
use nabla_nn::Module;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Error, Tensor};
use nabla_testkit::{assert_gradients, uniform};

/// Gradient-checks a convolution layer's input, weight and bias together.
fn check_conv(
    name: &str,
    layer_weight: &Tensor,
    layer_bias: &Tensor,
    x: Tensor,
    run: impl Fn(&Tensor, &Tensor, &Tensor) -> nabla_tensor::Result<Tensor>,
) {
    assert_gradients(name, |t| run(&t[0], &t[1], &t[2]), vec![x, layer_weight.clone(), layer_bias.clone()]);
}

#[test]
fn convolutions_pass_gradcheck_with_every_option() {
    let rng = &mut StdRng::seed_from_u64(0);
    let configs = [
        Conv2dConfig { padding: (1, 1), ..Conv2dConfig::new(2, 3, 3) },
        Conv2dConfig { stride: (2, 1), padding: (0, 1), dilation: (1, 2), ..Conv2dConfig::new(2, 3, 2) },
        Conv2dConfig { groups: 2, kernel_size: (3, 2), ..Conv2dConfig::new(4, 2, 3) },
    ];
    for (i, config) in configs.into_iter().enumerate() {
        let conv = Conv2d::new(config, rng).unwrap();
        let x = uniform(&[2, config.in_channels, 6, 5], -1.0, 1.0, i as u64);
        check_conv(&format!("Conv2d {config:?}"), &conv.weight, conv.bias.as_ref().unwrap(), x, |x, w, b| {
            let mut layer = conv.clone();
            (layer.weight, layer.bias) = (w.clone(), Some(b.clone()));
            layer.forward(x)
        });
    }
    let transposed = [
        (Conv2dConfig { stride: (2, 2), padding: (1, 1), ..Conv2dConfig::new(2, 3, 3) }, (1, 1)),
        (Conv2dConfig { stride: (2, 2), padding: (1, 0), groups: 2, ..Conv2dConfig::new(4, 2, 3) }, (0, 1)),
        (Conv2dConfig { stride: (1, 2), dilation: (2, 1), ..Conv2dConfig::new(2, 2, 2) }, (1, 0)),
    ];
    for (i, (config, output_padding)) in transposed.into_iter().enumerate() {
        let conv = ConvTranspose2d::with_output_padding(config, output_padding, rng).unwrap();
        let x = uniform(&[2, config.in_channels, 4, 3], -1.0, 1.0, 10 + i as u64);
        check_conv(&format!("ConvTranspose2d {config:?}"), &conv.weight, conv.bias.as_ref().unwrap(), x, |x, w, b| {
            let mut layer = conv.clone();
            (layer.weight, layer.bias) = (w.clone(), Some(b.clone()));
            layer.forward(x)
        });
    }
}

/// Output, input gradient and weight gradient of `layer` for the batch `x`, with the loss
/// `sum(y · r)` for a fixed `r`.
fn conv_results(layer: &dyn Module, weight: &Tensor, x: &Tensor) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let x = x.clone().requires_grad(true);
    let y = layer.forward(&x).unwrap();
    let r = uniform(&y.shape()[1..], -1.0, 1.0, 99);
    let grads = y.mul(&r).unwrap().sum(&[], false).unwrap().backward().unwrap();
    (y.to_vec(), grads.get(&x).unwrap().to_vec(), grads.get(weight).unwrap().to_vec())
}

#[test]
fn a_batch_unfolded_in_chunks_of_images_gives_each_images_own_results() {
    // 8×8 maps have 64 kernel positions, so four images share one column matrix: a batch of
    // 7 runs as chunks of 4 and 3, and each image alone as a chunk of its own.
    let rng = &mut StdRng::seed_from_u64(3);
    let config = Conv2dConfig { padding: (1, 1), groups: 2, ..Conv2dConfig::new(4, 6, 3) };
    let transposed_config = Conv2dConfig { stride: (2, 2), padding: (1, 1), groups: 2, ..Conv2dConfig::new(4, 6, 4) };
    let conv = Conv2d::new(config, rng).unwrap();
    let transposed = ConvTranspose2d::new(transposed_config, rng).unwrap();
    for (name, layer, weight) in
        [("Conv2d", &conv as &dyn Module, &conv.weight), ("ConvTranspose2d", &transposed, &transposed.weight)]
    {
        let batch = uniform(&[7, 4, 8, 8], -1.0, 1.0, 4);
        let (y, dx, dw) = conv_results(layer, weight, &batch);
        let (mut y_alone, mut dx_alone, mut dw_alone) = (Vec::new(), Vec::new(), vec![0.0f32; dw.len()]);
        for image in 0..7 {
            let (y, dx, dw) = conv_results(layer, weight, &batch.narrow(0, image, 1).unwrap());
            y_alone.extend(y);
            dx_alone.extend(dx);
            dw_alone.iter_mut().zip(dw).for_each(|(a, b)| *a += b);
        }
        for (what, chunked, alone) in [("output", y, y_alone), ("dx", dx, dx_alone), ("dw", dw, dw_alone)] {
            assert_eq!(chunked.len(), alone.len(), "{name} {what}");
            for (a, b) in chunked.iter().zip(&alone) {
                assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{name} {what}: {a} vs {b}");
            }
        }
    }
}

#[test]
fn a_large_image_computed_in_blocks_of_rows_matches_the_definition() {
    // 35 × 45 = 1575 output positions: the forward and both gradients run in blocks of 11
    // output rows (the last of 2), with groups, stride, padding and dilation.
    let config =
        Conv2dConfig { stride: (2, 1), padding: (1, 2), dilation: (1, 2), groups: 2, ..Conv2dConfig::new(4, 6, 3) };
    let conv = Conv2d::new(config, &mut StdRng::seed_from_u64(5)).unwrap();
    let (height, width) = (70, 45);
    let x = uniform(&[1, 4, height, width], -1.0, 1.0, 6);
    let (yv, dx, dw) = conv_results(&conv, &conv.weight, &x);
    assert_eq!(yv.len(), 6 * 35 * 45);
    let r = uniform(&[6, 35, 45], -1.0, 1.0, 99).to_vec();
    let (xv, wv, bv) = (x.to_vec(), conv.weight.to_vec(), conv.bias.as_ref().unwrap().to_vec());
    let (mut dx_expected, mut dw_expected) = (vec![0.0f64; xv.len()], vec![0.0f64; wv.len()]);
    for o in 0..6 {
        let group = o / 3;
        for (oh, ow) in (0..35).flat_map(|oh| (0..45).map(move |ow| (oh, ow))) {
            let mut sum = f64::from(bv[o]);
            for (c, ki, kj) in (0..2).flat_map(|c| (0..3).flat_map(move |ki| (0..3).map(move |kj| (c, ki, kj)))) {
                let (ih, iw) = ((oh * 2 + ki) as isize - 1, (ow + kj * 2) as isize - 2);
                if (0..height as isize).contains(&ih) && (0..width as isize).contains(&iw) {
                    let at = ((group * 2 + c) * height + ih as usize) * width + iw as usize;
                    let weight_at = ((o * 2 + c) * 3 + ki) * 3 + kj;
                    let (weight, dy) = (f64::from(wv[weight_at]), f64::from(r[(o * 35 + oh) * 45 + ow]));
                    sum += weight * f64::from(xv[at]);
                    dx_expected[at] += weight * dy;
                    dw_expected[weight_at] += f64::from(xv[at]) * dy;
                }
            }
            let got = yv[(o * 35 + oh) * 45 + ow];
            assert!((f64::from(got) - sum).abs() < 1e-4, "({o}, {oh}, {ow}): {got} vs {sum}");
        }
    }
    for (at, (got, want)) in dx.iter().zip(&dx_expected).enumerate() {
        assert!((f64::from(*got) - want).abs() < 1e-4, "dx at {at}: {got} vs {want}");
    }
    for (at, (got, want)) in dw.iter().zip(&dw_expected).enumerate() {
        assert!((f64::from(*got) - want).abs() < 1e-3, "dw at {at}: {got} vs {want}");
    }
}

#[test]
fn pooling_passes_gradcheck_including_stride_unlike_kernel() {
    // Distinct values spaced wider than the finite-difference step, so arg-maxes hold still.
    let order: Vec<f32> = (0..2 * 2 * 7 * 6).map(|i| ((i * 37) % 168) as f32 * 0.05).collect();
    let x = Tensor::from_vec(order, &[2, 2, 7, 6]).unwrap();
    let overlapping = Pool2dConfig { kernel_size: (3, 2), stride: (2, 1), padding: (1, 1), dilation: (1, 1) };
    assert_gradients("MaxPool2d overlapping", |t| MaxPool2d(overlapping).forward(&t[0]), vec![x.clone()]);
    assert_gradients(
        "MaxPool2d dilated",
        |t| MaxPool2d(Pool2dConfig { dilation: (2, 2), stride: (1, 1), ..Pool2dConfig::new(2) }).forward(&t[0]),
        vec![x.clone()],
    );
    assert_gradients("AvgPool2d overlapping", |t| AvgPool2d(overlapping).forward(&t[0]), vec![x.clone()]);
    assert_gradients("AdaptiveAvgPool2d", |t| AdaptiveAvgPool2d((3, 4)).forward(&t[0]), vec![x]);
}

#[test]
fn impossible_configurations_are_typed_errors() {
    let rng = &mut StdRng::seed_from_u64(0);
    let invalid = |c: Conv2dConfig| {
        matches!(Conv2d::new(c, &mut StdRng::seed_from_u64(0)), Err(Error::InvalidArgument { op: "Conv2d", .. }))
    };
    assert!(invalid(Conv2dConfig { stride: (0, 1), ..Conv2dConfig::new(2, 2, 3) }));
    assert!(invalid(Conv2dConfig { dilation: (1, 0), ..Conv2dConfig::new(2, 2, 3) }));
    assert!(invalid(Conv2dConfig { groups: 3, ..Conv2dConfig::new(4, 6, 3) }));
    assert!(matches!(
        ConvTranspose2d::with_output_padding(
            Conv2dConfig { stride: (2, 2), ..Conv2dConfig::new(2, 2, 3) },
            (2, 0),
            rng
        ),
        Err(Error::InvalidArgument { op: "ConvTranspose2d", .. })
    ));
    let conv = Conv2d::new(Conv2dConfig::new(3, 4, 5), rng).unwrap();
    let err = conv.forward(&Tensor::zeros(&[1, 3, 4, 4])).unwrap_err();
    assert!(
        err.to_string()
            .contains("the kernel (5×5, dilation (1, 1)) is larger than the padded input (4×4, padding (0, 0))"),
        "{err}"
    );
    let err = conv.forward(&Tensor::zeros(&[1, 2, 8, 8])).unwrap_err();
    assert!(err.to_string().contains("the input has 2 channels, the weight expects 3"), "{err}");
    assert!(matches!(conv.forward(&Tensor::zeros(&[3, 8, 8])), Err(Error::ShapeMismatch { op: "conv2d", .. })));
    assert!(matches!(
        MaxPool2d(Pool2dConfig::new(4)).forward(&Tensor::zeros(&[1, 1, 3, 3])),
        Err(Error::ShapeMismatch { op: "MaxPool2d", .. })
    ));
    assert!(matches!(
        MaxPool2d(Pool2dConfig { padding: (2, 2), ..Pool2dConfig::new(3) }).forward(&Tensor::zeros(&[1, 1, 8, 8])),
        Err(Error::InvalidArgument { .. })
    ));
}
