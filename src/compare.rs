//! `stagesim compare`: several designs on the same traffic. Every design runs the same
//! replications with the same seeds, so replication `r` of each sees the same arrivals
//! (common random numbers); each design is judged against the first by the confidence
//! interval of the paired per-replication differences, far narrower than two independent
//! intervals would be.

use crate::analysis::{busiest_node, run_bottleneck, saturation, Bottleneck};
use crate::diag::Error;
use crate::model::Model;
use crate::runner::run_once;
use crate::stats::{mean_ci95, Ci};
use crate::summary::Summary;
use rayon::prelude::*;
use serde::Serialize;
use toml::{Table, Value};

/// Sections and keys that make up the traffic: designs compared must agree on them.
const TRAFFIC_KEYS: &[&str] = &["load", "requests", "keys", "users", "sizes"];
const TRAFFIC_SCENARIO_KEYS: &[&str] = &["seed", "duration", "warmup", "window"];

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Design {
    pub file: String,
    pub scenario: String,
    pub latency_s_p50: f64,
    pub latency_s_p99: f64,
    pub error_ratio: f64,
    pub throughput_per_s: f64,
    pub cost_usd_per_month: f64,
    /// The busiest component (and node, when it has distinct ones) by saturation.
    pub busiest: String,
    pub busiest_utilization: f64,
    /// What limits it, when something is wrong (errors, or a node above 80%).
    pub bottleneck: Option<Bottleneck>,
}

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Difference {
    pub metric: String,
    /// Mean over replications of (this design - the first).
    pub difference: f64,
    /// 95% interval of the paired differences (null with one replication).
    pub difference_ci95: Option<Ci>,
    /// Whether the interval excludes zero (null with one replication).
    pub significant: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Comparison {
    pub replications: u32,
    pub rate_per_s: f64,
    pub designs: Vec<Design>,
    /// For each design after the first: its differences from the first.
    pub against_first: Vec<Vec<Difference>>,
}

/// The metrics compared, read from one replication's summary.
/// Reads one metric from a summary.
type Metric = fn(&Summary) -> f64;

const METRICS: &[(&str, Metric)] = &[
    ("latency_s_p50", |s| s.latency_s.p50),
    ("latency_s_p99", |s| s.latency_s.p99),
    ("error_ratio", |s| s.requests.error_ratio),
    ("throughput_per_s", |s| s.throughput_per_s),
    ("cost_usd_per_month", |s| s.cost.usd_per_month),
];

/// The first key path where two TOML values differ, with both values.
fn first_difference(path: &str, a: Option<&Value>, b: Option<&Value>) -> Option<String> {
    match (a, b) {
        (Some(Value::Table(x)), Some(Value::Table(y))) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| first_difference(&format!("{path}.{k}"), x.get(k), y.get(k)))
        }
        (x, y) if x == y => None,
        (x, y) => {
            let show = |v: Option<&Value>| v.map_or("(absent)".to_string(), Value::to_string);
            Some(format!("`{path}`: {} vs {}", show(x), show(y)))
        }
    }
}

/// Refuses designs whose traffic differs from the first's, naming the first difference.
/// `load_overridden` skips `load.rate`, which `--load` sets for every design.
pub fn same_traffic(files: &[(String, Table)], load_overridden: bool) -> Result<(), Error> {
    let traffic = |t: &Table| {
        let mut out = Table::new();
        for k in TRAFFIC_KEYS {
            if let Some(v) = t.get(*k) {
                out.insert((*k).to_string(), v.clone());
            }
        }
        let scen = t.get("scenario").and_then(Value::as_table);
        for k in TRAFFIC_SCENARIO_KEYS {
            if let Some(v) = scen.and_then(|s| s.get(*k)) {
                out.insert(format!("scenario.{k}"), v.clone());
            }
        }
        if load_overridden {
            if let Some(Value::Table(l)) = out.get_mut("load") {
                l.remove("rate");
            }
        }
        Value::Table(out)
    };
    let (first, rest) = files.split_first().ok_or_else(|| Error::Usage("compare needs two designs or more".into()))?;
    let base = traffic(&first.1);
    for (file, t) in rest {
        if let Some(d) = first_difference("", Some(&base), Some(&traffic(t))) {
            let d = d.replacen("`.", "`", 1);
            return Err(Error::Usage(format!(
                "{file} and {} differ in their traffic, so they cannot be compared on the same requests: {d}. Make the traffic sections the same (or pass --load to set the rate for all).",
                first.0
            )));
        }
    }
    Ok(())
}

fn design(file: &str, model: &Model, all: &Summary) -> Design {
    let (busiest, busiest_utilization) = all
        .components
        .iter()
        .max_by(|a, b| saturation(a.1).total_cmp(&saturation(b.1)).then_with(|| b.0.cmp(a.0)))
        .map(|(n, c)| match busiest_node(c) {
            Some((node, _)) => (format!("{n} {node}"), saturation(c)),
            None => (n.clone(), saturation(c)),
        })
        .unwrap_or_default();
    Design {
        file: file.into(),
        scenario: all.scenario.clone(),
        latency_s_p50: all.latency_s.p50,
        latency_s_p99: all.latency_s.p99,
        error_ratio: all.requests.error_ratio,
        throughput_per_s: all.throughput_per_s,
        cost_usd_per_month: all.cost.usd_per_month,
        busiest,
        busiest_utilization,
        bottleneck: run_bottleneck(model, all),
    }
}

/// Runs every design for `replications` replications (the same seeds for all) and compares
/// each with the first. The models' `replications` is ignored.
pub fn compare(designs: &[(String, Model)], replications: u32) -> Comparison {
    let reps = replications.max(1);
    let jobs: Vec<(usize, u32)> = (0..designs.len()).flat_map(|d| (0..reps).map(move |r| (d, r))).collect();
    let runs: Vec<_> = jobs.par_iter().map(|(d, r)| run_once(&designs[*d].1, *r)).collect();
    let mut per_rep: Vec<Vec<Summary>> = Vec::new();
    let mut out = Vec::new();
    for (d, (file, model)) in designs.iter().enumerate() {
        let mine = &runs[d * reps as usize..(d + 1) * reps as usize];
        per_rep.push(mine.iter().map(|r| Summary::build(model, std::slice::from_ref(r))).collect());
        out.push(design(file, model, &Summary::build(model, mine)));
    }
    let against_first = per_rep[1..]
        .iter()
        .map(|reps_b| {
            METRICS
                .iter()
                .map(|(name, f)| {
                    let diffs: Vec<f64> = reps_b.iter().zip(&per_rep[0]).map(|(b, a)| f(b) - f(a)).collect();
                    let ci = mean_ci95(&diffs);
                    Difference {
                        metric: (*name).into(),
                        difference: diffs.iter().sum::<f64>() / diffs.len() as f64,
                        significant: ci.as_ref().map(|c| c.low > 0.0 || c.high < 0.0),
                        difference_ci95: ci,
                    }
                })
                .collect()
        })
        .collect();
    Comparison {
        replications: reps,
        rate_per_s: designs.first().map_or(0.0, |d| d.1.load.rate_per_s),
        designs: out,
        against_first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_differences_are_named() {
        let a: Table = toml::from_str("[load]\nrate = \"800/s\"\n[components.x]\nkind = \"service\"").unwrap();
        let b: Table = toml::from_str("[load]\nrate = \"900/s\"\n[components.y]\nkind = \"service\"").unwrap();
        let files = vec![("a.toml".to_string(), a), ("b.toml".to_string(), b)];
        let e = same_traffic(&files, false).unwrap_err().to_string();
        assert!(e.contains("`load.rate`: \"800/s\" vs \"900/s\""), "{e}");
        assert!(same_traffic(&files, true).is_ok(), "--load sets the rate for both");
    }
}
