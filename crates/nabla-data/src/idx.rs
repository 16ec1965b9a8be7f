//! The IDX format of the MNIST files (optionally gzip-compressed): a big-endian header giving
//! the element type and the dimensions, then the values. The header is validated, and the
//! size it promises bounded, before anything is allocated for the values.

use std::io::Read;

use flate2::read::GzDecoder;

use crate::error::{DataError, Result};

/// The largest payload accepted (1 GiB): full MNIST is 47 MB.
const MAX_BYTES: usize = 1 << 30;

/// An IDX array of unsigned bytes (the only element type MNIST uses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub values: Vec<u8>,
}

/// Reads an IDX array of `u8` with `rank` dimensions from `bytes` (gzip-compressed when it
/// starts with gzip's magic number). `name` is used in errors.
///
/// # Errors
/// [`DataError::Format`] for a wrong magic number, element type or rank, a payload larger than
/// 1 GiB, a truncated file or trailing bytes.
pub fn read_idx_u8(name: &str, bytes: &[u8], rank: usize) -> Result<IdxArray> {
    let format = |reason: String| DataError::Format { path: name.to_string(), reason };
    let mut reader: Box<dyn Read + '_> =
        if bytes.starts_with(&[0x1f, 0x8b]) { Box::new(GzDecoder::new(bytes)) } else { Box::new(bytes) };
    let read_error = |e: std::io::Error| format(format!("truncated or corrupt: {e}"));

    let mut magic = [0u8; 4];
    reader.read_exact(&mut magic).map_err(read_error)?;
    if magic[..2] != [0, 0] || magic[2] != 0x08 || magic[3] as usize != rank {
        return Err(format(format!(
            "not an IDX file of unsigned bytes with {rank} dimensions (magic {:02x}{:02x}{:02x}{:02x})",
            magic[0], magic[1], magic[2], magic[3]
        )));
    }
    let mut dims = Vec::with_capacity(rank);
    for _ in 0..rank {
        let mut dim = [0u8; 4];
        reader.read_exact(&mut dim).map_err(read_error)?;
        dims.push(u32::from_be_bytes(dim) as usize);
    }
    let len = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).filter(|&n| n <= MAX_BYTES);
    let Some(len) = len else {
        return Err(format(format!("dimensions {dims:?} promise more than {MAX_BYTES} bytes")));
    };
    let mut values = vec![0u8; len];
    reader.read_exact(&mut values).map_err(read_error)?;
    if reader.read(&mut [0u8; 1]).map_err(read_error)? != 0 {
        return Err(format(format!("trailing bytes after the {len} values of dimensions {dims:?}")));
    }
    Ok(IdxArray { dims, values })
}
