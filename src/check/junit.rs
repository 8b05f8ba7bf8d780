//! JUnit XML of a check report, for CI test-report views (GitLab, Jenkins, GitHub apps).
//!
//! One `testsuite` per scenario (per stage for a journey, named after the stage), one
//! `testcase` per threshold and per baseline comparison.
//! A failed threshold or a regression is a `failure`; an inconclusive threshold is `skipped`
//! (a `failure` with `--strict`).
//!
//! What consumers need (checked against Jenkins' `junit-10.xsd` by the integration tests):
//! `(classname, name)` is unique in the whole file, because GitLab keeps only the first case
//! of a pair: the classname is the suite (the scenario file, or `FILE#INDEX STAGE` for a
//! journey stage, like a baseline key) and a name repeated inside a suite gets ` (2)`, ` (3)`.
//! Every element has a `time` (dorny/test-reporter shows NaN without one). Wall-clock time
//! would make the file differ from run to run and from one thread count to another, so `time`
//! is the *simulated* time: a suite's is the simulated seconds of all its replications (the
//! evidence its verdicts rest on), the file's is their sum, and a case's is 0 (judging a
//! threshold simulates nothing more). No timestamps: the same inputs give the same bytes.
//! `<testsuites>` carries no `skipped` attribute (the XSD has none; suites carry theirs).
//!
//! Written by hand rather than with quick-junit, which would bring chrono, uuid,
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
    classname: String,
    file: String,
    line: Option<usize>,
    result: CaseResult<'a>,
}

/// Appends ` (2)`, ` (3)`, ... to names already taken in the suite.
fn unique_names(cases: &mut [Case]) {
    let mut seen = std::collections::BTreeSet::new();
    for c in cases.iter_mut() {
        let mut k = 1;
        let base = c.name.clone();
        while !seen.insert(c.name.clone()) {
            k += 1;
            c.name = format!("{base} ({k})");
        }
    }
}

/// Seconds with millisecond precision, as JUnit readers parse them.
fn seconds(s: f64) -> String {
    format!("{s:.3}")
}

pub fn render(r: &Report) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures, mut time) = (0, 0, 0.0);
    for s in &r.scenarios {
        let classname = s.baseline_key();
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
            let (name, classname) = (t.name.clone(), classname.clone());
            cases.push(Case { name, classname, file: file.to_string(), line: Some(t.line), result });
        }
        for c in s.baseline.iter().flat_map(|b| &b.comparisons) {
            let result = match c.change {
                Change::Regression => {
                    let detail = s.baseline.as_ref().map_or(String::new(), |b| format!("baseline {}", b.file));
                    CaseResult::Failure { kind: "regression", message: &c.message, detail }
                }
                Change::Improvement | Change::Unchanged => CaseResult::Pass,
            };
            let (name, classname) = (format!("baseline {}", c.metric), classname.clone());
            cases.push(Case { name, classname, file: s.file.clone(), line: None, result });
        }
        unique_names(&mut cases);
        // The simulated seconds the suite's verdicts rest on: deterministic, unlike wall time.
        let simulated = s.duration_s * f64::from(s.replications);
        time += simulated;
        let f = cases.iter().filter(|c| matches!(c.result, CaseResult::Failure { .. })).count();
        let k = cases.iter().filter(|c| matches!(c.result, CaseResult::Skipped { .. })).count();
        tests += cases.len();
        failures += f;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"{k}\" time=\"{}\">",
            escape(s.stage.as_ref().map_or(&s.file, |st| &st.name)),
            cases.len(),
            seconds(simulated)
        );
        properties(&mut suites, r, s);
        for c in &cases {
            case(&mut suites, c);
        }
        let _ = writeln!(suites, "  </testsuite>");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"stagesim check\" tests=\"{tests}\" \
         failures=\"{failures}\" errors=\"0\" time=\"{}\">\n{suites}</testsuites>\n",
        seconds(time)
    )
}

fn properties(out: &mut String, r: &Report, s: &super::ScenarioReport) {
    let _ = writeln!(out, "    <properties>");
    let mut props = Vec::new();
    if let Some(st) = &s.stage {
        props.push(("journey", s.file.clone()));
        props.push(("stage", st.index.to_string()));
        props.push(("rate_per_s", st.rate_per_s.to_string()));
    }
    props.push(("scenario", s.scenario.clone()));
    props.push(("seed", s.seed.to_string()));
    props.push(("replications", s.replications.to_string()));
    props.push(("stagesim_version", r.stagesim_version.clone()));
    for (name, value) in props {
        let _ = writeln!(out, "      <property name=\"{name}\" value=\"{}\"/>", escape(&value));
    }
    let _ = writeln!(out, "    </properties>");
}

fn case(out: &mut String, c: &Case) {
    let file = escape(&c.file);
    let line = c.line.map_or(String::new(), |l| format!(" line=\"{l}\""));
    let open = format!(
        "    <testcase name=\"{}\" classname=\"{}\" time=\"0\" file=\"{file}\"{line}",
        escape(&c.name),
        escape(&c.classname)
    );
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

    #[test]
    fn repeated_names_in_a_suite_are_numbered() {
        let case = |name: &str| Case {
            name: name.into(),
            classname: "f.toml".into(),
            file: "f.toml".into(),
            line: None,
            result: CaseResult::Pass,
        };
        let mut cases = vec![case("a"), case("b"), case("a"), case("a (2)"), case("a")];
        unique_names(&mut cases);
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "a (2)", "a (2) (2)", "a (3)"]);
    }
}
