//! XOR with a two-layer network, written with nothing but the tensor core.
//!
//! A single layer cannot separate XOR's classes (no line splits {(0,1), (1,0)} from
//! {(0,0), (1,1)}); one hidden layer of ReLU units can. This trains a 2-8-1 network with a
//! sigmoid output and binary cross-entropy by plain gradient descent, prints the loss as it
//! falls, and fails unless all four points end up classified correctly.
//!
//! Run it with `cargo run --release --example 01_xor`.

use nabla::tensor::rand::{SeedableRng, rngs::StdRng};
use nabla::{Result, Tensor};

/// What a training run reached.
struct Outcome {
    first_loss: f32,
    final_loss: f32,
    correct: usize,
}

fn sigmoid(x: &Tensor) -> Result<Tensor> {
    x.neg()?.exp()?.add_scalar(1.0)?.powf(-1.0)
}

/// Mean binary cross-entropy of probabilities `p` against 0/1 targets `y`.
fn binary_cross_entropy(p: &Tensor, y: &Tensor) -> Result<Tensor> {
    let p = p.clamp(1e-7, 1.0 - 1e-7)?;
    let positive = y.mul(&p.log()?)?;
    let negative = y.neg()?.add_scalar(1.0)?.mul(&p.neg()?.add_scalar(1.0)?.log()?)?;
    positive.add(&negative)?.mean_all()?.neg()
}

fn train(steps: usize, seed: u64, log_every: usize) -> Result<Outcome> {
    let x = Tensor::from_vec(vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], &[4, 2])?;
    let y = Tensor::from_vec(vec![0.0, 1.0, 1.0, 0.0], &[4, 1])?;
    let mut rng = StdRng::seed_from_u64(seed);
    // Kaiming-uniform bounds, as PyTorch's Linear: ±1/sqrt(fan_in).
    let w1 = Tensor::uniform(&[2, 8], -0.71, 0.71, &mut rng)?.requires_grad(true);
    let b1 = Tensor::uniform(&[8], -0.71, 0.71, &mut rng)?.requires_grad(true);
    let w2 = Tensor::uniform(&[8, 1], -0.35, 0.35, &mut rng)?.requires_grad(true);
    let b2 = Tensor::zeros(&[1]).requires_grad(true);
    let params = [&w1, &b1, &w2, &b2];
    let zero = Tensor::scalar(0.0);
    let forward = |x: &Tensor| -> Result<Tensor> {
        let hidden = x.matmul(&w1)?.add(&b1)?.maximum(&zero)?;
        sigmoid(&hidden.matmul(&w2)?.add(&b2)?)
    };

    let mut first_loss = None;
    let mut final_loss = f32::NAN;
    for step in 0..steps {
        let loss = binary_cross_entropy(&forward(&x)?, &y)?;
        let grads = loss.backward()?;
        for p in params {
            if let Some(g) = grads.get(p) {
                let g = g.data();
                p.update_data(|mut v| v.zip_mut_with(&g, |w, &g| *w -= 0.5 * g))?;
            }
        }
        final_loss = loss.item()?;
        first_loss.get_or_insert(final_loss);
        if log_every > 0 && step % log_every == 0 {
            println!("step {step:>5}  loss {final_loss:.5}");
        }
    }
    let predictions = nabla::no_grad(|| forward(&x))?.to_vec();
    let correct = predictions.iter().zip(y.to_vec()).filter(|(p, t)| (**p > 0.5) == (*t > 0.5)).count();
    Ok(Outcome { first_loss: first_loss.unwrap_or(f32::NAN), final_loss, correct })
}

fn main() -> Result<()> {
    let outcome = train(2000, 0, 200)?;
    println!("XOR: loss {:.4} -> {:.4}, {}/4 points correct", outcome.first_loss, outcome.final_loss, outcome.correct);
    if outcome.correct != 4 {
        eprintln!("the network did not learn XOR");
        std::process::exit(1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_hidden_layer_learns_xor() {
        for seed in 0..3 {
            let outcome = super::train(2000, seed, 0).unwrap();
            assert_eq!(outcome.correct, 4, "seed {seed}: loss {}", outcome.final_loss);
            assert!(outcome.final_loss < 0.05, "seed {seed}: loss {}", outcome.final_loss);
        }
    }
}
