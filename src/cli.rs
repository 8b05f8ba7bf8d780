//! The `stagesim` command line. Parsing lives here so `main.rs` stays a one-liner and the
//! commands are testable as a library.

use crate::color::ColorChoice;
use crate::diag::Error;
use crate::load::{load_scenario, load_scenario_with};
use crate::overrides::OverrideArgs;
use crate::report;
use crate::runner::run;
use clap::{Parser, Subcommand, ValueEnum};

/// The version `--version` prints: the package's, and the commit it was built from when the
/// build had a git checkout (see build.rs).
pub const VERSION: &str = match option_env!("STAGESIM_COMMIT") {
    Some(c) if !c.is_empty() => concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("STAGESIM_COMMIT"), ")"),
    _ => env!("CARGO_PKG_VERSION"),
};

#[derive(Parser, Debug)]
#[command(name = "stagesim", version = VERSION, about = "Simulate a web system's scaling journey, request by request")]
pub struct Cli {
    /// Colour diagnostics: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
    /// No progress on stderr (neither the bar on a terminal nor the lines off one).
    #[arg(long, global = true)]
    pub quiet: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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
    /// Run a scenario, print its summary and judge its [thresholds] (exit 1 if one fails).
    Run(crate::run_cmd::RunArgs),
    /// The playground: a local web page to edit a design, move its numbers and watch it run.
    Serve(crate::serve::ServeArgs),
    /// Run designs on the same traffic and compare them, each against the first.
    Compare(crate::cli_more::CompareArgs),
    /// Run every stage of a journey on the same traffic; print the stage table and write the report.
    Journey {
        file: String,
        /// Where to write the report (default: reports/<journey file stem>/).
        #[arg(long)]
        out: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        #[command(flatten)]
        overrides: OverrideArgs,
    },
    /// Back-of-the-envelope capacity per component, next to what the simulation measures.
    Explain {
        file: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// `--load`: the user request rate to explain (default: the scenario's).
        #[command(flatten)]
        overrides: OverrideArgs,
    },
    /// Vary one key over a range (in parallel) and report the curve and its knee.
    Sweep(crate::cli_more::SweepArgs),
    /// Search a design space for the cheapest design meeting its constraints (exit 1 if none).
    Optimize(crate::optimize::cli::OptimizeArgs),
    /// Check scenarios and journeys without running them: every problem of every file.
    Validate {
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Print the call graph.
    Graph {
        file: String,
        #[arg(long, value_enum, default_value = "mermaid")]
        format: GraphFormat,
    },
    /// Judge scenarios' [thresholds] and compare with a baseline: a CI gate (exit 1 on failure).
    Check(crate::check::cli::CheckArgs),
    /// Grade a design against a challenge's hidden cases (exit 1 if a case fails).
    Challenge(crate::challenge::cli::ChallengeArgs),
    /// Write a starter scenario (single-server, load-balancer, cache or queue).
    Init(crate::init::InitArgs),
    /// Print a shell completion script, e.g. `stagesim completions bash > /etc/bash_completion.d/stagesim`.
    Completions {
        #[arg(value_enum)]
        shell: crate::shell::Shell,
    },
    /// Print the man page (roff), e.g. `stagesim man > stagesim.1`.
    Man,
    /// Print a JSON Schema (draft-07): of scenario or journey files, or of a JSON output.
    Schema {
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(crate::schema::NAMES), default_value = "scenario")]
        name: String,
    },
    /// Write the plan of a sweep or a check: work items to run in shards (`work`) and `merge`.
    Plan(crate::plan::cli::PlanArgs),
    /// Run one shard of a plan and write its part.
    Work(crate::plan::cli::WorkArgs),
    /// Merge the parts of a plan exactly; judge and render once (exit 6: another round).
    Merge(crate::plan::cli::MergeArgs),
    /// Print the Markdown reference of every component kind, or of one.
    Docs {
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(crate::components::KINDS))]
        kind: Option<String>,
    },
}

/// Runs a parsed command; returns what to print on stdout.
pub fn execute(cli: Cli) -> Result<String, Error> {
    match cli.command {
        Command::Run(args) => crate::run_cmd::execute(&args).map(|out| out.stdout),
        Command::Serve(args) => crate::serve::main(&args),
        Command::Journey { file, out, format, overrides } => {
            crate::journey_cli::journey(&file, out, matches!(format, Format::Json), &overrides.overrides()?)
        }
        Command::Explain { file, format, overrides } => {
            let model = load_scenario_with(&file, &overrides.overrides()?)?;
            let measured = run(&model);
            if let Some(e) = crate::progress::interrupted(vec![format!("{file}: the measured run")], 1) {
                return Err(e);
            }
            let e = crate::explain::explain(&model, Some(&measured));
            Ok(match format {
                Format::Text => report::explain_text::render(&e),
                Format::Json => serde_json::to_string_pretty(&e).expect("serializes") + "\n",
            })
        }
        Command::Sweep(args) => crate::cli_more::sweep(&args),
        Command::Compare(args) => crate::cli_more::compare(&args),
        Command::Optimize(args) => crate::optimize::cli::execute(&args).map(|(out, _)| out),
        Command::Validate { files } => crate::validate_cmd::validate_files(&files),
        Command::Check(args) => crate::check::cli::execute(&args).map(|out| out.stdout),
        Command::Challenge(args) => crate::challenge::cli::execute(&args).map(|out| out.0),
        Command::Init(args) => crate::init::execute(&args),
        Command::Plan(args) => crate::plan::cli::plan(&args),
        Command::Work(args) => crate::plan::cli::work(&args),
        Command::Merge(args) => match crate::plan::cli::merge_main(&args, false) {
            0 => Ok(String::new()),
            code => Err(Error::Usage(format!("merge exited with {code}"))),
        },
        Command::Completions { shell } => Ok(crate::shell::completions(shell)),
        Command::Man => Ok(crate::shell::man()),
        Command::Schema { name } => Ok(crate::schema::render(&name).expect("clap checked the name")),
        Command::Docs { kind } => Ok(crate::docs::render(kind.as_deref())),
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

/// The whole program: parse arguments, execute, print, and return the exit code.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    crate::progress::set_quiet(cli.quiet);
    crate::progress::install_signal_handlers();
    let color = crate::color::for_stderr(cli.color);
    // `check` and `run` have their own exit code (1 when a threshold fails).
    match &cli.command {
        Command::Check(args) => return crate::check::cli::main(args, color),
        Command::Challenge(args) => return crate::challenge::cli::main(args, color),
        Command::Run(args) => return crate::run_cmd::main(args, color),
        Command::Merge(args) => return crate::plan::cli::merge_main(args, color),
        Command::Optimize(args) => return crate::optimize::cli::main(args, color),
        _ => {}
    }
    // Every command that runs simulations (run, explain, sweep, journey, check) turns a stop
    // into `Error::Interrupted` itself, before it prints or writes anything.
    match execute(cli) {
        Ok(out) => {
            use std::io::Write;
            // A closed pipe (`stagesim run ... | head`) is the reader's choice, not an error.
            let _ = std::io::stdout().lock().write_all(out.as_bytes());
            0
        }
        Err(e) => crate::color::print_error(&e, color),
    }
}
