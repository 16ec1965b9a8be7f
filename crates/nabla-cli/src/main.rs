//! `nabla`: the command-line tool. Parses the arguments (clap), runs the command, and prints
//! an error as one line (`error: …`) with a non-zero exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nabla_cli::{CliError, bench, interrupt, sample, style, tour, train};

/// nabla: deep learning in Rust, from the perceptron to GANs, style transfer and LSTMs.
#[derive(Debug, Parser)]
#[command(name = "nabla", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every topic on the bundled data and write an HTML report (under 10 minutes on
    /// 2 cores; --quick under 2).
    Tour {
        /// The report folder.
        #[arg(long, default_value = "nabla-tour")]
        out: PathBuf,
        /// Small budgets: every topic in under 2 minutes together.
        #[arg(long)]
        quick: bool,
        /// Only these topics (comma-separated): perceptron, gradients, divergences, mlp, cnn,
        /// recurrent, autoencoder, gan, dcgan, style.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Train a model on the bundled MNIST subset (or full MNIST with --data), with
    /// checkpoints, a CSV log, a loss chart and sample grids in the output folder.
    Train(train::TrainArgs),
    /// Draw a grid of digits from a trained GAN, DCGAN or VAE checkpoint.
    Sample(sample::SampleArgs),
    /// Neural style transfer: the content image in the style image's style.
    Style(style::StyleArgs),
    /// Time the docs/benchmarks.md workloads briefly and print a table.
    Bench(bench::BenchArgs),
}

/// Runs the command on rayon's pool ([`nabla_tensor::on_pool`]): the training loops' ops then
/// share their parallel work by work stealing rather than waking the pool for each.
fn run(cli: Cli) -> Result<(), CliError> {
    let threads = match &cli.command {
        Command::Bench(args) => args.threads,
        Command::Train(args) => args.thread_count(),
        _ => None,
    };
    if let Some(threads) = threads {
        rayon_threads(threads)?;
    }
    nabla_tensor::on_pool(|| run_on_pool(cli))
}

fn run_on_pool(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Tour { out, quick, only } => {
            interrupt::install();
            let report = tour::run(&out, quick, &only, &mut |line| eprintln!("{line}"))?;
            let failed: usize = report.sections.iter().map(|s| s.checks.iter().filter(|c| !c.passed).count()).sum();
            println!(
                "wrote {} ({} topics in {:.0} s{})",
                out.join("index.html").display(),
                report.sections.len(),
                report.seconds,
                if failed == 0 { String::new() } else { format!("; {failed} check(s) failed") }
            );
        }
        Command::Train(args) => {
            interrupt::install();
            if let Some(summary) = train::run(&args)? {
                println!("{summary}");
            }
        }
        Command::Sample(args) => println!("{}", sample::run(&args)?),
        Command::Style(args) => println!("{}", style::run(&args)?),
        Command::Bench(args) => {
            let isa = nabla_tensor::isa::level();
            println!("kernels: {isa} (of {} on this CPU; NABLA_ISA caps it)", nabla_tensor::isa::detected());
            println!("{:<4} {:<42} {:>12} {:>10}  unit", "id", "workload", "ms/step", "figure");
            let measurements = bench::measure(&args.only, args.seconds, &mut |m| {
                let (id, workload, unit) = (m.id, m.workload, m.unit);
                println!("{id:<4} {workload:<42} {:>12.3} {:>10.1}  {unit}", m.seconds_per_step * 1e3, m.figure)
            })?;
            if let Some(path) = &args.json {
                nabla_tensor::io::write_atomically(path, bench::to_json(&measurements).as_bytes())
                    .map_err(|source| CliError::Io { path: path.display().to_string(), source })?;
            }
        }
    }
    Ok(())
}

/// Sizes rayon's global pool, which the matrix multiplies and parallel kernels use.
fn rayon_threads(threads: usize) -> Result<(), CliError> {
    nabla_tensor::set_thread_count(threads).map_err(|e| CliError::Usage(format!("--threads {threads}: {e}")))
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code() as u8)
        }
    }
}
