//! Baselines: a committed JSON file of per-metric estimates (mean and 95% CI) per scenario,
//! and the comparison that flags regressions.
//!
//! A change is a regression only when it is worse than the baseline by more than the
//! tolerance (relative to the baseline) AND by more than the noise, taken as the sum of the two
//! CI half-widths: two estimates whose intervals overlap are not told apart. Summing the
//! half-widths is conservative (a gate that cries wolf gets switched off).

use super::evaluate::{Estimate, MetricEstimate};
use super::expr::Unit;
use crate::diag::{Diagnostic, Error};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Version 2: a component's `utilization` is its busiest node's, rates cover the measured
/// window only, and keys are paths relative to the baseline file's directory (version 1 keyed
/// them as given on the command line, so they depended on the working directory); a
/// version-1 baseline holds other quantities and other keys, and is refused.
pub const BASELINE_SCHEMA_VERSION: u32 = 2;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub schema_version: u32,
    /// By scenario file, relative to the baseline file's directory (forward slashes); a
    /// journey stage as `FILE#INDEX NAME` (see `key`).
    pub scenarios: BTreeMap<String, BaselineEntry>,
}

impl Default for Baseline {
    fn default() -> Self {
        Baseline { schema_version: BASELINE_SCHEMA_VERSION, scenarios: BTreeMap::new() }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub scenario: String,
    pub stagesim_version: String,
    pub seed: u64,
    /// Simulated duration of each replication: compare like with like.
    pub duration_s: f64,
    pub replications: u32,
    pub metrics: BTreeMap<String, MetricEstimate>,
}

/// The key of a scenario file, or of a journey stage (`FILE#INDEX NAME`: the name too, so that
/// reordered stages are never compared with each other), in the baseline at `baseline`: the
/// file's path relative to the baseline's directory, so every working directory gives the
/// same key.
pub fn key(baseline: &str, file: &str, stage: Option<(usize, &str)>) -> String {
    let dir = absolute(Path::new(baseline)).parent().map(Path::to_path_buf).unwrap_or_default();
    let rel = relative(&dir, &absolute(Path::new(file)));
    match stage {
        Some((index, name)) => format!("{rel}#{index} {name}"),
        None => rel,
    }
}

/// An absolute path with symbolic links resolved as far as the path exists (a baseline
/// about to be created may not).
fn absolute(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    match (p.parent(), p.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
            absolute(parent).join(name)
        }
        _ => std::env::current_dir().unwrap_or_default().join(p),
    }
}

/// `to` as seen from the directory `from`, with forward slashes.
fn relative(from: &Path, to: &Path) -> String {
    let (a, b): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_string(); a.len() - common];
    parts.extend(b[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    parts.join("/")
}

/// Reads a baseline; a missing or unreadable file is an I/O error (a missing one says how to
/// record it), a malformed one an invalid input with its line and column.
pub fn read(path: &str) -> Result<Baseline, Error> {
    if !std::path::Path::new(path).exists() {
        let hint = format!(
            "no such file; record it with `stagesim check FILE... --baseline {path} --update-baseline` and commit it"
        );
        let source = std::io::Error::new(std::io::ErrorKind::NotFound, hint);
        return Err(Error::Io { path: path.to_string(), source });
    }
    let text = crate::load::read_input(path, "baseline")?;
    let invalid = |line: usize, column: usize, message: String| {
        Error::Invalid(vec![Diagnostic {
            file: path.to_string(),
            line,
            column,
            key: String::new(),
            message,
            help: "regenerate it with `stagesim check ... --update-baseline` (and review the diff)".into(),
            source_line: text.lines().nth(line.saturating_sub(1)).unwrap_or("").to_string(),
            width: 1,
        }])
    };
    // The version first: another version's entries may not even parse as this one's.
    let version = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("schema_version").and_then(serde_json::Value::as_u64));
    if let Some(v) = version.filter(|v| *v != u64::from(BASELINE_SCHEMA_VERSION)) {
        let m = format!(
            "baseline schema_version {v}: this stagesim measures other quantities (schema_version \
             {BASELINE_SCHEMA_VERSION}: `utilization` is the busiest node's, rates cover the measured \
             window only, and scenarios are keyed relative to the baseline's directory, not the working \
             directory); re-record it with --update-baseline"
        );
        return Err(invalid(1, 1, m));
    }
    let b: Baseline = serde_json::from_str(&text)
        .map_err(|e| invalid(e.line().max(1), e.column().max(1), format!("bad baseline: {e}")))?;
    Ok(b)
}

/// The baseline `--update-baseline` starts from: the file's entries, or none when the file
/// is missing or of another schema version (whose entries cannot be kept beside new ones).
pub fn read_for_update(path: &str) -> Result<Baseline, Error> {
    if !std::path::Path::new(path).exists() {
        return Ok(Baseline::default());
    }
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_string(), source })?;
    let version = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("schema_version").and_then(serde_json::Value::as_u64));
    if version.is_some_and(|v| v != u64::from(BASELINE_SCHEMA_VERSION)) {
        return Ok(Baseline::default());
    }
    read(path)
}

/// The file's bytes: pretty JSON with sorted keys, so the same estimates give the same file.
pub fn to_bytes(b: &Baseline) -> String {
    serde_json::to_string_pretty(b).expect("a baseline serializes") + "\n"
}

pub fn write(path: &str, b: &Baseline) -> Result<(), Error> {
    crate::output_file::write(path, to_bytes(b))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Regression,
    Improvement,
    Unchanged,
}

/// One metric against its baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Comparison {
    pub metric: String,
    pub unit: Unit,
    pub higher_is_worse: bool,
    pub baseline: Estimate,
    pub current: Estimate,
    /// (current - baseline) / |baseline|; absent when the baseline is zero.
    pub change_ratio: Option<f64>,
    /// How much worse than the baseline (negative: better), in the metric's unit.
    pub worse_by: f64,
    /// The tolerance in the metric's unit: tolerance * |baseline|.
    pub tolerance_allows: f64,
    /// The sum of the two CI half-widths.
    pub noise: f64,
    pub change: Change,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BaselineStatus {
    /// Compared with the scenario's entry.
    Compared,
    /// The baseline has no entry for this scenario: nothing to compare (a failure with
    /// `--strict`, a loud warning otherwise).
    NoEntry,
    /// `--update-baseline`: the entry was (re)written, nothing compared.
    Written,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BaselineReport {
    pub file: String,
    /// The scenario's key in the baseline (relative to the baseline's directory).
    #[serde(default)]
    pub key: String,
    pub status: BaselineStatus,
    pub tolerance: f64,
    /// The stagesim version that wrote the entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_version: Option<String>,
    /// The entry's simulated duration per replication, when it differs from this run's:
    /// shorter runs have noisier, slightly biased tail percentiles, so say so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_mismatch_s: Option<f64>,
    pub comparisons: Vec<Comparison>,
    /// Measured now, absent from the baseline (a new threshold): not compared.
    pub new_metrics: Vec<String>,
    /// In the baseline, not measured now (a removed threshold): not compared.
    pub dropped_metrics: Vec<String>,
}

impl BaselineReport {
    pub fn regressions(&self) -> usize {
        self.comparisons.iter().filter(|c| c.change == Change::Regression).count()
    }
}

/// Compares current estimates with a baseline entry.
pub fn compare(
    file: &str,
    key: &str,
    entry: &BaselineEntry,
    current: &BTreeMap<String, MetricEstimate>,
    duration_s: f64,
    tolerance: f64,
) -> BaselineReport {
    let mut comparisons = Vec::new();
    let mut new_metrics = Vec::new();
    for (id, cur) in current {
        match entry.metrics.get(id) {
            Some(base) => comparisons.push(compare_one(id, base, cur, tolerance)),
            None => new_metrics.push(id.clone()),
        }
    }
    BaselineReport {
        file: file.to_string(),
        key: key.to_string(),
        status: BaselineStatus::Compared,
        tolerance,
        baseline_version: Some(entry.stagesim_version.clone()),
        duration_mismatch_s: (entry.duration_s != duration_s).then_some(entry.duration_s),
        comparisons,
        new_metrics,
        dropped_metrics: entry.metrics.keys().filter(|k| !current.contains_key(*k)).cloned().collect(),
    }
}

fn compare_one(id: &str, base: &MetricEstimate, cur: &MetricEstimate, tolerance: f64) -> Comparison {
    let (b, c) = (base.estimate, cur.estimate);
    let sign = if cur.higher_is_worse { 1.0 } else { -1.0 };
    let worse_by = sign * (c.mean - b.mean);
    let tolerance_allows = tolerance * b.mean.abs();
    let noise = b.half_width() + c.half_width();
    let comparable = worse_by.is_finite() && noise.is_finite();
    let beyond = |d: f64| comparable && d > tolerance_allows && d > noise;
    let change = if beyond(worse_by) {
        Change::Regression
    } else if beyond(-worse_by) {
        Change::Improvement
    } else {
        Change::Unchanged
    };
    let change_ratio = (b.mean != 0.0 && b.mean.is_finite()).then(|| (c.mean - b.mean) / b.mean.abs());
    let unit = cur.unit;
    let delta = match change_ratio {
        Some(r) => format!("{:+.1}%", r * 100.0),
        None => format!("{}{}", if c.mean >= b.mean { "+" } else { "-" }, unit.show_noise((c.mean - b.mean).abs())),
    };
    let tolerance_text = format!("{}%", super::expr::significant(tolerance * 100.0, 3));
    let noise_text = unit.show_noise(noise);
    let why = match change {
        Change::Regression => format!("worse beyond both the {tolerance_text} tolerance and the noise, ±{noise_text}"),
        Change::Improvement => {
            format!("better beyond both the {tolerance_text} tolerance and the noise, ±{noise_text}")
        }
        Change::Unchanged if !comparable => "not comparable: an estimate is not finite".to_string(),
        Change::Unchanged => format!("within the {tolerance_text} tolerance or the noise, ±{noise_text}"),
    };
    let message = format!(
        "{id}={} ±{} vs baseline {} ±{} ({delta}: {why})",
        unit.show(c.mean),
        unit.show_noise(c.half_width()),
        unit.show(b.mean),
        unit.show_noise(b.half_width()),
    );
    Comparison {
        metric: id.to_string(),
        unit,
        higher_is_worse: cur.higher_is_worse,
        baseline: b,
        current: c,
        change_ratio,
        worse_by,
        tolerance_allows,
        noise,
        change,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(mean: f64, half: f64, higher_is_worse: bool) -> MetricEstimate {
        MetricEstimate {
            family: "latency".into(),
            stat: "p(99)".into(),
            class: None,
            component: None,
            unit: Unit::Seconds,
            higher_is_worse,
            estimate: Estimate { mean, ci95_low: mean - half, ci95_high: mean + half, replications: 5 },
        }
    }

    fn change(base: MetricEstimate, cur: MetricEstimate, tolerance: f64) -> Change {
        compare_one("latency.p(99)", &base, &cur, tolerance).change
    }

    #[test]
    fn regression_needs_tolerance_and_noise() {
        // 30% worse, noise 0.2: a regression.
        assert_eq!(change(metric(1.0, 0.1, true), metric(1.3, 0.1, true), 0.05), Change::Regression);
        // 20% worse but within noise (0.3 + 0.3).
        assert_eq!(change(metric(1.0, 0.3, true), metric(1.2, 0.3, true), 0.05), Change::Unchanged);
        // Beyond noise but within a 25% tolerance.
        assert_eq!(change(metric(1.0, 0.01, true), metric(1.2, 0.01, true), 0.25), Change::Unchanged);
        // Lower throughput is the bad direction.
        assert_eq!(change(metric(100.0, 1.0, false), metric(80.0, 1.0, false), 0.05), Change::Regression);
        assert_eq!(change(metric(1.0, 0.01, true), metric(0.5, 0.01, true), 0.05), Change::Improvement);
    }

    #[test]
    fn keys_are_relative_to_the_baseline_directory() {
        let cwd = std::env::current_dir().unwrap();
        let here = key("reports/baselines/b.json", "scenarios/ci/capacity.toml", None);
        assert_eq!(here, "../../scenarios/ci/capacity.toml");
        let abs = cwd.join("reports/baselines/b.json");
        let from_abs = key(abs.to_str().unwrap(), cwd.join("scenarios/ci/capacity.toml").to_str().unwrap(), None);
        assert_eq!(from_abs, here, "the same files give the same key however they are named");
        assert_eq!(key("b.json", "./s.toml", Some((2, "Two"))), "s.toml#2 Two");
    }

    #[test]
    fn bytes_are_stable_and_read_back() {
        let mut b = Baseline::default();
        let mut metrics = BTreeMap::new();
        metrics.insert("latency.p(99)".to_string(), metric(0.0231, 0.001, true));
        let entry = BaselineEntry {
            scenario: "s".into(),
            stagesim_version: "0.1.0".into(),
            seed: 7,
            duration_s: 120.0,
            replications: 5,
            metrics,
        };
        b.scenarios.insert("scenarios/ci/capacity.toml".into(), entry);
        let bytes = to_bytes(&b);
        let back: Baseline = serde_json::from_str(&bytes).unwrap();
        assert_eq!(to_bytes(&back), bytes);
    }
}
