//! The data crate's error: files that cannot be read or do not hold what they claim.

/// What went wrong loading data, naming the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },

    /// The file's contents are not what its format requires.
    #[error("{path}: {reason}")]
    Format { path: String, reason: String },

    /// An argument or value the data cannot take (a character outside a vocabulary, a window
    /// longer than the text), naming the function.
    #[error("{what}: {reason}")]
    Invalid { what: &'static str, reason: String },

    /// Building a tensor from the data failed.
    #[error(transparent)]
    Tensor(#[from] nabla_tensor::Error),
}

/// The data crate's `Result`.
pub type Result<T> = std::result::Result<T, DataError>;
