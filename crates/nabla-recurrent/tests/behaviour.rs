//! Gradient checks of the fused cells, the sequence options (batch_first, dropout, forget
//! bias), truncated backpropagation through time, and shape errors.

use nabla_nn::Module;
use nabla_recurrent::*;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_tensor::{Error, Tensor};
use nabla_testkit::{assert_gradients, uniform};

fn rng() -> StdRng {
    StdRng::seed_from_u64(1)
}

/// Runs a cell step with gradcheck's tensors as input, state and parameters.
fn with_params(params: &CellParams, t: &[Tensor]) -> CellParams {
    let mut p = params.clone();
    (p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh) =
        (t[0].clone(), t[1].clone(), Some(t[2].clone()), Some(t[3].clone()));
    p
}

#[test]
fn each_fused_cell_passes_gradcheck() {
    let (x, h, c) = (uniform(&[3, 4], -1.0, 1.0, 1), uniform(&[3, 5], -1.0, 1.0, 2), uniform(&[3, 5], -1.0, 1.0, 3));
    for kind in
        [CellKind::Rnn(RnnNonlinearity::Tanh), CellKind::Rnn(RnnNonlinearity::Relu), CellKind::Lstm, CellKind::Gru]
    {
        let params = CellParams::new(kind, 4, 5, true, &mut rng()).unwrap();
        let mut inputs = vec![
            params.weight_ih.clone(),
            params.weight_hh.clone(),
            params.bias_ih.clone().unwrap(),
            params.bias_hh.clone().unwrap(),
            x.clone(),
            h.clone(),
        ];
        if kind == CellKind::Lstm {
            inputs.push(c.clone());
        }
        let name = format!("{kind:?}");
        assert_gradients(
            &name,
            |t| {
                let p = with_params(&params, t);
                let state: Vec<Tensor> = t[5..].to_vec();
                let next = p.step(kind, &p.input_gates(&t[4])?, &state)?;
                // Check every state output (h, and c for the LSTM).
                Tensor::concat(&next.iter().collect::<Vec<_>>(), 1)
            },
            inputs,
        );
    }
}

#[test]
fn a_short_sequence_passes_gradcheck_through_time() {
    let lstm =
        Lstm::new(RecurrentConfig { num_layers: 2, bidirectional: true, ..RecurrentConfig::new(3, 4) }, &mut rng())
            .unwrap();
    let x = uniform(&[4, 2, 3], -1.0, 1.0, 4);
    assert_gradients("bidirectional 2-layer LSTM, input gradient", |t| lstm.forward(&t[0]), vec![x]);
}

#[test]
fn batch_first_transposes_input_and_output() {
    let config = RecurrentConfig::new(3, 4);
    let (time_major, batch_major) = (
        Gru::new(config, &mut rng()).unwrap(),
        Gru::new(RecurrentConfig { batch_first: true, ..config }, &mut rng()).unwrap(),
    );
    let x = uniform(&[5, 2, 3], -1.0, 1.0, 5);
    let a = time_major.forward(&x).unwrap();
    let b = batch_major.forward(&x.transpose(0, 1).unwrap()).unwrap();
    assert_eq!(b.shape(), &[2, 5, 4]);
    assert_eq!(a.transpose(0, 1).unwrap().to_vec(), b.to_vec());
}

#[test]
fn dropout_acts_between_layers_in_training_only() {
    let mut lstm =
        Lstm::new(RecurrentConfig { num_layers: 2, dropout: 0.5, ..RecurrentConfig::new(3, 8) }, &mut rng()).unwrap();
    let x = uniform(&[6, 2, 3], -1.0, 1.0, 6);
    assert_ne!(lstm.forward(&x).unwrap().to_vec(), lstm.forward(&x).unwrap().to_vec());
    lstm.eval();
    assert_eq!(lstm.forward(&x).unwrap().to_vec(), lstm.forward(&x).unwrap().to_vec());
}

#[test]
fn forget_bias_sets_the_forget_block_of_both_biases() {
    let lstm = Lstm::new(RecurrentConfig::new(2, 3), &mut rng()).unwrap().with_forget_bias(1.0).unwrap();
    let cell = &lstm.cells()[0][0];
    let (bi, bh) = (cell.bias_ih.as_ref().unwrap().to_vec(), cell.bias_hh.as_ref().unwrap().to_vec());
    assert!((3..6).all(|j| bi[j] == 1.0 && bh[j] == 0.0));
    assert!(bi[..3].iter().all(|b| b.abs() <= 1.0 / 3f32.sqrt()), "the other gates keep PyTorch's init");
}

#[test]
fn truncated_bptt_carries_the_state_and_cuts_the_gradient() {
    let lstm = Lstm::new(RecurrentConfig::new(2, 4), &mut rng()).unwrap();
    let x = uniform(&[8, 3, 2], -1.0, 1.0, 7).requires_grad(true);
    let (full, _) = lstm.forward_with_state(&x, None).unwrap();
    // Two chunks of 4 steps; the state crosses over detached.
    let (first, (h, c)) = lstm.forward_with_state(&x.narrow(0, 0, 4).unwrap(), None).unwrap();
    let (h, c) = (h.detach(), c.detach());
    let (second, _) = lstm.forward_with_state(&x.narrow(0, 4, 4).unwrap(), Some((&h, &c))).unwrap();
    let chunked = Tensor::concat(&[&first, &second], 0).unwrap();
    assert!(
        full.to_vec().iter().zip(chunked.to_vec()).all(|(a, b)| (a - b).abs() < 1e-6),
        "same values as the full sequence"
    );
    let grads = second.sum_all().unwrap().backward().unwrap();
    let gx = grads.get(&x).unwrap().to_vec();
    assert!(gx[..4 * 3 * 2].iter().all(|&g| g == 0.0), "no gradient reaches the first chunk");
    assert!(gx[4 * 3 * 2..].iter().any(|&g| g != 0.0));
}

#[test]
fn wrong_shapes_and_empty_sequences_are_typed_errors() {
    let lstm = Lstm::new(RecurrentConfig { num_layers: 2, ..RecurrentConfig::new(3, 4) }, &mut rng()).unwrap();
    let err = lstm.forward(&Tensor::zeros(&[5, 2, 4])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "LSTM: shapes [5, 2, 4] and [3] do not match: the input must be [time, batch, input_size] with input_size 3"
    );
    assert!(matches!(lstm.forward(&Tensor::zeros(&[0, 2, 3])), Err(Error::Empty { op: "LSTM", .. })));
    let bad_state = Tensor::zeros(&[1, 2, 4]);
    assert!(matches!(
        lstm.forward_with_state(&Tensor::zeros(&[5, 2, 3]), Some((&bad_state, &bad_state))),
        Err(Error::ShapeMismatch { op: "LSTM", .. })
    ));
    let cell = GruCell::new(3, 4, &mut rng()).unwrap();
    assert!(matches!(
        cell.step(&Tensor::zeros(&[2, 3]), &Tensor::zeros(&[2, 5])),
        Err(Error::ShapeMismatch { op: "GRU", .. })
    ));
    assert!(matches!(
        Rnn::new(RecurrentConfig { num_layers: 0, ..RecurrentConfig::new(3, 4) }, RnnNonlinearity::Tanh, &mut rng()),
        Err(Error::InvalidArgument { .. })
    ));
}
