//! Same seed, same result, whatever the thread count: a DCGAN trained in a one-thread and a
//! two-thread pool ends with the same losses and weights up to float rounding.

use nabla_data::TensorDataset;
use nabla_generative::{DcganConfig, Gan};
use nabla_tensor::Tensor;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_train::{Trainable, Trainer, TrainerConfig};

fn train_in_pool(threads: usize) -> (Vec<Vec<f32>>, Vec<(String, Tensor)>) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let data = Tensor::uniform(&[64, 1, 28, 28], -1.0, 1.0, &mut StdRng::seed_from_u64(1)).unwrap();
        let gan = Gan::dcgan(&DcganConfig::default(), &mut StdRng::seed_from_u64(0)).unwrap();
        let mut trainer =
            Trainer::new(gan, TensorDataset::unlabelled(data).unwrap(), TrainerConfig::new(1, 16)).unwrap();
        trainer.run().unwrap();
        (trainer.history().to_vec(), trainer.model().state())
    })
}

#[test]
fn one_thread_and_two_threads_agree() {
    let (losses_1, state_1) = train_in_pool(1);
    let (losses_2, state_2) = train_in_pool(2);
    let identical = losses_1 == losses_2 && state_1.iter().zip(&state_2).all(|(a, b)| a.1.to_vec() == b.1.to_vec());
    println!("bit-identical: {identical}");
    for (a, b) in losses_1.iter().flatten().zip(losses_2.iter().flatten()) {
        assert!((a - b).abs() <= 1e-4 * a.abs().max(1.0), "losses {losses_1:?} vs {losses_2:?}");
    }
    for ((name, a), (_, b)) in state_1.iter().zip(&state_2) {
        let scale = a.to_vec().iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-3);
        let gap = a.to_vec().iter().zip(b.to_vec()).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
        assert!(gap <= 1e-3 * scale, "{name}: max difference {gap} at scale {scale}");
    }
}
