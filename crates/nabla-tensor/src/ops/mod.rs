//! The core's differentiable ops, one family per file, each an [`Op`](crate::Op) with its
//! forward and backward side by side, plus the `Tensor` methods that call it.

mod binary;
mod index;
mod join;
mod layout;
mod matmul;
mod rank;
mod reduce;
mod select;
mod sugar;
mod unary;
