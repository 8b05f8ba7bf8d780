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
    /// Run every stage of a journey on the same traffic; print the stage table and write the report.
    Journey {
        file: String,
        /// Where to write the report (default: reports/<journey file stem>/).
        #[arg(long)]
        out: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Back-of-the-envelope capacity per component, next to what the simulation measures.
    Explain {
        file: String,
        /// The user request rate to explain (default: the scenario's).
        #[arg(long)]
        load: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Vary one numeric key over a range (in parallel) and report the curve and its knee.
    Sweep {
        file: String,
        /// A dotted key, e.g. components.app.instances.
        #[arg(long)]
        key: String,
        #[arg(long)]
        from: f64,
        #[arg(long)]
        to: f64,
        #[arg(long, default_value_t = 1.0)]
        step: f64,
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
            run_command(&file, seed, duration, replications, format).map(|(out, _)| out)
        }
        Command::Journey { file, out, format, quiet } => {
            crate::journey_cli::journey(&file, out, matches!(format, Format::Json), quiet)
        }
        Command::Explain { file, load, format } => {
            let mut model = load_scenario(&file)?;
            if let Some(l) = load {
                model.load.rate_per_s =
                    crate::units::parse_rate(&l).map_err(|e| Error::Usage(format!("--load: {e}")))?;
            }
            let measured = run(&model);
            let e = crate::explain::explain(&model, Some(&measured));
            Ok(match format {
                Format::Text => report::explain_text::render(&e),
                Format::Json => serde_json::to_string_pretty(&e).expect("serializes") + "\n",
            })
        }
        Command::Sweep { file, key, from, to, step, format } => {
            let values = crate::sweep::values(from, to, step).map_err(Error::Usage)?;
            let text = std::fs::read_to_string(&file).map_err(|source| Error::Io { path: file.clone(), source })?;
            let s = crate::sweep::sweep(&file, &text, &key, &values)?;
            Ok(match format {
                Format::Text => report::sweep_text::render(&s),
                Format::Json => serde_json::to_string_pretty(&s).expect("serializes") + "\n",
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

/// Exit code of a run a limit stopped (`partial`): its output is printed, but it is not a
/// full measurement. It wins over a threshold failure in `check`.
pub const EXIT_PARTIAL: i32 = 5;

/// `stagesim run`: what to print, and whether a limit stopped the run.
fn run_command(
    file: &str,
    seed: Option<u64>,
    duration: Option<String>,
    replications: Option<u32>,
    format: Format,
) -> Result<(String, bool), Error> {
    let model = load_scenario(file)?;
    let duration_ns = match duration {
        Some(d) => Some(parse_duration(&d).map_err(|e| Error::Usage(format!("--duration: {e}")))?),
        None => None,
    };
    if duration_ns == Some(0) {
        return Err(Error::Usage("--duration must be greater than zero".into()));
    }
    let model = apply(&model, &RunOptions { seed, duration_ns, replications });
    let summary = run(&model);
    let out = match format {
        Format::Text => report::text::render(&summary),
        Format::Json => serde_json::to_string_pretty(&summary).expect("summary serializes") + "\n",
    };
    Ok((out, summary.partial))
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
    let result = match cli.command {
        Command::Run { file, seed, duration, replications, format } => {
            run_command(&file, seed, duration, replications, format)
        }
        command => execute(Cli { command }).map(|out| (out, false)),
    };
    match result {
        Ok((out, partial)) => {
            use std::io::Write;
            // A closed pipe (`stagesim run ... | head`) is the reader's choice, not an error.
            let _ = std::io::stdout().lock().write_all(out.as_bytes());
            if partial {
                EXIT_PARTIAL
            } else {
                0
            }
        }
        Err(e) => {
            eprintln!("{e}");
            e.exit_code()
        }
    }
}
