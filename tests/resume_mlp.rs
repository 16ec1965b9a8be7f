//! Exact resume for a classifier trained with a hand-written loop: an MLP on MNIST trained
//! N + M steps straight ends with the same losses and weights, bit for bit, as one trained N
//! steps, saved (the model's state dict and Adam's state, as safetensors files), loaded into a
//! freshly built model and optimizer, and trained M more.

use nabla::data::{DataLoader, Mnist};
use nabla::losses::{CrossEntropyOptions, cross_entropy};
use nabla::nn::{Activation, MlpConfig, Module, Sequential, load, load_tensors, mlp, save, save_tensors};
use nabla::optim::{AdamConfig, Optimizer};
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};

fn model(seed: u64) -> (Sequential, Optimizer) {
    let config = MlpConfig { widths: vec![784, 64, 10], activation: Activation::Relu, dropout: 0.0 };
    let model = mlp(&config, &mut StdRng::seed_from_u64(seed)).unwrap();
    let adam = Optimizer::adam(model.parameters(), AdamConfig { lr: 1e-3, ..Default::default() }).unwrap();
    (model, adam)
}

/// Trains on `batches`, returning each step's loss.
fn train(model: &Sequential, adam: &mut Optimizer, mnist: &Mnist, batches: &[Vec<usize>]) -> Vec<f32> {
    batches
        .iter()
        .map(|batch| {
            let (images, labels) = mnist.train.batch(batch).unwrap();
            let logits = model.forward(&images.flatten(1, -1).unwrap()).unwrap();
            let loss = cross_entropy(&logits, &labels, &CrossEntropyOptions::default()).unwrap();
            adam.step(&loss.backward().unwrap()).unwrap();
            loss.item().unwrap()
        })
        .collect()
}

#[test]
fn an_mlp_resumed_from_its_state_dicts_matches_one_trained_straight() {
    let mnist = Mnist::bundled().unwrap();
    let batches: Vec<Vec<usize>> = DataLoader::new(mnist.train.len(), 64).unwrap().shuffled(3).epoch()[..30].to_vec();
    let (n, scratch) = (17, tempfile::tempdir().unwrap());
    let dir = scratch.path();

    let (straight, mut adam) = model(0);
    let straight_losses = train(&straight, &mut adam, &mnist, &batches);

    let (first, mut adam) = model(0);
    let mut losses = train(&first, &mut adam, &mnist, &batches[..n]);
    save(&first, dir.join("model.safetensors")).unwrap();
    save_tensors(dir.join("adam.safetensors"), &adam.state_dict()).unwrap();
    drop((first, adam));

    let (mut resumed, mut adam) = model(99);
    load(&mut resumed, dir.join("model.safetensors"), true).unwrap();
    adam.load_state_dict(&load_tensors(dir.join("adam.safetensors")).unwrap()).unwrap();
    losses.extend(train(&resumed, &mut adam, &mnist, &batches[n..]));

    assert_eq!(losses, straight_losses);
    for ((name, a), (_, b)) in straight.state_dict().iter().zip(resumed.state_dict()) {
        assert_eq!(a.to_vec(), b.to_vec(), "{name}");
    }
}
