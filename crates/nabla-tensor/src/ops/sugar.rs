//! Operator sugar: `&a + &b`, `&a * 2.0`, `-&a` and friends.
//!
//! The operators cannot return a `Result`, so a shape mismatch **panics** with the op's error
//! message. Use the methods ([`Tensor::add`] …) where shapes come from user input.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::tensor::Tensor;

macro_rules! tensor_operator {
    ($trait:ident, $method:ident, $tensor_op:ident, $scalar_op:ident) => {
        impl $trait<&Tensor> for &Tensor {
            type Output = Tensor;
            /// # Panics
            /// When the shapes do not broadcast (the message is the op's error).
            fn $method(self, rhs: &Tensor) -> Tensor {
                self.$tensor_op(rhs).unwrap_or_else(|e| panic!("{e}"))
            }
        }

        impl $trait<f32> for &Tensor {
            type Output = Tensor;
            /// # Panics
            /// Only for a division by zero.
            fn $method(self, rhs: f32) -> Tensor {
                self.$scalar_op(rhs).unwrap_or_else(|e| panic!("{e}"))
            }
        }
    };
}

tensor_operator!(Add, add, add, add_scalar);
tensor_operator!(Sub, sub, sub, sub_scalar);
tensor_operator!(Mul, mul, mul, mul_scalar);
tensor_operator!(Div, div, div, div_scalar);

impl Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(self).unwrap_or_else(|e| panic!("{e}"))
    }
}
