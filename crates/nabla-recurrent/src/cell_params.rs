//! The weights of one recurrent cell (`CellParams`: PyTorch's `weight_ih`, `weight_hh`,
//! `bias_ih`, `bias_hh`) and one step with them: the input-side gate matmul (which a sequence
//! does for all steps at once), then the hidden-side matmul and the fused element-wise kernel.

use nabla_activations::{relu, tanh};
use nabla_nn::Module;
use nabla_tensor::rand::Rng;
use nabla_tensor::{Error, Result, Tensor};

use crate::kernels::{GruStep, LstmStep};

/// The nonlinearity of a vanilla RNN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RnnNonlinearity {
    #[default]
    Tanh,
    Relu,
}

/// Which recurrence a cell computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// `h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)`.
    Rnn(RnnNonlinearity),
    /// Gates i, f, g, o; state (h, c).
    Lstm,
    /// Gates r, z, n; state h.
    Gru,
}

impl CellKind {
    /// Gate blocks stacked in the weights (`weight_ih` is `[gates·H, I]`).
    pub fn gates(self) -> usize {
        match self {
            CellKind::Rnn(_) => 1,
            CellKind::Lstm => 4,
            CellKind::Gru => 3,
        }
    }

    /// How many tensors the state holds: (h) or (h, c).
    pub fn state_len(self) -> usize {
        if self == CellKind::Lstm { 2 } else { 1 }
    }

    /// PyTorch's module name, for errors.
    pub fn name(self) -> &'static str {
        match self {
            CellKind::Rnn(_) => "RNN",
            CellKind::Lstm => "LSTM",
            CellKind::Gru => "GRU",
        }
    }
}

/// The weights of one cell (one layer and direction of a sequence module).
/// The derived keys are PyTorch's cell keys (`weight_ih`); a multi-layer module adds its
/// `_l{k}` suffix to them.
#[derive(Debug, Clone, Module)]
pub struct CellParams {
    /// `[gates·H, input]`.
    pub weight_ih: Tensor,
    /// `[gates·H, H]`.
    pub weight_hh: Tensor,
    /// `[gates·H]`.
    pub bias_ih: Option<Tensor>,
    /// `[gates·H]`.
    pub bias_hh: Option<Tensor>,
}

impl CellParams {
    /// PyTorch's initialisation: every weight and bias from U(±1/√hidden).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero input or hidden size.
    pub fn new<R: Rng + ?Sized>(kind: CellKind, input: usize, hidden: usize, bias: bool, rng: &mut R) -> Result<Self> {
        if input == 0 || hidden == 0 {
            return Err(Error::InvalidArgument {
                op: kind.name(),
                reason: format!("input_size ({input}) and hidden_size ({hidden}) must be at least 1"),
            });
        }
        let rows = kind.gates() * hidden;
        let bound = 1.0 / (hidden as f32).sqrt();
        let mut draw = |shape: &[usize]| Tensor::uniform(shape, -bound, bound, rng).map(|t| t.requires_grad(true));
        Ok(CellParams {
            weight_ih: draw(&[rows, input])?,
            weight_hh: draw(&[rows, hidden])?,
            bias_ih: bias.then(|| draw(&[rows])).transpose()?,
            bias_hh: bias.then(|| draw(&[rows])).transpose()?,
        })
    }

    /// The hidden size.
    pub fn hidden(&self) -> usize {
        self.weight_hh.shape()[1]
    }

    /// The input size.
    pub fn input(&self) -> usize {
        self.weight_ih.shape()[1]
    }

    /// Sets the LSTM forget-gate bias so that `bias_ih + bias_hh` is `value` on the forget
    /// block (`bias_ih` takes it, `bias_hh` is 0 there), as Jozefowicz et al. (2015) advise.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a cell without biases.
    pub fn set_forget_bias(&self, value: f32) -> Result<()> {
        let (Some(bi), Some(bh)) = (&self.bias_ih, &self.bias_hh) else {
            return Err(Error::InvalidArgument { op: "LSTM", reason: "a forget-gate bias needs bias=true".into() });
        };
        let h = self.hidden();
        bi.update_data(|mut v| v.iter_mut().skip(h).take(h).for_each(|b| *b = value))?;
        bh.update_data(|mut v| v.iter_mut().skip(h).take(h).for_each(|b| *b = 0.0))
    }

    fn affine(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
        let product = x.matmul(&weight.t()?)?;
        match bias {
            Some(b) => product.add(b),
            None => Ok(product),
        }
    }

    /// `x W_ihᵀ + b_ih` for `x` `[N, input]` (N may cover every time step at once).
    ///
    /// # Errors
    /// Shape errors from the matmul.
    pub fn input_gates(&self, x: &Tensor) -> Result<Tensor> {
        CellParams::affine(x, &self.weight_ih, self.bias_ih.as_ref())
    }

    /// One step from input gates `gi` `[B, gates·H]` and the state (`[h]` or `[h, c]`, each
    /// `[B, H]`) to the new state.
    ///
    /// # Errors
    /// Shape errors from the matmul.
    pub fn step(&self, kind: CellKind, gi: &Tensor, state: &[Tensor]) -> Result<Vec<Tensor>> {
        let gh = CellParams::affine(&state[0], &self.weight_hh, self.bias_hh.as_ref())?;
        match kind {
            CellKind::Rnn(RnnNonlinearity::Tanh) => Ok(vec![tanh(&gi.add(&gh)?)]),
            CellKind::Rnn(RnnNonlinearity::Relu) => Ok(vec![relu(&gi.add(&gh)?)]),
            CellKind::Lstm => {
                let h = self.hidden();
                let both = Tensor::apply(LstmStep, &[&gi.add(&gh)?, &state[1]])?;
                Ok(vec![both.narrow(1, 0, h)?, both.narrow(1, h, h)?])
            }
            CellKind::Gru => Ok(vec![Tensor::apply(GruStep, &[gi, &gh, &state[0]])?]),
        }
    }
}
