//! GitHub Actions output: workflow-command annotations pointing at each threshold's line in
//! the scenario file, and a Markdown job summary. The CLI emits them only when
//! `GITHUB_ACTIONS=true`.

use super::baseline::{BaselineStatus, Change};
use super::evaluate::Outcome;
use super::Report;
use crate::units::human_secs;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Escapes a workflow command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow command's property value (`file=...,title=...`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(level: &str, file: &str, at: Option<(usize, usize)>, title: &str, message: &str) -> String {
    let place = at.map_or(String::new(), |(line, col)| format!(",line={line},col={col}"));
    format!(
        "::{level} file={}{place},title={}::{}\n",
        escape_property(file),
        escape_property(title),
        escape_data(message)
    )
}

/// GitHub shows at most this many annotations of each level (error, warning, notice) per step
/// and drops the rest silently.
pub const SHOWN_PER_LEVEL: usize = 10;

/// One `::error` per failed threshold and regression, one `::warning` per inconclusive
/// threshold (`::error` with `--strict`) and per scenario missing from the baseline: the first
/// `SHOWN_PER_LEVEL` of each level, then one `::notice` that counts the rest (which the job
/// summary lists too, see `markdown`).
pub fn render(r: &Report) -> String {
    let all = annotations(r);
    let (mut out, mut shown) = (String::new(), BTreeMap::new());
    for (level, line) in &all {
        let n = shown.entry(*level).or_insert(0usize);
        *n += 1;
        if *n <= SHOWN_PER_LEVEL {
            out.push_str(line);
        }
    }
    if let Some(rest) = not_shown(&all) {
        let title = escape_property("stagesim: more annotations");
        out.push_str(&format!("::notice title={title}::{}\n", escape_data(&rest)));
    }
    out
}

/// "3 more errors and 1 more warning ..." when some annotations exceed GitHub's cap.
fn not_shown(all: &[(&'static str, String)]) -> Option<String> {
    let count = |level| all.iter().filter(|(l, _)| *l == level).count().saturating_sub(SHOWN_PER_LEVEL);
    let parts: Vec<String> = [("error", count("error")), ("warning", count("warning"))]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(l, n)| format!("{n} more {l}{}", if n == 1 { "" } else { "s" }))
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "{} not annotated (GitHub shows {SHOWN_PER_LEVEL} of each level per step): the job summary lists every verdict",
            parts.join(" and ")
        )
    })
}

/// Every annotation, in report order, with its level.
fn annotations(r: &Report) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for s in &r.scenarios {
        for t in &s.thresholds {
            let level = match t.outcome {
                Outcome::Pass => continue,
                Outcome::Fail => "error",
                Outcome::Inconclusive if r.strict => "error",
                Outcome::Inconclusive => "warning",
            };
            let title = match &s.stage {
                Some(st) => format!("stagesim threshold {} (stage {}): {}", t.outcome.label(), st.name, t.name),
                None => format!("stagesim threshold {}: {}", t.outcome.label(), t.name),
            };
            let file = t.file.as_deref().unwrap_or(&s.file);
            out.push((level, command(level, file, Some((t.line, t.column)), &title, &t.message)));
        }
        let Some(b) = &s.baseline else { continue };
        if b.status == BaselineStatus::NoEntry {
            let m = format!("{} has no entry for {}: nothing was compared", b.file, b.key);
            out.push(("warning", command("warning", &s.file, None, "stagesim: no baseline entry", &m)));
        }
        if let Some(d) = b.duration_mismatch_s {
            let m = format!(
                "{} was recorded with {} per replication, this run simulated {}: compare like with like",
                b.file,
                human_secs(d),
                human_secs(s.duration_s)
            );
            out.push(("warning", command("warning", &s.file, None, "stagesim: baseline duration differs", &m)));
        }
        for c in b.comparisons.iter().filter(|c| c.change == Change::Regression) {
            // A thresholded metric points at its threshold; a key metric at the file.
            let t = s.thresholds.iter().find(|t| t.metric == c.metric);
            let at = t.map(|t| (t.line, t.column));
            let file = t.and_then(|t| t.file.as_deref()).unwrap_or(&s.file);
            let title = match &s.stage {
                Some(st) => format!("stagesim regression (stage {}): {}", st.name, c.metric),
                None => format!("stagesim regression: {}", c.metric),
            };
            out.push(("error", command("error", file, at, &title, &c.message)));
        }
    }
    out
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn icon(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "✅ pass",
        Outcome::Fail => "❌ fail",
        Outcome::Inconclusive => "⚠️ inconclusive",
    }
}

/// The Markdown job summary (appended to `$GITHUB_STEP_SUMMARY`).
pub fn markdown(r: &Report) -> String {
    let c = &r.counts;
    let mut o = String::new();
    let _ = writeln!(o, "## stagesim check: {}\n", icon(r.status));
    let _ = writeln!(
        o,
        "{} threshold(s): {} passed, {} failed, {} inconclusive; {} regression(s).\n",
        c.thresholds, c.passed, c.failed, c.inconclusive, c.regressions
    );
    if let Some(rest) = not_shown(&annotations(r)) {
        let _ = writeln!(o, "**Note:** {rest}.\n");
    }
    for s in &r.scenarios {
        let _ = writeln!(
            o,
            "### `{}`: {}\n\n{}, seed {}, {} replications\n",
            s.title(),
            icon(s.status),
            cell(&s.scenario),
            s.seed,
            s.replications
        );
        if !s.mermaid.is_empty() {
            // GitHub renders a `mermaid` code block in a job summary as the diagram.
            let _ =
                writeln!(o, "<details><summary>architecture</summary>\n\n```mermaid\n{}```\n\n</details>\n", s.mermaid);
        }
        if !s.thresholds.is_empty() {
            let _ = writeln!(o, "| threshold | measured (mean ± 95% CI) | verdict |\n| --- | --- | --- |");
            for t in &s.thresholds {
                let _ = writeln!(o, "| `{}` | {} | {} |", cell(&t.name), cell(&t.message), icon(t.outcome));
            }
            let _ = writeln!(o);
        }
        let Some(b) = &s.baseline else { continue };
        match b.status {
            BaselineStatus::Written => {
                let _ = writeln!(o, "Baseline `{}` written.\n", cell(&b.file));
            }
            BaselineStatus::NoEntry => {
                let _ = writeln!(o, "Baseline `{}` has no entry for this scenario.\n", cell(&b.file));
            }
            BaselineStatus::Compared => {
                let _ = writeln!(o, "| metric | against baseline `{}` | change |\n| --- | --- | --- |", cell(&b.file));
                for c in &b.comparisons {
                    let change = match c.change {
                        Change::Regression => "❌ regression",
                        Change::Improvement => "improved",
                        Change::Unchanged => "unchanged",
                    };
                    let _ = writeln!(o, "| `{}` | {} | {change} |", cell(&c.metric), cell(&c.message));
                }
                let _ = writeln!(o);
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_commands() {
        let c = command("error", "a,b.toml", Some((3, 5)), "t: x", "50% done\nnext");
        assert_eq!(c, "::error file=a%2Cb.toml,line=3,col=5,title=t%3A x::50%25 done%0Anext\n");
        assert_eq!(cell("a|b"), "a\\|b");
    }

    #[test]
    fn overflow_is_counted_per_level() {
        let all: Vec<(&str, String)> =
            (0..13).map(|_| ("error", String::new())).chain([("warning", String::new())]).collect();
        let rest = not_shown(&all).unwrap();
        assert!(rest.starts_with("3 more errors not annotated"), "{rest}");
        assert_eq!(not_shown(&all[..10]), None);
    }
}
