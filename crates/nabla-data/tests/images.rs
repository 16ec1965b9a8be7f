//! PNG round trips, grids, and errors for images that cannot be written or read.

use nabla_data::image::{read_png, write_png, write_png_grid};
use nabla_data::{DataError, Mnist};
use nabla_tensor::Tensor;

#[test]
fn an_image_survives_a_png_round_trip_to_8_bits() {
    let dir = tempfile::tempdir().unwrap();
    let values: Vec<f32> = (0..3 * 4 * 5).map(|i| (i % 17) as f32 / 16.0).collect();
    let rgb = Tensor::from_vec(values.clone(), &[3, 4, 5]).unwrap();
    let path = dir.path().join("rgb.png");
    write_png(&path, &rgb).unwrap();
    let back = read_png(&path).unwrap();
    assert_eq!(back.shape(), &[3, 4, 5]);
    assert!(back.to_vec().iter().zip(&values).all(|(a, b)| (a - b).abs() <= 0.5 / 255.0 + 1e-6));

    let grey = Tensor::from_vec(vec![0.0, 0.5, 1.0, 0.25], &[2, 2]).unwrap();
    write_png(dir.path().join("grey.png"), &grey).unwrap();
    assert_eq!(read_png(dir.path().join("grey.png")).unwrap().shape(), &[1, 2, 2]);
}

#[test]
fn a_batch_becomes_a_grid() {
    let dir = tempfile::tempdir().unwrap();
    let mnist = Mnist::bundled().unwrap();
    let batch = mnist.test.images.narrow(0, 0, 10).unwrap();
    let path = dir.path().join("grid.png");
    write_png_grid(&path, &batch, 4, 2).unwrap();
    let grid = read_png(&path).unwrap();
    // 3 rows and 4 columns of 28×28 with 2-pixel gaps.
    assert_eq!(grid.shape(), &[1, 3 * 30 + 2, 4 * 30 + 2]);
    let first = grid.narrow(1, 2, 28).unwrap().narrow(2, 2, 28).unwrap();
    let original = batch.narrow(0, 0, 1).unwrap().reshape(&[1, 28, 28]).unwrap();
    assert!(first.to_vec().iter().zip(original.to_vec()).all(|(a, b)| (a - b).abs() < 1.0 / 255.0));
}

#[test]
fn bad_shapes_and_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(write_png(dir.path().join("bad.png"), &Tensor::ones(&[2, 4, 4])), Err(DataError::Format { .. })));
    assert!(matches!(
        write_png_grid(dir.path().join("bad.png"), &Tensor::ones(&[4, 4]), 2, 1),
        Err(DataError::Format { .. })
    ));
    assert!(matches!(read_png(dir.path().join("missing.png")), Err(DataError::Io { .. })));
    let not_png = dir.path().join("not.png");
    std::fs::write(&not_png, b"definitely not an image").unwrap();
    assert!(matches!(read_png(&not_png), Err(DataError::Format { .. })));
}
