//! `LineChart`: titled axes, several labelled series, optional log-scale y and reference
//! lines, rendered to an in-memory bitmap and saved as a PNG (through nabla-data's atomic
//! PNG writer).

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static REGISTER_FONT: Once = Once::new();

/// A line chart could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Nothing to draw: no series, or no finite point.
    #[error("chart \"{title}\": {reason}")]
    Empty { title: String, reason: String },
    /// plotters failed to draw.
    #[error("chart \"{title}\": drawing failed: {reason}")]
    Draw { title: String, reason: String },
    /// The PNG could not be written.
    #[error("{path}: {reason}")]
    Write { path: String, reason: String },
}

/// The (x, y) ranges a chart spans: ((x0, x1), (y0, y1)).
type Ranges = ((f64, f64), (f64, f64));

/// One labelled line of `(x, y)` points, or a cloud of them. Non-finite points are skipped.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// Draw the points as dots, unconnected (a scatter plot).
    pub scatter: bool,
}

impl Series {
    /// A line through `points`.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series { label: label.into(), points, scatter: false }
    }

    /// A scatter of `points`.
    pub fn scatter(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series { scatter: true, ..Series::new(label, points) }
    }
}

/// A chart of one or more series against shared axes.
#[derive(Debug, Clone)]
pub struct LineChart {
    title: String,
    x_label: String,
    y_label: String,
    series: Vec<Series>,
    log_y: bool,
    y_range: Option<(f64, f64)>,
    reference_lines: Vec<(String, f64)>,
    size: (u32, u32),
}

const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(23, 190, 207),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
];

impl LineChart {
    /// An empty chart with a title and axis labels, 800×500 pixels.
    pub fn new(title: impl Into<String>, x_label: impl Into<String>, y_label: impl Into<String>) -> Self {
        LineChart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            log_y: false,
            y_range: None,
            reference_lines: Vec::new(),
            size: (800, 500),
        }
    }

    /// Adds a series.
    pub fn series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// A logarithmic y axis (points with y <= 0 are skipped).
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }

    /// Fixes the y range (points outside are clipped at the edge of the plot).
    pub fn y_range(mut self, low: f64, high: f64) -> Self {
        self.y_range = Some((low, high));
        self
    }

    /// A dashed horizontal line at `y`, labelled in the legend.
    pub fn reference_line(mut self, label: impl Into<String>, y: f64) -> Self {
        self.reference_lines.push((label.into(), y));
        self
    }

    /// The image size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    fn usable(&self, &(x, y): &(f64, f64)) -> bool {
        x.is_finite() && y.is_finite() && (!self.log_y || y > 0.0)
    }

    fn ranges(&self) -> Result<Ranges, PlotError> {
        let points: Vec<(f64, f64)> =
            self.series.iter().flat_map(|s| s.points.iter().copied()).filter(|p| self.usable(p)).collect();
        if points.is_empty() {
            return Err(PlotError::Empty { title: self.title.clone(), reason: "no finite points to draw".into() });
        }
        let span = |values: &mut dyn Iterator<Item = f64>| {
            values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
        };
        let (x0, x1) = span(&mut points.iter().map(|p| p.0));
        let (y0, y1) = self.y_range.unwrap_or_else(|| {
            let (lo, hi) = span(&mut points.iter().map(|p| p.1).chain(self.reference_lines.iter().map(|r| r.1)));
            if self.log_y {
                (lo / 2.0, hi * 2.0)
            } else {
                (lo - 0.05 * (hi - lo).max(1e-9), hi + 0.05 * (hi - lo).max(1e-9))
            }
        });
        let x1 = if x1 > x0 { x1 } else { x0 + 1.0 };
        let y1 = if y1 > y0 { y1 } else { y0 + 1.0 };
        Ok(((x0, x1), (y0, y1)))
    }

    /// Draws the chart and writes it as a PNG at `path` (atomically: a temporary file in the
    /// same folder, renamed into place). Parent folders are created.
    ///
    /// # Errors
    /// [`PlotError::Empty`] with nothing to draw, [`PlotError::Draw`], [`PlotError::Write`].
    pub fn write_png(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        register_font();
        let ranges = self.ranges()?;
        let (width, height) = self.size;
        let mut pixels = vec![255u8; width as usize * height as usize * 3];
        self.draw(&mut pixels, ranges).map_err(|reason| PlotError::Draw { title: self.title.clone(), reason })?;
        let path = path.as_ref();
        nabla_data::image::write_png_pixels(path, width, height, 3, &pixels)
            .map_err(|e| PlotError::Write { path: path.display().to_string(), reason: e.to_string() })
    }

    fn draw(&self, pixels: &mut [u8], ((x0, x1), (y0, y1)): Ranges) -> Result<(), String> {
        let root = BitMapBackend::with_buffer(pixels, self.size).into_drawing_area();
        root.fill(&WHITE).map_err(text)?;
        let mut builder = ChartBuilder::on(&root);
        builder.caption(&self.title, ("sans-serif", 24)).margin(16).x_label_area_size(44).y_label_area_size(72);
        if self.log_y {
            let mut chart = builder.build_cartesian_2d(x0..x1, (y0..y1).log_scale()).map_err(text)?;
            chart
                .configure_mesh()
                .x_desc(&self.x_label)
                .y_desc(&self.y_label)
                .y_label_formatter(&|v| format!("{v:.0e}"))
                .draw()
                .map_err(text)?;
            self.draw_lines(&mut chart, (x0, x1), (y0, y1))?;
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(text)?;
        } else {
            let mut chart = builder.build_cartesian_2d(x0..x1, y0..y1).map_err(text)?;
            chart.configure_mesh().x_desc(&self.x_label).y_desc(&self.y_label).draw().map_err(text)?;
            self.draw_lines(&mut chart, (x0, x1), (y0, y1))?;
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(text)?;
        }
        root.present().map_err(text)?;
        Ok(())
    }

    fn draw_lines<'a, DB, X, Y>(
        &self,
        chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
        x: (f64, f64),
        y: (f64, f64),
    ) -> Result<(), String>
    where
        DB: DrawingBackend + 'a,
        X: Ranged<ValueType = f64>,
        Y: Ranged<ValueType = f64>,
    {
        for (i, series) in self.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let points: Vec<(f64, f64)> = series
                .points
                .iter()
                .copied()
                .filter(|p| self.usable(p))
                .map(|(px, py)| (px, py.clamp(y.0, y.1)))
                .collect();
            if series.scatter {
                chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 2, color.filled())))
                    .map_err(text)?
                    .label(series.label.clone())
                    .legend(move |(lx, ly)| Circle::new((lx + 10, ly), 3, color.filled()));
                continue;
            }
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(text)?
                .label(series.label.clone())
                .legend(move |(lx, ly)| PathElement::new(vec![(lx, ly), (lx + 20, ly)], color.stroke_width(2)));
            if points.len() <= 40 {
                chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled()))).map_err(text)?;
            }
        }
        for (label, level) in &self.reference_lines {
            let dashes = DashedLineSeries::new(vec![(x.0, *level), (x.1, *level)], 8, 6, BLACK.stroke_width(1));
            chart
                .draw_series(dashes)
                .map_err(text)?
                .label(label.clone())
                .legend(|(lx, ly)| PathElement::new(vec![(lx, ly), (lx + 20, ly)], BLACK));
        }
        Ok(())
    }
}

/// Makes the bundled font plotters' "sans-serif" (once per process).
pub(crate) fn register_font() {
    REGISTER_FONT.call_once(|| {
        // The bundled font is valid TrueType; a failure here would show as missing text.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Any drawing error as text (plotters' errors borrow the backend, so they cannot be returned).
pub(crate) fn text(error: impl std::fmt::Display) -> String {
    error.to_string()
}
