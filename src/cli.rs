//! The `stagesim` command line. Parsing lives here so `main.rs` stays a one-liner and the
//! commands are testable as a library.

use crate::diag::Error;
use crate::load::load_scenario;
use crate::report;
use crate::runner::{apply, run, RunOptions};
use crate::units::parse_duration;
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(name = "stagesim", version, about = "Simulate a web system's scaling journey, request by request")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario and print its summary.
    Run {
        file: String,
        #[arg(long)]
        seed: Option<u64>,
        /// Override the simulated duration, e.g. "2m".
        #[arg(long)]
        duration: Option<String>,
        #[arg(long)]
        replications: Option<u32>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Check a scenario without running it.
    Validate { file: String },
    /// Print the call graph.
    Graph {
        file: String,
        #[arg(long, value_enum, default_value = "mermaid")]
        format: GraphFormat,
    },
    /// Judge scenarios' [thresholds] and compare with a baseline: a CI gate (exit 1 on failure).
    Check(crate::check::cli::CheckArgs),
}

/// Runs a parsed command; returns what to print on stdout.
pub fn execute(cli: Cli) -> Result<String, Error> {
    match cli.command {
        Command::Run { file, seed, duration, replications, format } => {
            let model = load_scenario(&file)?;
            let duration_ns = match duration {
                Some(d) => Some(parse_duration(&d).map_err(|e| Error::Usage(format!("--duration: {e}")))?),
                None => None,
            };
            if duration_ns == Some(0) {
                return Err(Error::Usage("--duration must be greater than zero".into()));
            }
            let model = apply(&model, &RunOptions { seed, duration_ns, replications });
            let summary = run(&model);
            Ok(match format {
                Format::Text => report::text::render(&summary),
                Format::Json => serde_json::to_string_pretty(&summary).expect("summary serializes") + "\n",
            })
        }
        Command::Validate { file } => {
            let m = load_scenario(&file)?;
            Ok(format!(
                "{file}: ok ({} components, entry `{}`)\n",
                m.components.len(),
                m.components[m.load.entry as usize].name
            ))
        }
        Command::Check(args) => crate::check::cli::execute(&args).map(|out| out.stdout),
        Command::Graph { file, format } => {
            let m = load_scenario(&file)?;
            Ok(match format {
                GraphFormat::Mermaid => report::graph::mermaid(&m),
                GraphFormat::Dot => report::graph::dot(&m),
            })
        }
    }
}

/// The whole program: parse arguments, execute, print, and return the exit code.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    // `check` has its own exit code (1 when the gate fails) and writes files.
    if let Command::Check(args) = &cli.command {
        return crate::check::cli::main(args);
    }
    match execute(cli) {
        Ok(out) => {
            use std::io::Write;
            // A closed pipe (`stagesim run ... | head`) is the reader's choice, not an error.
            let _ = std::io::stdout().lock().write_all(out.as_bytes());
            0
        }
        Err(e) => {
            eprintln!("{e}");
            e.exit_code()
        }
    }
}
