//! `stagesim sweep`: vary one numeric key of a scenario over a range, run every point in
//! parallel (on the same traffic), and report the curve and its knee.

use crate::diag::Error;
use crate::load::parse_scenario_checked_with;
use crate::overrides::Overrides;
use crate::runner;
use rayon::prelude::*;
use serde::Serialize;
use toml::{Table, Value};

/// The version of the sweep's JSON output; bumped when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct SweepPoint {
    pub value: f64,
    pub latency_s_p99: f64,
    pub latency_s_mean: f64,
    pub error_ratio: f64,
    pub throughput_per_s: f64,
    pub cost_usd_per_month: f64,
    /// The busiest node (`db replica 1`, or the component's name when it is one node) and its
    /// utilization.
    pub busiest: String,
    pub busiest_utilization: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Sweep {
    /// The version of this JSON contract (`SCHEMA_VERSION`); models/schema/sweep.schema.json.
    pub schema_version: u32,
    pub scenario: String,
    pub key: String,
    pub points: Vec<SweepPoint>,
    /// The value past which more buys little: the point of the P99 curve farthest from the
    /// chord between its ends (normalised), i.e. the "kneedle" knee.
    pub knee: Option<f64>,
}

fn set_key(doc: &mut Table, path: &str, value: f64, integer: bool) -> Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    let (last, head) = parts.split_last().ok_or("empty key")?;
    let mut cur = doc;
    for p in head {
        cur = cur
            .get_mut(*p)
            .and_then(Value::as_table_mut)
            .ok_or_else(|| format!("`{path}`: no table `{p}` in the scenario"))?;
    }
    if cur.get(*last).is_some_and(|v| !(v.is_integer() || v.is_float())) {
        return Err(format!("`{path}` is not a number in the scenario"));
    }
    let v = if integer { Value::Integer(value.round() as i64) } else { Value::Float(value) };
    cur.insert((*last).to_string(), v);
    Ok(())
}

/// The values of a sweep: `from..=to` by `step`.
pub fn values(from: f64, to: f64, step: f64) -> Result<Vec<f64>, String> {
    if !([from, to, step].iter().all(|v| v.is_finite()) && step > 0.0 && to >= from) || (to - from) / step > 200.0 {
        return Err("need from <= to, step > 0 and at most 200 points".into());
    }
    let n = ((to - from) / step + 1e-9).floor() as usize;
    Ok((0..=n).map(|i| from + step * i as f64).collect())
}

pub fn sweep(file: &str, text: &str, key: &str, values: &[f64]) -> Result<Sweep, Error> {
    sweep_with(file, text, key, values, &Overrides::default())
}

/// A sweep with `--load`/`--set` overrides applied to every point (they may not set the
/// swept key itself).
pub fn sweep_with(file: &str, text: &str, key: &str, values: &[f64], overrides: &Overrides) -> Result<Sweep, Error> {
    if overrides.set_keys().iter().any(|k| k == key) || (overrides.load().is_some() && key == "load.rate") {
        return Err(Error::Usage(format!("`{key}` is the swept key: it cannot also be overridden")));
    }
    let base: Table = toml::from_str(text).map_err(|e| Error::Usage(format!("{file}: {}", e.message())))?;
    let integer = values.iter().all(|v| v.fract() == 0.0);
    let mut models = Vec::new();
    for v in values {
        let mut doc = base.clone();
        set_key(&mut doc, key, *v, integer).map_err(Error::Usage)?;
        let shown = format!("{file} [{key} = {v}]");
        let point = toml::to_string(&doc).expect("serializes");
        models.push(parse_scenario_checked_with(&shown, &point, overrides)?.0);
    }
    let points: Vec<SweepPoint> = models
        .par_iter()
        .zip(values)
        .map(|(m, v)| {
            crate::progress::item_started(&point_label(key, *v));
            let s = runner::run(m);
            let (busiest, u) = s
                .components
                .iter()
                .map(|(n, c)| (c.node_label(n), c.utilization))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or_default();
            crate::progress::item_done(
                &point_label(key, *v),
                &format!("p99 {}, busiest {busiest} at {:.0}%", crate::units::human_secs(s.latency_s.p99), u * 100.0),
            );
            SweepPoint {
                value: *v,
                latency_s_p99: s.latency_s.p99,
                latency_s_mean: s.latency_s.mean,
                error_ratio: s.requests.error_ratio,
                throughput_per_s: s.throughput_per_s,
                cost_usd_per_month: s.cost.usd_per_month,
                busiest,
                busiest_utilization: u,
            }
        })
        .collect();
    let knee = knee(&points);
    Ok(Sweep {
        schema_version: SCHEMA_VERSION,
        scenario: models.first().map(|m| m.name.clone()).unwrap_or_default(),
        key: key.into(),
        points,
        knee,
    })
}

/// A point as progress names it.
pub fn point_label(key: &str, value: f64) -> String {
    format!("{key} = {value}")
}

fn knee(points: &[SweepPoint]) -> Option<f64> {
    if points.len() < 3 {
        return None;
    }
    let (x0, x1) = (points[0].value, points[points.len() - 1].value);
    let ys: Vec<f64> = points.iter().map(|p| p.latency_s_p99.max(1e-9).ln()).collect();
    let (ymin, ymax) = ys.iter().fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(*y), b.max(*y)));
    if ymax - ymin < 1e-12 {
        return None;
    }
    let norm = |i: usize| ((points[i].value - x0) / (x1 - x0), (ys[i] - ymin) / (ymax - ymin));
    let (a, b) = (norm(0), norm(points.len() - 1));
    (1..points.len() - 1)
        .map(|i| {
            let (x, y) = norm(i);
            // Distance from the chord a-b.
            let d = ((b.1 - a.1) * x - (b.0 - a.0) * y + b.0 * a.1 - b.1 * a.0).abs();
            (d, points[i].value)
        })
        .max_by(|p, q| p.0.total_cmp(&q.0))
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
        set_key(&mut t, "components.app.instances", 4.0, true).unwrap();
        assert_eq!(t["components"]["app"]["instances"].as_integer(), Some(4));
        assert!(set_key(&mut t, "components.app.kind", 1.0, true).is_err());
        assert!(set_key(&mut t, "components.nope.instances", 1.0, true).is_err());
    }
}
