//! Per-node figures of a component, merged across replications, and the busiest node.

use crate::components::nodes::NodeStats;
use crate::components::KindStats;
use serde::Serialize;

/// One node (a primary, a replica, a shard, an instance slot, a server pool) over the
/// measured window.
#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct NodeSummary {
    pub name: String,
    /// Busy servers over the servers the node had, time-averaged (mean over replications).
    pub utilization: f64,
    /// Calls waiting at this node (for a thread, a connection or a core): the time average
    /// and the most at once, on the same basis.
    pub queue_mean: f64,
    pub queue_max: u32,
    /// Calls that got a server, per second of the measured window.
    pub throughput_per_s: f64,
    /// Calls turned away because the node's queue was full.
    pub rejected: u64,
    /// Fraction of admitted calls that waited for a server.
    pub wait_probability: f64,
}

/// The name of the one node of a kind that is not made of several.
fn single_name(kind: &str) -> &'static str {
    crate::components::node_name(kind)
}

/// A kind's nodes, or the kind as one node.
fn nodes_of(kind: &str, s: &KindStats) -> Vec<NodeStats> {
    if !s.nodes.is_empty() {
        return s.nodes.clone();
    }
    vec![NodeStats {
        name: single_name(kind).to_string(),
        utilization: s.utilization,
        queue_mean: s.queue_mean,
        queue_max: s.queue_max,
        served: s.granted,
        rejected: s.rejected,
        admitted: s.granted,
        waited: s.waited,
    }]
}

/// Merges each replication's nodes by name (in first-seen order); `measured_s`: the sum of
/// the replications' measured windows.
pub fn merge(kind: &str, stats: &[KindStats], measured_s: f64) -> Vec<NodeSummary> {
    struct Acc {
        n: NodeStats,
        reps: u32,
    }
    let mut acc: Vec<Acc> = Vec::new();
    for s in stats {
        for n in nodes_of(kind, s) {
            match acc.iter_mut().find(|a| a.n.name == n.name) {
                Some(a) => {
                    a.reps += 1;
                    a.n.utilization += n.utilization;
                    a.n.queue_mean += n.queue_mean;
                    a.n.queue_max = a.n.queue_max.max(n.queue_max);
                    a.n.served += n.served;
                    a.n.rejected += n.rejected;
                    a.n.admitted += n.admitted;
                    a.n.waited += n.waited;
                }
                None => acc.push(Acc { n, reps: 1 }),
            }
        }
    }
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    acc.into_iter()
        .map(|Acc { n, reps }| NodeSummary {
            name: n.name,
            utilization: n.utilization / f64::from(reps),
            queue_mean: n.queue_mean / f64::from(reps),
            queue_max: n.queue_max,
            throughput_per_s: if measured_s > 0.0 { n.served as f64 / measured_s } else { 0.0 },
            rejected: n.rejected,
            wait_probability: ratio(n.waited, n.admitted),
        })
        .collect()
}

/// The node with the highest utilization (the first of equals), if any.
pub fn busiest(nodes: &[NodeSummary]) -> Option<&NodeSummary> {
    nodes.iter().fold(None, |best: Option<&NodeSummary>, n| match best {
        Some(b) if b.utilization >= n.utilization => Some(b),
        _ => Some(n),
    })
}
