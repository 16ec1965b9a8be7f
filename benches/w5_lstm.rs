//! W5 (docs/benchmarks.md): one LSTM training step — 1 layer, input 64, hidden 256, sequence 35,
//! batch 32; loss = mean of the last hidden state's squares; SGD. Denormals are flushed to
//! zero. Criterion reports the time per step (steps/s = 1 / time).

use criterion::{Criterion, criterion_group, criterion_main};
use nabla::Tensor;
use nabla::nn::Module;
use nabla::optim::{Optimizer, SgdConfig};
use nabla::recurrent::{Lstm, RecurrentConfig};
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};

fn w5_lstm(c: &mut Criterion) {
    nabla::tensor::set_flush_denormal(true);
    let mut rng = StdRng::seed_from_u64(5);
    let lstm = Lstm::new(RecurrentConfig::new(64, 256), &mut rng).expect("valid sizes");
    let input = Tensor::uniform(&[35, 32, 64], -1.0, 1.0, &mut rng).expect("valid bounds");
    let mut sgd =
        Optimizer::sgd(lstm.parameters(), SgdConfig { lr: 0.01, ..Default::default() }).expect("valid config");
    c.bench_function("W5_lstm_step", |bench| {
        bench.iter(|| {
            let (_, (h_n, _)) = lstm.forward_with_state(&input, None).expect("shapes fit");
            let loss = h_n.powf(2.0).and_then(|s| s.mean_all()).expect("scalar loss");
            sgd.step(&loss.backward().expect("backward")).expect("step");
        })
    });
}

criterion_group!(benches, w5_lstm);
criterion_main!(benches);
