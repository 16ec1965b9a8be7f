//! What can go wrong in a `nabla` command, each printed as one line.

use nabla_train::TrainError;

/// The error of a command; `main` prints it as one line and exits non-zero.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    #[error(transparent)]
    Tensor(#[from] nabla_tensor::Error),

    #[error(transparent)]
    Data(#[from] nabla_data::DataError),

    #[error(transparent)]
    Train(#[from] TrainError),

    #[error(transparent)]
    Style(#[from] nabla_style::StyleError),

    #[error(transparent)]
    StateDict(#[from] nabla_nn::StateDictError),

    #[error(transparent)]
    Plot(#[from] nabla_plot::PlotError),

    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },

    /// A topic of the tour failed.
    #[error("tour topic {topic}: {source}")]
    Topic { topic: &'static str, source: Box<CliError> },

    /// An input file or folder that is not what the command needs.
    #[error("{0}")]
    Input(String),

    /// Arguments that parse but do not fit together.
    #[error("{0}")]
    Usage(String),

    /// Ctrl-C; what was saved is named.
    #[error("interrupted; {0}")]
    Interrupted(String),
}

impl CliError {
    /// The process exit code: 130 after Ctrl-C (as shells report it), 2 for bad arguments,
    /// 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Interrupted(_) => 130,
            CliError::Usage(_) => 2,
            _ => 1,
        }
    }
}
