//! OpenMetrics text of a check's final metrics, for a Pushgateway or a metrics dashboard.
//!
//! Names follow Prometheus' conventions, which `promtool check metrics` enforces: base units
//! spelt out as the name's suffix (`_seconds`, `_per_second`, `_ratio`, `_bytes`), and
//! statistics as a `stat` label rather than part of the name
//! (`stagesim_component_latency_seconds{stat="p99"}`, not `..._latency_s_p99`). Every
//! estimate is exported three times under the `estimate` label (`mean`, `ci95_low`,
//! `ci95_high`), so a dashboard can draw the noise band. A threshold's verdict is a gauge per
//! state (`stagesim_threshold_verdict{verdict="pass"} 1`, the enum pattern of Prometheus'
//! docs): OpenMetrics' `stateset` type is rejected by the Pushgateway and promtool, which read
//! the Prometheus text format. The file is valid in both formats: `# UNIT` and `# EOF` are
//! comments to a Prometheus reader. Samples of a family are grouped (the format requires it),
//! families sorted by name.

use super::evaluate::{Estimate, MetricEstimate, Outcome};
use super::thresholds::latency_field;
use super::{Report, ScenarioReport};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

struct Family {
    help: String,
    samples: Vec<String>,
}

#[derive(Default)]
struct Families(BTreeMap<String, Family>);

impl Families {
    fn family(&mut self, name: &str, help: &str) -> &mut Family {
        self.0.entry(name.to_string()).or_insert_with(|| Family { help: help.to_string(), samples: Vec::new() })
    }

    /// The three samples of an estimate.
    fn estimate(&mut self, name: &str, help: &str, labels: &[(&str, &str)], e: &Estimate) {
        let f = self.family(name, help);
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

/// Statistics a summary field may end in (`wait_s_mean`, `latency_s.p99`, `queue_max`).
const STATS: &[&str] = &["mean", "min", "max", "p50", "p90", "p95", "p99", "p999"];

/// The unit of a name in its final form, for `# UNIT` (OpenMetrics wants it as the suffix).
fn unit_of(name: &str) -> Option<&'static str> {
    ["seconds", "ratio", "bytes"].into_iter().find(|u| name.ends_with(&format!("_{u}")))
}

/// A summary field's metric name (without prefix) and statistic, in Prometheus' conventions:
/// `latency_s.p99` -> (`latency_seconds`, `p99`), `wait_s_mean` -> (`wait_seconds`, `mean`),
/// `throughput_per_s` -> `throughput_per_second`, `utilization` -> `utilization_ratio`.
/// Summary fields are in base units already (a project rule), so only their spelling changes.
pub fn field_metric(field: &str) -> (String, Option<&'static str>) {
    let (base, stat) = match field.split_once('.') {
        Some((head, tail)) => match STATS.iter().find(|s| **s == tail) {
            Some(s) => (head.to_string(), Some(*s)),
            // `latency_s.samples` is a count, not seconds: the head's unit does not carry over.
            None => (format!("{}_{tail}", head.strip_suffix("_s").unwrap_or(head)), None),
        },
        None => match STATS.iter().find(|s| field.strip_suffix(**s).is_some_and(|b| b.ends_with('_'))) {
            Some(s) => (field[..field.len() - s.len() - 1].to_string(), Some(*s)),
            None => (field.to_string(), None),
        },
    };
    let mut parts: Vec<String> = sanitize(&base).split('_').map(str::to_string).collect();
    for i in 0..parts.len() {
        if parts[i] == "s" {
            parts[i] = if i > 0 && parts[i - 1] == "per" { "second" } else { "seconds" }.into();
        }
    }
    let mut name = parts.join("_");
    if name.ends_with("utilization") || name.ends_with("probability") {
        name.push_str("_ratio");
    }
    // Suffixes promtool reserves for histograms, summaries and counters (these are gauges).
    for (reserved, instead) in
        [("_count", "_counted"), ("_sum", "_summed"), ("_bucket", "_buckets"), ("_total", "_overall")]
    {
        if let Some(b) = name.strip_suffix(reserved) {
            name = format!("{b}{instead}");
        }
    }
    (name, stat)
}

/// The metric of a key or thresholded measure: (name, unit-bearing help, `stat` label).
fn measure_metric(m: &MetricEstimate) -> Option<(String, String, Option<String>)> {
    let (name, help, stat) = match (m.family.as_str(), m.stat.as_str()) {
        ("latency", s) => {
            let stat = latency_field(s).unwrap_or_else(|_| sanitize(s));
            ("latency_seconds".into(), "Request latency in seconds (statistic in `stat`)".into(), Some(stat))
        }
        ("errors", "rate") => ("errors_ratio".into(), "Ratio of requests that failed".into(), None),
        ("errors", _) => ("errors".into(), "Requests that failed, per replication".into(), None),
        ("throughput", _) => ("throughput_per_second".into(), "Requests completed per second".into(), None),
        ("cost", s) => {
            let n = match s {
                "monthly_usd" => "usd_per_month".to_string(),
                "hourly_usd" => "usd_per_hour".to_string(),
                "per_million_requests_usd" => "usd_per_million_requests".to_string(),
                other => sanitize(other),
            };
            (format!("cost_{n}"), format!("Cost, {}", n.replace('_', " ")), None)
        }
        // Component fields are all exported with the components.
        _ => return None,
    };
    Some((format!("stagesim_{name}"), format!("{help}, mean over replications with its 95% CI."), stat))
}

/// Component fields and their metric, made unique: were two fields to spell the same metric
/// and statistic, the later keeps its sanitized field name, so no series is written twice.
fn component_metrics(r: &Report) -> BTreeMap<String, (String, Option<&'static str>)> {
    let fields: BTreeSet<&String> =
        r.scenarios.iter().flat_map(|s| s.components.values()).flat_map(|f| f.keys()).collect();
    let mut taken = BTreeSet::new();
    let mut out = BTreeMap::new();
    for f in fields {
        let (mut name, mut stat) = field_metric(f);
        if !taken.insert((name.clone(), stat)) {
            (name, stat) = (sanitize(f), None);
            taken.insert((name.clone(), stat));
        }
        out.insert(f.clone(), (format!("stagesim_component_{name}"), stat));
    }
    out
}

/// Adds one scenario's samples to their families.
fn scenario(fams: &mut Families, s: &ScenarioReport, comps: &BTreeMap<String, (String, Option<&'static str>)>) {
    // A journey's stages share its file: the `stage` label tells their samples apart.
    let mut base = vec![("scenario", s.file.as_str())];
    if let Some(st) = &s.stage {
        base.push(("stage", st.name.as_str()));
    }
    let f = fams.family("stagesim_replications", "Replications the estimates are made of.");
    f.samples.push(format!("stagesim_replications{} {}", label_set(&base), s.replications));
    for m in s.metrics.values() {
        let Some((name, help, stat)) = measure_metric(m) else { continue };
        let mut labels = base.clone();
        if let Some(c) = &m.class {
            labels.push(("class", c));
        }
        if let Some(st) = &stat {
            labels.push(("stat", st));
        }
        fams.estimate(&name, &help, &labels, &m.estimate);
    }
    for (component, fields) in &s.components {
        for (field, e) in fields {
            let (name, stat) = &comps[field];
            let head = field.split('.').next().unwrap_or(field);
            let help = match stat {
                Some(_) => format!(
                    "Component summary field `{head}` (statistic in `stat`), mean over replications with its 95% CI."
                ),
                None => format!("Component summary field `{field}`, mean over replications with its 95% CI."),
            };
            let mut labels = with(&base, &[("component", component)]);
            if let Some(st) = stat {
                labels.push(("stat", st));
            }
            fams.estimate(name, &help, &labels, e);
        }
    }
    let help = "Verdict of each threshold: 1 for its verdict, 0 for the other two.";
    let f = fams.family("stagesim_threshold_verdict", help);
    for t in &s.thresholds {
        for state in [Outcome::Pass, Outcome::Fail, Outcome::Inconclusive] {
            let l = with(&base, &[("threshold", t.name.as_str()), ("verdict", state.label())]);
            f.samples.push(format!("stagesim_threshold_verdict{} {}", label_set(&l), u8::from(t.outcome == state)));
        }
    }
    let f = fams.family("stagesim_regression", "1 when a metric regressed against the baseline.");
    for c in s.baseline.iter().flat_map(|b| &b.comparisons) {
        let l = with(&base, &[("metric", c.metric.as_str())]);
        let regressed = c.change == super::baseline::Change::Regression;
        f.samples.push(format!("stagesim_regression{} {}", label_set(&l), u8::from(regressed)));
    }
}

pub fn render(r: &Report) -> String {
    let comps = component_metrics(r);
    let mut fams = Families::default();
    for s in &r.scenarios {
        scenario(&mut fams, s, &comps);
    }
    let mut out = String::new();
    for (name, f) in &fams.0 {
        if f.samples.is_empty() {
            continue;
        }
        let _ = writeln!(out, "# TYPE {name} gauge");
        if let Some(u) = unit_of(name) {
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

    #[test]
    fn fields_become_base_unit_names_with_a_stat() {
        let cases = [
            ("latency_s.p99", "latency_seconds", Some("p99")),
            ("latency_s.mean", "latency_seconds", Some("mean")),
            ("latency_s.samples", "latency_samples", None),
            ("wait_s_mean", "wait_seconds", Some("mean")),
            ("breaker_open_s", "breaker_open_seconds", None),
            ("throughput_per_s", "throughput_per_second", None),
            ("utilization", "utilization_ratio", None),
            ("shard_utilization_max", "shard_utilization_ratio", Some("max")),
            ("wait_probability", "wait_probability_ratio", None),
            ("hit_ratio", "hit_ratio", None),
            ("queue_max", "queue", Some("max")),
            ("cost_usd_per_month", "cost_usd_per_month", None),
            ("egress_bytes", "egress_bytes", None),
            ("max", "max", None),
            ("requests_total", "requests_overall", None),
        ];
        for (field, name, stat) in cases {
            assert_eq!(field_metric(field), (name.to_string(), stat), "{field}");
        }
        assert_eq!(unit_of("stagesim_component_latency_seconds"), Some("seconds"));
        assert_eq!(unit_of("stagesim_component_hit_ratio"), Some("ratio"));
        assert_eq!(unit_of("stagesim_component_queue"), None);
    }
}
