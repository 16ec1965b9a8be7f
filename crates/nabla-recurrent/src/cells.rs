//! The single-step modules: `RnnCell`, `LstmCell`, `GruCell` (PyTorch's `nn.RNNCell`,
//! `nn.LSTMCell`, `nn.GRUCell`).

use nabla_nn::Module;
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor};

use crate::cell_params::{CellKind, CellParams, RnnNonlinearity};

/// Checks `x` `[B, input]` and each state tensor `[B, hidden]`.
pub(crate) fn check_step(kind: CellKind, params: &CellParams, x: &Tensor, state: &[&Tensor]) -> Result<()> {
    if x.ndim() != 2 || x.shape()[1] != params.input() {
        return Err(Error::ShapeMismatch {
            op: kind.name(),
            lhs: x.shape().to_vec(),
            rhs: vec![params.input()],
            reason: format!("the input must be [batch, {}]", params.input()),
        });
    }
    let expected = [x.shape()[0], params.hidden()];
    if let Some(bad) = state.iter().find(|s| s.shape() != expected) {
        return Err(Error::ShapeMismatch {
            op: kind.name(),
            lhs: bad.shape().to_vec(),
            rhs: expected.to_vec(),
            reason: "the state must be [batch, hidden]".into(),
        });
    }
    Ok(())
}

macro_rules! cell_module {
    ($name:ident) => {
        impl Module for $name {
            /// One step from a zero state. # Shapes `[B, input]` → `[B, hidden]`.
            fn forward(&self, input: &Tensor) -> Result<Tensor> {
                let zero = Tensor::zeros(&[input.shape().first().copied().unwrap_or(0), self.params.hidden()]);
                let state = vec![zero; self.kind().state_len()];
                check_step(self.kind(), &self.params, input, &state.iter().collect::<Vec<_>>())?;
                Ok(self.params.step(self.kind(), &self.params.input_gates(input)?, &state)?.swap_remove(0))
            }
        }
    };
}

/// An Elman RNN step, `h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)` (`nn.RNNCell`).
#[derive(Debug, Clone, Module)]
pub struct RnnCell {
    #[module(flatten)]
    pub params: CellParams,
    #[module(skip)]
    pub nonlinearity: RnnNonlinearity,
}

impl RnnCell {
    /// A cell with PyTorch's initialisation (U(±1/√hidden)).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero size.
    pub fn new<R: Rng + ?Sized>(
        input: usize,
        hidden: usize,
        nonlinearity: RnnNonlinearity,
        rng: &mut R,
    ) -> Result<Self> {
        Ok(RnnCell { params: CellParams::new(CellKind::Rnn(nonlinearity), input, hidden, true, rng)?, nonlinearity })
    }

    fn kind(&self) -> CellKind {
        CellKind::Rnn(self.nonlinearity)
    }

    /// One step. # Shapes `x` `[B, input]`, `h` `[B, hidden]` → `[B, hidden]`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a wrong input or state shape.
    pub fn step(&self, x: &Tensor, h: &Tensor) -> Result<Tensor> {
        check_step(self.kind(), &self.params, x, &[h])?;
        Ok(self.params.step(self.kind(), &self.params.input_gates(x)?, std::slice::from_ref(h))?.swap_remove(0))
    }
}

cell_module!(RnnCell);

/// An LSTM step (`nn.LSTMCell`): gates i, f, g, o from one matmul per input and per hidden
/// state, then one fused kernel for `c' = f·c + i·g`, `h' = o·tanh(c')`.
#[derive(Debug, Clone, Module)]
pub struct LstmCell {
    #[module(flatten)]
    pub params: CellParams,
}

impl LstmCell {
    /// A cell with PyTorch's initialisation (U(±1/√hidden)).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero size.
    pub fn new<R: Rng + ?Sized>(input: usize, hidden: usize, rng: &mut R) -> Result<Self> {
        Ok(LstmCell { params: CellParams::new(CellKind::Lstm, input, hidden, true, rng)? })
    }

    fn kind(&self) -> CellKind {
        CellKind::Lstm
    }

    /// One step: `(h', c')`. # Shapes `x` `[B, input]`, `h`, `c` `[B, hidden]`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a wrong input or state shape.
    pub fn step(&self, x: &Tensor, (h, c): (&Tensor, &Tensor)) -> Result<(Tensor, Tensor)> {
        check_step(self.kind(), &self.params, x, &[h, c])?;
        let mut state = self.params.step(self.kind(), &self.params.input_gates(x)?, &[h.clone(), c.clone()])?;
        let c = state.pop().expect("h and c");
        Ok((state.pop().expect("h and c"), c))
    }
}

cell_module!(LstmCell);

/// A GRU step (`nn.GRUCell`): gates r, z, n, `h' = (1-z)·n + z·h`, one fused kernel.
#[derive(Debug, Clone, Module)]
pub struct GruCell {
    #[module(flatten)]
    pub params: CellParams,
}

impl GruCell {
    /// A cell with PyTorch's initialisation (U(±1/√hidden)).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero size.
    pub fn new<R: Rng + ?Sized>(input: usize, hidden: usize, rng: &mut R) -> Result<Self> {
        Ok(GruCell { params: CellParams::new(CellKind::Gru, input, hidden, true, rng)? })
    }

    fn kind(&self) -> CellKind {
        CellKind::Gru
    }

    /// One step. # Shapes `x` `[B, input]`, `h` `[B, hidden]` → `[B, hidden]`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a wrong input or state shape.
    pub fn step(&self, x: &Tensor, h: &Tensor) -> Result<Tensor> {
        check_step(self.kind(), &self.params, x, &[h])?;
        Ok(self.params.step(self.kind(), &self.params.input_gates(x)?, std::slice::from_ref(h))?.swap_remove(0))
    }
}

cell_module!(GruCell);
