//! The bundled MNIST subset loads as documented, and malformed IDX files are rejected with a
//! clear error before anything large is allocated.

use nabla_data::{DataError, Mnist, read_idx_u8};

#[test]
fn the_bundled_subset_matches_its_documentation() {
    let mnist = Mnist::bundled().unwrap();
    assert_eq!(mnist.train.images.shape(), &[8000, 1, 28, 28]);
    assert_eq!(mnist.test.images.shape(), &[2000, 1, 28, 28]);
    assert_eq!(&mnist.train.labels[..10], &[2, 1, 7, 7, 5, 1, 3, 6, 3, 3]);
    assert_eq!(&mnist.test.labels[..10], &[5, 9, 1, 7, 9, 0, 0, 7, 4, 9]);
    let mut counts = [0usize; 10];
    mnist.train.labels.iter().for_each(|&l| counts[l as usize] += 1);
    assert_eq!(counts, [801, 902, 793, 826, 784, 690, 811, 856, 755, 782]);
    let pixels = mnist.test.images.to_vec();
    assert!(pixels.iter().all(|v| (0.0..=1.0).contains(v)));
    assert!(pixels.contains(&0.0) && pixels.contains(&1.0));
}

fn header(magic: [u8; 4], dims: &[u32]) -> Vec<u8> {
    let mut bytes = magic.to_vec();
    dims.iter().for_each(|d| bytes.extend(d.to_be_bytes()));
    bytes
}

#[test]
fn malformed_files_are_format_errors() {
    let labels = [header([0, 0, 8, 1], &[3]), vec![1, 2, 3]].concat();
    assert_eq!(read_idx_u8("ok", &labels, 1).unwrap().values, vec![1, 2, 3]);
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("wrong magic", [header([0, 0, 9, 1], &[3]), vec![1, 2, 3]].concat(), "not an IDX file"),
        (
            "short",
            [header([0, 0, 8, 1], &[5]), vec![1, 2]].concat(),
            "promises 13 bytes (dimensions [5]) but the file holds 10",
        ),
        (
            "long",
            [header([0, 0, 8, 1], &[2]), vec![1, 2, 3]].concat(),
            "promises 10 bytes (dimensions [2]) but the file holds 11",
        ),
        ("huge", header([0, 0, 8, 3], &[u32::MAX, u32::MAX, 28]), "promise more than"),
        ("empty", vec![], "truncated"),
    ];
    for (name, bytes, expected) in cases {
        let rank = bytes.get(3).map_or(1, |&r| r as usize);
        match read_idx_u8(name, &bytes, rank) {
            Err(DataError::Format { path, reason }) => {
                assert_eq!(path, name);
                assert!(reason.contains(expected), "{name}: {reason}");
            }
            other => panic!("{name}: expected a format error, got {other:?}"),
        }
    }
}

/// gzip `bytes` the way the bundled files are compressed.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn compressed_files_are_checked_against_their_recorded_length_before_allocating() {
    let good = [header([0, 0, 8, 1], &[3]), vec![7, 8, 9]].concat();
    assert_eq!(read_idx_u8("good.gz", &gzip(&good), 1).unwrap().values, vec![7, 8, 9]);
    // A header claiming 100 million labels in a file that decompresses to 11 bytes.
    let lying = [header([0, 0, 8, 1], &[100_000_000]), vec![7, 8, 9]].concat();
    let err = read_idx_u8("lying.gz", &gzip(&lying), 1).unwrap_err();
    assert!(
        err.to_string()
            .contains("promises 100000008 bytes (dimensions [100000000]) but the file holds 11 once decompressed"),
        "{err}"
    );
    let truncated = gzip(&good);
    assert!(matches!(read_idx_u8("cut.gz", &truncated[..truncated.len() - 6], 1), Err(DataError::Format { .. })));
}

#[test]
fn a_missing_folder_names_the_file() {
    let err = Mnist::from_dir("/nonexistent/mnist").unwrap_err();
    assert!(matches!(err, DataError::Io { .. }));
    assert!(err.to_string().contains("/nonexistent/mnist/train-images-idx3-ubyte.gz"), "{err}");
}
