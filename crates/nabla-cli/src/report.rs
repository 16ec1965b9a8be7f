//! The tour's report: one [`Section`] per topic (what it shows, its pictures, its measured
//! numbers and the claims they were checked against), written as `index.html` and as
//! `metrics.json` with every number on the page.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::CliError;

/// A measured number with its unit (may be empty).
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// A key, `snake_case`, as in `metrics.json`.
    pub key: String,
    /// What it is, for the page.
    pub label: String,
    pub value: f64,
    pub unit: String,
}

/// A claim the section's numbers were checked against, and whether they bear it out.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub claim: String,
    pub passed: bool,
}

/// One topic of the tour.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// The anchor and the key in `metrics.json`.
    pub id: String,
    pub title: String,
    /// What the section shows, in a paragraph of plain text.
    pub summary: String,
    /// Picture files (relative to the report folder) with their captions.
    pub pictures: Vec<(String, String)>,
    pub metrics: Vec<Metric>,
    pub checks: Vec<Check>,
    /// Wall-clock seconds the topic took.
    pub seconds: f64,
}

impl Section {
    pub fn new(id: &str, title: &str, summary: &str) -> Self {
        Section {
            id: id.into(),
            title: title.into(),
            summary: summary.into(),
            pictures: Vec::new(),
            metrics: Vec::new(),
            checks: Vec::new(),
            seconds: 0.0,
        }
    }

    pub fn picture(mut self, file: &str, caption: impl Into<String>) -> Self {
        self.pictures.push((file.into(), caption.into()));
        self
    }

    pub fn metric(mut self, key: &str, label: &str, value: f64, unit: &str) -> Self {
        self.metrics.push(Metric { key: key.into(), label: label.into(), value, unit: unit.into() });
        self
    }

    pub fn check(mut self, claim: impl Into<String>, passed: bool) -> Self {
        self.checks.push(Check { claim: claim.into(), passed });
        self
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Whether the run used the `--quick` budgets.
    pub quick: bool,
    pub sections: Vec<Section>,
    pub seconds: f64,
}

impl Report {
    /// Writes `index.html` and `metrics.json` into `dir` (atomically).
    ///
    /// # Errors
    /// [`CliError::Io`] when a file cannot be written.
    pub fn write(&self, dir: &Path) -> Result<(), CliError> {
        for (name, text) in [("index.html", self.html()), ("metrics.json", self.json())] {
            let path = dir.join(name);
            nabla_tensor::io::write_atomically(&path, text.as_bytes())
                .map_err(|source| CliError::Io { path: path.display().to_string(), source })?;
        }
        Ok(())
    }

    /// The page: a contents list, then one `<section>` per topic.
    pub fn html(&self) -> String {
        let mut page = String::from(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>nabla tour</title>\n<style>\n\
             body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }\n\
             section { border-top: 1px solid #ccc; padding-top: 1em; margin-top: 2em; }\n\
             figure { display: inline-block; margin: 0.5em 1em 0.5em 0; vertical-align: top; }\n\
             figure img { max-width: 520px; border: 1px solid #ddd; image-rendering: pixelated; }\n\
             table { border-collapse: collapse; } td, th { padding: 0.2em 0.8em; text-align: left; }\n\
             td.number { text-align: right; font-variant-numeric: tabular-nums; }\n\
             .pass { color: #1a7f37; } .fail { color: #cf222e; }\n</style>\n</head>\n<body>\n",
        );
        let budget = if self.quick { "quick budgets (--quick)" } else { "full budgets" };
        let _ = write!(
            page,
            "<h1>The nabla tour</h1>\n<p>Every topic trained and measured on this machine with {budget}, in {:.0} s. \
             The numbers are also in <a href=\"metrics.json\">metrics.json</a>.</p>\n<ol>\n",
            self.seconds
        );
        for section in &self.sections {
            let _ = writeln!(page, "<li><a href=\"#{}\">{}</a></li>", escape(&section.id), escape(&section.title));
        }
        page.push_str("</ol>\n");
        for section in &self.sections {
            section_html(&mut page, section);
        }
        page.push_str("</body>\n</html>\n");
        page
    }

    /// `{"quick": …, "seconds": …, "sections": {id: {"title", "seconds", "metrics": {key: value}, "checks": {claim: bool}}}}`.
    pub fn json(&self) -> String {
        let mut json =
            format!("{{\n  \"quick\": {},\n  \"seconds\": {},\n  \"sections\": {{", self.quick, number(self.seconds));
        for (i, section) in self.sections.iter().enumerate() {
            let metrics: Vec<String> =
                section.metrics.iter().map(|m| format!("{}: {}", string(&m.key), number(m.value))).collect();
            let checks: Vec<String> =
                section.checks.iter().map(|c| format!("{}: {}", string(&c.claim), c.passed)).collect();
            let _ = write!(
                json,
                "{}\n    {}: {{\"title\": {}, \"seconds\": {}, \"metrics\": {{{}}}, \"checks\": {{{}}}}}",
                if i == 0 { "" } else { "," },
                string(&section.id),
                string(&section.title),
                number(section.seconds),
                metrics.join(", "),
                checks.join(", ")
            );
        }
        json.push_str("\n  }\n}\n");
        json
    }
}

fn section_html(page: &mut String, section: &Section) {
    let _ = write!(
        page,
        "<section id=\"{}\">\n<h2>{}</h2>\n<p>{}</p>\n",
        escape(&section.id),
        escape(&section.title),
        escape(&section.summary)
    );
    for (file, caption) in &section.pictures {
        let _ = writeln!(
            page,
            "<figure><img src=\"{}\" alt=\"{}\"><figcaption>{}</figcaption></figure>",
            escape(file),
            escape(caption),
            escape(caption)
        );
    }
    page.push_str("<table class=\"metrics\">\n");
    for metric in &section.metrics {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td class=\"number\" data-key=\"{}\">{}</td><td>{}</td></tr>",
            escape(&metric.label),
            escape(&metric.key),
            shown(metric.value),
            escape(&metric.unit)
        );
    }
    let _ = writeln!(
        page,
        "<tr><td>time</td><td class=\"number\">{}</td><td>s</td></tr>\n</table>",
        shown(section.seconds)
    );
    if !section.checks.is_empty() {
        page.push_str("<ul class=\"checks\">\n");
        for check in &section.checks {
            let (class, mark) = if check.passed { ("pass", "✓") } else { ("fail", "✗") };
            let _ = writeln!(page, "<li class=\"{class}\">{mark} {}</li>", escape(&check.claim));
        }
        page.push_str("</ul>\n");
    }
    page.push_str("</section>\n");
}

/// A number as the page shows it: four significant figures, plain or scientific.
fn shown(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-3..1e5).contains(&magnitude) {
        format!("{value:.3e}")
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        let decimals = (3 - magnitude.log10().floor() as i32).clamp(0, 6) as usize;
        format!("{value:.decimals$}")
    }
}

/// A JSON number; JSON has no NaN or infinity, so those become `null`.
fn number(value: f64) -> String {
    if value.is_finite() { format!("{value}") } else { "null".into() }
}

/// A JSON string literal.
fn string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text made safe for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let section = Section::new("xor", "XOR <and> \"quotes\"", "a & b")
            .picture("xor.png", "regions")
            .metric("accuracy", "accuracy", 0.75, "")
            .metric("loss", "loss", f64::NAN, "")
            .check("the perceptron stays at 75%", true);
        Report { quick: true, sections: vec![section], seconds: 1.5 }
    }

    #[test]
    fn the_page_escapes_text_and_links_each_picture() {
        let html = report().html();
        assert!(html.contains("XOR &lt;and&gt; &quot;quotes&quot;"), "{html}");
        assert!(html.contains("<img src=\"xor.png\""));
        assert!(html.contains("data-key=\"accuracy\">0.7500<"), "{html}");
        assert!(html.contains("✓ the perceptron stays at 75%"));
    }

    #[test]
    fn the_json_has_every_number_and_null_for_nan() {
        let json = report().json();
        assert!(json.contains("\"xor\": {\"title\": \"XOR <and> \\\"quotes\\\"\""), "{json}");
        assert!(json.contains("\"accuracy\": 0.75, \"loss\": null"), "{json}");
        assert!(json.contains("\"the perceptron stays at 75%\": true"));
    }

    #[test]
    fn numbers_are_shown_to_four_figures() {
        assert_eq!(shown(0.98125), "0.9812");
        assert_eq!(shown(157.04), "157.0");
        assert_eq!(shown(8.0), "8");
        assert_eq!(shown(6.2e-8), "6.200e-8");
    }
}
