//! Judging thresholds with confidence intervals across replications.
//!
//! Each replication is summarised on its own; a metric's estimate is the mean of the
//! replications' values with its Student-t 95% interval (replications are independent, so
//! this is the textbook interval for a mean). A threshold passes when the whole interval
//! satisfies it, fails when none of it does, and is inconclusive otherwise: the data cannot
//! tell, and saying so is the honest answer.
//!
//! `evaluate` is the reusable entry point: thresholds in, serializable verdicts out, from
//! nothing but per-replication `Summary` values.

use super::expr::{Cmp, Unit};
use super::thresholds::{Measure, MetricKey, Scope, Threshold};
use crate::stats::{floor_at_zero, mean_sd, t975};
use crate::summary::Summary;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// A mean over replications and its 95% confidence interval. With fewer than two
/// replications the interval is unknown (infinite; `null` in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Estimate {
    #[serde(deserialize_with = "nullable")]
    pub mean: f64,
    #[serde(deserialize_with = "nullable")]
    pub ci95_low: f64,
    #[serde(deserialize_with = "nullable")]
    pub ci95_high: f64,
    pub replications: u32,
}

/// JSON has no infinity or NaN: serde_json writes them as `null`, read back here as NaN.
fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

impl Estimate {
    pub fn of(xs: &[f64]) -> Estimate {
        let n = xs.len() as u32;
        if xs.is_empty() {
            return Estimate { mean: f64::NAN, ci95_low: f64::NAN, ci95_high: f64::NAN, replications: 0 };
        }
        // Identical values (including a cost, or an infinity) have no noise at all.
        if xs.iter().all(|x| x.to_bits() == xs[0].to_bits()) && xs.len() >= 2 {
            return Estimate { mean: xs[0], ci95_low: xs[0], ci95_high: xs[0], replications: n };
        }
        let (mean, sd) = mean_sd(xs);
        if xs.len() < 2 || !mean.is_finite() {
            return Estimate { mean, ci95_low: f64::NEG_INFINITY, ci95_high: f64::INFINITY, replications: n };
        }
        let half = t975(xs.len() - 1) * sd / (xs.len() as f64).sqrt();
        Estimate { mean, ci95_low: floor_at_zero(xs, mean - half), ci95_high: mean + half, replications: n }
    }

    /// One replication judged on its value alone (what `stagesim run` does with one
    /// replication, as `k6 run` does): the interval is the point.
    pub fn point(x: f64) -> Estimate {
        Estimate { mean: x, ci95_low: x, ci95_high: x, replications: 1 }
    }

    /// The noise: from the mean to the upper end (the lower end may be cut at zero).
    pub fn half_width(&self) -> f64 {
        self.ci95_high - self.mean
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    Inconclusive,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Inconclusive => "inconclusive",
        }
    }
}

/// Pass if the whole interval satisfies the comparison, fail if none of it does.
pub fn judge(cmp: Cmp, limit: f64, e: &Estimate) -> Outcome {
    if e.ci95_low.is_nan() || e.ci95_high.is_nan() {
        return Outcome::Inconclusive;
    }
    let (all, none) = match cmp {
        Cmp::Lt | Cmp::Le => (cmp.holds(e.ci95_high, limit), !cmp.holds(e.ci95_low, limit)),
        Cmp::Gt | Cmp::Ge => (cmp.holds(e.ci95_low, limit), !cmp.holds(e.ci95_high, limit)),
    };
    if all {
        Outcome::Pass
    } else if none {
        Outcome::Fail
    } else {
        Outcome::Inconclusive
    }
}

/// The verdict on one threshold: serializable, and all a renderer needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ThresholdVerdict {
    /// `latency p(99) < 200ms`, `components.db utilization < 0.8`.
    pub name: String,
    /// The metric's id (`latency.p(99)`), as in `metrics` and baselines.
    pub metric: String,
    pub expression: String,
    /// Where the threshold is written: dotted key, line and column of its string.
    pub key: String,
    /// The file it is written in, when not the report's own (a journey stage's thresholds
    /// from the stage's scenario file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub line: usize,
    pub column: usize,
    pub op: Cmp,
    pub limit: f64,
    pub limit_text: String,
    pub unit: Unit,
    pub estimate: Estimate,
    pub outcome: Outcome,
    /// `p(99)=231.0ms ±12.0ms, limit < 200ms`.
    pub message: String,
}

/// A metric a threshold names that the summaries do not have, and the fields they do have.
#[derive(Clone, Debug, PartialEq)]
pub struct Missing {
    /// Index of the threshold in the list given to `evaluate`.
    pub threshold: usize,
    pub message: String,
    pub known: Vec<String>,
}

/// Judges each threshold against per-replication summaries (in replication order).
pub fn evaluate(thresholds: &[Threshold], reps: &[Summary]) -> Result<Vec<ThresholdVerdict>, Vec<Missing>> {
    evaluate_by(thresholds, reps, Estimate::of)
}

/// Judges thresholds the way `stagesim run` does: on the point estimate with one
/// replication, on the 95% interval (exactly as `evaluate`) with several.
pub fn evaluate_run(thresholds: &[Threshold], reps: &[Summary]) -> Result<Vec<ThresholdVerdict>, Vec<Missing>> {
    evaluate_by(thresholds, reps, |xs| match xs {
        [x] => Estimate::point(*x),
        _ => Estimate::of(xs),
    })
}

fn evaluate_by(
    thresholds: &[Threshold],
    reps: &[Summary],
    estimate: impl Fn(&[f64]) -> Estimate,
) -> Result<Vec<ThresholdVerdict>, Vec<Missing>> {
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for (i, t) in thresholds.iter().enumerate() {
        match values(&t.metric, reps) {
            Ok(xs) => {
                let mut v = verdict(t, estimate(&xs));
                if let Some(node) = busiest_named(&t.metric, reps) {
                    v.message.push_str(&format!(" (busiest node: {node})"));
                }
                out.push(v);
            }
            Err((message, known)) => missing.push(Missing { threshold: i, message, known }),
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

fn verdict(t: &Threshold, estimate: Estimate) -> ThresholdVerdict {
    let outcome = judge(t.cmp, t.limit, &estimate);
    let message = message(t, &estimate, outcome);
    verdict_of(t, estimate, outcome, message)
}

/// A threshold's verdict with its outcome and message decided by the caller (a criterion that
/// could not be measured fails with its reason).
pub(crate) fn verdict_of(t: &Threshold, estimate: Estimate, outcome: Outcome, message: String) -> ThresholdVerdict {
    ThresholdVerdict {
        name: t.name(),
        metric: t.metric.id(),
        expression: t.expression.clone(),
        key: t.key.clone(),
        file: None,
        line: t.line,
        column: t.column,
        op: t.cmp,
        limit: t.limit,
        limit_text: t.limit_text.clone(),
        unit: t.metric.unit(),
        estimate,
        outcome,
        message,
    }
}

fn message(t: &Threshold, e: &Estimate, outcome: Outcome) -> String {
    let unit = t.metric.unit();
    let stat = match &t.metric.measure {
        Measure::Field(f) => f.clone(),
        _ => t.metric.stat(),
    };
    let noise = if e.replications == 1 && e.half_width() == 0.0 {
        String::new() // a point estimate: there is no interval to show
    } else if e.half_width().is_finite() {
        format!(" ±{}", unit.show_noise(e.half_width()))
    } else {
        " ±?".into()
    };
    let mut m = format!("{stat}={}{noise}, limit {} {}", unit.show(e.mean), t.cmp.symbol(), t.limit_text);
    if outcome == Outcome::Inconclusive {
        m.push_str(&format!(
            ": the 95% CI {}..{} contains the limit after {} replications",
            unit.show(e.ci95_low),
            unit.show(e.ci95_high),
            e.replications
        ));
    }
    m
}

/// A component's `utilization` is its busiest node's: the node, named as `db replica 1`
/// (the one most replications found busiest; the first of equals).
fn busiest_named(m: &MetricKey, reps: &[Summary]) -> Option<String> {
    let (Scope::Component(c), Measure::Field(f)) = (&m.scope, &m.measure) else { return None };
    if f != "utilization" {
        return None;
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for s in reps {
        let comp = s.components.get(c).filter(|x| x.nodes.len() > 1)?;
        match counts.iter_mut().find(|(n, _)| *n == comp.busiest_node) {
            Some(e) => e.1 += 1,
            None => counts.push((&comp.busiest_node, 1)),
        }
    }
    let best = counts.iter().fold(None, |b: Option<&(&str, usize)>, e| match b {
        Some(x) if x.1 >= e.1 => Some(x),
        _ => Some(e),
    })?;
    Some(format!("{c} {}", best.0))
}

/// A metric's estimate with what it takes to name, show and compare it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MetricEstimate {
    /// `latency`, `errors`, `throughput`, `cost`, or a component field's name.
    pub family: String,
    /// `p(99)`, `rate`, `monthly_usd`; empty for a component field.
    pub stat: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    pub unit: Unit,
    /// The bad direction, for regressions.
    pub higher_is_worse: bool,
    #[serde(flatten)]
    pub estimate: Estimate,
}

/// Estimates of `metrics` (with their bad direction), keyed by id.
pub fn measure(
    metrics: &[(MetricKey, bool)],
    reps: &[Summary],
) -> Result<BTreeMap<String, MetricEstimate>, (String, Vec<String>)> {
    let mut out = BTreeMap::new();
    for (m, higher_is_worse) in metrics {
        if out.contains_key(&m.id()) {
            continue;
        }
        let (class, component) = match &m.scope {
            Scope::Total => (None, None),
            Scope::Class(c) => (Some(c.clone()), None),
            Scope::Component(c) => (None, Some(c.clone())),
        };
        let estimate = Estimate::of(&values(m, reps)?);
        out.insert(
            m.id(),
            MetricEstimate {
                family: m.family().to_string(),
                stat: m.stat(),
                class,
                component,
                unit: m.unit(),
                higher_is_worse: *higher_is_worse,
                estimate,
            },
        );
    }
    Ok(out)
}

/// Every numeric field of every component's summary (nested objects one level down, as
/// `latency_s.p99`), estimated across replications: the final metrics, for exporters.
pub fn component_fields(reps: &[Summary]) -> BTreeMap<String, BTreeMap<String, Estimate>> {
    let mut out = BTreeMap::new();
    let Some(first) = reps.first() else { return out };
    for name in first.components.keys() {
        let per_rep: Vec<BTreeMap<String, f64>> =
            reps.iter().filter_map(|s| s.components.get(name)).map(|c| numeric_fields(c, true)).collect();
        let fields = per_rep[0]
            .keys()
            .filter(|k| per_rep.iter().all(|r| r.contains_key(*k)))
            .map(|k| (k.clone(), Estimate::of(&per_rep.iter().map(|r| r[k]).collect::<Vec<_>>())))
            .collect();
        out.insert(name.clone(), fields);
    }
    out
}

/// The numeric fields of a serialized value (and of its objects, one level down, if `nested`).
pub fn numeric_fields<T: Serialize>(v: &T, nested: bool) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    if let Ok(serde_json::Value::Object(m)) = serde_json::to_value(v) {
        for (k, v) in m {
            match v {
                serde_json::Value::Number(n) => {
                    out.insert(k, n.as_f64().unwrap_or(f64::NAN));
                }
                serde_json::Value::Object(inner) if nested => {
                    for (ik, iv) in inner {
                        if let Some(x) = iv.as_f64() {
                            out.insert(format!("{k}.{ik}"), x);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// One value per replication, or what is missing and what exists.
pub fn values(m: &MetricKey, reps: &[Summary]) -> Result<Vec<f64>, (String, Vec<String>)> {
    reps.iter().map(|s| value(m, s)).collect()
}

/// A metric's value in one summary, read from the serialized form where the field set is
/// open (latency statistics, cost, component fields).
pub fn value(m: &MetricKey, s: &Summary) -> Result<f64, (String, Vec<String>)> {
    let field = |fields: BTreeMap<String, f64>, name: &str, what: &str| match fields.get(name) {
        Some(v) => Ok(*v),
        None => Err((format!("{what} has no numeric field `{name}`"), fields.keys().cloned().collect())),
    };
    let errors = |r: &crate::summary::Requests| (r.failed + r.rejected + r.timed_out) as f64;
    match (&m.scope, &m.measure) {
        (Scope::Total, Measure::Latency(f)) => field(numeric_fields(&s.latency_s, false), f, "the latency summary"),
        (Scope::Total, Measure::ErrorRate) => Ok(s.requests.error_ratio),
        (Scope::Total, Measure::ErrorCount) => Ok(errors(&s.requests)),
        (Scope::Total, Measure::Throughput) => Ok(s.throughput_per_s),
        (Scope::Total, Measure::Cost(f)) => field(numeric_fields(&s.cost, false), f, "the cost summary"),
        (Scope::Class(c), measure) => {
            let Some(class) = s.classes.get(c) else {
                return Err((format!("no request class `{c}`"), s.classes.keys().cloned().collect()));
            };
            match measure {
                Measure::Latency(f) => field(numeric_fields(&class.latency_s, false), f, "the class latency"),
                Measure::ErrorRate => Ok(class.requests.error_ratio),
                Measure::ErrorCount => Ok(errors(&class.requests)),
                _ => Err((
                    format!("`{}` is not measured per class", m.family()),
                    vec!["latency".into(), "errors".into()],
                )),
            }
        }
        (Scope::Component(c), measure) => {
            let Some(comp) = s.components.get(c) else {
                return Err((format!("no component `{c}`"), s.components.keys().cloned().collect()));
            };
            match measure {
                Measure::Latency(f) => field(numeric_fields(&comp.latency_s, false), f, "the component latency"),
                Measure::Field(f) => field(numeric_fields(comp, false), f, &format!("component `{c}` ({})", comp.kind)),
                _ => Err((format!("`{}` is not measured per component", m.family()), Vec::new())),
            }
        }
        (Scope::Total, Measure::Field(f)) => Err((format!("`{f}` is a component field"), Vec::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(xs: &[f64]) -> Estimate {
        Estimate::of(xs)
    }

    #[test]
    fn interval_and_judgement() {
        let e = est(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        // mean 3, t(4) * sd / sqrt(5) = 2.776 * 1.5811 / 2.2361 = 1.963
        assert!((e.half_width() - 1.963).abs() < 1e-3);
        assert_eq!(judge(Cmp::Lt, 5.0, &e), Outcome::Pass);
        assert_eq!(judge(Cmp::Lt, 3.0, &e), Outcome::Inconclusive);
        assert_eq!(judge(Cmp::Lt, 1.0, &e), Outcome::Fail);
        assert_eq!(judge(Cmp::Gt, 1.0, &e), Outcome::Pass);
        assert_eq!(judge(Cmp::Gt, 5.0, &e), Outcome::Fail);
    }

    #[test]
    fn constant_values_are_exact() {
        let e = est(&[2.0, 2.0, 2.0]);
        assert_eq!((e.ci95_low, e.ci95_high), (2.0, 2.0));
        assert_eq!(judge(Cmp::Le, 2.0, &e), Outcome::Pass);
        assert_eq!(judge(Cmp::Lt, 2.0, &e), Outcome::Fail);
        let inf = est(&[f64::INFINITY, f64::INFINITY]);
        assert_eq!(judge(Cmp::Lt, 1.0, &inf), Outcome::Fail);
    }

    #[test]
    fn a_point_estimate_judges_one_replication() {
        let e = Estimate::point(150.0);
        assert_eq!(judge(Cmp::Lt, 200.0, &e), Outcome::Pass);
        assert_eq!(judge(Cmp::Lt, 100.0, &e), Outcome::Fail);
    }

    #[test]
    fn one_replication_cannot_judge() {
        let e = est(&[1.0]);
        assert_eq!(judge(Cmp::Lt, 100.0, &e), Outcome::Inconclusive);
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"mean":1.0,"ci95_low":null,"ci95_high":null,"replications":1}"#);
        let back: Estimate = serde_json::from_str(&json).unwrap();
        assert!(back.ci95_low.is_nan());
    }
}
