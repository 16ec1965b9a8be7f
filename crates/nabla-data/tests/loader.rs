//! The data loader's batches, shuffling and normalisation, and MNIST batches.

use nabla_data::{DataLoader, MNIST_MEAN, MNIST_STD, Mnist, TensorDataset, normalize};
use nabla_tensor::Tensor;

#[test]
fn batches_cover_every_index_once_per_epoch() {
    let mut loader = DataLoader::new(10, 4).unwrap();
    assert_eq!(loader.epoch(), vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]);
    assert_eq!(loader.batches_per_epoch(), 3);
    let mut dropping = DataLoader::new(10, 4).unwrap().drop_last(true);
    assert_eq!(dropping.epoch().len(), 2);
    assert_eq!(dropping.batches_per_epoch(), 2);

    let mut shuffled = DataLoader::new(100, 32).unwrap().shuffled(5);
    let (first, second) = (shuffled.epoch(), shuffled.epoch());
    assert_ne!(first, second, "a new order every epoch");
    let mut seen: Vec<usize> = first.concat();
    seen.sort_unstable();
    assert_eq!(seen, (0..100).collect::<Vec<_>>());
    assert_eq!(DataLoader::new(100, 32).unwrap().shuffled(5).epoch(), first, "same seed, same order");
    assert_eq!(shuffled.epoch_batches(1), second, "an epoch's order depends only on the seed and its number");
    assert_ne!(DataLoader::new(100, 32).unwrap().shuffled(6).epoch(), first, "another seed, another order");
    assert!(DataLoader::new(0, 4).is_err() && DataLoader::new(4, 0).is_err());
}

#[test]
fn mnist_batches_and_normalisation() {
    let mnist = Mnist::bundled().unwrap();
    let (images, labels) = mnist.train.batch(&[0, 1, 2]).unwrap();
    assert_eq!(images.shape(), &[3, 1, 28, 28]);
    assert_eq!(labels, vec![2, 1, 7]);
    assert!(mnist.train.batch(&[8000]).is_err());
    let all = mnist.train.images.flatten(0, -1).unwrap();
    let normalized = normalize(&all, MNIST_MEAN, MNIST_STD).unwrap();
    let mean = normalized.mean_all().unwrap().item().unwrap();
    let std = normalized.var(&[], false, false).unwrap().item().unwrap().sqrt();
    assert!(
        mean.abs() < 0.02 && (std - 1.0).abs() < 0.02,
        "the constants standardise this subset too: mean {mean}, std {std}"
    );
    assert!(normalize(&Tensor::ones(&[2]), 0.0, 0.0).is_err());
}

#[test]
fn a_tensor_dataset_batches_inputs_with_their_targets() {
    let inputs = Tensor::from_vec((0..12).map(|v| v as f32).collect(), &[6, 2]).unwrap();
    let targets = Tensor::from_vec(vec![0.0, 1.0, 2.0, 0.0, 1.0, 2.0], &[6]).unwrap();
    let data = TensorDataset::new(inputs.clone(), Some(targets)).unwrap();
    let batch = data.batch(&[4, 1]).unwrap();
    assert_eq!(batch.input.to_vec(), [8.0, 9.0, 2.0, 3.0]);
    assert_eq!(batch.classes("test").unwrap().values(), [1, 1]);
    let unlabelled = TensorDataset::unlabelled(inputs.clone()).unwrap().batch(&[0]).unwrap();
    assert!(unlabelled.target("test").is_err());
    assert!(TensorDataset::new(inputs, Some(Tensor::zeros(&[5]))).is_err(), "5 targets for 6 inputs");
}
