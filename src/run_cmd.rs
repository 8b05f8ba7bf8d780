//! `stagesim run`: a scenario's summary, and its `[thresholds]` judged the way `k6 run`
//! judges them — a mark per threshold and exit 1 when one fails.
//!
//! With one replication a threshold is judged on the point estimate (a run has nothing
//! else); with several, on the 95% confidence interval, by the same evaluation as `check`
//! (`check::evaluate`), so a threshold that the interval cannot decide is inconclusive and
//! does not fail the run. `check` remains the statistical gate (batches until conclusive,
//! baselines, CI outputs).

use crate::check::evaluate::{evaluate_run, Outcome, ThresholdVerdict};
use crate::check::{missing_diag, EXIT_GATE_FAILED};
use crate::cli::Format;
use crate::diag::Error;
use crate::load::parse_scenario_checked_with;
use crate::overrides::OverrideArgs;
use crate::report;
use crate::runner::{apply, run_and_each, RunOptions};
use crate::summary::Summary;
use crate::units::parse_duration;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    pub file: String,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override the simulated duration, e.g. "2m".
    #[arg(long)]
    pub duration: Option<String>,
    #[arg(long)]
    pub replications: Option<u32>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// Also write the summary and its time series (JSON, HTML with SVG charts) here.
    #[arg(long)]
    pub out: Option<String>,
}

/// What `run` prints and its exit code.
pub struct RunOutput {
    pub stdout: String,
    pub exit_code: i32,
}

/// Runs the scenario and judges its thresholds.
pub fn execute(a: &RunArgs) -> Result<RunOutput, Error> {
    if let Some(n) = a.replications {
        crate::runner::check_replications(n, "--replications").map_err(Error::Usage)?;
    }
    let overrides = a.overrides.overrides()?;
    let text = crate::load::read_input(&a.file, "scenario")?;
    let (model, set) = parse_scenario_checked_with(&a.file, &text, &overrides)?;
    let duration_ns = match &a.duration {
        Some(d) => Some(parse_duration(d).map_err(|e| Error::Usage(format!("--duration: {e}")))?),
        None => None,
    };
    if duration_ns == Some(0) {
        return Err(Error::Usage("--duration must be greater than zero".into()));
    }
    let model = apply(&model, &RunOptions { seed: a.seed, duration_ns, replications: a.replications });
    crate::budget::check_override(&model, "--duration")?;
    if let Some(dir) = &a.out {
        // Refuse an unsuitable --out before the run, not after it.
        crate::output_file::check_set_target(dir, &|n| report::run_files::FILES.contains(&n))?;
    }
    let (summary, each) = crate::runner::with_progress(&a.file, &model, run_and_each)?;
    if let Some(dir) = &a.out {
        report::run_files::write_run(dir, &summary)?;
    }
    let thresholds = evaluate_run(&set.thresholds, &each).map_err(|missing| {
        let diags = missing.iter().map(|m| missing_diag(&a.file, &text, &set.thresholds[m.threshold], m, "")).collect();
        Error::Invalid(diags)
    })?;
    let stdout = match a.format {
        Format::Text => report::text::render(&summary) + &report::gate_text::render(&thresholds, model.replications),
        Format::Json => json(&summary, &thresholds),
    };
    // A run a limit stopped has its own exit code, which wins over the thresholds.
    let limit = summary.partial.then_some(crate::cli::EXIT_PARTIAL);
    Ok(RunOutput { stdout, exit_code: exit_code(limit, &thresholds) })
}

/// The summary's JSON with a `thresholds` array when the scenario has thresholds (a
/// scenario without them prints exactly the summary, as before).
fn json(summary: &Summary, thresholds: &[ThresholdVerdict]) -> String {
    let mut v = serde_json::to_value(summary).expect("summary serializes");
    if let (false, serde_json::Value::Object(m)) = (thresholds.is_empty(), &mut v) {
        m.insert("thresholds".into(), serde_json::to_value(thresholds).expect("verdicts serialize"));
    }
    serde_json::to_string_pretty(&v).expect("summary serializes") + "\n"
}

/// A limit's own exit code wins; else 1 when a threshold fails (an inconclusive one, with
/// several replications, does not fail the run: `check` decides those).
pub fn exit_code(limit_code: Option<i32>, thresholds: &[ThresholdVerdict]) -> i32 {
    if let Some(code) = limit_code {
        code
    } else if thresholds.iter().any(|t| t.outcome == Outcome::Fail) {
        EXIT_GATE_FAILED
    } else {
        0
    }
}

/// The whole command: prints and returns the exit code.
pub fn main(a: &RunArgs, color: bool) -> i32 {
    match execute(a) {
        Ok(out) => {
            use std::io::Write;
            // A closed pipe (`stagesim run ... | head`) is the reader's choice, not an error.
            let _ = std::io::stdout().lock().write_all(out.stdout.as_bytes());
            out.exit_code
        }
        Err(e) => crate::color::print_error(&e, color),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::evaluate::Estimate;

    fn verdict(outcome: Outcome) -> ThresholdVerdict {
        ThresholdVerdict {
            name: "latency p(99) < 1s".into(),
            metric: "latency.p(99)".into(),
            expression: "p(99) < 1s".into(),
            key: "thresholds.latency".into(),
            file: None,
            line: 1,
            column: 1,
            op: crate::check::expr::Cmp::Lt,
            limit: 1.0,
            limit_text: "1s".into(),
            unit: crate::check::expr::Unit::Seconds,
            estimate: Estimate::point(0.5),
            outcome,
            message: String::new(),
        }
    }

    #[test]
    fn a_failed_threshold_fails_the_run_unless_a_limit_has_its_own_code() {
        assert_eq!(exit_code(None, &[verdict(Outcome::Pass)]), 0);
        assert_eq!(exit_code(None, &[verdict(Outcome::Pass), verdict(Outcome::Inconclusive)]), 0);
        assert_eq!(exit_code(None, &[verdict(Outcome::Pass), verdict(Outcome::Fail)]), 1);
        assert_eq!(exit_code(Some(5), &[verdict(Outcome::Fail)]), 5);
    }
}
