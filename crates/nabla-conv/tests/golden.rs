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
