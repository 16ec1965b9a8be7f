//! Convolutions, pooling and batch norm against PyTorch: outputs, input and parameter
//! gradients, running statistics (`tests/golden/README.md`), to 1e-5 relative (the target is
//! 1e-4).

use nabla_conv::*;
use nabla_nn::{BatchNormConfig, Module};
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_testkit::TIGHT;

fn check(case: &str, module: &dyn Module) {
    nabla_testkit::check_module(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden"), case, module, TIGHT);
}

fn config(in_c: usize, out_c: usize, kernel: (usize, usize)) -> Conv2dConfig {
    Conv2dConfig { kernel_size: kernel, ..Conv2dConfig::new(in_c, out_c, kernel.0) }
}

#[test]
fn conv2d_matches_pytorch_for_every_option() {
    let rng = &mut StdRng::seed_from_u64(0);
    let cases = [
        ("conv2d_a_s1p1", Conv2dConfig { padding: (1, 1), ..config(3, 4, (3, 3)) }),
        ("conv2d_b_s2p0_odd", Conv2dConfig { stride: (2, 2), ..config(3, 4, (3, 3)) }),
        ("conv2d_c_dil2", Conv2dConfig { dilation: (2, 2), ..config(3, 4, (3, 3)) }),
        ("conv2d_d_groups2", Conv2dConfig { padding: (1, 1), groups: 2, ..config(4, 6, (3, 3)) }),
        ("conv2d_e_k3x2_p1x0", Conv2dConfig { padding: (1, 0), ..config(3, 4, (3, 2)) }),
        (
            "conv2d_f_s2p1_mixed",
            Conv2dConfig { stride: (2, 1), padding: (0, 2), dilation: (1, 2), ..config(2, 3, (2, 3)) },
        ),
    ];
    for (case, c) in cases {
        check(case, &Conv2d::new(c, rng).unwrap());
    }
}

#[test]
fn conv_transpose2d_matches_pytorch_for_every_option() {
    let rng = &mut StdRng::seed_from_u64(0);
    let cases = [
        ("conv_transpose2d_a_k4s2p1", Conv2dConfig { stride: (2, 2), padding: (1, 1), ..config(4, 3, (4, 4)) }, (0, 0)),
        (
            "conv_transpose2d_b_k3s2p1op1",
            Conv2dConfig { stride: (2, 2), padding: (1, 1), ..config(4, 3, (3, 3)) },
            (1, 1),
        ),
        ("conv_transpose2d_c_k5s1", config(3, 2, (5, 5)), (0, 0)),
        (
            "conv_transpose2d_d_groups2",
            Conv2dConfig { stride: (2, 2), padding: (1, 1), groups: 2, ..config(4, 6, (3, 3)) },
            (0, 0),
        ),
        (
            "conv_transpose2d_e_k3x2_s21_d2",
            Conv2dConfig { stride: (2, 1), padding: (1, 0), dilation: (1, 2), ..config(3, 2, (3, 2)) },
            (1, 0),
        ),
    ];
    for (case, c, output_padding) in cases {
        check(case, &ConvTranspose2d::with_output_padding(c, output_padding, rng).unwrap());
    }
}

/// Cases `make_conv.py` writes: convolutions without a bias, and a transposed convolution of
/// one large image (36 × 40 in, 72 × 82 out), the size at which Conv2d runs in blocks of rows.
#[test]
fn convolutions_without_bias_and_on_a_large_image_match_pytorch() {
    let rng = &mut StdRng::seed_from_u64(0);
    let conv = Conv2dConfig { stride: (2, 2), padding: (1, 1), bias: false, ..config(3, 4, (3, 3)) };
    check("conv2d_g_nobias", &Conv2d::new(conv, rng).unwrap());
    let transposed = Conv2dConfig { stride: (2, 2), padding: (1, 1), bias: false, ..config(4, 3, (4, 4)) };
    check("conv_transpose2d_f_nobias", &ConvTranspose2d::new(transposed, rng).unwrap());
    let large = Conv2dConfig { stride: (2, 2), padding: (1, 1), groups: 2, dilation: (1, 2), ..config(4, 6, (3, 3)) };
    // Looser: each weight gradient sums 1,440 products of order 1 in f32, whose rounding alone
    // is of order √1440·2⁻²⁴·√(Σ terms²) ≈ 1e-5; the worst element measured differs by 8.6e-6.
    let sums = nabla_testkit::Tolerance { rtol: 1e-5, atol: 2e-5 };
    let large = ConvTranspose2d::with_output_padding(large, (1, 1), rng).unwrap();
    nabla_testkit::check_module(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden"),
        "conv_transpose2d_g_large",
        &large,
        sums,
    );
}

#[test]
fn pooling_matches_pytorch() {
    check("maxpool2d_k2", &MaxPool2d(Pool2dConfig::new(2)));
    check("maxpool2d_k3s2p1", &MaxPool2d(Pool2dConfig { stride: (2, 2), padding: (1, 1), ..Pool2dConfig::new(3) }));
    check("avgpool2d_k2", &AvgPool2d(Pool2dConfig::new(2)));
    check("adaptive_avgpool2d_1x1", &AdaptiveAvgPool2d((1, 1)));
    check("adaptive_avgpool2d_2x3", &AdaptiveAvgPool2d((2, 3)));
}

#[test]
fn batch_norm_2d_matches_pytorch() {
    check("batchnorm2d_train", &batch_norm_2d(BatchNormConfig::new(4)));
    let mut eval = batch_norm_2d(BatchNormConfig::new(4));
    eval.eval();
    check("batchnorm2d_eval", &eval);
}

#[test]
fn nearest_upsampling_matches_pytorch() {
    check("upsample_nearest_x2", &Upsample { size: UpsampleSize::Scale(2.0, 2.0), mode: UpsampleMode::Nearest });
}
