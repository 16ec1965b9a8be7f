//! # nabla-recurrent
//!
//! Recurrent networks for nabla, with PyTorch's parameter names, layouts, gate orders,
//! options and outputs:
//!
//! - Cells: [`RnnCell`] (tanh or ReLU), [`LstmCell`] (gates i, f, g, o), [`GruCell`] (r, z,
//!   n). Each step is one matmul per input and per hidden state and one fused element-wise
//!   kernel with its own backward.
//! - Sequences: [`Rnn`], [`Lstm`], [`Gru`] with `num_layers`, `bidirectional`,
//!   `batch_first`, dropout between layers and optional initial states, returning
//!   `(output, h_n)` / `(output, (h_n, c_n))` shaped as PyTorch's. Parameters are named
//!   `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0` (`_reverse` for the backward
//!   direction), so a PyTorch state dict loads.
//! - An `Lstm` layer runs each direction as one fused op over the whole sequence (one input
//!   product for all steps, one `W_hh` product per step, the weight gradients of all steps
//!   in one product each); `Rnn` and `Gru` step through their cells.
//! - Backpropagation through time over the whole unrolled sequence; for truncated BPTT carry
//!   the returned state into the next chunk with `detach()` (see the tests).

mod cell_params;
mod cells;
mod kernels;
mod lstm_sequence;
mod sequence;

pub use cell_params::{CellKind, CellParams, RnnNonlinearity};
pub use cells::{GruCell, LstmCell, RnnCell};
pub use sequence::{Gru, Lstm, RecurrentConfig, Rnn};

/// The README's example, run as a doc test.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
