//! A verdict for people (text) and for CI (the JUnit of `check`, one suite per case).

use super::Verdict;
use crate::check::evaluate::Outcome;
use crate::check::{Counts, Report, ScenarioReport, StageRef, CHECK_SCHEMA_VERSION};
use crate::units::human_secs;
use std::fmt::Write;

fn tag(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "PASS",
        Outcome::Fail => "FAIL",
        Outcome::Inconclusive => "INCONCLUSIVE",
    }
}

/// The verdict as text: each case, its criteria, its numbers, and hints where it failed.
pub fn render_text(v: &Verdict) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}: {} graded on {}", v.challenge, v.design, v.challenge_file);
    let _ = writeln!(o);
    for c in &v.cases {
        let _ = writeln!(o, "{} case {}: {}", tag(c.status), c.index, c.name);
        if !c.description.is_empty() {
            let _ = writeln!(o, "  {}", c.description);
        }
        let n = &c.numbers;
        let _ = writeln!(
            o,
            "  p50 {}  p99 {}  errors {:.2}%  {:.0}/s  ${:.0}/month  ({}s simulated, {} replication{})",
            human_secs(n.latency_s_p50),
            human_secs(n.latency_s_p99),
            n.error_ratio * 100.0,
            n.throughput_per_s,
            n.cost_usd_per_month,
            n.duration_s,
            n.replications,
            if n.replications == 1 { "" } else { "s" }
        );
        if let Some(reason) = &c.partial {
            let _ = writeln!(o, "  PARTIAL: a limit stopped a run ({reason}): its figures cover only what ran");
        }
        for note in &c.notes {
            let _ = writeln!(o, "  note: {note}");
        }
        let w = crate::report::text::name_width(30, c.criteria.iter().map(|t| t.name.as_str()));
        for t in &c.criteria {
            let _ = writeln!(o, "    {:<12} {:<w$} {}", tag(t.outcome), t.name, t.message);
        }
        if c.status == Outcome::Fail {
            if let Some(b) = &c.bottleneck {
                let _ = writeln!(o, "  bottleneck: {}", b.sentence);
            }
            if !c.teaches.is_empty() {
                let _ = writeln!(o, "  this case teaches: {}", c.teaches);
            }
            for h in &c.hints {
                let _ = writeln!(o, "  hint: {h}");
            }
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(
        o,
        "{}: {} of {} case(s) passed",
        if v.status == Outcome::Pass { "PASSED" } else { "FAILED" },
        v.passed,
        v.cases.len()
    );
    o
}

/// The verdict as the JUnit XML `check --junit` writes: one suite per case (classname
/// `CHALLENGE#INDEX CASE`), one test per criterion.
pub fn render_junit(v: &Verdict) -> String {
    let scenarios: Vec<ScenarioReport> = v
        .cases
        .iter()
        .map(|c| ScenarioReport {
            file: v.challenge_file.clone(),
            scenario: v.challenge.clone(),
            stage: Some(StageRef { index: c.index, name: c.name.clone(), rate_per_s: c.numbers.throughput_per_s }),
            seed: 0,
            duration_s: c.numbers.duration_s,
            replications: c.numbers.replications,
            batches: vec![c.numbers.replications],
            status: c.status,
            thresholds: c.criteria.clone(),
            baseline: None,
            metrics: Default::default(),
            components: Default::default(),
            mermaid: String::new(),
            partial: c.partial.clone(),
        })
        .collect();
    let mut counts = Counts::default();
    for t in v.cases.iter().flat_map(|c| &c.criteria) {
        counts.thresholds += 1;
        match t.outcome {
            Outcome::Pass => counts.passed += 1,
            Outcome::Fail => counts.failed += 1,
            Outcome::Inconclusive => counts.inconclusive += 1,
        }
    }
    let report = Report {
        schema_version: CHECK_SCHEMA_VERSION,
        stagesim_version: v.stagesim_version.clone(),
        status: v.status,
        exit_code: v.exit_code,
        strict: false,
        tolerance: 0.0,
        replications: v.cases.first().map_or(1, |c| c.numbers.replications),
        max_replications: v.cases.first().map_or(1, |c| c.numbers.replications),
        baseline: None,
        counts,
        scenarios,
    };
    crate::check::junit::render(&report)
}
