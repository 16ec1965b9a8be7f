//! The convolutional autoencoder and the VAE: shapes of encode / decode / reconstruct /
//! sample, and that training lowers their losses on MNIST digits.

use nabla_data::Mnist;
use nabla_generative::{Autoencoder, Noise, Vae};
use nabla_optim::AdamConfig;
use nabla_tensor::Tensor;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};

fn digits(n: usize) -> Tensor {
    Mnist::bundled().unwrap().train.images.narrow(0, 0, n).unwrap()
}

#[test]
fn the_convolutional_autoencoder_maps_images_to_codes_and_back() {
    let rng = &mut StdRng::seed_from_u64(0);
    let adam = AdamConfig { lr: 2e-3, ..Default::default() };
    let mut model = Autoencoder::convolutional(16, Noise::Gaussian(0.1), adam, rng).unwrap();
    let images = digits(256);
    assert_eq!(model.encode(&images).unwrap().shape(), &[256, 16]);
    let reconstruction = model.reconstruct(&images).unwrap();
    assert_eq!(reconstruction.shape(), &[256, 1, 28, 28]);
    assert!(reconstruction.to_vec().iter().all(|v| (0.0..=1.0).contains(v)));
    let first = model.train_step(&images.narrow(0, 0, 64).unwrap(), rng).unwrap();
    let mut last = first;
    for _ in 0..3 {
        for start in (0..256).step_by(64) {
            last = model.train_step(&images.narrow(0, start, 64).unwrap(), rng).unwrap();
        }
    }
    assert!(last < 0.6 * first, "BCE from {first} to {last}");
    assert!(model.encode(&Tensor::zeros(&[2, 784])).is_err(), "a flat input is a shape error");
}

#[test]
fn the_vae_encodes_a_gaussian_samples_and_trains() {
    let rng = &mut StdRng::seed_from_u64(1);
    let mut vae = Vae::new(784, 128, 2, AdamConfig { lr: 1e-3, ..Default::default() }, rng).unwrap();
    let x = digits(512).flatten(1, -1).unwrap();
    let (mean, log_var) = vae.encode(&x).unwrap();
    assert_eq!((mean.shape(), log_var.shape()), (&[512, 2][..], &[512, 2][..]));
    assert_eq!(vae.reconstruct(&x).unwrap().shape(), &[512, 784]);
    let samples = vae.sample(5, rng).unwrap();
    assert_eq!(samples.shape(), &[5, 784]);
    assert!(samples.to_vec().iter().all(|v| (0.0..=1.0).contains(v)));
    let first = vae.train_step(&x.narrow(0, 0, 64).unwrap(), rng).unwrap();
    let mut last = first;
    for _ in 0..5 {
        for start in (0..512).step_by(64) {
            last = vae.train_step(&x.narrow(0, start, 64).unwrap(), rng).unwrap();
        }
    }
    println!("{first:?} -> {last:?}");
    // A digit is 784 pixels: BCE per digit starts near 784·ln 2 ≈ 543.
    assert!(first.reconstruction > 400.0 && last.reconstruction < 0.5 * first.reconstruction, "{first:?} {last:?}");
    assert!(last.kl > 0.1, "the code carries information: {last:?}");
    assert!(vae.train_step(&Tensor::zeros(&[0, 784]), rng).is_err());
}

#[test]
fn frechet_distance_matches_closed_forms() {
    use nabla_generative::frechet_distance;
    let rng = &mut StdRng::seed_from_u64(2);
    let a = Tensor::normal(&[4000, 4], 0.0, 1.0, rng).unwrap();
    assert!(frechet_distance(&a, &a).unwrap() < 1e-6);
    // Shifting every feature by 0.5 adds 4 × 0.25.
    let shifted = frechet_distance(&a, &a.add_scalar(0.5).unwrap()).unwrap();
    assert!((shifted - 1.0).abs() < 1e-6, "{shifted}");
    // N(0, I) against N(0, 4I) in 4 dimensions: 4 × (1 + 4 − 2·2) = 4.
    let b = Tensor::normal(&[4000, 4], 0.0, 2.0, rng).unwrap();
    let wide = frechet_distance(&a, &b).unwrap();
    assert!((wide - 4.0).abs() < 0.4, "{wide}");
    assert!(frechet_distance(&a, &Tensor::zeros(&[10, 3])).is_err());
}
