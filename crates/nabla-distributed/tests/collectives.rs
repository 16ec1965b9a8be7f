//! Gradient averaging, parameter broadcast and the sampler, on ranks that are threads of one
//! process (`support/threads.rs`), and data-parallel training checked against one process.

#[path = "support/threads.rs"]
mod threads;

use nabla_data::DataLoader;
use nabla_distributed::*;
use nabla_losses::{CrossEntropyOptions, cross_entropy};
use nabla_nn::{Activation, MlpConfig, Module, mlp};
use nabla_optim::{AdamConfig, Optimizer};
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Error, Gradients, Tensor};

/// Parameters of odd sizes, one empty, one of a single value.
fn params() -> Vec<Tensor> {
    [&[3usize, 5][..], &[0], &[7], &[1]].iter().map(|s| Tensor::zeros(s).requires_grad(true)).collect()
}

/// Rank `rank`'s gradient for parameter `p`: distinct values on every rank and element.
fn grad_of(rank: usize, p: usize, shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|i| (rank * 100 + p * 10 + i) as f32 * 0.37 - 3.0).collect(), shape).unwrap()
}

#[test]
fn averaging_weights_each_rank_by_its_samples_in_buckets_that_split_tensors() {
    let samples = [3usize, 5, 1];
    // 12-byte buckets: 3 values each, so the [3, 5] parameter spans six buckets.
    let results = threads::run(3, |comm| {
        let params = params();
        let averager = GradientAverager::new(params.clone(), 12).unwrap();
        assert_eq!((averager.values_per_step(), averager.buckets_per_step()), (24, 8));
        let mut grads = Gradients::default();
        for (p, param) in params.iter().enumerate() {
            // Parameter 3 has a gradient on rank 0 only: the others count as zeros.
            if p != 3 || comm.rank() == 0 {
                grads.insert(param, grad_of(comm.rank(), p, param.shape())).unwrap();
            }
        }
        let total = averager.average(comm, &mut grads, samples[comm.rank()]).unwrap();
        (total, params.iter().map(|p| grads.get(p).unwrap().to_vec()).collect::<Vec<_>>())
    });
    let shapes = [&[3usize, 5][..], &[0], &[7], &[1]];
    for (total, averaged) in &results {
        assert_eq!(*total, 9);
        for (p, got) in averaged.iter().enumerate() {
            let ranks = if p == 3 { 1 } else { 3 };
            let expected: Vec<f32> = (0..got.len())
                .map(|i| {
                    (0..ranks).map(|r| samples[r] as f32 * grad_of(r, p, shapes[p]).to_vec()[i]).sum::<f32>() / 9.0
                })
                .collect();
            for (g, e) in got.iter().zip(&expected) {
                assert!((g - e).abs() <= 1e-5 * e.abs().max(1.0), "parameter {p}: {got:?} vs {expected:?}");
            }
        }
        assert_eq!(averaged, &results[0].1, "every rank ends with the same bits");
    }
}

#[test]
fn broadcast_gives_every_rank_rank_zeros_values() {
    let results = threads::run(3, |comm| {
        let tensors = params();
        for (p, t) in tensors.iter().enumerate() {
            t.set_data(grad_of(comm.rank(), p, t.shape()).data()).unwrap();
        }
        broadcast_parameters(comm, &tensors).unwrap();
        tensors.iter().map(Tensor::to_vec).collect::<Vec<_>>()
    });
    let shapes = [&[3usize, 5][..], &[0], &[7], &[1]];
    let rank_zero: Vec<Vec<f32>> = (0..4).map(|p| grad_of(0, p, shapes[p]).to_vec()).collect();
    assert!(results.iter().all(|r| r == &rank_zero));
}

#[test]
fn bad_arguments_are_typed_errors() {
    assert!(matches!(GradientAverager::new(params(), 3), Err(Error::InvalidArgument { .. })));
    let averager = GradientAverager::new(params(), DEFAULT_BUCKET_BYTES).unwrap();
    let err = averager.average(&SingleProcess, &mut Gradients::default(), 0).unwrap_err();
    assert!(err.to_string().contains("no rank had a sample"), "{err}");
    assert!(DistributedSampler::new(10, 2, 0, 2, 2).unwrap_err().to_string().contains("rank 2 is not one of 2"));
    assert!(DistributedSampler::new(0, 2, 0, 0, 2).is_err());
    assert!(DistributedSampler::new(10, 0, 0, 0, 2).is_err());
    assert!(DistributedSampler::new(10, usize::MAX, 0, 0, 2).is_err());
}

#[test]
fn the_ranks_batches_together_are_the_global_batches_of_one_process() {
    let (len, per_rank, size, seed) = (50, 4, 3, 9);
    for epoch in 0..3 {
        let ranks: Vec<Vec<Vec<usize>>> = (0..size)
            .map(|rank| {
                let mut sampler = DistributedSampler::new(len, per_rank, seed, rank, size).unwrap();
                sampler.set_epoch(epoch);
                sampler.batches()
            })
            .collect();
        // One process's batches of 12 in the same order: 50 = 4 × 12 + 2, and the last 2 are
        // fewer than the 3 ranks, so they are dropped.
        let global = DataLoader::new(len, per_rank * size).unwrap().shuffled(seed).epoch_batches(epoch);
        assert_eq!(global.len(), 5);
        assert!(ranks.iter().all(|r| r.len() == 4));
        for (step, batch) in global.iter().take(4).enumerate() {
            let mut together: Vec<usize> = ranks.iter().flat_map(|r| r[step].clone()).collect();
            together.sort_unstable();
            let mut expected = batch.clone();
            expected.sort_unstable();
            assert_eq!(together, expected, "epoch {epoch} step {step}");
            assert_eq!(ranks[1][step], batch.iter().copied().skip(1).step_by(3).collect::<Vec<_>>());
        }
    }
    let mut sampler = DistributedSampler::new(len, per_rank, seed, 0, size).unwrap();
    let first = sampler.batches();
    sampler.set_epoch(1);
    assert_ne!(sampler.batches(), first, "each epoch has its own order");
}

/// A small classifier trained for `steps` by Adam on shared synthetic data: on `size` thread
/// ranks with `per_rank` samples each per step, or on one process when `size` is 1.
fn train(size: usize, per_rank: usize, steps: usize) -> Vec<Vec<f32>> {
    let data = Tensor::uniform(&[96, 6], -1.0, 1.0, &mut StdRng::seed_from_u64(3)).unwrap();
    let labels: Vec<usize> = (0..96).map(|i| i % 3).collect();
    let results = threads::run(size, |comm| {
        // Each rank starts from its own weights; the broadcast makes them rank 0's.
        let model = mlp(
            &MlpConfig { widths: vec![6, 16, 3], activation: Activation::Tanh, dropout: 0.0 },
            &mut StdRng::seed_from_u64(comm.rank() as u64),
        )
        .unwrap();
        broadcast_parameters(comm, &model.parameters()).unwrap();
        let mut adam = Optimizer::adam(model.parameters(), AdamConfig { lr: 1e-2, ..Default::default() }).unwrap();
        let averager = GradientAverager::new(model.parameters(), 256).unwrap();
        let sampler = DistributedSampler::new(96, per_rank, 5, comm.rank(), comm.size()).unwrap();
        for batch in sampler.batches().iter().cycle().take(steps) {
            let x = data.index_select(0, batch).unwrap();
            let y: Vec<usize> = batch.iter().map(|&i| labels[i]).collect();
            let loss = cross_entropy(&model.forward(&x).unwrap(), y, &CrossEntropyOptions::default()).unwrap();
            let mut grads = loss.backward().unwrap();
            averager.average(comm, &mut grads, batch.len()).unwrap();
            adam.step(&grads).unwrap();
        }
        model.parameters().iter().map(Tensor::to_vec).collect::<Vec<_>>()
    });
    assert!(results.iter().all(|r| r == &results[0]), "the ranks' weights diverged");
    results.into_iter().next().unwrap()
}

#[test]
fn two_ranks_with_half_batches_train_to_the_weights_of_one_process() {
    let one = train(1, 16, 20);
    let two = train(2, 8, 20);
    for (a, b) in one.iter().flatten().zip(two.iter().flatten()) {
        assert!((a - b).abs() <= 1e-5 * a.abs().max(1e-2), "{a} vs {b}");
    }
    // And they did train: the weights moved from rank 0's start.
    assert_ne!(one, train(1, 16, 0));
}
