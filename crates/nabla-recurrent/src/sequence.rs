//! Whole-sequence modules: `Rnn`, `Lstm`, `Gru` with PyTorch's options (layers, bidirectional,
//! batch_first, dropout between layers, initial states) and outputs, unrolled over time for
//! backpropagation through time.

use nabla_nn::{Dropout, Module, ModuleRng, TensorKind, Visit, child_name};
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor};

use crate::cell_params::{CellKind, CellParams, RnnNonlinearity};
use crate::lstm_sequence::LstmSequence;

/// The options of a sequence module, PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecurrentConfig {
    pub input_size: usize,
    pub hidden_size: usize,
    /// Stacked layers (1).
    pub num_layers: usize,
    /// Learned biases (true).
    pub bias: bool,
    /// Input and output `[batch, time, features]` instead of `[time, batch, features]` (false).
    pub batch_first: bool,
    /// Dropout on the outputs of every layer but the last, in training mode (0).
    pub dropout: f32,
    /// A second, backward-running direction per layer (false).
    pub bidirectional: bool,
}

impl RecurrentConfig {
    /// One unidirectional layer, `[time, batch, features]`, with biases and no dropout.
    pub fn new(input_size: usize, hidden_size: usize) -> Self {
        RecurrentConfig {
            input_size,
            hidden_size,
            num_layers: 1,
            bias: true,
            batch_first: false,
            dropout: 0.0,
            bidirectional: false,
        }
    }
}

/// What `Rnn`, `Lstm` and `Gru` share: the layers, and the unrolled forward pass.
#[derive(Debug)]
struct Recurrent {
    kind: CellKind,
    config: RecurrentConfig,
    /// `cells[layer][direction]`.
    cells: Vec<Vec<CellParams>>,
    dropout: Option<Dropout>,
}

impl Recurrent {
    fn new<R: Rng + ?Sized>(kind: CellKind, config: RecurrentConfig, rng: &mut R) -> Result<Self> {
        if config.num_layers == 0 {
            return Err(Error::InvalidArgument { op: kind.name(), reason: "num_layers must be at least 1".into() });
        }
        let directions = if config.bidirectional { 2 } else { 1 };
        let cells = (0..config.num_layers)
            .map(|layer| {
                let input = if layer == 0 { config.input_size } else { directions * config.hidden_size };
                (0..directions).map(|_| CellParams::new(kind, input, config.hidden_size, config.bias, rng)).collect()
            })
            .collect::<Result<_>>()?;
        let dropout = (config.dropout > 0.0).then(|| Dropout::new(config.dropout, rng.random())).transpose()?;
        Ok(Recurrent { kind, config, cells, dropout })
    }

    fn directions(&self) -> usize {
        self.cells[0].len()
    }

    /// Runs the sequence; `initial` holds the state tensors (h, or h and c), each
    /// `[layers·directions, batch, hidden]`. Returns the output and the final states, shaped
    /// as PyTorch returns them.
    fn run(&self, input: &Tensor, initial: Option<&[&Tensor]>) -> Result<(Tensor, Vec<Tensor>)> {
        let (op, c) = (self.kind.name(), &self.config);
        if input.ndim() != 3 || input.shape()[2] != c.input_size {
            let layout = if c.batch_first { "[batch, time, input_size]" } else { "[time, batch, input_size]" };
            return Err(Error::ShapeMismatch {
                op,
                lhs: input.shape().to_vec(),
                rhs: vec![c.input_size],
                reason: format!("the input must be {layout} with input_size {}", c.input_size),
            });
        }
        let x = if c.batch_first { input.transpose(0, 1)? } else { input.clone() };
        let (steps, batch) = (x.shape()[0], x.shape()[1]);
        if steps == 0 || batch == 0 {
            return Err(Error::Empty { op, shape: input.shape().to_vec() });
        }
        let (layers, directions, hidden) = (c.num_layers, self.directions(), c.hidden_size);
        let state_shape = [layers * directions, batch, hidden];
        if let Some(initial) = initial
            && let Some(bad) = initial.iter().find(|s| s.shape() != state_shape)
        {
            return Err(Error::ShapeMismatch {
                op,
                lhs: bad.shape().to_vec(),
                rhs: state_shape.to_vec(),
                reason: "an initial state must be [layers·directions, batch, hidden]".into(),
            });
        }
        let (layer_output, finals) = if self.kind == CellKind::Lstm {
            self.run_lstm_layers(&x, initial)?
        } else {
            self.run_by_steps(&x, initial)?
        };
        let output = if c.batch_first { layer_output.transpose(0, 1)? } else { layer_output };
        let finals = finals.iter().map(|f| Tensor::stack(&f.iter().collect::<Vec<_>>(), 0)).collect::<Result<_>>()?;
        Ok((output, finals))
    }

    /// The initial state (h, or h and c) of layer-direction `index`, each `[batch, hidden]`.
    fn initial_state(&self, initial: Option<&[&Tensor]>, index: usize, batch: usize) -> Result<Vec<Tensor>> {
        match initial {
            Some(initial) => initial.iter().map(|s| s.narrow(0, index, 1)?.squeeze(0)).collect(),
            None => Ok(vec![Tensor::zeros(&[batch, self.config.hidden_size]); self.kind.state_len()]),
        }
    }

    /// Dropout between layers (in training mode, after every layer but the last).
    fn between_layers(&self, layer: usize) -> Option<&Dropout> {
        self.dropout.as_ref().filter(|_| layer + 1 < self.config.num_layers)
    }

    /// The LSTM: each layer and direction is one fused op over the whole sequence `x`
    /// `[T, B, F]`. Returns the last layer's output `[T, B, directions·H]` and, per state
    /// tensor, the final state of every layer and direction.
    fn run_lstm_layers(&self, x: &Tensor, initial: Option<&[&Tensor]>) -> Result<(Tensor, Vec<Vec<Tensor>>)> {
        let (steps, batch, hidden) = (x.shape()[0], x.shape()[1], self.config.hidden_size);
        let directions = self.directions();
        let mut finals: Vec<Vec<Tensor>> = vec![Vec::new(); 2];
        let mut layer_input = x.clone();
        for (layer, cells) in self.cells.iter().enumerate() {
            let mut outputs: Vec<Tensor> = Vec::with_capacity(directions);
            for (direction, cell) in cells.iter().enumerate() {
                let state = self.initial_state(initial, layer * directions + direction, batch)?;
                let mut inputs = vec![&layer_input, &state[0], &state[1], &cell.weight_ih, &cell.weight_hh];
                if let (Some(b_ih), Some(b_hh)) = (&cell.bias_ih, &cell.bias_hh) {
                    inputs.extend([b_ih, b_hh]);
                }
                let both = Tensor::apply(LstmSequence::new(direction == 1), &inputs)?;
                let last = both.narrow(0, if direction == 0 { steps - 1 } else { 0 }, 1)?.squeeze(0)?;
                finals[0].push(last.narrow(1, 0, hidden)?);
                finals[1].push(last.narrow(1, hidden, hidden)?);
                outputs.push(both.narrow(2, 0, hidden)?);
            }
            layer_input =
                if directions == 1 { outputs.swap_remove(0) } else { Tensor::concat(&[&outputs[0], &outputs[1]], 2)? };
            if let Some(dropout) = self.between_layers(layer) {
                layer_input = dropout.forward(&layer_input)?;
            }
        }
        Ok((layer_input, finals))
    }

    /// The RNN and GRU, one cell step at a time; returns as [`Recurrent::run_lstm_layers`].
    fn run_by_steps(&self, x: &Tensor, initial: Option<&[&Tensor]>) -> Result<(Tensor, Vec<Vec<Tensor>>)> {
        let (steps, batch) = (x.shape()[0], x.shape()[1]);
        let directions = self.directions();
        let mut finals: Vec<Vec<Tensor>> = vec![Vec::new(); self.kind.state_len()];
        // Each layer's input as one [batch, features] tensor per step. Steps are cut from the
        // input once; later layers take the previous layer's per-step outputs directly, so
        // no step slices a large tensor (whose gradient would cost the whole tensor per step).
        let mut layer_input: Vec<Tensor> = (0..steps).map(|t| x.narrow(0, t, 1)?.squeeze(0)).collect::<Result<_>>()?;
        for (layer, cells) in self.cells.iter().enumerate() {
            let mut outputs: Vec<Vec<Tensor>> = Vec::with_capacity(directions);
            for (direction, cell) in cells.iter().enumerate() {
                let mut state = self.initial_state(initial, layer * directions + direction, batch)?;
                let mut hs = vec![None; steps];
                let order: Box<dyn Iterator<Item = usize>> =
                    if direction == 0 { Box::new(0..steps) } else { Box::new((0..steps).rev()) };
                for t in order {
                    state = cell.step(self.kind, &cell.input_gates(&layer_input[t])?, &state)?;
                    hs[t] = Some(state[0].clone());
                }
                outputs.push(hs.into_iter().map(|h| h.expect("every step ran")).collect());
                for (slot, s) in finals.iter_mut().zip(state) {
                    slot.push(s);
                }
            }
            layer_input = if directions == 1 {
                outputs.swap_remove(0)
            } else {
                (0..steps).map(|t| Tensor::concat(&[&outputs[0][t], &outputs[1][t]], 1)).collect::<Result<_>>()?
            };
            if let Some(dropout) = self.between_layers(layer) {
                layer_input = layer_input.iter().map(|h| dropout.forward(h)).collect::<Result<_>>()?;
            }
        }
        Ok((Tensor::stack(&layer_input.iter().collect::<Vec<_>>(), 0)?, finals))
    }
}

/// Written by hand: PyTorch's keys put the layer and direction after the name
/// (`weight_ih_l1_reverse`), not before it as a child's prefix.
impl Visit for Recurrent {
    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, TensorKind)) {
        for (layer, cells) in self.cells.iter().enumerate() {
            for (direction, cell) in cells.iter().enumerate() {
                let suffix = format!("_l{layer}{}", if direction == 1 { "_reverse" } else { "" });
                cell.visit(prefix, &mut |name, tensor, kind| visit(format!("{name}{suffix}"), tensor, kind));
            }
        }
    }

    fn visit_rngs(&self, prefix: &str, visit: &mut dyn FnMut(String, &ModuleRng)) {
        self.dropout.visit_rngs(&child_name(prefix, "dropout"), visit);
    }

    fn set_training(&mut self, training: bool) {
        self.dropout.set_training(training);
    }
}

macro_rules! sequence_module {
    ($name:ident) => {
        impl $name {
            /// The cells, `[layer][direction]`, with PyTorch's parameters.
            pub fn cells(&self) -> &[Vec<CellParams>] {
                &self.0.cells
            }
        }

        impl Module for $name {
            /// The output sequence from zero initial states. # Shapes `[T, B, input]` →
            /// `[T, B, directions·hidden]` (`[B, T, …]` when batch_first).
            fn forward(&self, input: &Tensor) -> Result<Tensor> {
                Ok(self.0.run(input, None)?.0)
            }
        }
    };
}

/// A multi-layer Elman RNN (`nn.RNN`).
#[derive(Debug, Module)]
pub struct Rnn(Recurrent);

impl Rnn {
    /// Layers of tanh or ReLU cells, PyTorch's initialisation.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for zero sizes or layers, or a bad dropout probability.
    pub fn new<R: Rng + ?Sized>(config: RecurrentConfig, nonlinearity: RnnNonlinearity, rng: &mut R) -> Result<Self> {
        Ok(Rnn(Recurrent::new(CellKind::Rnn(nonlinearity), config, rng)?))
    }

    /// `(output, h_n)` as `rnn(input, h_0)`; `h_0` and `h_n` are `[layers·directions, B, H]`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a wrong input or state shape, [`Error::Empty`] for an
    /// empty sequence or batch.
    pub fn forward_with_state(&self, input: &Tensor, h0: Option<&Tensor>) -> Result<(Tensor, Tensor)> {
        let initial = h0.map(|h| [h]);
        let (output, mut finals) = self.0.run(input, initial.as_ref().map(|s| &s[..]))?;
        Ok((output, finals.swap_remove(0)))
    }
}

sequence_module!(Rnn);

/// A multi-layer LSTM (`nn.LSTM`).
#[derive(Debug, Module)]
pub struct Lstm(Recurrent);

impl Lstm {
    /// Layers of LSTM cells, PyTorch's initialisation.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for zero sizes or layers, or a bad dropout probability.
    pub fn new<R: Rng + ?Sized>(config: RecurrentConfig, rng: &mut R) -> Result<Self> {
        Ok(Lstm(Recurrent::new(CellKind::Lstm, config, rng)?))
    }

    /// Sets every cell's forget-gate bias (`bias_ih + bias_hh`) to `value` — 1 is the usual
    /// choice (Jozefowicz et al. 2015) — instead of PyTorch's random default.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] without biases.
    pub fn with_forget_bias(self, value: f32) -> Result<Self> {
        self.0.cells.iter().flatten().try_for_each(|c| c.set_forget_bias(value))?;
        Ok(self)
    }

    /// `(output, (h_n, c_n))` as `lstm(input, (h_0, c_0))`; states are `[layers·directions, B, H]`.
    ///
    /// # Errors
    /// As [`Rnn::forward_with_state`].
    pub fn forward_with_state(
        &self,
        input: &Tensor,
        state: Option<(&Tensor, &Tensor)>,
    ) -> Result<(Tensor, (Tensor, Tensor))> {
        let initial = state.map(|(h, c)| [h, c]);
        let (output, mut finals) = self.0.run(input, initial.as_ref().map(|s| &s[..]))?;
        let c = finals.pop().expect("h and c");
        Ok((output, (finals.pop().expect("h and c"), c)))
    }
}

sequence_module!(Lstm);

/// A multi-layer GRU (`nn.GRU`).
#[derive(Debug, Module)]
pub struct Gru(Recurrent);

impl Gru {
    /// Layers of GRU cells, PyTorch's initialisation.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for zero sizes or layers, or a bad dropout probability.
    pub fn new<R: Rng + ?Sized>(config: RecurrentConfig, rng: &mut R) -> Result<Self> {
        Ok(Gru(Recurrent::new(CellKind::Gru, config, rng)?))
    }

    /// `(output, h_n)` as `gru(input, h_0)`.
    ///
    /// # Errors
    /// As [`Rnn::forward_with_state`].
    pub fn forward_with_state(&self, input: &Tensor, h0: Option<&Tensor>) -> Result<(Tensor, Tensor)> {
        let initial = h0.map(|h| [h]);
        let (output, mut finals) = self.0.run(input, initial.as_ref().map(|s| &s[..]))?;
        Ok((output, finals.swap_remove(0)))
    }
}

sequence_module!(Gru);
