//! The `Tensor` type: shared f32 data, its shape, and (when it takes part in autodiff) the node
//! that produced it. Constructors and read-back live here; ops live in `ops/`.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use ndarray::{ArcArray, ArrayD, IxDyn};

use crate::autograd::Node;
use crate::error::{Error, Result};

/// The storage of a tensor: an n-dimensional f32 ndarray array behind an `Arc`. Cloning one is
/// cheap (a reference count), and writing to a shared one copies it first.
pub type Data = ArcArray<f32, IxDyn>;

/// Identifies a tensor for as long as it lives; gradients are keyed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorId(u64);

static NEXT_ID: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);

impl TensorId {
    fn fresh() -> Self {
        TensorId(NEXT_ID.fetch_add(1, Ordering::Relaxed))
    }
}

/// An n-dimensional array of `f32` that records the ops applied to it for reverse-mode
/// automatic differentiation.
///
/// A `Tensor` is a handle: cloning it is cheap and the clone is the *same* tensor (same
/// [`TensorId`], same gradient). It is `Send + Sync`.
///
/// ```
/// use nabla_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3])?.requires_grad(true);
/// let y = x.mul(&x)?.sum_all()?; // y = Σ x²
/// let grads = y.backward()?;
/// assert_eq!(grads.get(&x).unwrap().to_vec(), vec![2.0, 4.0, 6.0]);
/// # Ok::<(), nabla_tensor::Error>(())
/// ```
#[derive(Clone)]
pub struct Tensor(pub(crate) Arc<TensorInner>);

pub(crate) struct TensorInner {
    pub(crate) id: TensorId,
    pub(crate) shape: Vec<usize>,
    pub(crate) data: RwLock<Data>,
    pub(crate) requires_grad: bool,
    pub(crate) node: Option<Node>,
}

impl Drop for TensorInner {
    /// Frees the graph behind this tensor iteratively: a sequence unrolled over a hundred
    /// thousand steps would overflow the stack if each node dropped its inputs recursively.
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
        let data = self.data.get_mut().unwrap_or_else(|e| e.into_inner());
        crate::buffers::recycle(std::mem::replace(data, crate::buffers::empty()));
        let Some(node) = self.node.take() else { return };
        let mut pending = node.into_inputs();
        while let Some(tensor) = pending.pop() {
            if let Ok(mut inner) = Arc::try_unwrap(tensor.0)
                && let Some(node) = inner.node.take()
            {
                pending.extend(node.into_inputs());
            }
        }
    }
}

/// How many tensors are alive in this process. A diagnostic: a training loop whose count keeps
/// growing is holding on to its graphs.
pub fn live_tensor_count() -> usize {
    LIVE.load(Ordering::Relaxed)
}

impl Tensor {
    pub(crate) fn from_parts(data: Data, node: Option<Node>, requires_grad: bool) -> Tensor {
        LIVE.fetch_add(1, Ordering::Relaxed);
        Tensor(Arc::new(TensorInner {
            id: TensorId::fresh(),
            shape: data.shape().to_vec(),
            data: RwLock::new(data),
            requires_grad,
            node,
        }))
    }

    /// A tensor (not tracked by autodiff) holding `data`.
    pub fn from_data(data: Data) -> Tensor {
        Tensor::from_parts(data, None, false)
    }

    /// A tensor holding an ndarray array of any dimensionality.
    pub fn from_array<D: ndarray::Dimension>(array: ndarray::Array<f32, D>) -> Tensor {
        Tensor::from_data(array.into_dyn().into_shared())
    }

    /// A tensor from row-major values and a shape.
    ///
    /// # Errors
    /// [`Error::Reshape`] when `values.len()` is not the product of `shape`.
    pub fn from_vec(values: Vec<f32>, shape: &[usize]) -> Result<Tensor> {
        let (len, numel) = (values.len(), shape.iter().product::<usize>());
        let array = ArrayD::from_shape_vec(IxDyn(shape), values).map_err(|_| Error::Reshape {
            op: "from_vec",
            from: vec![len],
            to: shape.to_vec(),
            from_numel: len,
            to_numel: numel,
        })?;
        Ok(Tensor::from_array(array))
    }

    /// A 0-dimensional tensor holding `value`.
    pub fn scalar(value: f32) -> Tensor {
        Tensor::from_array(ndarray::arr0(value))
    }

    /// A tensor of the given shape filled with `value`.
    pub fn full(shape: &[usize], value: f32) -> Tensor {
        Tensor::from_array(ArrayD::from_elem(IxDyn(shape), value))
    }

    /// A tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 0.0)
    }

    /// A tensor of ones.
    pub fn ones(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 1.0)
    }

    /// Zeros with this tensor's shape.
    pub fn zeros_like(&self) -> Tensor {
        Tensor::zeros(self.shape())
    }

    /// Ones with this tensor's shape.
    pub fn ones_like(&self) -> Tensor {
        Tensor::ones(self.shape())
    }

    /// The 1-D tensor `start, start + step, …` up to but excluding `end`, as `torch.arange`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero or non-finite step, or a step pointing away from `end`.
    pub fn arange(start: f32, end: f32, step: f32) -> Result<Tensor> {
        if step == 0.0 || !step.is_finite() || !start.is_finite() || !end.is_finite() {
            return Err(Error::invalid(
                "arange",
                format!("start {start}, end {end}, step {step}: need finite values and a non-zero step"),
            ));
        }
        let count = ((end - start) / step).ceil();
        if count < 0.0 {
            return Err(Error::invalid("arange", format!("step {step} points away from end {end} (start {start})")));
        }
        let values = (0..count as usize).map(|i| start + i as f32 * step).collect::<Vec<_>>();
        let len = values.len();
        Tensor::from_vec(values, &[len])
    }

    /// This tensor's identity, the key of its gradient.
    pub fn id(&self) -> TensorId {
        self.0.id
    }

    /// The shape, outermost axis first.
    pub fn shape(&self) -> &[usize] {
        &self.0.shape
    }

    /// The number of axes.
    pub fn ndim(&self) -> usize {
        self.0.shape.len()
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.0.shape.iter().product()
    }

    /// The size of one axis (negative counts from the end).
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`].
    pub fn dim(&self, axis: isize) -> Result<usize> {
        Ok(self.0.shape[crate::shape::normalize_axis("dim", axis, self.shape())?])
    }

    /// The data, shared (no copy). Use `.view()` on it for an ndarray view.
    pub fn data(&self) -> Data {
        self.0.data.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The values in row-major order.
    pub fn to_vec(&self) -> Vec<f32> {
        crate::kernels::elementwise::contiguous(&self.data()).into_owned()
    }

    /// The values as an owned ndarray array.
    pub fn to_array(&self) -> ArrayD<f32> {
        self.data().into_owned()
    }

    /// The single value of a one-element tensor.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the tensor has other than one element.
    pub fn item(&self) -> Result<f32> {
        if self.numel() != 1 {
            return Err(Error::invalid("item", format!("needs a one-element tensor, got shape {:?}", self.shape())));
        }
        Ok(self.to_vec()[0])
    }

    /// Whether gradients flow to (or through) this tensor.
    pub fn is_tracked(&self) -> bool {
        self.0.requires_grad
    }

    /// Whether this tensor was made by an op (rather than created directly).
    pub fn is_leaf(&self) -> bool {
        self.0.node.is_none()
    }

    /// A leaf tensor sharing this one's data, with gradients switched on or off. It is a new
    /// tensor (a new [`TensorId`]); make trainable parameters this way once, then keep them.
    pub fn requires_grad(self, yes: bool) -> Tensor {
        if self.is_leaf() && self.0.requires_grad == yes {
            return self;
        }
        Tensor::from_parts(self.data(), None, yes)
    }

    /// A tensor sharing this one's data but cut out of the graph: no gradient flows through it.
    pub fn detach(&self) -> Tensor {
        Tensor::from_data(self.data())
    }

    /// Replaces the values of a leaf tensor in place, keeping its identity (how optimizers
    /// update parameters). Graphs recorded earlier keep the values they saw.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the shape differs; [`Error::InvalidArgument`] on a tensor
    /// produced by an op.
    pub fn set_data(&self, data: Data) -> Result<()> {
        self.check_writable("set_data", data.shape())?;
        *self.0.data.write().unwrap_or_else(|e| e.into_inner()) = data;
        Ok(())
    }

    /// Updates the values of a leaf tensor in place through `f` (copying first only when a
    /// recorded graph still shares them).
    ///
    /// # Errors
    /// As [`Tensor::set_data`].
    pub fn update_data(&self, f: impl FnOnce(ndarray::ArrayViewMutD<'_, f32>)) -> Result<()> {
        self.check_writable("update_data", self.shape())?;
        let mut guard = self.0.data.write().unwrap_or_else(|e| e.into_inner());
        if !guard.is_unique() {
            // The copy goes into a pooled buffer (ndarray's own copy-on-write would allocate).
            let mut copy = crate::buffers::buffer(guard.len());
            match guard.as_slice() {
                Some(values) => copy.copy_from_slice(values),
                None => copy.iter_mut().zip(guard.iter()).for_each(|(c, v)| *c = *v),
            }
            *guard = Data::from_shape_vec(guard.raw_dim(), copy).expect("the same shape");
        }
        f(guard.view_mut());
        Ok(())
    }

    fn check_writable(&self, op: &'static str, shape: &[usize]) -> Result<()> {
        if !self.is_leaf() {
            return Err(Error::invalid(
                op,
                "only a leaf tensor can be written in place; this one was produced by an op",
            ));
        }
        if shape != self.shape() {
            return Err(Error::ShapeMismatch {
                op,
                lhs: self.shape().to_vec(),
                rhs: shape.to_vec(),
                reason: "the new data must keep the shape".into(),
            });
        }
        Ok(())
    }
}

impl From<ArrayD<f32>> for Tensor {
    fn from(array: ArrayD<f32>) -> Tensor {
        Tensor::from_array(array)
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor(shape={:?}, tracked={}, {:?})", self.shape(), self.is_tracked(), self.data())
    }
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.data())
    }
}
