//! nabla-train's trainer on ranks that are threads (`support/threads.rs`) through
//! [`DataParallel`]: equal to one process, resumed bit for bit, rank 0 alone writing, and the
//! configurations it refuses.

#[path = "support/model.rs"]
mod model;
#[path = "support/threads.rs"]
mod threads;

use std::path::Path;
use std::rc::Rc;

use model::{Tiny, data};
use nabla_distributed::{Communicator, DataParallel};
use nabla_train::{Checkpoint, NonFinite, TrainError, Trainable, Trainer, TrainerConfig};

/// 2 epochs of 6 global batches of 16, grids of 1×2×3 images.
fn config(out_dir: Option<&Path>) -> TrainerConfig {
    TrainerConfig {
        out_dir: out_dir.map(Path::to_path_buf),
        image_shape: [1, 2, 3],
        grid: 4,
        seed: 7,
        ..TrainerConfig::new(2, 16)
    }
}

/// A rank's parameters and loss history.
type Run = (Vec<Vec<f32>>, Vec<Vec<f32>>);

/// Each rank's run after `steps` on `ranks` thread ranks (one process, without a
/// synchronizer, when `ranks` is 0).
fn train(ranks: usize, dropout: f32, jitter: f32, steps: usize) -> Vec<Run> {
    if ranks == 0 {
        let mut trainer = Trainer::new(Tiny::new(0, dropout, jitter).unwrap(), data(), config(None)).unwrap();
        trainer.run_for(steps).unwrap();
        return vec![(trainer.model().parameters(), trainer.history().to_vec())];
    }
    threads::run(ranks, |comm| {
        // Each rank builds its own weights; the trainer starts them all from rank 0's.
        let model = Tiny::new(comm.rank() as u64, dropout, jitter).unwrap();
        let sync = Rc::new(DataParallel::new(Rc::new(comm.clone())));
        let mut trainer = Trainer::synchronized(model, data(), config(None), None, sync).unwrap();
        trainer.run_for(steps).unwrap();
        (trainer.model().parameters(), trainer.history().to_vec())
    })
}

fn assert_close(a: &[Vec<f32>], b: &[Vec<f32>], what: &str) {
    for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
        assert!((x - y).abs() <= 1e-5 * x.abs().max(1e-2), "{what}: {x} vs {y}");
    }
}

#[test]
fn two_ranks_train_to_the_weights_and_losses_of_one_process() {
    let one = &train(0, 0.0, 0.0, 12)[0];
    let two = train(2, 0.0, 0.0, 12);
    assert_eq!(two[0], two[1], "the ranks' weights and recorded losses are the same");
    assert_close(&one.0, &two[0].0, "parameters");
    assert_close(&one.1, &two[0].1, "losses, each the mean over the global batch");
    assert_ne!(one.0, train(0, 0.0, 0.0, 0)[0].0, "and they did train");
}

#[test]
fn ranks_draw_their_own_dropout_masks_and_noise_yet_keep_one_set_of_weights() {
    let ranks = threads::run(2, |comm| {
        let model = Tiny::new(comm.rank() as u64, 0.3, 0.05).unwrap();
        let sync = Rc::new(DataParallel::new(Rc::new(comm.clone())));
        let mut trainer = Trainer::synchronized(model, data(), config(None), None, sync).unwrap();
        trainer.run_for(12).unwrap();
        (trainer.model().parameters(), trainer.model().rng_states())
    });
    assert_eq!(ranks[0].0, ranks[1].0, "one set of weights");
    let streams = |rank: usize| {
        ranks[rank].1.iter().map(|(_, state)| state.split(':').nth(1).unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(ranks[0].1.len(), 1, "the MLP's one dropout generator");
    assert_ne!(streams(0), streams(1), "each rank's dropout draws from its own stream");
}

#[test]
fn a_rank_zero_checkpoint_resumes_on_two_ranks_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoint.safetensors");
    let uninterrupted = train(2, 0.3, 0.05, 12);
    let resumed = threads::run(2, |comm| {
        let sync = || Rc::new(DataParallel::new(Rc::new(comm.clone())));
        let model = Tiny::new(comm.rank() as u64, 0.3, 0.05).unwrap();
        let mut first = Trainer::synchronized(model, data(), config(None), None, sync()).unwrap();
        first.run_for(5).unwrap();
        first.save_checkpoint(&path).unwrap();
        // A fresh process's model, with other weights: everything comes from the checkpoint.
        let model = Tiny::new(99, 0.3, 0.05).unwrap();
        let mut second = Trainer::synchronized(model, data(), config(None), Some(&path), sync()).unwrap();
        assert_eq!(second.step(), 5);
        second.run().unwrap();
        (second.model().parameters(), second.history().to_vec())
    });
    assert_eq!(resumed, uninterrupted, "parameters and losses, bit for bit, on both ranks");
    let checkpoint = Checkpoint::load(&path).unwrap();
    assert_eq!(checkpoint.rngs.len(), 2);
    let [zero, one] = [&checkpoint.rngs[0], &checkpoint.rngs[1]];
    assert_ne!(zero.trainer.get_stream(), one.trainer.get_stream(), "each rank's own noise stream");
    assert_ne!(zero.model, one.model, "each rank's own dropout stream");
}

#[test]
fn a_checkpoint_resumes_only_on_as_many_ranks_as_saved_it() {
    let dir = tempfile::tempdir().unwrap();
    let two_ranks = dir.path().join("two.safetensors");
    threads::run(2, |comm| {
        let sync = Rc::new(DataParallel::new(Rc::new(comm.clone())));
        let trainer = Trainer::synchronized(Tiny::new(0, 0.0, 0.0).unwrap(), data(), config(None), None, sync).unwrap();
        trainer.save_checkpoint(&two_ranks).unwrap();
    });
    let error = Trainer::resume(Tiny::new(0, 0.0, 0.0).unwrap(), data(), config(None), &two_ranks).err().unwrap();
    assert!(matches!(error, TrainError::Checkpoint { .. }), "{error}");
    assert!(error.to_string().contains("saved by a run on 2 rank(s) and this run has 1; resume it on 2"), "{error}");

    let one_rank = dir.path().join("one.safetensors");
    let trainer = Trainer::new(Tiny::new(0, 0.0, 0.0).unwrap(), data(), config(None)).unwrap();
    trainer.save_checkpoint(&one_rank).unwrap();
    let errors = threads::run(2, |comm| {
        let sync = Rc::new(DataParallel::new(Rc::new(comm.clone())));
        let model = Tiny::new(0, 0.0, 0.0).unwrap();
        Trainer::synchronized(model, data(), config(None), Some(&one_rank), sync).err().unwrap().to_string()
    });
    assert!(errors.iter().all(|e| e.contains("on 1 rank(s) and this run has 2")), "{errors:?}");
}

#[test]
fn rank_zero_alone_writes_outputs_and_checkpoints() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    threads::run(2, |comm| {
        let sync = Rc::new(DataParallel::new(Rc::new(comm.clone())));
        let model = Tiny::new(0, 0.0, 0.0).unwrap();
        let config = config(Some(dirs[comm.rank()].path()));
        Trainer::synchronized(model, data(), config, None, sync).unwrap().run().unwrap();
    });
    let listing = |dir: &Path| {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    };
    let zero = listing(dirs[0].path());
    for expected in ["checkpoint.safetensors", "losses.csv", "losses.png", "samples_epoch_002.png"] {
        assert!(zero.contains(&expected.to_string()), "rank 0 wrote {zero:?}");
    }
    assert_eq!(listing(dirs[1].path()), Vec::<String>::new(), "rank 1 writes nothing");
}

#[test]
fn a_batch_smaller_than_the_ranks_or_skipping_steps_is_refused_on_several_ranks() {
    let errors = threads::run(2, |comm| {
        let sync = || Rc::new(DataParallel::new(Rc::new(comm.clone())));
        let tiny = || Tiny::new(0, 0.0, 0.0).unwrap();
        let small = TrainerConfig { batch_size: 1, ..config(None) };
        let skip = TrainerConfig { on_non_finite: NonFinite::Skip, ..config(None) };
        [small, skip].map(|c| Trainer::synchronized(tiny(), data(), c, None, sync()).err().unwrap().to_string())
    });
    assert!(errors[0][0].contains("a batch of 1 cannot be shared by 2 ranks"), "{}", errors[0][0]);
    assert!(errors[0][1].contains("skipping non-finite steps needs one rank"), "{}", errors[0][1]);
}
