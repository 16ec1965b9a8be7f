//! `nabla tour`: every topic of the course, each trained and measured on the bundled data with
//! a small budget, written as an HTML report (`index.html`, the PNGs, `metrics.json`).

mod autoencoder;
mod dcgan;
mod divergences;
mod gan;
mod gradients;
mod language;
mod mnist;
mod perceptron;
mod recurrent;
mod style;

use std::path::{Path, PathBuf};
use std::time::Instant;

use nabla_data::Mnist;

use crate::error::CliError;
use crate::interrupt;
use crate::report::{Report, Section};

/// What every topic gets: the report folder, the budget, the digits.
pub struct Context {
    pub out: PathBuf,
    pub quick: bool,
    pub mnist: Mnist,
}

type Topic = fn(&Context) -> Result<Section, CliError>;

/// The topics in the order of the course, with the names `--only` takes.
pub const TOPICS: [(&str, Topic); 11] = [
    ("perceptron", perceptron::run),
    ("gradients", gradients::run),
    ("divergences", divergences::run),
    ("mlp", mnist::mlp),
    ("cnn", mnist::cnn),
    ("recurrent", recurrent::run),
    ("language", language::run),
    ("autoencoder", autoencoder::run),
    ("gan", gan::run),
    ("dcgan", dcgan::run),
    ("style", style::run),
];

/// Runs the topics named in `only` (all when empty) into `out`, writing the report after each
/// one, so a run stopped by Ctrl-C leaves the topics done so far. `log` hears one line per topic.
///
/// # Errors
/// [`CliError::Usage`] for an unknown topic; [`CliError::Io`] when `out` cannot be made; a
/// topic's error, named; [`CliError::Interrupted`].
pub fn run(out: &Path, quick: bool, only: &[String], log: &mut dyn FnMut(&str)) -> Result<Report, CliError> {
    if let Some(unknown) = only.iter().find(|name| !TOPICS.iter().any(|(topic, _)| topic == name)) {
        let names: Vec<&str> = TOPICS.iter().map(|(name, _)| *name).collect();
        return Err(CliError::Usage(format!("no topic {unknown:?}; the topics are {}", names.join(", "))));
    }
    std::fs::create_dir_all(out).map_err(|source| CliError::Io { path: out.display().to_string(), source })?;
    nabla_tensor::set_flush_denormal(true);
    let context = Context { out: out.to_path_buf(), quick, mnist: Mnist::bundled()? };
    let start = Instant::now();
    let mut report = Report { quick, sections: Vec::new(), seconds: 0.0 };
    for (name, topic) in TOPICS.iter().filter(|(name, _)| only.is_empty() || only.iter().any(|o| o == name)) {
        let topic_start = Instant::now();
        let mut section = topic(&context).map_err(|e| match e {
            CliError::Interrupted(_) => {
                CliError::Interrupted(format!("the report in {} has the topics before {name}", out.display()))
            }
            other => CliError::Topic { topic: name, source: Box::new(other) },
        })?;
        section.seconds = topic_start.elapsed().as_secs_f64();
        let failed = section.checks.iter().filter(|c| !c.passed).count();
        log(&format!(
            "{name:<12} {:>6.1} s  {}",
            section.seconds,
            if failed == 0 { "all checks pass".to_string() } else { format!("{failed} check(s) FAILED") }
        ));
        report.sections.push(section);
        report.seconds = start.elapsed().as_secs_f64();
        report.write(out)?;
        if interrupt::requested() {
            return Err(CliError::Interrupted(format!("the report in {} has the topics up to {name}", out.display())));
        }
    }
    Ok(report)
}
