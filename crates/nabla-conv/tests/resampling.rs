//! Conv1d, upsampling, reflection and replication padding, and instance norm: known values
//! (from PyTorch's documentation and definitions) and gradient checks.

use nabla_conv::*;
use nabla_nn::Module;
use nabla_tensor::Tensor;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_testkit::{assert_gradients, uniform};

fn grid(values: &[f32], h: usize, w: usize) -> Tensor {
    Tensor::from_vec(values.to_vec(), &[1, 1, h, w]).unwrap()
}

#[test]
fn bilinear_upsampling_gives_pytorchs_values() {
    // F.interpolate([[1, 2], [3, 4]], scale_factor=2, mode="bilinear", align_corners=False)
    let up = Upsample { size: UpsampleSize::Scale(2.0, 2.0), mode: UpsampleMode::Bilinear };
    let out = up.forward(&grid(&[1.0, 2.0, 3.0, 4.0], 2, 2)).unwrap().to_vec();
    let expected = [1.0, 1.25, 1.75, 2.0, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3.0, 3.25, 3.75, 4.0];
    assert!(out.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-6), "{out:?}");
    let to_size = Upsample { size: UpsampleSize::Size(3, 5), mode: UpsampleMode::Nearest };
    assert_eq!(to_size.forward(&uniform(&[2, 3, 2, 4], 0.0, 1.0, 1)).unwrap().shape(), &[2, 3, 3, 5]);
}

#[test]
fn reflection_and_replication_padding_give_pytorchs_values() {
    let x = grid(&(0..9).map(|v| v as f32).collect::<Vec<_>>(), 3, 3);
    // The example of nn.ReflectionPad2d(2)'s documentation.
    let reflected = ReflectionPad2d((2, 2, 2, 2)).forward(&x).unwrap().to_vec();
    assert_eq!(&reflected[..7], &[8.0, 7.0, 6.0, 7.0, 8.0, 7.0, 6.0]);
    assert_eq!(&reflected[14..21], &[2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0]);
    let replicated = ReplicationPad2d((2, 2, 2, 2)).forward(&x).unwrap().to_vec();
    assert_eq!(&replicated[..7], &[0.0, 0.0, 0.0, 1.0, 2.0, 2.0, 2.0]);
    assert_eq!(&replicated[21..28], &[3.0, 3.0, 3.0, 4.0, 5.0, 5.0, 5.0]);
    assert!(ReflectionPad2d((3, 0, 0, 0)).forward(&x).is_err(), "reflection needs padding below the size");
}

#[test]
fn resampling_layers_pass_gradcheck() {
    let x = uniform(&[2, 2, 4, 5], -1.0, 1.0, 2);
    let layers: [(&str, Box<dyn Module>); 5] = [
        ("nearest ×2", Box::new(Upsample { size: UpsampleSize::Scale(2.0, 2.0), mode: UpsampleMode::Nearest })),
        ("bilinear to 7×9", Box::new(Upsample { size: UpsampleSize::Size(7, 9), mode: UpsampleMode::Bilinear })),
        ("bilinear ×1.5", Box::new(Upsample { size: UpsampleSize::Scale(1.5, 1.5), mode: UpsampleMode::Bilinear })),
        ("reflection", Box::new(ReflectionPad2d((1, 2, 3, 1)))),
        ("replication", Box::new(ReplicationPad2d((2, 0, 1, 3)))),
    ];
    for (name, layer) in layers {
        assert_gradients(name, |t| layer.forward(&t[0]), vec![x.clone()]);
    }
}

#[test]
fn conv1d_and_instance_norm_pass_gradcheck() {
    let rng = &mut StdRng::seed_from_u64(3);
    let conv =
        Conv1d::new(Conv1dConfig { stride: 2, padding: 1, dilation: 2, groups: 2, ..Conv1dConfig::new(4, 6, 3) }, rng)
            .unwrap();
    let x = uniform(&[2, 4, 11], -1.0, 1.0, 4);
    assert_eq!(conv.forward(&x).unwrap().shape(), &[2, 6, 5]);
    assert_eq!(conv.weight.shape(), &[6, 2, 3]);
    let run = |t: &[Tensor]| {
        let mut layer = conv.clone();
        (layer.weight, layer.bias) = (t[1].clone(), Some(t[2].clone()));
        layer.forward(&t[0])
    };
    assert_gradients("Conv1d", run, vec![x, conv.weight.clone(), conv.bias.clone().unwrap()]);

    let norm = |t: &[Tensor]| {
        let mut layer = InstanceNorm2d::affine(3);
        (layer.weight, layer.bias) = (Some(t[1].clone()), Some(t[2].clone()));
        layer.forward(&t[0])
    };
    assert_gradients(
        "InstanceNorm2d",
        norm,
        vec![uniform(&[2, 3, 4, 3], -2.0, 2.0, 5), uniform(&[3], 0.5, 1.5, 6), uniform(&[3], -1.0, 1.0, 7)],
    );
    let normalized = InstanceNorm2d::new(3).forward(&uniform(&[2, 3, 5, 5], 0.0, 10.0, 8)).unwrap();
    let per_plane_mean = normalized.mean(&[2, 3], false).unwrap().to_vec();
    assert!(per_plane_mean.iter().all(|m| m.abs() < 1e-5));
}
