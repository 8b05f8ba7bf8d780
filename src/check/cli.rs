//! The `stagesim check` command line: options, output files, GitHub Actions integration,
//! exit code. The environment is read here and nowhere else in `check`.

use super::{annotations, baseline, junit, openmetrics, text, CheckOptions};
use crate::cli::Format;
use crate::diag::Error;
use crate::units::parse_duration;
use std::io::Write;

// Serializable: a plan records the options its merge judges and renders with.
#[derive(clap::Args, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CheckArgs {
    /// Scenario files; each one's [thresholds] are judged.
    #[arg(required = true)]
    pub files: Vec<String>,
    /// Baseline JSON to compare with (or to write, with --update-baseline).
    #[arg(long)]
    pub baseline: Option<String>,
    /// Relative change a regression must exceed (besides the noise), e.g. "5%" or 0.05.
    #[arg(long, default_value = "5%")]
    pub tolerance: String,
    /// Write the baseline from this run instead of comparing with it.
    #[arg(long)]
    pub update_baseline: bool,
    /// Verdict on stdout: a table for people, or the JSON report.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Also write a JUnit XML report to this file.
    #[arg(long)]
    pub junit: Option<String>,
    /// Also write the final metrics as OpenMetrics text to this file.
    #[arg(long)]
    pub openmetrics: Option<String>,
    /// Override the scenario's seed (another seed of the same model shows the noise).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override the simulated duration, e.g. "2m".
    #[arg(long)]
    pub duration: Option<String>,
    /// Replications of the first batch.
    #[arg(long, default_value_t = 5)]
    pub replications: u32,
    /// Batches double while a threshold is inconclusive, up to this many replications.
    #[arg(long, default_value_t = 30)]
    pub max_replications: u32,
    /// Fail the gate on thresholds still inconclusive at --max-replications.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub overrides: crate::overrides::OverrideArgs,
    #[command(flatten)]
    #[serde(skip)]
    pub shard: crate::plan::cli::ShardArgs,
}

impl CheckArgs {
    /// The options without `--shard`/`--part`: what a plan records.
    pub fn unsharded(&self) -> CheckArgs {
        CheckArgs { shard: Default::default(), ..self.clone() }
    }
}

/// What the process prints, and its exit code.
pub struct Output {
    pub stdout: String,
    /// GitHub Actions annotations (workflow commands), kept off stdout so JSON stays clean.
    pub stderr: String,
    pub exit_code: i32,
}

/// Parses "5%" or "0.05".
pub fn parse_tolerance(text: &str) -> Result<f64, Error> {
    let t = text.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => t.parse::<f64>(),
    };
    match v {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(Error::Usage(format!("--tolerance `{text}`: write a percentage such as 5% (or a ratio, 0.05)"))),
    }
}

pub fn options(a: &CheckArgs) -> Result<CheckOptions, Error> {
    let duration_ns = match &a.duration {
        Some(d) => match parse_duration(d) {
            Ok(0) => return Err(Error::Usage("--duration must be greater than zero".into())),
            Ok(ns) => Some(ns),
            Err(e) => return Err(Error::Usage(format!("--duration: {e}"))),
        },
        None => None,
    };
    Ok(CheckOptions {
        seed: a.seed,
        duration_ns,
        replications: a.replications,
        max_replications: a.max_replications,
        tolerance: parse_tolerance(&a.tolerance)?,
        baseline: a.baseline.clone(),
        update_baseline: a.update_baseline,
        strict: a.strict,
        overrides: a.overrides.overrides()?,
    })
}

fn write_file(path: &str, content: &str) -> Result<(), Error> {
    crate::output_file::write(path, content)
}

/// Runs the check and writes the requested files; `github` holds `$GITHUB_STEP_SUMMARY`
/// when running under GitHub Actions (`Some(None)` if the variable is unset).
pub fn execute_in(args: &CheckArgs, github: Option<Option<String>>) -> Result<Output, Error> {
    if let Some(stdout) =
        crate::plan::cli::sharded(&args.shard, || crate::plan::sources::check_plan(&args.unsharded()))?
    {
        return Ok(Output { stdout, stderr: String::new(), exit_code: 0 });
    }
    Ok(execute_with(args, github, &super::Simulate)?.expect("simulating gives every batch"))
}

/// The check with replications from `source` (simulated, or a plan's merged results):
/// judges, writes the files and renders; `None` when `source` lacks a batch (another round).
pub fn execute_with(
    args: &CheckArgs,
    github: Option<Option<String>>,
    source: &dyn super::Replicator,
) -> Result<Option<Output>, Error> {
    let opts = options(args)?;
    let planned = super::plan::plan(&args.files, &opts.overrides)?;
    let progress = crate::progress::Progress::items("check", planned.iter().map(|p| p.title()).collect(), false);
    let checked = super::check_planned_with(&args.files, &planned, &opts, source);
    // A stopped check judged nothing: no file is written.
    progress.check_interrupted()?;
    let Some((report, new_baseline)) = checked? else { return Ok(None) };
    drop(progress);
    if let (Some(path), Some(b)) = (&opts.baseline, &new_baseline) {
        baseline::write(path, b)?;
    }
    if let Some(path) = &args.junit {
        write_file(path, &junit::render(&report))?;
    }
    if let Some(path) = &args.openmetrics {
        write_file(path, &openmetrics::render(&report))?;
    }
    let mut stderr = no_entry_warnings(&report);
    if let Some(summary) = github {
        stderr.push_str(&annotations::render(&report));
        if let Some(path) = summary.filter(|p| !p.is_empty()) {
            let io = |source| Error::Io { path: path.clone(), source };
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(io)?;
            f.write_all(annotations::markdown(&report).as_bytes()).map_err(io)?;
        }
    }
    let stdout = match args.format {
        Format::Text => text::render(&report),
        Format::Json => serde_json::to_string_pretty(&report).expect("a report serializes") + "\n",
    };
    Ok(Some(Output { stdout, stderr, exit_code: report.exit_code }))
}

/// A scenario the baseline does not know was not compared: said loudly on stderr, whatever
/// the format (with `--strict` it also fails the gate).
fn no_entry_warnings(r: &super::Report) -> String {
    let mut out = String::new();
    for s in &r.scenarios {
        if let Some(b) = s.baseline.as_ref().filter(|b| b.status == baseline::BaselineStatus::NoEntry) {
            let verdict = if r.strict { "error" } else { "WARNING" };
            out.push_str(&format!(
                "{verdict}: baseline `{}` has no entry `{}` for {}: nothing was compared{}; record it with --update-baseline\n",
                b.file,
                b.key,
                s.title(),
                if r.strict { " and --strict fails the gate" } else { "" }
            ));
        }
    }
    out
}

/// Reads the GitHub Actions environment, then runs.
pub fn execute(args: &CheckArgs) -> Result<Output, Error> {
    let github =
        (std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true")).then(|| std::env::var("GITHUB_STEP_SUMMARY").ok());
    execute_in(args, github)
}

/// The whole command: prints and returns the exit code.
pub fn main(args: &CheckArgs, color: bool) -> i32 {
    match execute(args) {
        Ok(out) => {
            // A closed pipe is the reader's choice, not an error.
            let _ = std::io::stdout().lock().write_all(out.stdout.as_bytes());
            let _ = std::io::stderr().lock().write_all(out.stderr.as_bytes());
            out.exit_code
        }
        Err(e) => crate::color::print_error(&e, color),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances() {
        assert_eq!(parse_tolerance("5%").unwrap(), 0.05);
        assert_eq!(parse_tolerance("0.1").unwrap(), 0.1);
        assert_eq!(parse_tolerance("-1%").unwrap_err().exit_code(), 2);
        assert_eq!(parse_tolerance("five").unwrap_err().exit_code(), 2);
    }
}
