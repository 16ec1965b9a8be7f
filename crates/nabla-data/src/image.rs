//! PNG images: a tensor as a PNG, a batch as a grid, and a PNG back as a tensor. Pixel values
//! are in [0, 1] (clamped when written). Files are written atomically.

use std::path::Path;

use image::ImageEncoder;
use nabla_tensor::Tensor;

use crate::error::{DataError, Result};

/// The largest image read (in pixels per side), checked before decoding.
const MAX_SIDE: u32 = 16_384;

fn format_error(path: &Path, reason: impl Into<String>) -> DataError {
    DataError::Format { path: path.display().to_string(), reason: reason.into() }
}

/// Encodes 8-bit pixels (`channels` = 1 grey, 3 RGB) as a PNG and writes it atomically,
/// creating the folder if needed.
///
/// # Errors
/// [`DataError::Io`] when the file cannot be written; [`DataError::Format`] for a pixel count
/// that does not match the size.
pub fn write_png_pixels(path: impl AsRef<Path>, width: u32, height: u32, channels: u8, pixels: &[u8]) -> Result<()> {
    let path = path.as_ref();
    let color = match channels {
        1 => image::ExtendedColorType::L8,
        3 => image::ExtendedColorType::Rgb8,
        _ => return Err(format_error(path, format!("{channels} channels: PNGs here are grey (1) or RGB (3)"))),
    };
    if pixels.len() != width as usize * height as usize * channels as usize {
        return Err(format_error(path, format!("{} values for a {width}×{height}×{channels} image", pixels.len())));
    }
    let mut encoded = Vec::new();
    image::codecs::png::PngEncoder::new(&mut encoded)
        .write_image(pixels, width, height, color)
        .map_err(|e| format_error(path, e.to_string()))?;
    let io = |source| DataError::Io { path: path.display().to_string(), source };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    nabla_tensor::io::write_atomically(path, &encoded).map_err(io)
}

/// `[C, H, W]` values in [0, 1] (C = 1 or 3) as interleaved 8-bit pixels.
fn to_pixels(image: &Tensor) -> Option<(u32, u32, u8, Vec<u8>)> {
    let &[c, h, w] = image.shape() else { return None };
    if c != 1 && c != 3 {
        return None;
    }
    let chw = image.to_vec();
    let mut pixels = vec![0u8; c * h * w];
    for channel in 0..c {
        for i in 0..h * w {
            pixels[i * c + channel] = (chw[channel * h * w + i].clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    }
    Some((w as u32, h as u32, c as u8, pixels))
}

/// Writes an image tensor `[C, H, W]` (C = 1 or 3) or `[H, W]` with values in [0, 1] as a PNG.
///
/// # Errors
/// [`DataError::Format`] for another shape; [`DataError::Io`].
pub fn write_png(path: impl AsRef<Path>, image: &Tensor) -> Result<()> {
    let path = path.as_ref();
    let image = if image.ndim() == 2 { image.unsqueeze(0)? } else { image.clone() };
    let (w, h, c, pixels) = to_pixels(&image).ok_or_else(|| {
        format_error(
            path,
            format!("cannot write shape {:?} as an image; need [C, H, W] with C = 1 or 3, or [H, W]", image.shape()),
        )
    })?;
    write_png_pixels(path, w, h, c, &pixels)
}

/// Writes a batch `[N, C, H, W]` as one PNG: a grid of `columns` images, `padding` pixels apart
/// on a black background (as torchvision's `save_image`).
///
/// # Errors
/// [`DataError::Format`] for another shape or an empty batch; [`DataError::Io`].
pub fn write_png_grid(path: impl AsRef<Path>, batch: &Tensor, columns: usize, padding: usize) -> Result<()> {
    let path = path.as_ref();
    let &[n, c, h, w] = batch.shape() else {
        return Err(format_error(path, format!("a grid needs a batch [N, C, H, W], got {:?}", batch.shape())));
    };
    if n == 0 || columns == 0 || (c != 1 && c != 3) {
        return Err(format_error(path, format!("cannot lay out {n} images of {c} channels in {columns} columns")));
    }
    let rows = n.div_ceil(columns);
    let (grid_h, grid_w) = (rows * (h + padding) + padding, columns * (w + padding) + padding);
    let mut grid = vec![0.0f32; c * grid_h * grid_w];
    let values = batch.to_vec();
    for index in 0..n {
        let (top, left) = (padding + (index / columns) * (h + padding), padding + (index % columns) * (w + padding));
        for channel in 0..c {
            for y in 0..h {
                let source = ((index * c + channel) * h + y) * w;
                let target = (channel * grid_h + top + y) * grid_w + left;
                grid[target..target + w].copy_from_slice(&values[source..source + w]);
            }
        }
    }
    write_png(path, &Tensor::from_vec(grid, &[c, grid_h, grid_w])?)
}

/// Reads a PNG (or another format `image` knows) as `[C, H, W]` values in [0, 1]: C = 1 for
/// grey images, 3 for colour (alpha dropped). See [`decode_image`] for the checks.
///
/// # Errors
/// [`DataError::Io`] for a missing file; as [`decode_image`].
pub fn read_png(path: impl AsRef<Path>) -> Result<Tensor> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| DataError::Io { path: path.display().to_string(), source })?;
    decode_image(&bytes, &path.display().to_string())
}

/// Decodes an image file's bytes as `[C, H, W]` values in [0, 1]; `name` is used in errors.
/// Before anything is decoded, the size in the header is checked: at most 16384 pixels a side,
/// and no more pixels than the file's compressed data could hold (deflate expands at most
/// 1032-fold, and a pixel takes at least one bit), so a small file that claims a huge image is
/// refused instead of allocated for.
///
/// # Errors
/// [`DataError::Format`] for an undecodable file or a size outside those bounds.
pub fn decode_image(bytes: &[u8], name: &str) -> Result<Tensor> {
    let path = Path::new(name);
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format_error(path, e.to_string()))?;
    let (width, height) = reader.into_dimensions().map_err(|e| format_error(path, e.to_string()))?;
    if width > MAX_SIDE || height > MAX_SIDE || width == 0 || height == 0 {
        return Err(format_error(path, format!("{width}×{height} pixels is outside 1…{MAX_SIDE} per side")));
    }
    let pixels = width as u64 * height as u64;
    if pixels > bytes.len() as u64 * 8 * 1032 {
        return Err(format_error(
            path,
            format!("the header claims {width}×{height} pixels, more than its {} bytes can hold", bytes.len()),
        ));
    }
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format_error(path, e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| format_error(path, e.to_string()))?;
    let grey = matches!(
        decoded.color(),
        image::ColorType::L8 | image::ColorType::L16 | image::ColorType::La8 | image::ColorType::La16
    );
    let (c, interleaved) = if grey { (1, decoded.to_luma8().into_raw()) } else { (3, decoded.to_rgb8().into_raw()) };
    let (h, w) = (height as usize, width as usize);
    let mut chw = vec![0.0f32; c * h * w];
    for (i, &v) in interleaved.iter().enumerate() {
        chw[(i % c) * h * w + i / c] = v as f32 / 255.0;
    }
    Ok(Tensor::from_vec(chw, &[c, h, w])?)
}
