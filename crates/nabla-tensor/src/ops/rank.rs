//! Ranking along an axis: arg-max, arg-min and the `k` largest or smallest values.

use std::cmp::Ordering;

use ndarray::Axis;

use crate::error::{Error, Result};
use crate::indices::Indices;
use crate::shape::normalize_axis;
use crate::tensor::Tensor;

/// Which end of the order an op takes.
#[derive(Clone, Copy)]
enum End {
    Largest,
    Smallest,
}

impl End {
    /// Orders `a` before `b` when `a` is nearer this end; NaN counts as the largest value, as
    /// in PyTorch; ties keep the lower index first (the sort that uses it is stable).
    fn order(self, a: f32, b: f32) -> Ordering {
        let ascending = match (a.is_nan(), b.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => a.partial_cmp(&b).expect("neither is NaN"),
        };
        match self {
            End::Largest => ascending.reverse(),
            End::Smallest => ascending,
        }
    }
}

impl Tensor {
    /// The position of the largest value along `axis` (`torch.argmax(x, dim, keepdim)`): the
    /// first one where several are equal; a NaN counts as the largest.
    ///
    /// ```
    /// use nabla_tensor::Tensor;
    /// let logits = Tensor::from_vec(vec![0.1, 2.0, -1.0, 3.0, 3.0, 0.0], &[2, 3])?;
    /// assert_eq!(logits.argmax(1, false)?.values(), &[1, 0]);
    /// assert_eq!(logits.argmax(1, true)?.shape(), &[2, 1]);
    /// # Ok::<(), nabla_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`]; [`Error::Empty`] when the axis has no elements.
    pub fn argmax(&self, axis: isize, keepdim: bool) -> Result<Indices> {
        self.arg_end("argmax", axis, keepdim, End::Largest)
    }

    /// The position of the smallest value along `axis` (`torch.argmin(x, dim, keepdim)`): the
    /// first one where several are equal.
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`]; [`Error::Empty`] when the axis has no elements.
    pub fn argmin(&self, axis: isize, keepdim: bool) -> Result<Indices> {
        self.arg_end("argmin", axis, keepdim, End::Smallest)
    }

    /// The `k` largest values along `axis` (or the `k` smallest, with `largest = false`) in
    /// order, and their positions (`torch.topk(x, k, dim, largest, sorted=True)`). Equal
    /// values come in the order of their positions. The values are differentiable: the
    /// gradient flows to the positions picked.
    ///
    /// ```
    /// use nabla_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.5, 4.0, 2.0, 3.0], &[4])?;
    /// let (values, positions) = x.topk(2, 0, true)?;
    /// assert_eq!(values.to_vec(), vec![4.0, 3.0]);
    /// assert_eq!(positions.values(), &[1, 3]);
    /// # Ok::<(), nabla_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`]; [`Error::InvalidArgument`] when `k` exceeds the axis.
    pub fn topk(&self, k: usize, axis: isize, largest: bool) -> Result<(Tensor, Indices)> {
        let a = normalize_axis("topk", axis, self.shape())?;
        let size = self.shape()[a];
        if k > size {
            return Err(Error::invalid(
                "topk",
                format!("k = {k} is more than axis {a} holds ({size}) in a tensor of shape {:?}", self.shape()),
            ));
        }
        let end = if largest { End::Largest } else { End::Smallest };
        let data = self.data();
        let mut shape = self.shape().to_vec();
        shape[a] = k;
        // Positions laid out as the output: lanes along `a`, in the row-major order of the rest.
        let mut positions = ndarray::ArrayD::<i64>::zeros(shape.clone());
        for (lane, mut out) in data.lanes(Axis(a)).into_iter().zip(positions.lanes_mut(Axis(a))) {
            let mut order: Vec<usize> = (0..size).collect();
            order.sort_by(|&i, &j| end.order(lane[i], lane[j]));
            out.iter_mut().zip(&order).for_each(|(o, &i)| *o = i as i64);
        }
        let indices = Indices::new(positions.iter().copied().collect(), &shape)?;
        Ok((self.gather(axis, &indices)?, indices))
    }

    fn arg_end(&self, op: &'static str, axis: isize, keepdim: bool, end: End) -> Result<Indices> {
        let a = normalize_axis(op, axis, self.shape())?;
        if self.shape()[a] == 0 {
            return Err(Error::Empty { op, shape: self.shape().to_vec() });
        }
        let data = self.data();
        let values: Vec<i64> = data
            .lanes(Axis(a))
            .into_iter()
            .map(|lane| {
                let best = lane.iter().enumerate().min_by(|(_, x), (_, y)| end.order(**x, **y));
                best.map_or(0, |(i, _)| i as i64)
            })
            .collect();
        let mut shape = self.shape().to_vec();
        if keepdim {
            shape[a] = 1;
        } else {
            shape.remove(a);
        }
        Indices::new(values, &shape)
    }
}
