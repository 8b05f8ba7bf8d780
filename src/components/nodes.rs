//! Per-node statistics: one entry per primary, replica, shard, instance slot or server pool,
//! so that a saturated node is not averaged away with idle ones.

use super::pool::Pool;
use crate::engine::station::StationStats;
use crate::units::Nanos;

/// One node over the measured window.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NodeStats {
    pub name: String,
    /// Busy servers over servers, time-averaged over the time the node could serve.
    #[serde(with = "crate::summary::facts::exact")]
    pub utilization: f64,
    /// Calls waiting at this node (for a thread, a connection or a core): their time
    /// average and the most at once, on the same basis.
    #[serde(with = "crate::summary::facts::exact")]
    pub queue_mean: f64,
    pub queue_max: u32,
    /// Calls that got a server, and calls turned away because the node's queue was full.
    pub served: u64,
    pub rejected: u64,
    /// Calls admitted, and those of them that waited for a server.
    pub admitted: u64,
    pub waited: u64,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

impl NodeStats {
    /// A thread (or connection) pool in front of cores; `capacity_ns`: core-nanoseconds the
    /// node offered over the window.
    pub fn of_pool(name: String, pool: &Pool, capacity_ns: f64, elapsed: Nanos) -> NodeStats {
        let (t, c) = (&pool.threads.stats, &pool.cores.stats);
        NodeStats {
            name,
            utilization: ratio(c.busy_ns as f64, capacity_ns),
            queue_mean: (t.queue_ns + c.queue_ns) as f64 / elapsed.max(1) as f64,
            queue_max: pool.waiting_max,
            served: c.granted,
            rejected: t.rejected,
            admitted: pool.admitted,
            waited: pool.waited,
        }
    }

    /// A single station of `servers` servers, available throughout the window.
    pub fn of_station(name: String, s: &StationStats, servers: u32, elapsed: Nanos) -> NodeStats {
        let el = elapsed.max(1) as f64;
        NodeStats {
            name,
            utilization: ratio(s.busy_ns as f64, el * f64::from(servers)),
            queue_mean: s.queue_ns as f64 / el,
            queue_max: s.queue_max,
            served: s.granted,
            rejected: s.rejected,
            admitted: s.granted,
            waited: s.waited,
        }
    }
}
