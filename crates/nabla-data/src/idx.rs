//! The IDX format of the MNIST files (optionally gzip-compressed): a big-endian header giving
//! the element type and the dimensions, then the values. Before anything is allocated for the
//! values, the size the header promises is bounded and checked against the file: against its
//! length for a raw file, against the uncompressed length recorded in the gzip trailer for a
//! compressed one.

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
/// 1 GiB, a header that promises more or fewer bytes than the file holds, or a corrupt stream.
pub fn read_idx_u8(name: &str, bytes: &[u8], rank: usize) -> Result<IdxArray> {
    let format = |reason: String| DataError::Format { path: name.to_string(), reason };
    let compressed = bytes.starts_with(&[0x1f, 0x8b]);
    // The file's content length: the bytes themselves, or gzip's ISIZE (the last four bytes,
    // the uncompressed length modulo 2³²).
    let content_len = if compressed {
        let trailer =
            bytes.len().checked_sub(4).map(|at| &bytes[at..]).ok_or_else(|| format("truncated gzip stream".into()))?;
        u32::from_le_bytes(trailer.try_into().expect("4 bytes")) as u64
    } else {
        bytes.len() as u64
    };
    let mut reader: Box<dyn Read + '_> = if compressed { Box::new(GzDecoder::new(bytes)) } else { Box::new(bytes) };
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
    let promised = (4 + 4 * rank + len) as u64;
    // Deflate expands at most 1032-fold: a claim beyond that cannot be in the file.
    let holds = if compressed {
        promised % (1 << 32) == content_len && promised <= bytes.len() as u64 * 1032
    } else {
        promised == content_len
    };
    if !holds {
        return Err(format(format!(
            "the header promises {promised} bytes (dimensions {dims:?}) but the file holds {content_len}{}",
            if compressed { " once decompressed" } else { "" }
        )));
    }
    // Grown as the data arrives rather than allocated up front for the claim.
    let mut values = Vec::with_capacity(len.min(1 << 20));
    reader.by_ref().take(len as u64).read_to_end(&mut values).map_err(read_error)?;
    if values.len() != len {
        return Err(format(format!("truncated: {} of the {len} values of dimensions {dims:?}", values.len())));
    }
    if reader.read(&mut [0u8; 1]).map_err(read_error)? != 0 {
        return Err(format(format!("trailing bytes after the {len} values of dimensions {dims:?}")));
    }
    Ok(IdxArray { dims, values })
}
