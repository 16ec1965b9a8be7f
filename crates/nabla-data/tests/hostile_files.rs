//! The bounded, in-CI version of the fuzz targets in `fuzz/` for the IDX reader and the image
//! decoder: random bytes and mutations of valid files (flipped bytes, truncations, headers that
//! claim other sizes) must give `Ok` or a typed `Err`, never a panic; and headers that claim
//! more data than the file holds are refused before the claim is allocated.

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};

use flate2::Compression;
use flate2::write::GzEncoder;
use nabla_data::image::decode_image;
use nabla_data::read_idx_u8;
use proptest::prelude::*;

fn idx(dims: &[u32], fill: u8) -> Vec<u8> {
    let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend(std::iter::repeat_n(fill, dims.iter().map(|&d| d as u64).product::<u64>() as usize));
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A valid 5×4 colour PNG, written once.
fn png() -> Vec<u8> {
    static PNG: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PNG.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seed.png");
        nabla_data::image::write_png_pixels(&path, 5, 4, 3, &(0..60).map(|i| i as u8 * 4).collect::<Vec<_>>()).unwrap();
        std::fs::read(path).unwrap()
    })
    .clone()
}

/// `bytes` with each `(position, value)` written over it and cut to `keep` bytes.
fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)], keep: usize) -> Vec<u8> {
    for &(at, value) in edits {
        if !bytes.is_empty() {
            let at = at % bytes.len();
            bytes[at] = value;
        }
    }
    bytes.truncate(keep);
    bytes
}

proptest! {
    #![proptest_config(nabla_testkit::proptest_config(1024))]

    #[test]
    fn the_idx_reader_never_panics(random in prop::collection::vec(any::<u8>(), 0..64),
                                   edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
                                   keep in 0usize..200, compressed in any::<bool>(), rank in 1usize..4, which in 0..2usize) {
        let valid = idx(&[3, 4, 5][..rank], 7);
        let seed = if compressed { gzip(&valid) } else { valid };
        let bytes = if which == 0 { random } else { mutate(seed, &edits, keep) };
        let outcome = catch_unwind(AssertUnwindSafe(|| read_idx_u8("fuzz", &bytes, rank).map(|a| a.values.len())));
        prop_assert!(outcome.is_ok(), "panicked on {bytes:?}");
    }

    #[test]
    fn the_image_decoder_never_panics(random in prop::collection::vec(any::<u8>(), 0..64),
                                      edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
                                      keep in 0usize..400, which in 0..2usize) {
        let bytes = if which == 0 { random } else { mutate(png(), &edits, keep) };
        let outcome = catch_unwind(AssertUnwindSafe(|| decode_image(&bytes, "fuzz").map(|t| t.numel())));
        prop_assert!(outcome.is_ok(), "panicked on {bytes:?}");
    }
}

#[test]
fn valid_files_read_back() {
    assert_eq!(read_idx_u8("raw", &idx(&[2, 3], 9), 2).unwrap().values, vec![9; 6]);
    assert_eq!(read_idx_u8("gz", &gzip(&idx(&[2, 3], 9)), 2).unwrap().dims, vec![2, 3]);
    assert_eq!(decode_image(&png(), "png").unwrap().shape(), &[3, 4, 5]);
}

#[test]
fn claims_beyond_the_file_are_refused_before_allocating() {
    // A gzip file of a few dozen bytes whose header claims 60000 × 28 × 28 bytes (47 MB),
    // with a trailer that agrees: deflate cannot expand that much, so it is refused.
    let mut header = idx(&[0, 28, 28], 0);
    header[4..8].copy_from_slice(&60000u32.to_be_bytes());
    let mut bomb = gzip(&header);
    let claimed = (header.len() as u32).wrapping_add(60000 * 28 * 28);
    let at = bomb.len() - 4;
    bomb[at..].copy_from_slice(&claimed.to_le_bytes());
    let error = read_idx_u8("bomb.gz", &bomb, 3).unwrap_err().to_string();
    assert!(error.contains("promises"), "{error}");
    // A raw file whose dimensions claim 2³² bytes.
    let huge = idx(&[65536, 65536, 0], 0);
    let mut huge = huge[..16].to_vec();
    huge[12..16].copy_from_slice(&1u32.to_be_bytes());
    assert!(read_idx_u8("huge", &huge, 3).unwrap_err().to_string().contains("more than"));
    // A PNG whose header says 16000 × 16000 pixels in a file of about 70 bytes.
    let mut png = png();
    png[16..20].copy_from_slice(&16000u32.to_be_bytes());
    png[20..24].copy_from_slice(&16000u32.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&png[12..29]); // the IHDR chunk's type and data
    png[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    let error = decode_image(&png, "claims.png").unwrap_err().to_string();
    assert!(error.contains("16000×16000 pixels, more than its"), "{error}");
}
