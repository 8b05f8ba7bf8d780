//! One database server (a primary, a replica or a shard): a connection limit with a bounded
//! wait for a connection, and queries that occupy one of its cores for a read or write time.
//! The `database` and `shards` kinds are made of these.

use super::pool::{Admit, Pool};
use super::KindStats;
use crate::dist::Dist;
use crate::engine::calls::{CallId, Op};
use crate::engine::event::Event;
use crate::engine::station::StationStats;
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::rng::SimRng;
use crate::units::Nanos;

/// Query times, shared by the nodes of a component.
#[derive(Clone, Debug)]
pub struct QueryTimes {
    pub read: Dist,
    pub write: Dist,
}

pub struct DbNode {
    pub pool: Pool,
    pub work_ns: u128,
    pub reads: u64,
    pub writes: u64,
}

impl DbNode {
    pub fn new(connections: u32, queue: u32, cores: u32) -> Self {
        DbNode { pool: Pool::new(connections, queue, cores), work_ns: 0, reads: 0, writes: 0 }
    }

    #[inline]
    pub fn admit(&mut self, now: Nanos, id: CallId) -> Admit {
        self.pool.admit(now, id)
    }

    /// Starts `id`'s query on a core (it holds a connection and a core); returns its operation.
    #[inline]
    pub fn start(&mut self, ctx: &mut Ctx, id: CallId, times: &QueryTimes, rng: &mut SimRng) -> Op {
        let op = ctx.calls.get(id).op;
        let t = match op {
            Op::Write => {
                self.writes += 1;
                times.write.sample(rng)
            }
            Op::Read | Op::Default => {
                self.reads += 1;
                times.read.sample(rng)
            }
        };
        self.work_ns += u128::from(t);
        ctx.schedule(t, Event::Done(id));
        op
    }

    /// A query finished: frees its core and connection. Returns the calls that start a query
    /// now (one may take the core, another a connection and a free core).
    #[inline]
    pub fn finish(&mut self, now: Nanos) -> [Option<CallId>; 2] {
        [self.pool.work_done(now), self.pool.leave(now)]
    }

    /// Calls waiting for a connection or a core: the backlog ahead of new work.
    pub fn waiting(&self) -> usize {
        self.pool.threads.queue_len() + self.pool.cores.queue_len()
    }

    pub fn totals(&mut self, now: Nanos) -> Totals {
        self.pool.sync(now);
        Totals {
            busy_ns: self.pool.cores.total_busy_ns,
            queue_ns: self.pool.threads.total_queue_ns + self.pool.cores.total_queue_ns,
            servers: self.pool.cores.servers,
        }
    }

    pub fn sync(&mut self, now: Nanos) {
        self.pool.sync(now);
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        self.pool.reset_stats(now);
        self.work_ns = 0;
        self.reads = 0;
        self.writes = 0;
    }

    /// Utilization of this node's cores.
    pub fn utilization(&self, elapsed: Nanos) -> f64 {
        KindStats::from_stations(&[self.pool.cores.stats], self.pool.cores.servers, elapsed).utilization
    }
}

/// The statistics of identical nodes together: cores and connections, with connection waits
/// and rejections counted as the component's.
pub fn node_stats(nodes: &[DbNode], elapsed: Nanos) -> KindStats {
    let cores: Vec<StationStats> = nodes.iter().map(|n| n.pool.cores.stats).collect();
    let conns: Vec<StationStats> = nodes.iter().map(|n| n.pool.threads.stats).collect();
    let (per_cores, per_conns) = nodes.first().map_or((0, 0), |n| (n.pool.cores.servers, n.pool.threads.servers));
    let mut s = KindStats::from_stations(&cores, per_cores, elapsed);
    let c = KindStats::from_stations(&conns, per_conns, elapsed);
    s.queue_mean += c.queue_mean;
    s.queue_max = s.queue_max.max(c.queue_max);
    s.wait_s_mean += c.wait_s_mean;
    s.rejected = c.rejected;
    s.waited += c.waited;
    let (reads, writes): (u64, u64) = (nodes.iter().map(|n| n.reads).sum(), nodes.iter().map(|n| n.writes).sum());
    let work: u128 = nodes.iter().map(|n| n.work_ns).sum();
    let queries = reads + writes;
    s.service_s_mean = if queries == 0 { 0.0 } else { work as f64 / 1e9 / queries as f64 };
    s.extra.insert("connections_utilization".into(), c.utilization);
    s.extra.insert("reads".into(), reads as f64);
    s.extra.insert("writes".into(), writes as f64);
    s
}
