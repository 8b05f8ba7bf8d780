//! `stagesim explain`: the interview view. For each component, the back-of-the-envelope
//! estimate (offered load, analytic ceiling = servers / mean work, predicted utilization)
//! next to what the simulation measured at the same load.

use crate::engine::calls::Op;
use crate::model::{CompId, Model};
use crate::summary::Summary;
use serde::Serialize;

/// The version of explain's JSON output; bumped when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Row {
    pub component: String,
    pub kind: String,
    pub servers: u32,
    /// Calls per second this component receives at the given load.
    pub offered_per_s: f64,
    /// Mean work per call, weighted over operations.
    pub mean_work_s: f64,
    /// Calls per second it could serve at 100% utilization.
    /// Infinite, written as null, for a component with no work.
    #[schemars(with = "Option<f64>")]
    pub ceiling_per_s: f64,
    pub utilization_predicted: f64,
    /// The user request rate at which this component reaches 100%.
    /// Infinite, written as null, for a component with no work.
    #[schemars(with = "Option<f64>")]
    pub saturates_at_rate_per_s: f64,
    /// The simulation's busiest node of this component, and which it is (`replica 1`; absent
    /// for a component that is one node).
    pub utilization_measured: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busiest_node_measured: Option<String>,
    pub throughput_measured_per_s: Option<f64>,
}

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Explanation {
    /// The version of this JSON contract (`SCHEMA_VERSION`); models/schema/explain.schema.json.
    pub schema_version: u32,
    pub scenario: String,
    pub rate_per_s: f64,
    pub rows: Vec<Row>,
    pub first_to_saturate: Option<String>,
    /// Infinite, written as null, when no component has work.
    #[schemars(with = "Option<f64>")]
    pub predicted_capacity_per_s: f64,
    pub measured_latency_s_p99: Option<f64>,
}

/// Visits and busy seconds per user request, per component.
fn per_request(model: &Model) -> (Vec<f64>, Vec<f64>) {
    let n = model.components.len();
    let (mut visits, mut work) = (vec![0.0; n], vec![0.0; n]);
    fn walk(m: &Model, class: usize, c: CompId, op: Op, w: f64, visits: &mut [f64], work: &mut [f64]) {
        let spec = &m.components[c as usize].spec;
        visits[c as usize] += w;
        work[c as usize] += w * spec.mean_work_s(op);
        for (t, op, k) in spec.forwards(class) {
            walk(m, class, t, op, w * k, visits, work);
        }
    }
    for (class, cl) in model.classes.iter().enumerate() {
        walk(model, class, model.load.entry, Op::Default, cl.share, &mut visits, &mut work);
    }
    (visits, work)
}

pub fn explain(model: &Model, measured: Option<&Summary>) -> Explanation {
    let rate = model.load.rate_per_s;
    let (visits, work) = per_request(model);
    let rows: Vec<Row> = model
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let servers = c.spec.servers_and_mean_work_s().0;
            let mean = if visits[i] > 0.0 { work[i] / visits[i] } else { 0.0 };
            let util = if servers == 0 { 0.0 } else { rate * work[i] / f64::from(servers) };
            let m = measured.and_then(|s| s.components.get(&c.name));
            Row {
                component: c.name.clone(),
                kind: c.spec.kind_name().into(),
                servers,
                offered_per_s: rate * visits[i],
                mean_work_s: mean,
                ceiling_per_s: if mean > 0.0 { f64::from(servers) / mean } else { f64::INFINITY },
                utilization_predicted: util,
                saturates_at_rate_per_s: if util > 0.0 { rate / util } else { f64::INFINITY },
                utilization_measured: m.map(|m| m.utilization),
                busiest_node_measured: m.filter(|m| m.nodes.len() > 1).map(|m| m.busiest_node.clone()),
                throughput_measured_per_s: m.map(|m| m.throughput_per_s),
            }
        })
        .collect();
    let first = rows
        .iter()
        .filter(|r| r.saturates_at_rate_per_s.is_finite())
        .min_by(|a, b| a.saturates_at_rate_per_s.total_cmp(&b.saturates_at_rate_per_s));
    Explanation {
        schema_version: SCHEMA_VERSION,
        scenario: model.name.clone(),
        rate_per_s: rate,
        first_to_saturate: first.map(|r| r.component.clone()),
        predicted_capacity_per_s: first.map_or(f64::INFINITY, |r| r.saturates_at_rate_per_s),
        rows,
        measured_latency_s_p99: measured.map(|s| s.latency_s.p99),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tandem_estimates() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/queueing/tandem.toml")).unwrap();
        let m = crate::parse_scenario("tandem.toml", &text).unwrap();
        let e = super::explain(&m, None);
        let db = e.rows.iter().find(|r| r.component == "db").unwrap();
        // 3000/s x 0.5 ms / 2 connections = 0.75; the ceiling is 2 / 0.5 ms = 4000/s.
        assert!((db.utilization_predicted - 0.75).abs() < 1e-9);
        assert!((db.ceiling_per_s - 4000.0).abs() < 1e-6);
        // app (3000 x 1 ms / 4) and db (3000 x 0.5 ms / 2) both sit at 0.75; the lb at 0.6.
        assert!(matches!(e.first_to_saturate.as_deref(), Some("app") | Some("db")));
        assert!((e.predicted_capacity_per_s - 4000.0).abs() < 1e-6);
    }
}
