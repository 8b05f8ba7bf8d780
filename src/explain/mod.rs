//! `stagesim explain`: the interview view. For each component, the back-of-the-envelope
//! estimate, worked out analytically and independently of any run (`estimate.rs`), beside
//! what the simulation measured at the same load; where the two differ by more than 15
//! points, a note says why.

pub mod estimate;
pub mod hit_ratio;
pub mod latency;

pub use estimate::{estimate, mmc_wait_s, Estimate};

use crate::analysis::{busiest_node, saturation};
use crate::model::{CompId, Model};
use crate::summary::Summary;
use serde::Serialize;

/// The version of explain's JSON output; bumped when a field changes meaning or goes away.
/// 2: `utilization_predicted`/`utilization_measured` became `predicted_utilization`/
/// `measured_utilization` (the busiest resource), `busiest_node_measured` became `measured_node`.
pub const SCHEMA_VERSION: u32 = 2;

/// Estimate and simulation differing by more than this (in utilization) get a note.
pub const AGREEMENT: f64 = 0.15;

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Row {
    pub component: String,
    pub kind: String,
    pub servers: u32,
    /// Calls per second this component receives at the given load (estimated).
    pub offered_per_s: f64,
    /// Mean own work per call on one server.
    pub mean_work_s: f64,
    /// Mean time a call holds a thread, worker or connection: its work plus the calls it
    /// waits on (services, queues, poolers).
    pub hold_s: f64,
    /// Calls per second it could take with its busiest resource at 100%.
    /// Infinite, written as null, for a component with no work.
    #[schemars(with = "Option<f64>")]
    pub ceiling_per_s: f64,
    /// The busiest resource's predicted utilization (offered load: above 1 is saturated).
    pub predicted_utilization: f64,
    /// Which resource or node: "cores", "threads", "workers", "replica 1", ...
    pub predicted_resource: String,
    /// The user request rate at which this component reaches 100%.
    /// Infinite, written as null, for a component with no work.
    #[schemars(with = "Option<f64>")]
    pub saturates_at_rate_per_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted_hit_ratio: Option<f64>,
    /// The simulation's busiest resource (cores, threads, connections, busiest node).
    pub measured_utilization: Option<f64>,
    /// The simulation's busiest node of this component (`replica 1`; null for a component
    /// that is one node or interchangeable instances).
    pub measured_node: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured_hit_ratio: Option<f64>,
    pub throughput_measured_per_s: Option<f64>,
    /// Why estimate and simulation differ by more than 15 points, when they do.
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Explanation {
    /// The version of this JSON contract (`SCHEMA_VERSION`); models/schema/explain.schema.json.
    pub schema_version: u32,
    pub scenario: String,
    pub rate_per_s: f64,
    pub rows: Vec<Row>,
    /// By the estimate: the component with the highest predicted utilization.
    pub first_to_saturate: Option<String>,
    /// By the simulation: the bottleneck `run` names, else the busiest component.
    pub first_to_saturate_measured: Option<String>,
    /// Infinite, written as null, when no component has work.
    #[schemars(with = "Option<f64>")]
    pub predicted_capacity_per_s: f64,
    pub measured_latency_s_p99: Option<f64>,
    /// Why the measurements may not be a steady state (the run's own warnings).
    pub warnings: Vec<String>,
}

pub fn explain(model: &Model, measured: Option<&Summary>) -> Explanation {
    let rate = model.load.rate_per_s;
    let est = estimate(model, rate);
    let mut rows: Vec<Row> = model
        .components
        .iter()
        .zip(&est)
        .map(|(c, e)| {
            let m = measured.and_then(|s| s.components.get(&c.name));
            let util = e.utilization;
            Row {
                component: c.name.clone(),
                kind: c.spec.kind_name().into(),
                servers: c.spec.servers_and_mean_work_s().0,
                offered_per_s: e.flow.total(),
                mean_work_s: e.work_s,
                hold_s: e.hold_s,
                ceiling_per_s: if util > 0.0 { e.flow.total() / util } else { f64::INFINITY },
                predicted_utilization: util,
                predicted_resource: e.resource.clone(),
                saturates_at_rate_per_s: if util > 0.0 { rate / util } else { f64::INFINITY },
                predicted_hit_ratio: e.hit_ratio,
                measured_utilization: m.map(saturation),
                measured_node: m.and_then(busiest_node).map(|n| n.0),
                measured_hit_ratio: m.and_then(|m| m.extra.get("hit_ratio").copied()).filter(|_| e.hit_ratio.is_some()),
                throughput_measured_per_s: m.map(|m| m.throughput_per_s),
                note: None,
            }
        })
        .collect();
    if let Some(s) = measured {
        for i in 0..rows.len() {
            rows[i].note = notes::note(model, s, &rows, i);
        }
    }
    let first = rows
        .iter()
        .enumerate()
        .filter(|(i, r)| r.saturates_at_rate_per_s.is_finite() && !waits_on_saturated(model, &rows, *i as CompId, 0))
        .map(|(_, r)| r)
        .min_by(|a, b| a.saturates_at_rate_per_s.total_cmp(&b.saturates_at_rate_per_s));
    Explanation {
        schema_version: SCHEMA_VERSION,
        scenario: model.name.clone(),
        rate_per_s: rate,
        first_to_saturate: first.map(|r| r.component.clone()),
        first_to_saturate_measured: measured.and_then(|s| crate::analysis::bottleneck(model, s)).map(|b| b.component),
        predicted_capacity_per_s: first.map_or(f64::INFINITY, |r| r.saturates_at_rate_per_s),
        measured_latency_s_p99: measured.map(|s| s.latency_s.p99),
        warnings: measured.map(|s| s.warnings.iter().map(|w| w.message.clone()).collect()).unwrap_or_default(),
        rows,
    }
}

mod notes;

/// Resources held while their holder waits on its calls.
const HELD: &[&str] = &["threads", "workers", "server connections"];

/// Whether row `i`'s busiest resource is held waiting on a dependency the estimate has
/// saturated: then it fills because of that dependency, which saturates first.
fn waits_on_saturated(model: &Model, rows: &[Row], i: CompId, depth: u32) -> bool {
    if depth > 8 || (depth == 0 && !HELD.contains(&rows[i as usize].predicted_resource.as_str())) {
        return false;
    }
    model.components[i as usize]
        .spec
        .downstream()
        .into_iter()
        .any(|t| rows[t as usize].predicted_utilization >= 1.0 || waits_on_saturated(model, rows, t, depth + 1))
}

#[cfg(test)]
mod tests {
    fn explain_file(path: &str) -> super::Explanation {
        let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        explain_text(&text)
    }

    fn explain_text(text: &str) -> super::Explanation {
        let m = crate::parse_scenario("test.toml", text).unwrap();
        super::explain(&m, None)
    }

    /// The `waiting-workers` probe: queue workers whose job is mostly five slow writes.
    const WAITING_WORKERS: &str = r#"
[scenario]
name = "queue workers waiting on a slow store"
duration = "40s"
warmup = "5s"
[load]
rate = "800/s"
timeout = "3s"
[requests]
post = 1.0
[components.api]
kind = "service"
instance_type = "c5.xlarge"
instances = 2
service_time = "exp(mean = 1ms)"
calls = ["jobs"]
[components.jobs]
kind = "queue"
ack_time = "exp(mean = 1ms)"
capacity = 200_000
workers = 16
work_time = "exp(mean = 2ms)"
calls = ["store.write", "store.write", "store.write", "store.write", "store.write"]
timeout = "2s"
instance_type = "c5.xlarge"
instances = 1
[components.store]
kind = "database"
instance_type = "db.r5.large"
connections = 40
read_time = "exp(mean = 2ms)"
write_time = "exp(mean = 8ms)"
"#;

    #[test]
    fn tandem_estimates() {
        let e = explain_file("scenarios/queueing/tandem.toml");
        let db = e.rows.iter().find(|r| r.component == "db").unwrap();
        // 3000/s x 0.5 ms / 2 connections = 0.75; the ceiling is 2 / 0.5 ms = 4000/s.
        assert!((db.predicted_utilization - 0.75).abs() < 1e-9);
        assert!((db.ceiling_per_s - 4000.0).abs() < 1e-6);
        // app (3000 x 1 ms / 4) and db (3000 x 0.5 ms / 2) both sit at 0.75; the lb at 0.6.
        assert!(matches!(e.first_to_saturate.as_deref(), Some("app") | Some("db")));
        assert!((e.predicted_capacity_per_s - 4000.0).abs() < 1e-6);
    }

    #[test]
    fn a_cache_deflects_reads_by_its_hit_ratio() {
        let e = explain_file("scenarios/catalog/cache.toml");
        let cache = e.rows.iter().find(|r| r.component == "cache").unwrap();
        let db = e.rows.iter().find(|r| r.component == "db").unwrap();
        let h = cache.predicted_hit_ratio.unwrap();
        // Che's approximation for 30k of 200k Zipf(1) keys is about 0.8 (less the 5% edits).
        assert!((0.7..0.85).contains(&h), "{h}");
        // The db gets the misses and the writes, not every read.
        let expected = 2000.0 * 0.95 * (1.0 - h) + 2000.0 * 0.05;
        assert!((db.offered_per_s - expected).abs() < 1e-6, "{} vs {expected}", db.offered_per_s);
    }

    #[test]
    fn queue_workers_are_busy_while_they_wait() {
        let e = explain_text(WAITING_WORKERS);
        let jobs = e.rows.iter().find(|r| r.component == "jobs").unwrap();
        // Five writes of 8 ms on a saturated two-core store: the workers hold each message
        // for the calls' timeouts, far beyond their own 2 ms.
        assert!(jobs.hold_s > 0.04, "{}", jobs.hold_s);
        assert!(jobs.predicted_utilization > 1.0, "{}", jobs.predicted_utilization);
        assert_eq!(e.first_to_saturate.as_deref(), Some("store"));
    }
}
