//! The thresholds section of `stagesim run`'s text summary, as `k6 run` prints it: a mark per
//! threshold. It formats verdicts `check::evaluate` computed; it computes nothing.

use crate::check::evaluate::{Outcome, ThresholdVerdict};
use std::fmt::Write;

/// Empty when the scenario has no thresholds.
pub fn render(thresholds: &[ThresholdVerdict], replications: u32) -> String {
    if thresholds.is_empty() {
        return String::new();
    }
    let how = if replications <= 1 {
        "1 replication: judged on the point estimate".to_string()
    } else {
        format!("{replications} replications: judged on the 95% confidence interval")
    };
    let mut o = format!("\nthresholds ({how})\n");
    let width = thresholds.iter().map(|t| t.name.chars().count()).max().unwrap_or(0);
    for t in thresholds {
        let mark = match t.outcome {
            Outcome::Pass => "✓ pass",
            Outcome::Fail => "✗ FAIL",
            Outcome::Inconclusive => "? inconclusive",
        };
        let _ = writeln!(o, "  {mark:<14} {:<width$}  {}", t.name, t.message);
    }
    let failed = thresholds.iter().filter(|t| t.outcome == Outcome::Fail).count();
    let inconclusive = thresholds.iter().filter(|t| t.outcome == Outcome::Inconclusive).count();
    let _ = write!(o, "{} of {} thresholds failed", failed, thresholds.len());
    if inconclusive > 0 {
        let _ = write!(o, ", {inconclusive} inconclusive (`stagesim check` runs until they are decided)");
    }
    o.push('\n');
    o
}
