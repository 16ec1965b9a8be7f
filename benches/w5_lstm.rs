//! W5 (docs/benchmarks.md): one LSTM training step — 1 layer, input 64, hidden 256, sequence 35,
//! batch 32; loss = mean of the last hidden state's squares; SGD: the step `nabla bench` times
//! too (`nabla_cli::bench::step`). Denormals are flushed to zero. Criterion reports the time
//! per step (steps/s = 1 / time).

use criterion::{Criterion, criterion_group, criterion_main};

fn w5_lstm(c: &mut Criterion) {
    nabla::tensor::set_flush_denormal(true);
    let mut step = nabla_cli::bench::step("W5").expect("W5");
    c.bench_function("W5_lstm_step", |bench| bench.iter(|| step().expect("step")));
}

criterion_group!(benches, w5_lstm);
criterion_main!(benches);
