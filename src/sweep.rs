//! `stagesim sweep`: vary one numeric key of a scenario over a range, run every point in
//! parallel (on the same traffic), and report the curve and its knee.

use crate::analysis::{busiest_node, saturation};
use crate::diag::Error;
use crate::load::parse_scenario_checked_with;
use crate::overrides::Overrides;
use crate::runner;
use crate::stats::{mean_ci95, Ci};
use crate::summary::Summary;
use rayon::prelude::*;
use serde::Serialize;
use toml::{Table, Value};

/// The version of the sweep's JSON output; bumped when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct SweepPoint {
    /// In base units: a plain number, requests per second, seconds or bytes (see `unit`).
    pub value: f64,
    /// As written into the scenario ("600/s", "0.25s", "1024B", "4").
    pub value_text: String,
    pub latency_s_p99: f64,
    pub latency_s_p99_ci95: Option<Ci>,
    pub latency_s_mean: f64,
    pub error_ratio: f64,
    pub error_ratio_ci95: Option<Ci>,
    pub throughput_per_s: f64,
    pub throughput_per_s_ci95: Option<Ci>,
    pub cost_usd_per_month: f64,
    /// The busiest node (`db replica 1`, or the component's name when it is one node or
    /// interchangeable instances) by saturation (cores, threads, connections), and that.
    pub busiest: String,
    pub busiest_utilization: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Sweep {
    /// The version of this JSON contract (`SCHEMA_VERSION`); models/schema/sweep.schema.json.
    pub schema_version: u32,
    pub scenario: String,
    pub key: String,
    /// `number`, `rate_per_s`, `seconds` or `bytes`.
    pub unit: String,
    pub replications: u32,
    pub points: Vec<SweepPoint>,
    /// The value past which the P99 bends: the point of the log-P99 curve farthest from the
    /// chord between its ends (normalised, "kneedle"), reported only when the P99 at least
    /// doubles over the sweep and that point lies at least 0.1 from the chord (a real bend).
    pub knee: Option<f64>,
}

/// The kind of value a sweep writes, from how `--from` is written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unit {
    Number,
    Rate,
    Duration,
    Size,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Number => "number",
            Unit::Rate => "rate_per_s",
            Unit::Duration => "seconds",
            Unit::Size => "bytes",
        }
    }

    /// The text written into the scenario for a value in base units.
    fn text(self, v: f64, integer: bool) -> String {
        let num = |x: f64| {
            let s = format!("{x:.6}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        };
        match self {
            Unit::Number if integer => format!("{}", v.round() as i64),
            Unit::Number => num(v),
            Unit::Rate => format!("{}/s", num(v)),
            Unit::Duration if v < 1.0 => format!("{}ms", num(v * 1e3)),
            Unit::Duration => format!("{}s", num(v)),
            Unit::Size => format!("{}B", v.round() as u64),
        }
    }
}

/// Parses a sweep bound or step: a plain number, a rate ("600/s"), a duration ("250ms") or a
/// size ("64KiB"), in base units.
pub fn parse_value(text: &str) -> Result<(f64, Unit), String> {
    let t = text.trim();
    if let Ok(v) = t.replace('_', "").parse::<f64>() {
        return Ok((v, Unit::Number));
    }
    if t.contains('/') {
        return crate::units::parse_rate(t).map(|v| (v, Unit::Rate));
    }
    if let Ok(ns) = crate::units::parse_duration(t) {
        return Ok((crate::units::ns_to_secs(ns), Unit::Duration));
    }
    crate::units::parse_size(t).map(|b| (b as f64, Unit::Size)).map_err(|_| {
        format!("`{t}` is neither a number, a rate (\"600/s\"), a duration (\"250ms\") nor a size (\"64KiB\")")
    })
}

/// How a sweep's values are chosen.
#[derive(Clone, Debug)]
pub struct Range {
    pub from: String,
    pub to: String,
    pub step: Option<String>,
    /// Log-spaced points (this many), instead of a step.
    pub log_points: Option<u32>,
}

/// The values of a sweep and their unit: `from..=to` by `step`, or log-spaced.
pub fn range_values(r: &Range) -> Result<(Vec<f64>, Unit), String> {
    let (from, unit) = parse_value(&r.from).map_err(|e| format!("--from: {e}"))?;
    let (to, u2) = parse_value(&r.to).map_err(|e| format!("--to: {e}"))?;
    if u2 != unit {
        return Err(format!("--from `{}` and --to `{}` have different units", r.from, r.to));
    }
    if let Some(n) = r.log_points {
        if !(from > 0.0 && to > from && (2..=200).contains(&n)) {
            return Err("--log needs 0 < from < to and 2 to 200 --points".into());
        }
        let ratio = (to / from).powf(1.0 / f64::from(n - 1));
        // Four significant digits: the value written is the value reported.
        let round4 = |v: f64| {
            let scale = 10f64.powi(3 - v.abs().log10().floor() as i32);
            (v * scale).round() / scale
        };
        let mut vs: Vec<f64> = (0..n).map(|i| round4(from * ratio.powi(i as i32))).collect();
        if unit == Unit::Number && from.fract() == 0.0 && to.fract() == 0.0 {
            vs.iter_mut().for_each(|v| *v = v.round());
            vs.dedup();
        }
        return Ok((vs, unit));
    }
    let step = match &r.step {
        Some(s) => {
            let (v, u) = parse_value(s).map_err(|e| format!("--step: {e}"))?;
            if u != unit {
                return Err(format!("--step `{s}` has another unit than --from `{}`", r.from));
            }
            v
        }
        None if unit == Unit::Number => 1.0,
        None => return Err(format!("--step is needed with a value in units (for example `--step {}`)", r.from)),
    };
    values(from, to, step).map(|v| (v, unit))
}

fn set_key(doc: &mut Table, path: &str, value: f64, unit: Unit, integer: bool) -> Result<String, String> {
    let parts: Vec<&str> = path.split('.').collect();
    let (last, head) = parts.split_last().ok_or("empty key")?;
    let mut cur = doc;
    for p in head {
        cur = cur
            .get_mut(*p)
            .and_then(Value::as_table_mut)
            .ok_or_else(|| format!("`{path}`: no table `{p}` in the scenario"))?;
    }
    let text = unit.text(value, integer);
    let v = match (unit, cur.get(*last)) {
        (Unit::Number, Some(Value::String(s))) => {
            return Err(format!(
                "`{path}` is `{s:?}` in the scenario, a value with units: write --from and --to with units too (for example `--from {s}`)"
            ))
        }
        (Unit::Number, _) if integer => Value::Integer(value.round() as i64),
        (Unit::Number, _) => Value::Float(value),
        (_, Some(v)) if !v.is_str() => {
            return Err(format!("`{path}` is a number in the scenario: write --from and --to without units"))
        }
        _ => Value::String(text.clone()),
    };
    cur.insert((*last).to_string(), v);
    Ok(text)
}

/// Refuses a unit that does not fit the key's value in the scenario (a rate key swept with
/// plain numbers), before any value is computed.
pub fn check_key(text: &str, path: &str, unit: Unit) -> Result<(), String> {
    let doc: Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
    let mut cur = &doc;
    let parts: Vec<&str> = path.split('.').collect();
    let (last, head) = parts.split_last().ok_or("empty key")?;
    for p in head {
        match cur.get(*p).and_then(Value::as_table) {
            Some(t) => cur = t,
            None => return Ok(()),
        }
    }
    let mut probe = Table::new();
    if let Some(v) = cur.get(*last) {
        probe.insert((*last).to_string(), v.clone());
    }
    set_key(&mut probe, last, 1.0, unit, true).map(|_| ())
}

/// The values of a sweep: `from..=to` by `step`.
pub fn values(from: f64, to: f64, step: f64) -> Result<Vec<f64>, String> {
    if !([from, to, step].iter().all(|v| v.is_finite()) && step > 0.0 && to >= from) || (to - from) / step > 200.0 {
        return Err("need from <= to, step > 0 and at most 200 points".into());
    }
    let n = ((to - from) / step + 1e-9).floor() as usize;
    Ok((0..=n).map(|i| from + step * i as f64).collect())
}

/// A sweep of plain numbers, one replication each (the scenario's own count).
pub fn sweep(file: &str, text: &str, key: &str, values: &[f64]) -> Result<Sweep, Error> {
    sweep_with(file, text, key, values, Unit::Number, None, &Overrides::default())
}

/// One point of a sweep: its model, its value in base units and as written.
#[derive(Clone, Debug)]
pub struct PointModel {
    pub model: crate::model::Model,
    pub value: f64,
    pub text: String,
}

/// A sweep: every value in parallel, each on the same traffic, `replications` each (default:
/// the scenario's), with 95% intervals across replications, and `--load`/`--set` overrides
/// applied to every point (they may not set the swept key itself).
pub fn sweep_with(
    file: &str,
    text: &str,
    key: &str,
    values: &[f64],
    unit: Unit,
    replications: Option<u32>,
    overrides: &Overrides,
) -> Result<Sweep, Error> {
    let models = point_models(file, text, key, values, unit, replications, overrides)?;
    let runs = run_points(key, &models);
    Ok(assemble(key, unit, &models, &runs))
}

/// The model of every point, each on the scenario's own seed (the same traffic).
pub fn point_models(
    file: &str,
    text: &str,
    key: &str,
    values: &[f64],
    unit: Unit,
    replications: Option<u32>,
    overrides: &Overrides,
) -> Result<Vec<PointModel>, Error> {
    if overrides.set_keys().iter().any(|k| k == key) || (overrides.load().is_some() && key == "load.rate") {
        return Err(Error::Usage(format!("`{key}` is the swept key: it cannot also be overridden")));
    }
    let base: Table = toml::from_str(text).map_err(|e| Error::Usage(format!("{file}: {}", e.message())))?;
    let integer = values.iter().all(|v| v.fract() == 0.0);
    let mut models = Vec::new();
    for v in values {
        let mut doc = base.clone();
        let shown_value = set_key(&mut doc, key, *v, unit, integer).map_err(Error::Usage)?;
        let shown = format!("{file} [{key} = {shown_value}]");
        let point = toml::to_string(&doc).expect("serializes");
        let mut m = parse_scenario_checked_with(&shown, &point, overrides)?.0;
        if let Some(r) = replications {
            m.replications = r.max(1);
        }
        models.push(PointModel { model: m, value: *v, text: shown_value });
    }
    Ok(models)
}

/// Runs every point's replications: points in parallel, and each point's replications in
/// parallel inside it, so progress can report a point as soon as its own runs are done.
pub fn run_points(key: &str, models: &[PointModel]) -> Vec<Vec<crate::summary::RunFacts>> {
    let reps = models.first().map_or(1, |p| p.model.replications);
    models
        .par_iter()
        .map(|p| {
            let label = point_label(key, p.value);
            crate::progress::item_started(&label);
            let runs: Vec<_> = (0..reps)
                .into_par_iter()
                .map(|r| crate::summary::RunFacts::of(&runner::run_once(&p.model, r)))
                .collect();
            let s = Summary::from_facts(&p.model, &runs);
            let (busiest, u) = busiest(&s);
            crate::progress::item_done(
                &label,
                &format!("p99 {}, busiest {busiest} at {:.0}%", crate::units::human_secs(s.latency_s.p99), u * 100.0),
            );
            runs
        })
        .collect()
}

/// The sweep from every point's replications (in replication order).
pub fn assemble(key: &str, unit: Unit, models: &[PointModel], runs: &[Vec<crate::summary::RunFacts>]) -> Sweep {
    let reps = models.first().map_or(1, |p| p.model.replications);
    let points: Vec<SweepPoint> =
        models.iter().zip(runs).map(|(p, r)| point(&p.model, r, p.value, p.text.clone())).collect();
    let knee = knee(&points);
    Sweep {
        schema_version: SCHEMA_VERSION,
        scenario: models.first().map(|p| p.model.name.clone()).unwrap_or_default(),
        key: key.into(),
        unit: unit.name().into(),
        replications: reps,
        points,
        knee,
    }
}

/// A point as progress names it.
pub fn point_label(key: &str, value: f64) -> String {
    format!("{key} = {value}")
}

fn point(m: &crate::model::Model, runs: &[crate::summary::RunFacts], value: f64, value_text: String) -> SweepPoint {
    let s = Summary::from_facts(m, runs);
    let per: Vec<Summary> = if runs.len() > 1 {
        runs.iter().map(|r| Summary::from_facts(m, std::slice::from_ref(r))).collect()
    } else {
        Vec::new()
    };
    // Latencies and ratios cannot be negative (nor a ratio above 1): the t interval is cut.
    let ci = |f: fn(&Summary) -> f64, high: f64| {
        mean_ci95(&per.iter().map(f).collect::<Vec<_>>()).map(|c| Ci { low: c.low.max(0.0), high: c.high.min(high) })
    };
    let (busiest, u) = busiest(&s);
    SweepPoint {
        value,
        value_text,
        latency_s_p99: s.latency_s.p99,
        latency_s_p99_ci95: s.latency_s.p99_ci95.map(|c| Ci { low: c.low.max(0.0), high: c.high }),
        latency_s_mean: s.latency_s.mean,
        error_ratio: s.requests.error_ratio,
        error_ratio_ci95: ci(|s| s.requests.error_ratio, 1.0),
        throughput_per_s: s.throughput_per_s,
        throughput_per_s_ci95: ci(|s| s.throughput_per_s, f64::INFINITY),
        cost_usd_per_month: s.cost.usd_per_month,
        busiest,
        busiest_utilization: u,
    }
}

/// The busiest node of a summary by saturation, and that saturation.
fn busiest(s: &Summary) -> (String, f64) {
    s.components
        .iter()
        .map(|(n, c)| match busiest_node(c) {
            Some((node, _)) => (format!("{n} {node}"), saturation(c)),
            None => (n.clone(), saturation(c)),
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or_default()
}

/// Fewest-fold change of the P99 over a sweep that can have a knee.
const KNEE_MIN_RATIO: f64 = 2.0;
/// Least normalised distance from the chord for a bend to count.
const KNEE_MIN_DISTANCE: f64 = 0.1;

fn knee(points: &[SweepPoint]) -> Option<f64> {
    if points.len() < 3 {
        return None;
    }
    let (x0, x1) = (points[0].value, points[points.len() - 1].value);
    let ys: Vec<f64> = points.iter().map(|p| p.latency_s_p99.max(1e-9).ln()).collect();
    let (ymin, ymax) = ys.iter().fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(*y), b.max(*y)));
    if ymax - ymin < KNEE_MIN_RATIO.ln() {
        return None;
    }
    let norm = |i: usize| ((points[i].value - x0) / (x1 - x0), (ys[i] - ymin) / (ymax - ymin));
    let (a, b) = (norm(0), norm(points.len() - 1));
    (1..points.len() - 1)
        .map(|i| {
            let (x, y) = norm(i);
            // Distance from the chord a-b.
            let d = ((b.1 - a.1) * x - (b.0 - a.0) * y + b.0 * a.1 - b.1 * a.0).abs()
                / ((b.1 - a.1).powi(2) + (b.0 - a.0).powi(2)).sqrt();
            (d, points[i].value)
        })
        .max_by(|p, q| p.0.total_cmp(&q.0))
        .filter(|(d, _)| *d >= KNEE_MIN_DISTANCE)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_key_setting() {
        assert_eq!(values(2.0, 6.0, 2.0).unwrap(), vec![2.0, 4.0, 6.0]);
        assert!(values(5.0, 1.0, 1.0).is_err());
        let mut t: Table = toml::from_str("[components.app]\ninstances = 1\nkind = \"service\"").unwrap();
        set_key(&mut t, "components.app.instances", 4.0, Unit::Number, true).unwrap();
        assert_eq!(t["components"]["app"]["instances"].as_integer(), Some(4));
        assert!(set_key(&mut t, "components.app.kind", 1.0, Unit::Number, true).is_err());
        assert!(set_key(&mut t, "components.nope.instances", 1.0, Unit::Number, true).is_err());
        let mut l: Table = toml::from_str("[load]\nrate = \"800/s\"").unwrap();
        assert_eq!(set_key(&mut l, "load.rate", 650.0, Unit::Rate, true).unwrap(), "650/s");
        assert_eq!(l["load"]["rate"].as_str(), Some("650/s"));
        let e = set_key(&mut l, "load.rate", 650.0, Unit::Number, true).unwrap_err();
        assert!(e.contains("with units"), "{e}");
    }

    #[test]
    fn values_with_units_and_log_steps() {
        let r = |from: &str, to: &str, step: Option<&str>, log: Option<u32>| Range {
            from: from.into(),
            to: to.into(),
            step: step.map(Into::into),
            log_points: log,
        };
        let (v, u) = range_values(&r("600/s", "1200/s", Some("100/s"), None)).unwrap();
        assert_eq!((v.len(), u), (7, Unit::Rate));
        assert!((v[6] - 1200.0).abs() < 1e-9);
        let (v, u) = range_values(&r("10ms", "1s", None, Some(3))).unwrap();
        assert_eq!(u, Unit::Duration);
        assert!((v[1] - 0.1).abs() < 1e-9, "{v:?}");
        assert_eq!(
            range_values(&r("1KiB", "4KiB", Some("1KiB"), None)).unwrap().0,
            vec![1024.0, 2048.0, 3072.0, 4096.0]
        );
        assert!(range_values(&r("600/s", "2s", Some("1s"), None)).is_err());
        assert!(range_values(&r("600/s", "900/s", None, None)).unwrap_err().contains("--step"));
    }
}
