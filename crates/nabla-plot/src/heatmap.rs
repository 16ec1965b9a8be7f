//! `Heatmap`: a matrix of values in [0, 1] as shaded cells, with a label per row and per
//! column (an attention head's weights over a sentence: queries down, keys across).

use std::path::Path;

use plotters::prelude::*;

use crate::chart::{PlotError, text};

/// A labelled matrix, written as one PNG.
#[derive(Debug, Clone)]
pub struct Heatmap {
    title: String,
    /// `values[row][column]`, each in [0, 1] (clamped): white at 0, dark blue at 1.
    values: Vec<Vec<f32>>,
    row_labels: Vec<String>,
    column_labels: Vec<String>,
    /// Pixels per cell.
    cell: u32,
}

impl Heatmap {
    /// `values[row][column]` with a label for each row and column.
    pub fn new(
        title: impl Into<String>,
        values: Vec<Vec<f32>>,
        row_labels: Vec<String>,
        column_labels: Vec<String>,
    ) -> Self {
        Heatmap { title: title.into(), values, row_labels, column_labels, cell: 18 }
    }

    /// Writes the PNG atomically.
    ///
    /// # Errors
    /// [`PlotError::Empty`] for an empty matrix, rows of different lengths or labels that do
    /// not match it; [`PlotError::Draw`]; [`PlotError::Write`].
    pub fn write_png(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        let (rows, columns) = (self.values.len(), self.values.first().map_or(0, Vec::len));
        let fits = rows > 0
            && columns > 0
            && self.values.iter().all(|r| r.len() == columns)
            && self.row_labels.len() == rows
            && self.column_labels.len() == columns;
        if !fits {
            return Err(PlotError::Empty {
                title: self.title.clone(),
                reason: format!(
                    "needs a non-empty rectangular matrix with a label per row and column; got {rows} rows, \
                     {} row labels and {} column labels",
                    self.row_labels.len(),
                    self.column_labels.len()
                ),
            });
        }
        crate::chart::register_font();
        let margin = 60;
        let (width, height) = (columns as u32 * self.cell + margin + 20, rows as u32 * self.cell + margin + 50);
        let mut pixels = vec![255u8; (width * height * 3) as usize];
        self.draw(&mut pixels, (width, height), margin)
            .map_err(|reason| PlotError::Draw { title: self.title.clone(), reason })?;
        let path = path.as_ref();
        nabla_data::image::write_png_pixels(path, width, height, 3, &pixels)
            .map_err(|e| PlotError::Write { path: path.display().to_string(), reason: e.to_string() })
    }

    fn draw(&self, pixels: &mut [u8], size: (u32, u32), margin: u32) -> Result<(), String> {
        let root = BitMapBackend::with_buffer(pixels, size).into_drawing_area();
        root.fill(&WHITE).map_err(text)?;
        let root = root.titled(&self.title, ("sans-serif", 16)).map_err(text)?;
        let cell = self.cell as i32;
        let (left, top) = (margin as i32, margin as i32 - 30);
        let font = ("sans-serif", 13).into_font();
        for (r, row) in self.values.iter().enumerate() {
            let y = top + r as i32 * cell;
            root.draw(&Text::new(self.row_labels[r].clone(), (left - 16, y + 2), font.clone())).map_err(text)?;
            for (c, &v) in row.iter().enumerate() {
                let v = f64::from(v.clamp(0.0, 1.0));
                let shade = |white: f64, dark: f64| (white + (dark - white) * v) as u8;
                let color = RGBColor(shade(255.0, 8.0), shade(255.0, 48.0), shade(255.0, 107.0));
                let x = left + c as i32 * cell;
                root.draw(&Rectangle::new([(x, y), (x + cell, y + cell)], color.filled())).map_err(text)?;
            }
        }
        for (c, label) in self.column_labels.iter().enumerate() {
            let x = left + c as i32 * cell + 4;
            root.draw(&Text::new(label.clone(), (x, top - 16), font.clone())).map_err(text)?;
        }
        root.present().map_err(text)
    }
}
