//! Charts render to PNG files of the requested size with something drawn on them, and bad
//! input is an error rather than an empty picture.

use nabla_plot::{Heatmap, LineChart, PlotError, Series};

fn non_white_share(path: &std::path::Path) -> (u32, u32, f64) {
    let image = image::open(path).unwrap().to_rgb8();
    let drawn = image.pixels().filter(|p| p.0 != [255, 255, 255]).count();
    (image.width(), image.height(), drawn as f64 / (image.width() * image.height()) as f64)
}

#[test]
fn a_chart_is_written_as_a_png_with_lines_and_text() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let linear = dir.join("linear.png");
    LineChart::new("squares", "x", "x²")
        .series(Series::new("x²", (0..20).map(|i| (i as f64, (i * i) as f64)).collect()))
        .series(Series::new("2x", (0..20).map(|i| (i as f64, 2.0 * i as f64)).collect()))
        .reference_line("100", 100.0)
        .size(640, 400)
        .write_png(&linear)
        .unwrap();
    let (w, h, share) = non_white_share(&linear);
    assert_eq!((w, h), (640, 400));
    assert!(share > 0.01 && share < 0.5, "drawn share {share}");

    let log = dir.join("nested/log.png");
    LineChart::new("decay", "layer", "norm")
        .log_y()
        .series(Series::new("g", vec![(1.0, 1e-6), (2.0, 1e-3), (3.0, 1.0), (4.0, f64::NAN)]))
        .write_png(&log)
        .unwrap();
    assert!(non_white_share(&log).2 > 0.01);
    assert!(
        std::fs::read_dir(dir.join("nested")).unwrap().all(|e| e.unwrap().path() == log),
        "no temporary file left behind"
    );
}

#[test]
fn nothing_to_draw_is_an_error() {
    let empty = LineChart::new("empty", "x", "y").write_png(std::env::temp_dir().join("never.png"));
    assert!(matches!(empty, Err(PlotError::Empty { .. })));
    let only_nan =
        LineChart::new("nan", "x", "y").series(Series::new("s", vec![(f64::NAN, 1.0)])).write_png("never.png");
    assert!(matches!(only_nan, Err(PlotError::Empty { .. })));
}

#[test]
fn a_heatmap_shades_its_cells_and_needs_a_label_for_each() {
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("heat.png");
    let values = vec![vec![1.0, 0.0, 0.5], vec![0.2, 0.8, 0.0]];
    let labels = |s: &str| s.chars().map(String::from).collect::<Vec<_>>();
    Heatmap::new("attention", values.clone(), labels("ab"), labels("xyz")).write_png(&path).unwrap();
    let image = image::open(&path).unwrap().to_rgb8();
    let dark = image.pixels().filter(|p| p.0[0] < 70 && p.0[2] > 100).count();
    assert!(dark >= 2 * 18 * 18, "the two cells near 1 are dark blue: {dark} pixels");
    let error = Heatmap::new("attention", values, labels("a"), labels("xyz")).write_png(&path).unwrap_err();
    assert!(matches!(error, PlotError::Empty { .. }), "{error}");
}
