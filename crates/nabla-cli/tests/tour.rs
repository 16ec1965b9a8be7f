//! `nabla tour --quick`: every section of the report has its pictures (real PNG files) and its
//! numbers, `metrics.json` holds every number, and every claim the tour checks holds.

use std::path::Path;
use std::process::Command;

const TOPICS: [&str; 11] = [
    "perceptron",
    "gradients",
    "divergences",
    "mlp",
    "cnn",
    "recurrent",
    "language",
    "autoencoder",
    "gan",
    "dcgan",
    "style",
];

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    Some(&text[from..from + text[from..].find(end)?])
}

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.len() > 100 && bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is not a PNG", path.display());
}

#[test]
fn the_quick_tour_reports_every_topic_with_pictures_and_numbers() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tour-quick");
    let _ = std::fs::remove_dir_all(&out);
    let start = std::time::Instant::now();
    let result =
        Command::new(env!("CARGO_BIN_EXE_nabla")).args(["tour", "--quick", "--out"]).arg(&out).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&result.stdout), String::from_utf8_lossy(&result.stderr));
    println!("{stdout}{stderr}");
    assert!(result.status.success(), "{stderr}");
    println!("quick tour: {:.0} s", start.elapsed().as_secs_f64());

    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    let json = std::fs::read_to_string(out.join("metrics.json")).unwrap();
    for topic in TOPICS {
        let section = between(&html, &format!("<section id=\"{topic}\">"), "</section>")
            .unwrap_or_else(|| panic!("no section {topic} in index.html"));
        let pictures: Vec<&str> = section.split("<img src=\"").skip(1).filter_map(|s| s.split('"').next()).collect();
        assert!(!pictures.is_empty(), "{topic}: no pictures");
        for picture in pictures {
            assert_png(&out.join(picture));
        }
        let numbers: Vec<f64> =
            section.split("data-key=\"").skip(1).filter_map(|s| between(s, ">", "<")?.parse().ok()).collect();
        assert!(numbers.len() >= 2, "{topic}: {} numbers", numbers.len());
        assert!(numbers.iter().all(|n| n.is_finite()), "{topic}: {numbers:?}");
        assert!(!section.contains("class=\"fail\""), "{topic}: a check failed:\n{section}");

        let entry =
            between(&json, &format!("\"{topic}\": {{"), "}}").unwrap_or_else(|| panic!("{topic} not in metrics.json"));
        let metrics = between(entry, "\"metrics\": {", "}").unwrap();
        assert_eq!(metrics.matches(':').count(), numbers.len(), "{topic}: page and metrics.json differ");
        assert!(!metrics.contains("null"), "{topic}: {metrics}");
    }
}
