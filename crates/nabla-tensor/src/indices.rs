//! [`Indices`]: whole-number positions with a shape, the one index type of nabla's indexing
//! ops, losses and embeddings (PyTorch's `int64` index tensors).

use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Positions along an axis, with a shape: what [`Tensor::index_select`], [`Tensor::gather`],
/// [`one_hot`](crate::one_hot), the class-target losses and `Embedding` take, and what
/// [`Tensor::argmax`], [`Tensor::topk`] and the samplers return (PyTorch's `LongTensor`).
///
/// Every function that takes indices takes `impl Into<Indices>`, so a slice, a vector or an
/// array of `i64`, `usize` or `i32` works as it is (a one-dimensional shape), and so does an
/// `Indices` another op returned:
///
/// ```
/// use nabla_tensor::{Indices, Tensor};
/// let x = Tensor::from_vec(vec![1.0, 5.0, 2.0, 7.0, 0.0, 3.0], &[2, 3])?;
/// let best = x.argmax(1, false)?;                   // [1, 0]
/// assert_eq!(best.values(), &[1, 0]);
/// let rows = x.index_select(0, &best)?;              // rows 1 and 0
/// assert_eq!(rows.to_vec(), vec![7.0, 0.0, 3.0, 1.0, 5.0, 2.0]);
/// let same = x.index_select(0, &[1usize, 0])?;       // or plain numbers
/// assert_eq!(same.to_vec(), rows.to_vec());
/// let grid = Indices::new(vec![0, 2, 1, 1], &[2, 2])?;
/// assert_eq!(x.gather(1, &grid)?.to_vec(), vec![1.0, 2.0, 0.0, 0.0]);
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indices {
    values: Vec<i64>,
    shape: Vec<usize>,
}

impl Indices {
    /// Indices of `shape`, row-major.
    ///
    /// # Errors
    /// [`Error::Reshape`] when `values.len()` is not the product of `shape`.
    pub fn new(values: Vec<i64>, shape: &[usize]) -> Result<Indices> {
        let numel: usize = shape.iter().product();
        if numel != values.len() {
            return Err(Error::Reshape {
                op: "Indices::new",
                from: vec![values.len()],
                to: shape.to_vec(),
                from_numel: values.len(),
                to_numel: numel,
            });
        }
        Ok(Indices { values, shape: shape.to_vec() })
    }

    /// The whole numbers a tensor holds (as `target.long()` in PyTorch), with its shape.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a value that is not a whole number in `i64`'s range (a
    /// fraction, NaN, an infinity).
    pub fn from_tensor(tensor: &Tensor) -> Result<Indices> {
        // -2^63..2^63: every whole f32 in it converts to i64 exactly.
        let range = i64::MIN as f32..i64::MAX as f32;
        let values = tensor
            .to_vec()
            .into_iter()
            .map(|v| {
                if v.fract() == 0.0 && range.contains(&v) {
                    Ok(v as i64)
                } else {
                    Err(Error::invalid(
                        "Indices::from_tensor",
                        format!("indices are whole numbers, got {v} in a tensor of shape {:?}", tensor.shape()),
                    ))
                }
            })
            .collect::<Result<Vec<i64>>>()?;
        Ok(Indices { values, shape: tensor.shape().to_vec() })
    }

    /// The indices as an `f32` tensor of their shape (for plotting, or as a model's input).
    pub fn to_tensor(&self) -> Tensor {
        let values = self.values.iter().map(|&v| v as f32).collect();
        Tensor::from_vec(values, &self.shape).expect("the shape holds every value")
    }

    /// The values, row-major.
    pub fn values(&self) -> &[i64] {
        &self.values
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// How many indices there are.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The same values with another shape of as many elements.
    ///
    /// # Errors
    /// [`Error::Reshape`] when the element counts differ.
    pub fn reshape(self, shape: &[usize]) -> Result<Indices> {
        Indices::new(self.values, shape)
    }

    /// The values as positions along an axis of `size` (of a tensor of shape `shape`, for the
    /// message): every one in `0..size`.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`] naming `op` for a negative value or one of `size` or more.
    pub fn positions(&self, op: &'static str, axis: usize, size: usize, shape: &[usize]) -> Result<Vec<usize>> {
        self.values
            .iter()
            .map(|&i| {
                if i >= 0 && (i as u64) < size as u64 {
                    Ok(i as usize)
                } else {
                    Err(Error::IndexOutOfRange { op, index: i, axis, size, shape: shape.to_vec() })
                }
            })
            .collect()
    }
}

/// `From` conversions for one-dimensional sources of one integer type.
macro_rules! from_integers {
    ($($int:ty),*) => {$(
        impl From<Vec<$int>> for Indices {
            fn from(values: Vec<$int>) -> Indices {
                Indices::from(values.as_slice())
            }
        }
        impl From<&Vec<$int>> for Indices {
            fn from(values: &Vec<$int>) -> Indices {
                Indices::from(values.as_slice())
            }
        }
        impl From<&[$int]> for Indices {
            fn from(values: &[$int]) -> Indices {
                Indices { shape: vec![values.len()], values: values.iter().map(|&v| v as i64).collect() }
            }
        }
        impl<const N: usize> From<[$int; N]> for Indices {
            fn from(values: [$int; N]) -> Indices {
                Indices::from(values.as_slice())
            }
        }
        impl<const N: usize> From<&[$int; N]> for Indices {
            fn from(values: &[$int; N]) -> Indices {
                Indices::from(values.as_slice())
            }
        }
    )*};
}

from_integers!(i64, i32, usize);

impl From<&Indices> for Indices {
    fn from(indices: &Indices) -> Indices {
        indices.clone()
    }
}

/// One-hot rows: for indices of shape `S`, a tensor of shape `S + [classes]` with 1 at each
/// index and 0 elsewhere (`F.one_hot(indices, num_classes)`, as `f32`).
///
/// ```
/// let rows = nabla_tensor::one_hot(&[2, 0], 3)?;
/// assert_eq!(rows.shape(), &[2, 3]);
/// assert_eq!(rows.to_vec(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
///
/// # Errors
/// [`Error::IndexOutOfRange`] for an index outside `0..classes`.
pub fn one_hot(indices: impl Into<Indices>, classes: usize) -> Result<Tensor> {
    let indices = indices.into();
    let mut shape = indices.shape().to_vec();
    shape.push(classes);
    let positions = indices.positions("one_hot", indices.shape().len(), classes, &shape)?;
    let mut values = vec![0.0; positions.len() * classes];
    positions.iter().enumerate().for_each(|(row, &class)| values[row * classes + class] = 1.0);
    Tensor::from_vec(values, &shape)
}
