//! The feature extractor: a convolutional network whose intermediate outputs are tapped by
//! name (`conv1_1`, `relu1_1`, …, `pool1`, …). Two layouts:
//!
//! - **VGG-19** (Simonyan and Zisserman 2014), as torchvision's `vgg19().features`, so that
//!   weights load from a safetensors file with torchvision's keys (`features.0.weight`, …).
//!   Those weights are what Gatys et al. used; nabla does not ship them.
//! - **Random** (the default): workload W7's three convolutions with seeded random filters at
//!   two scales. Ustyuzhaninov et al. (2017) showed that random filters already capture
//!   texture statistics; they transfer colour, grain and local texture well, but not the
//!   object-level structure a trained network sees.
//!
//! The network is frozen (its weights do not require gradients) and inputs in [0, 1] are
//! normalised with ImageNet's mean and standard deviation, as torchvision's models expect.

use std::collections::HashMap;
use std::path::Path;

use nabla_conv::{AvgPool2d, Conv2d, Conv2dConfig, MaxPool2d, Pool2dConfig};
use nabla_nn::{Activation, LoadReport, Module, Sequential, StateDictError, load_tensors};
use nabla_tensor::rand::rngs::StdRng;
use nabla_tensor::rand::{Rng, SeedableRng};
use nabla_tensor::{Error, Result, Tensor, no_grad};

/// The pooling between VGG blocks: the paper's network uses max pooling; Gatys et al. found
/// average pooling gives slightly smoother results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    Max,
    Average,
}

/// ImageNet's per-channel mean and standard deviation.
const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];

/// A frozen convolutional network with named taps.
#[derive(Module)]
pub struct FeatureExtractor {
    #[module(name = "features")]
    network: Sequential,
    #[module(skip)]
    names: Vec<String>,
    #[module(skip)]
    style_layers: Vec<(String, f32)>,
    #[module(skip)]
    content_layer: String,
}

impl FeatureExtractor {
    /// W7's network with filters drawn from `seed` (PyTorch's default initialisation):
    /// `conv1_1` (3→64) `relu1_1` `conv1_2` (64→64) `relu1_2` `pool1` (average) `conv2_1`
    /// (64→128) `relu2_1`. Style on all three ReLUs, content on `relu2_1`.
    ///
    /// # Errors
    /// None in practice.
    pub fn random(seed: u64) -> Result<Self> {
        let rng = &mut StdRng::seed_from_u64(seed);
        let mut builder = Builder::default();
        builder.conv("conv1_1", 3, 64, rng)?;
        builder.conv("conv1_2", 64, 64, rng)?;
        builder.pool("pool1", Pooling::Average);
        builder.conv("conv2_1", 64, 128, rng)?;
        let style = ["relu1_1", "relu1_2", "relu2_1"].iter().map(|n| (n.to_string(), 1.0)).collect();
        Ok(builder.finish(style, "relu2_1"))
    }

    /// The VGG-19 layout (torchvision's `vgg19().features`, 16 convolutions in 5 blocks) with
    /// random filters; load trained weights with [`FeatureExtractor::load_torchvision`]. Style
    /// on `relu1_1` … `relu5_1`, content on `relu4_2`, as Gatys et al.
    ///
    /// # Errors
    /// None in practice.
    pub fn vgg19<R: Rng + ?Sized>(pooling: Pooling, rng: &mut R) -> Result<Self> {
        let mut builder = Builder::default();
        let mut channels = 3;
        for (block, (width, convs)) in [(64, 2), (128, 2), (256, 4), (512, 4), (512, 4)].into_iter().enumerate() {
            for i in 1..=convs {
                builder.conv(&format!("conv{}_{i}", block + 1), channels, width, rng)?;
                channels = width;
            }
            builder.pool(&format!("pool{}", block + 1), pooling);
        }
        let style = (1..=5).map(|b| (format!("relu{b}_1"), 1.0)).collect();
        Ok(builder.finish(style, "relu4_2"))
    }

    /// Loads VGG-19 weights saved from torchvision (`features.{i}.weight` and `.bias`; other
    /// keys, such as the classifier's, are ignored and reported).
    ///
    /// # Errors
    /// [`StateDictError::Mismatch`] when a feature weight is missing or has another shape.
    pub fn load_torchvision(&mut self, path: impl AsRef<Path>) -> std::result::Result<LoadReport, StateDictError> {
        let path = path.as_ref();
        let entries: Vec<(String, Tensor)> = load_tensors(path)?
            .into_iter()
            .filter_map(|(k, t)| k.strip_prefix("features.").map(|k| (k.to_string(), t)))
            .collect();
        let report = nabla_nn::load_state_dict(&mut self.network, &entries, false, &path.display().to_string())?;
        if !report.missing.is_empty() {
            return Err(StateDictError::Mismatch {
                path: path.display().to_string(),
                missing: report.missing.iter().map(|k| format!("features.{k}")).collect(),
                unexpected: vec![],
                mismatched: vec![],
            });
        }
        Ok(report)
    }

    /// The name of every layer's output, in order.
    pub fn layer_names(&self) -> &[String] {
        &self.names
    }

    /// The default style layers with their weights.
    pub fn style_layers(&self) -> &[(String, f32)] {
        &self.style_layers
    }

    /// The default content layer.
    pub fn content_layer(&self) -> &str {
        &self.content_layer
    }

    /// The outputs at `taps` for images `[N, 3, H, W]` in [0, 1], running the network only as
    /// deep as the deepest tap.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown tap; shape errors (3 channels, at least as
    /// large as the pooling needs).
    pub fn features(&self, images: &Tensor, taps: &[&str]) -> Result<HashMap<String, Tensor>> {
        let mut deepest = 0;
        for tap in taps {
            let index = self.names.iter().position(|n| n == tap).ok_or_else(|| Error::InvalidArgument {
                op: "FeatureExtractor::features",
                reason: format!("no layer named {tap}; the layers are {}", self.names.join(", ")),
            })?;
            deepest = deepest.max(index);
        }
        let mean = Tensor::from_vec(MEAN.to_vec(), &[1, 3, 1, 1])?;
        let std = Tensor::from_vec(STD.to_vec(), &[1, 3, 1, 1])?;
        let mut x = images.sub(&mean)?.div(&std)?;
        let mut out = HashMap::new();
        for (index, layer) in self.network.layers().iter().enumerate().take(deepest + 1) {
            x = layer.forward(&x)?;
            if taps.contains(&self.names[index].as_str()) {
                out.insert(self.names[index].clone(), x.clone());
            }
        }
        Ok(out)
    }

    /// [`FeatureExtractor::features`] without recording a graph (for the fixed targets).
    ///
    /// # Errors
    /// As [`FeatureExtractor::features`].
    pub fn targets(&self, images: &Tensor, taps: &[&str]) -> Result<HashMap<String, Tensor>> {
        no_grad(|| self.features(images, taps))
    }
}

impl Module for FeatureExtractor {
    /// The output of the last layer.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let last = self.names.last().map(String::as_str).unwrap_or_default();
        self.features(input, &[last])?.remove(last).ok_or(Error::Empty { op: "FeatureExtractor", shape: vec![] })
    }
}

/// Builds the network layer by layer, naming each output.
#[derive(Default)]
struct Builder {
    network: Sequential,
    names: Vec<String>,
}

impl Builder {
    /// A frozen 3×3 convolution with padding 1 named `conv…`, and its ReLU named `relu…`.
    fn conv<R: Rng + ?Sized>(&mut self, name: &str, from: usize, to: usize, rng: &mut R) -> Result<()> {
        let mut conv = Conv2d::new(Conv2dConfig { padding: (1, 1), ..Conv2dConfig::new(from, to, 3) }, rng)?;
        conv.weight = conv.weight.requires_grad(false);
        conv.bias = conv.bias.map(|b| b.requires_grad(false));
        self.push(name.to_string(), conv);
        self.push(name.replace("conv", "relu"), Activation::Relu);
        Ok(())
    }

    fn pool(&mut self, name: &str, pooling: Pooling) {
        let config = Pool2dConfig::new(2);
        match pooling {
            Pooling::Max => self.push(name.to_string(), MaxPool2d(config)),
            Pooling::Average => self.push(name.to_string(), AvgPool2d(config)),
        }
    }

    fn push(&mut self, name: String, layer: impl Module + 'static) {
        self.network = std::mem::take(&mut self.network).push(layer);
        self.names.push(name);
    }

    fn finish(self, style_layers: Vec<(String, f32)>, content_layer: &str) -> FeatureExtractor {
        FeatureExtractor { network: self.network, names: self.names, style_layers, content_layer: content_layer.into() }
    }
}
