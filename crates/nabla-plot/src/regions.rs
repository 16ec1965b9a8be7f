//! `RegionMap`: the decision regions of 2-D classifiers, side by side — each panel shades a
//! grid by a model's output in [0, 1] and marks the labelled points on top.

use std::path::Path;

use plotters::prelude::*;

use crate::chart::{PlotError, text};

/// One classifier's picture: its output on a grid, and the data.
#[derive(Debug, Clone)]
pub struct RegionPanel {
    pub title: String,
    /// `values[row][column]`: the output in [0, 1] at the cell centres, rows bottom to top
    /// across `y_range`, columns left to right across `x_range`.
    pub values: Vec<Vec<f32>>,
    /// `(x, y, class)` for each data point; class 0 or 1.
    pub points: Vec<(f64, f64, usize)>,
}

/// Panels sharing axes, written as one PNG.
#[derive(Debug, Clone)]
pub struct RegionMap {
    title: String,
    x_range: (f64, f64),
    y_range: (f64, f64),
    panels: Vec<RegionPanel>,
}

const CLASS_COLORS: [RGBColor; 2] = [RGBColor(31, 119, 180), RGBColor(214, 39, 40)];

impl RegionMap {
    /// An empty map over the given axis ranges.
    pub fn new(title: impl Into<String>, x_range: (f64, f64), y_range: (f64, f64)) -> Self {
        RegionMap { title: title.into(), x_range, y_range, panels: Vec::new() }
    }

    /// Adds a panel.
    pub fn panel(mut self, panel: RegionPanel) -> Self {
        self.panels.push(panel);
        self
    }

    /// Draws the panels side by side (420 pixels wide each) and writes the PNG atomically.
    ///
    /// # Errors
    /// [`PlotError::Empty`] without panels or with an empty grid; [`PlotError::Draw`];
    /// [`PlotError::Write`].
    pub fn write_png(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        if self.panels.is_empty() || self.panels.iter().any(|p| p.values.is_empty() || p.values[0].is_empty()) {
            return Err(PlotError::Empty {
                title: self.title.clone(),
                reason: "needs panels with a non-empty grid".into(),
            });
        }
        crate::chart::register_font();
        let (width, height) = (420 * self.panels.len() as u32, 460);
        let mut pixels = vec![255u8; (width * height * 3) as usize];
        self.draw(&mut pixels, (width, height))
            .map_err(|reason| PlotError::Draw { title: self.title.clone(), reason })?;
        let path = path.as_ref();
        nabla_data::image::write_png_pixels(path, width, height, 3, &pixels)
            .map_err(|e| PlotError::Write { path: path.display().to_string(), reason: e.to_string() })
    }

    fn draw(&self, pixels: &mut [u8], size: (u32, u32)) -> Result<(), String> {
        let root = BitMapBackend::with_buffer(pixels, size).into_drawing_area();
        root.fill(&WHITE).map_err(text)?;
        let root = root.titled(&self.title, ("sans-serif", 22)).map_err(text)?;
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        for (area, panel) in root.split_evenly((1, self.panels.len())).iter().zip(&self.panels) {
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.title, ("sans-serif", 18))
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(40)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(text)?;
            chart.configure_mesh().disable_mesh().draw().map_err(text)?;
            let (rows, columns) = (panel.values.len(), panel.values[0].len());
            let (dx, dy) = ((x1 - x0) / columns as f64, (y1 - y0) / rows as f64);
            let cells = panel.values.iter().enumerate().flat_map(|(r, row)| {
                row.iter().enumerate().map(move |(c, &v)| {
                    let v = v.clamp(0.0, 1.0) as f64;
                    // Blend the two class colours, lightened so the points stand out.
                    let mix = |a: u8, b: u8| (255.0 - 0.45 * (255.0 - (a as f64 * (1.0 - v) + b as f64 * v))) as u8;
                    let (a, b) = (CLASS_COLORS[0], CLASS_COLORS[1]);
                    let color = RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2));
                    let corner = (x0 + c as f64 * dx, y0 + r as f64 * dy);
                    Rectangle::new([corner, (corner.0 + dx, corner.1 + dy)], color.filled())
                })
            });
            chart.draw_series(cells).map_err(text)?;
            let points = panel
                .points
                .iter()
                .map(|&(x, y, class)| Circle::new((x, y), 7, CLASS_COLORS[class.min(1)].filled().stroke_width(2)));
            chart.draw_series(points).map_err(text)?;
            let outlines = panel.points.iter().map(|&(x, y, _)| Circle::new((x, y), 7, BLACK.stroke_width(1)));
            chart.draw_series(outlines).map_err(text)?;
        }
        root.present().map_err(text)
    }
}
