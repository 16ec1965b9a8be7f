//! `nabla::Error`: one error type that every crate's error converts into, so that `?` works
//! across crates in a user's code (a tensor op, a data file, a state dict and a chart in one
//! function).

/// Any error a nabla crate returns. Each variant holds the crate's own error unchanged, so
/// matching on it (`Error::Tensor(nabla::tensor::Error::ShapeMismatch { .. })`) still works.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A tensor op, layer, loss or optimizer: the op and the shapes.
    #[cfg(feature = "tensor")]
    #[error(transparent)]
    Tensor(#[from] nabla_tensor::Error),

    /// A data set, IDX file or image.
    #[cfg(feature = "data")]
    #[error(transparent)]
    Data(#[from] nabla_data::DataError),

    /// Saving or loading a state dict.
    #[cfg(feature = "nn")]
    #[error(transparent)]
    StateDict(#[from] nabla_nn::StateDictError),

    /// A chart.
    #[cfg(feature = "plot")]
    #[error(transparent)]
    Plot(#[from] nabla_plot::PlotError),

    /// A training run: a non-finite loss, a checkpoint, its files.
    #[cfg(feature = "train")]
    #[error(transparent)]
    Train(#[from] nabla_train::TrainError),

    /// Style transfer.
    #[cfg(feature = "style")]
    #[error(transparent)]
    Style(#[from] nabla_style::StyleError),

    /// Reading or writing a file of the user's own.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
