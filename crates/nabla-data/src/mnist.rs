//! MNIST: the bundled 10,000-image subset (8,000 train, 2,000 test; see `data/mnist/README.md`
//! for its provenance and licence), or the full dataset from IDX files on disk.

use std::path::Path;

use nabla_tensor::Tensor;

use crate::error::{DataError, Result};
use crate::idx::read_idx_u8;

/// One split of MNIST.
#[derive(Debug, Clone)]
pub struct MnistSplit {
    /// `[N, 1, 28, 28]` pixels scaled to [0, 1] (white digits on black, as MNIST).
    pub images: Tensor,
    /// The digit of each image, 0 to 9.
    pub labels: Vec<u8>,
}

impl MnistSplit {
    /// How many images the split holds.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    fn from_idx(images_name: &str, images: &[u8], labels_name: &str, labels: &[u8]) -> Result<Self> {
        let images = read_idx_u8(images_name, images, 3)?;
        let labels = read_idx_u8(labels_name, labels, 1)?;
        if images.dims[1..] != [28, 28] {
            return Err(DataError::Format {
                path: images_name.into(),
                reason: format!("images are {:?}, not 28×28", &images.dims[1..]),
            });
        }
        if labels.dims[0] != images.dims[0] {
            return Err(DataError::Format {
                path: labels_name.into(),
                reason: format!("{} labels for {} images in {images_name}", labels.dims[0], images.dims[0]),
            });
        }
        if let Some(bad) = labels.values.iter().find(|&&l| l > 9) {
            return Err(DataError::Format { path: labels_name.into(), reason: format!("label {bad} is not a digit") });
        }
        let pixels = images.values.iter().map(|&v| v as f32 / 255.0).collect();
        let images = Tensor::from_vec(pixels, &[images.dims[0], 1, 28, 28])?;
        Ok(MnistSplit { images, labels: labels.values })
    }
}

/// The train and test splits.
#[derive(Debug, Clone)]
pub struct Mnist {
    pub train: MnistSplit,
    pub test: MnistSplit,
}

const BUNDLED_TRAIN_IMAGES: &[u8] = include_bytes!("../data/mnist/mnist10k-train-images-idx3-ubyte.gz");
const BUNDLED_TRAIN_LABELS: &[u8] = include_bytes!("../data/mnist/mnist10k-train-labels-idx1-ubyte.gz");
const BUNDLED_TEST_IMAGES: &[u8] = include_bytes!("../data/mnist/mnist10k-test-images-idx3-ubyte.gz");
const BUNDLED_TEST_LABELS: &[u8] = include_bytes!("../data/mnist/mnist10k-test-labels-idx1-ubyte.gz");

impl Mnist {
    /// The subset bundled with nabla (compiled into the binary, so it needs no files at run
    /// time): 8,000 training and 2,000 test images, stratified from 10,000 MNIST digits.
    ///
    /// ```
    /// let mnist = nabla_data::Mnist::bundled()?;
    /// assert_eq!((mnist.train.len(), mnist.test.len()), (8000, 2000));
    /// assert_eq!(&mnist.train.labels[..3], &[2, 1, 7]);
    /// # Ok::<(), nabla_data::DataError>(())
    /// ```
    ///
    /// # Errors
    /// None for the files shipped; the checks are those of [`Mnist::from_dir`].
    pub fn bundled() -> Result<Mnist> {
        Ok(Mnist {
            train: MnistSplit::from_idx(
                "bundled train images",
                BUNDLED_TRAIN_IMAGES,
                "bundled train labels",
                BUNDLED_TRAIN_LABELS,
            )?,
            test: MnistSplit::from_idx(
                "bundled test images",
                BUNDLED_TEST_IMAGES,
                "bundled test labels",
                BUNDLED_TEST_LABELS,
            )?,
        })
    }

    /// The full dataset from a folder with the four standard files
    /// (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
    /// `t10k-labels-idx1-ubyte`), each optionally gzip-compressed (`.gz`).
    ///
    /// # Errors
    /// [`DataError::Io`] for a missing file, [`DataError::Format`] for one that is not what it
    /// should be.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Mnist> {
        let dir = dir.as_ref();
        let read = |stem: &str| -> Result<(String, Vec<u8>)> {
            let plain = dir.join(stem);
            let gz = dir.join(format!("{stem}.gz"));
            let path = if plain.exists() { plain } else { gz };
            let name = path.display().to_string();
            let bytes = std::fs::read(&path).map_err(|source| DataError::Io { path: name.clone(), source })?;
            Ok((name, bytes))
        };
        let split = |images: &str, labels: &str| -> Result<MnistSplit> {
            let ((image_name, image_bytes), (label_name, label_bytes)) = (read(images)?, read(labels)?);
            MnistSplit::from_idx(&image_name, &image_bytes, &label_name, &label_bytes)
        };
        Ok(Mnist {
            train: split("train-images-idx3-ubyte", "train-labels-idx1-ubyte")?,
            test: split("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")?,
        })
    }
}
