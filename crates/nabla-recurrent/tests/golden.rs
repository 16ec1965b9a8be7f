//! Cells and multi-layer, bidirectional sequence modules against PyTorch: outputs, final
//! states, input, state and parameter gradients, to 1e-4 relative (the target; they match
//! to 1e-5 as well, see TIGHT below).

use std::collections::HashMap;

use nabla_nn::Module;
use nabla_recurrent::*;
use nabla_tensor::Tensor;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
use nabla_testkit::{TIGHT, assert_close};

fn load(case: &str) -> HashMap<String, Tensor> {
    nabla_testkit::load(format!("{}/tests/golden/{case}.safetensors", env!("CARGO_MANIFEST_DIR")))
}

fn set_params(module: &dyn Module, file: &HashMap<String, Tensor>) {
    for (name, tensor) in module.state_dict() {
        tensor.set_data(file[&name].data()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

fn check_param_grads(case: &str, module: &dyn Module, grads: &nabla_tensor::Gradients, file: &HashMap<String, Tensor>) {
    for (name, param) in module.named_parameters() {
        assert_close(case, &format!("grad_{name}"), grads.get(&param).unwrap(), &file[&format!("grad_{name}")], TIGHT);
    }
}

fn rng() -> StdRng {
    StdRng::seed_from_u64(0)
}

#[test]
fn rnn_and_gru_cells_match_pytorch() {
    let rnn = RnnCell::new(4, 6, RnnNonlinearity::Tanh, &mut rng()).unwrap();
    let gru = GruCell::new(4, 6, &mut rng()).unwrap();
    for (case, module) in [("rnn_cell_tanh", &rnn as &dyn Module), ("gru_cell", &gru)] {
        let file = load(case);
        set_params(module, &file);
        let (x, h) = (file["input"].clone().requires_grad(true), file["hx"].clone().requires_grad(true));
        let out = if case == "gru_cell" { gru.step(&x, &h) } else { rnn.step(&x, &h) }.unwrap();
        assert_close(case, "output", &out, &file["output"], TIGHT);
        let grads = out.backward_with(&file["grad_output"]).unwrap();
        assert_close(case, "grad_input", grads.get(&x).unwrap(), &file["grad_input"], TIGHT);
        assert_close(case, "grad_hx", grads.get(&h).unwrap(), &file["grad_hx"], TIGHT);
        check_param_grads(case, module, &grads, &file);
    }
}

#[test]
fn lstm_cell_matches_pytorch() {
    let case = "lstm_cell";
    let file = load(case);
    let cell = LstmCell::new(4, 6, &mut rng()).unwrap();
    set_params(&cell, &file);
    let (x, h, c) = (
        file["input"].clone().requires_grad(true),
        file["hx"].clone().requires_grad(true),
        file["cx"].clone().requires_grad(true),
    );
    let (h1, c1) = cell.step(&x, (&h, &c)).unwrap();
    assert_close(case, "output", &h1, &file["output"], TIGHT);
    assert_close(case, "output_c", &c1, &file["output_c"], TIGHT);
    // Both outputs receive an upstream gradient: backpropagate Σ h'·g + Σ c'·g_c.
    let both = Tensor::concat(&[&h1, &c1], 1).unwrap();
    let upstream = Tensor::concat(&[&file["grad_output"], &file["grad_output_c"]], 1).unwrap();
    let grads = both.backward_with(&upstream).unwrap();
    for (name, t) in [("grad_input", &x), ("grad_hx", &h), ("grad_cx", &c)] {
        assert_close(case, name, grads.get(t).unwrap(), &file[name], TIGHT);
    }
    check_param_grads(case, &cell, &grads, &file);
}

/// Runs a sequence module from optional initial states: (output, final states).
type Runner<'a> = dyn Fn(&Tensor, &[Tensor]) -> (Tensor, Vec<Tensor>) + 'a;

/// A two-layer sequence case: output, final states, and gradients of the output.
fn check_sequence(case: &str, module: &dyn Module, run: &Runner, state_names: &[&str]) {
    let file = load(case);
    set_params(module, &file);
    let input = file["input"].clone().requires_grad(true);
    let initial: Vec<Tensor> =
        state_names.iter().filter_map(|n| file.get(&format!("{n}_0")).map(|t| t.clone().requires_grad(true))).collect();
    let (output, finals) = run(&input, &initial);
    assert_close(case, "output", &output, &file["output"], TIGHT);
    for (name, value) in state_names.iter().zip(&finals) {
        assert_close(case, &format!("{name}_n"), value, &file[&format!("{name}_n")], TIGHT);
    }
    let grads = output.backward_with(&file["grad_output"]).unwrap();
    assert_close(case, "grad_input", grads.get(&input).unwrap(), &file["grad_input"], TIGHT);
    for (name, state) in state_names.iter().zip(&initial) {
        assert_close(
            case,
            &format!("grad_{name}_0"),
            grads.get(state).unwrap(),
            &file[&format!("grad_{name}_0")],
            TIGHT,
        );
    }
    check_param_grads(case, module, &grads, &file);
}

fn run_lstm(lstm: &Lstm, x: &Tensor, s: &[Tensor]) -> (Tensor, Vec<Tensor>) {
    let (o, (h, c)) = lstm.forward_with_state(x, s.first().zip(s.get(1))).unwrap();
    (o, vec![h, c])
}

#[test]
fn two_layer_sequences_match_pytorch() {
    let config = RecurrentConfig { num_layers: 2, ..RecurrentConfig::new(4, 6) };
    let rnn = Rnn::new(config, RnnNonlinearity::Tanh, &mut rng()).unwrap();
    check_sequence(
        "rnn_seq",
        &rnn,
        &|x, s| {
            let (o, h) = rnn.forward_with_state(x, s.first()).unwrap();
            (o, vec![h])
        },
        &["h"],
    );
    let gru = Gru::new(config, &mut rng()).unwrap();
    for case in ["gru_seq", "gru_seq_h0"] {
        check_sequence(
            case,
            &gru,
            &|x, s| {
                let (o, h) = gru.forward_with_state(x, s.first()).unwrap();
                (o, vec![h])
            },
            &["h"],
        );
    }
    let lstm = Lstm::new(config, &mut rng()).unwrap();
    for case in ["lstm_seq", "lstm_seq_h0"] {
        check_sequence(case, &lstm, &|x, s| run_lstm(&lstm, x, s), &["h", "c"]);
    }
    let bidirectional = Lstm::new(RecurrentConfig { bidirectional: true, ..config }, &mut rng()).unwrap();
    check_sequence("lstm_seq_bidir", &bidirectional, &|x, s| run_lstm(&bidirectional, x, s), &["h", "c"]);
}
