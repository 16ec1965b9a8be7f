//! `use nabla::prelude::*;`: what most models need — tensors, the module traits and the derive,
//! the common layers, losses and optimizers, data sets and the trainer.

pub use crate::{Error, Result};

#[cfg(feature = "tensor")]
pub use nabla_tensor::{Indices, Tensor, no_grad};

#[cfg(feature = "nn")]
pub use nabla_nn::{Activation, Dropout, Embedding, EmbeddingConfig, Linear, LinearConfig, Module, Sequential, Visit};

#[cfg(feature = "losses")]
pub use nabla_losses::{CrossEntropyOptions, Reduction, cross_entropy, mse};

#[cfg(feature = "optim")]
pub use nabla_optim::{AdamConfig, AdamW, Optimizer, SgdConfig, UpdateRule};

#[cfg(feature = "conv")]
pub use nabla_conv::{Conv2d, Conv2dConfig, MaxPool2d, Pool2dConfig};

#[cfg(feature = "recurrent")]
pub use nabla_recurrent::{Lstm, RecurrentConfig};

#[cfg(feature = "data")]
pub use nabla_data::{Batch, DataLoader, TensorDataset};

#[cfg(feature = "train")]
pub use nabla_train::{TrainRng, Trainable, Trainer, TrainerConfig};
