//! JUnit XML of a check report, for CI test-report views (GitLab, Jenkins, GitHub apps).
//!
//! One `testsuite` per scenario (per stage for a journey, named after the stage), one
//! `testcase` per threshold and per baseline comparison.
//! A failed threshold or a regression is a `failure`; an inconclusive threshold is `skipped`
//! (a `failure` with `--strict`). No timestamps or durations: the same inputs give the same
//! bytes. Written by hand rather than with quick-junit, which would bring chrono, uuid,
//! quick-xml and more for a hundred lines of output (ARCHITECTURE.md keeps the dependency list
//! short); the escaping below is all the format needs.

use super::baseline::Change;
use super::evaluate::Outcome;
use super::Report;
use std::fmt::Write;

/// Escapes text for XML 1.0 content and attribute values, dropping the control characters
/// XML 1.0 cannot carry at all.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

enum CaseResult<'a> {
    Pass,
    Failure { kind: &'a str, message: &'a str, detail: String },
    Skipped { message: &'a str },
}

struct Case<'a> {
    name: String,
    file: String,
    line: Option<usize>,
    result: CaseResult<'a>,
}

pub fn render(r: &Report) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for s in &r.scenarios {
        let mut cases = Vec::new();
        for t in &s.thresholds {
            let file = t.file.as_deref().unwrap_or(&s.file);
            let at = format!("{file}:{}:{} ({})", t.line, t.column, t.key);
            let result = match t.outcome {
                Outcome::Pass => CaseResult::Pass,
                Outcome::Fail => CaseResult::Failure { kind: "threshold", message: &t.message, detail: at },
                Outcome::Inconclusive if r.strict => {
                    CaseResult::Failure { kind: "inconclusive", message: &t.message, detail: at }
                }
                Outcome::Inconclusive => CaseResult::Skipped { message: &t.message },
            };
            cases.push(Case { name: t.name.clone(), file: file.to_string(), line: Some(t.line), result });
        }
        for c in s.baseline.iter().flat_map(|b| &b.comparisons) {
            let result = match c.change {
                Change::Regression => {
                    let detail = s.baseline.as_ref().map_or(String::new(), |b| format!("baseline {}", b.file));
                    CaseResult::Failure { kind: "regression", message: &c.message, detail }
                }
                Change::Improvement | Change::Unchanged => CaseResult::Pass,
            };
            cases.push(Case { name: format!("baseline {}", c.metric), file: s.file.clone(), line: None, result });
        }
        let f = cases.iter().filter(|c| matches!(c.result, CaseResult::Failure { .. })).count();
        let k = cases.iter().filter(|c| matches!(c.result, CaseResult::Skipped { .. })).count();
        tests += cases.len();
        failures += f;
        skipped += k;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"{k}\">",
            escape(s.stage.as_ref().map_or(&s.file, |st| &st.name)),
            cases.len()
        );
        let _ = writeln!(suites, "    <properties>");
        if let Some(st) = &s.stage {
            for (name, value) in [
                ("journey", s.file.clone()),
                ("stage", st.index.to_string()),
                ("rate_per_s", st.rate_per_s.to_string()),
            ] {
                let _ = writeln!(suites, "      <property name=\"{name}\" value=\"{}\"/>", escape(&value));
            }
        }
        for (name, value) in [
            ("scenario", s.scenario.clone()),
            ("seed", s.seed.to_string()),
            ("replications", s.replications.to_string()),
            ("stagesim_version", r.stagesim_version.clone()),
        ] {
            let _ = writeln!(suites, "      <property name=\"{name}\" value=\"{}\"/>", escape(&value));
        }
        let _ = writeln!(suites, "    </properties>");
        for c in &cases {
            case(&mut suites, c);
        }
        let _ = writeln!(suites, "  </testsuite>");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"stagesim check\" tests=\"{tests}\" \
         failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n{suites}</testsuites>\n"
    )
}

fn case(out: &mut String, c: &Case) {
    let file = escape(&c.file);
    let line = c.line.map_or(String::new(), |l| format!(" line=\"{l}\""));
    let open = format!("    <testcase name=\"{}\" classname=\"{file}\" file=\"{file}\"{line}", escape(&c.name));
    match &c.result {
        CaseResult::Pass => {
            let _ = writeln!(out, "{open}/>");
        }
        CaseResult::Failure { kind, message, detail } => {
            let _ = writeln!(out, "{open}>");
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"{kind}\">{}\n{}</failure>",
                escape(message),
                escape(message),
                escape(detail)
            );
            let _ = writeln!(out, "    </testcase>");
        }
        CaseResult::Skipped { message } => {
            let _ = writeln!(out, "{open}>");
            let _ = writeln!(out, "      <skipped message=\"inconclusive: {}\"/>", escape(message));
            let _ = writeln!(out, "    </testcase>");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(escape("p(99) < 200ms & \"x\" 'y'"), "p(99) &lt; 200ms &amp; &quot;x&quot; &apos;y&apos;");
        assert_eq!(escape("a\u{1}b\nc"), "ab\nc");
    }
}
