//! # nabla-plot
//!
//! Charts written as PNG files, for the examples, guides and the command-line tool — a
//! training run leaves pictures behind: [`LineChart`] (curves, linear or log y),
//! [`RegionMap`] (decision regions of 2-D classifiers) and [`Heatmap`] (a labelled matrix, such
//! as an attention head's weights). Rendering uses plotters with a bundled font (DejaVu
//! Sans, `fonts/`), so it needs no system fonts; files are written atomically (a temporary file
//! renamed into place).
//!
//! ```no_run
//! use nabla_plot::{LineChart, Series};
//! let chart = LineChart::new("loss", "step", "loss")
//!     .series(Series::new("train", vec![(0.0, 2.3), (1.0, 1.1), (2.0, 0.6)]));
//! chart.write_png("loss.png")?;
//! # Ok::<(), nabla_plot::PlotError>(())
//! ```

mod chart;
mod heatmap;
mod regions;

pub use chart::{LineChart, PlotError, Series};
pub use heatmap::Heatmap;
pub use regions::{RegionMap, RegionPanel};

/// The README's example, run as a doc test.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
