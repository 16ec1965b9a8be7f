//! Progress bars (indicatif) for long runs: steps done, losses, throughput and time left.
//! They draw on stderr only when it is a terminal, so logs and tests stay clean.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use nabla_train::Progress;

/// A bar of `len` steps labelled `prefix`.
pub fn bar(len: u64, prefix: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let style = ProgressStyle::with_template("{prefix:>12.bold} [{bar:30}] {pos}/{len} {msg} ({eta} left)")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(prefix.to_string());
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// The callback a [`Trainer`](nabla_train::Trainer) reports to: moves `bar` and shows
/// the losses and samples per second.
pub fn trainer_reporter(bar: ProgressBar) -> impl FnMut(&Progress) + 'static {
    move |p: &Progress| {
        bar.set_length(p.steps as u64);
        bar.set_position(p.step as u64);
        let losses: Vec<String> = p.losses.iter().map(|(name, value)| format!("{name} {value:.4}")).collect();
        bar.set_message(format!(
            "epoch {}/{}  {}  {:.0} samples/s",
            p.epoch,
            p.epochs,
            losses.join("  "),
            p.samples_per_second
        ));
    }
}
