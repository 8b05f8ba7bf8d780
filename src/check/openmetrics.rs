//! OpenMetrics text of a check's final metrics, for a Pushgateway or a metrics dashboard.
//!
//! Every estimate is exported three times under the `estimate` label (`mean`, `ci95_low`,
//! `ci95_high`), so a dashboard can draw the noise band. Samples of a family are grouped
//! (the format requires it), families sorted by name; the text ends in `# EOF`.

use super::evaluate::{Estimate, Outcome};
use super::{Report, ScenarioReport};
use std::collections::BTreeMap;
use std::fmt::Write;

struct Family {
    kind: &'static str,
    unit: Option<&'static str>,
    help: String,
    samples: Vec<String>,
}

#[derive(Default)]
struct Families(BTreeMap<String, Family>);

impl Families {
    fn family(&mut self, name: &str, kind: &'static str, unit: Option<&'static str>, help: &str) -> &mut Family {
        self.0.entry(name.to_string()).or_insert_with(|| Family {
            kind,
            unit,
            help: help.to_string(),
            samples: Vec::new(),
        })
    }

    /// The three samples of an estimate.
    fn estimate(&mut self, name: &str, unit: Option<&'static str>, help: &str, labels: &[(&str, &str)], e: &Estimate) {
        let f = self.family(name, "gauge", unit, help);
        for (which, v) in [("mean", e.mean), ("ci95_low", e.ci95_low), ("ci95_high", e.ci95_high)] {
            let mut l: Vec<(&str, &str)> = labels.to_vec();
            l.push(("estimate", which));
            f.samples.push(format!("{name}{} {}", label_set(&l), number(v)));
        }
    }
}

/// Metric and label names allow `[a-zA-Z0-9_]`; anything else becomes `_`.
pub fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn label_set(labels: &[(&str, &str)]) -> String {
    let parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape_label(v))).collect();
    format!("{{{}}}", parts.join(","))
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

fn with<'a>(base: &[(&'a str, &'a str)], extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    base.iter().chain(extra).copied().collect()
}

/// Adds one scenario's samples to their families.
fn scenario(fams: &mut Families, s: &ScenarioReport) {
    // A journey's stages share its file: the `stage` label tells their samples apart.
    let mut base = vec![("scenario", s.file.as_str())];
    if let Some(st) = &s.stage {
        base.push(("stage", st.name.as_str()));
    }
    let f = fams.family("stagesim_replications", "gauge", None, "Replications the estimates are made of.");
    f.samples.push(format!("stagesim_replications{} {}", label_set(&base), s.replications));
    for m in s.metrics.values() {
        let mut labels = base.clone();
        if let Some(c) = &m.class {
            labels.push(("class", c));
        }
        if let Some(c) = &m.component {
            labels.push(("component", c));
        }
        match m.family.as_str() {
            "latency" => {
                labels.push(("stat", &m.stat));
                let help = "Request latency statistic, mean over replications with its 95% CI.";
                fams.estimate("stagesim_latency_seconds", Some("seconds"), help, &labels, &m.estimate);
            }
            "errors" | "throughput" | "cost" => {
                let name = format!("stagesim_{}_{}", m.family, sanitize(&m.stat));
                let help = format!("{} {}, mean over replications with its 95% CI.", m.family, m.stat);
                fams.estimate(&name, None, &help, &labels, &m.estimate);
            }
            // Component fields are all exported below.
            _ => {}
        }
    }
    for (component, fields) in &s.components {
        for (field, e) in fields {
            let name = format!("stagesim_component_{}", sanitize(field));
            let help = format!("Component summary field `{field}`, mean over replications with its 95% CI.");
            fams.estimate(&name, None, &help, &with(&base, &[("component", component)]), e);
        }
    }
    let f = fams.family("stagesim_threshold", "stateset", None, "Verdict of each threshold.");
    for t in &s.thresholds {
        for state in [Outcome::Pass, Outcome::Fail, Outcome::Inconclusive] {
            let l = with(&base, &[("threshold", t.name.as_str()), ("stagesim_threshold", state.label())]);
            f.samples.push(format!("stagesim_threshold{} {}", label_set(&l), u8::from(t.outcome == state)));
        }
    }
    let f = fams.family("stagesim_regression", "gauge", None, "1 when a metric regressed against the baseline.");
    for c in s.baseline.iter().flat_map(|b| &b.comparisons) {
        let l = with(&base, &[("metric", c.metric.as_str())]);
        let regressed = c.change == super::baseline::Change::Regression;
        f.samples.push(format!("stagesim_regression{} {}", label_set(&l), u8::from(regressed)));
    }
}

pub fn render(r: &Report) -> String {
    let mut fams = Families::default();
    for s in &r.scenarios {
        scenario(&mut fams, s);
    }
    let mut out = String::new();
    for (name, f) in &fams.0 {
        if f.samples.is_empty() {
            continue;
        }
        let _ = writeln!(out, "# TYPE {name} {}", f.kind);
        if let Some(u) = f.unit {
            let _ = writeln!(out, "# UNIT {name} {u}");
        }
        let _ = writeln!(out, "# HELP {name} {}", f.help.replace('\\', "\\\\").replace('\n', "\\n"));
        for s in &f.samples {
            let _ = writeln!(out, "{s}");
        }
    }
    out.push_str("# EOF\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_labels_and_numbers() {
        assert_eq!(sanitize("latency_s.p99"), "latency_s_p99");
        assert_eq!(label_set(&[("a", "x\"y\\z")]), "{a=\"x\\\"y\\\\z\"}");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(0.0231), "0.0231");
    }
}
