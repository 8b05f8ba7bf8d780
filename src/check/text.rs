//! The human-readable rendering of a check report (stdout, default format).

use super::baseline::BaselineReport;
use super::baseline::{BaselineStatus, Change};
use super::evaluate::Outcome;
use super::{Report, ScenarioReport};
use crate::units::human_secs;
use std::fmt::Write;

fn tag(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "PASS",
        Outcome::Fail => "FAIL",
        Outcome::Inconclusive => "INCONCLUSIVE",
    }
}

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    for s in &r.scenarios {
        let batches: Vec<String> = s.batches.iter().map(u32::to_string).collect();
        match &s.stage {
            Some(st) => {
                let _ = writeln!(o, "{}  at {}/s", s.title(), st.rate_per_s);
            }
            None => {
                let _ = writeln!(o, "{}  {}", s.file, s.scenario);
            }
        }
        let _ = writeln!(o, "  seed {}  replications {} (batches: {})", s.seed, s.replications, batches.join(" -> "));
        if let Some(reason) = &s.partial {
            let _ = writeln!(o, "  PARTIAL: a limit stopped a replication ({reason}): its figures cover only what ran");
        }
        if s.thresholds.is_empty() {
            let _ = writeln!(o, "  no [thresholds] in this {}", if s.stage.is_some() { "stage" } else { "scenario" });
        }
        let w = crate::report::text::name_width(44, s.thresholds.iter().map(|t| t.name.as_str()));
        for t in &s.thresholds {
            let _ = writeln!(o, "  {:<12} {:<w$} {}", tag(t.outcome), t.name, t.message);
        }
        if let Some(b) = &s.baseline {
            baseline(&mut o, s, b);
        }
        let _ = writeln!(o);
    }
    let c = &r.counts;
    let recorded = r.scenarios.iter().all(|s| s.baseline.as_ref().is_some_and(|b| b.status == BaselineStatus::Written));
    if recorded && !r.scenarios.is_empty() {
        let file = r.baseline.as_deref().unwrap_or("");
        let _ = writeln!(
            o,
            "RECORDED: baseline {file} written for {} scenario(s); {} threshold(s) shown above, not judged (--update-baseline)",
            r.scenarios.len(),
            c.thresholds
        );
        return o;
    }
    let _ = writeln!(
        o,
        "{}: {} threshold(s): {} passed, {} failed, {} inconclusive; {} regression(s){}",
        tag(r.status),
        c.thresholds,
        c.passed,
        c.failed,
        c.inconclusive,
        c.regressions,
        if r.status == Outcome::Inconclusive && !r.strict {
            " (inconclusive does not fail the gate without --strict)"
        } else {
            ""
        }
    );
    o
}

fn baseline(o: &mut String, s: &ScenarioReport, b: &BaselineReport) {
    match b.status {
        BaselineStatus::Written => {
            let _ = writeln!(o, "  baseline {}: entry written ({} metrics)", b.file, s.metrics.len());
        }
        BaselineStatus::NoEntry => {
            let fails = if s.status == Outcome::Fail && s.thresholds.iter().all(|t| t.outcome != Outcome::Fail) {
                " (fails the gate with --strict)"
            } else {
                ""
            };
            let _ = writeln!(
                o,
                "  baseline {}: no entry `{}` for this scenario{fails}; add one with --update-baseline",
                b.file, b.key
            );
        }
        BaselineStatus::Compared => {
            let version = b.baseline_version.as_deref().unwrap_or("?");
            let _ = writeln!(o, "  baseline {} (written by stagesim {version}):", b.file);
            if let Some(d) = b.duration_mismatch_s {
                let _ = writeln!(
                    o,
                    "  warning: the baseline simulated {} per replication, this run {}",
                    human_secs(d),
                    human_secs(s.duration_s)
                );
            }
            for c in &b.comparisons {
                let label = match c.change {
                    Change::Regression => "REGRESSION",
                    Change::Improvement => "improved",
                    Change::Unchanged => "ok",
                };
                let _ = writeln!(o, "  {label:<12} {}", c.message);
            }
            for m in &b.new_metrics {
                let _ = writeln!(o, "  {:<12} {m}: not in the baseline yet", "new");
            }
            for m in &b.dropped_metrics {
                let _ = writeln!(o, "  {:<12} {m}: in the baseline, no longer measured", "dropped");
            }
        }
    }
}
