//! One database server (a primary, a replica or a shard): a connection limit with a bounded
//! wait for a connection, and queries that occupy one of its cores for a read or write time.
//! The `database` and `shards` kinds are made of these.

use super::nodes::NodeStats;
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
use crate::validate::Resolver;

pub const DEFAULT_CONNECTIONS: u32 = 100;

/// Summary fields this part adds to its kind's (see the kinds' `DOCS`).
pub const METRICS: &[(&str, &str)] = &[
    ("connections_utilization", "busy connections / connections"),
    ("reads", "reads executed"),
    ("writes", "writes executed"),
];

/// What one server is, as validated from a component's keys.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    pub connections: u32,
    pub cores: u32,
    pub queue: u32,
    pub times: QueryTimes,
}

/// The server keys shared by `database` and `shards`, as written in the file.
pub struct ServerInput<'a> {
    pub instance_type: &'a Option<String>,
    pub connections: Option<u32>,
    pub cores: Option<u32>,
    pub queue: Option<u32>,
    pub read_time: &'a str,
    pub write_time: Option<&'a str>,
}

impl ServerInput<'_> {
    /// Cores default to the instance type's, else to `connections`; a server never runs more
    /// queries at once than it has connections.
    pub fn validate(&self, base: &[&str; 2], r: &mut Resolver) -> Option<ServerSpec> {
        let at = |k: &'static str| [base[0], base[1], k];
        let connections = r.count(&at("connections"), self.connections, DEFAULT_CONNECTIONS);
        let profile_cores = self.instance_type.as_ref().and_then(|t| r.catalog.get(t)).map(|p| p.cores);
        let cores = r.count(&at("cores"), self.cores, profile_cores.unwrap_or(connections).max(1));
        let queue = self.queue.unwrap_or(r.limits.max_queue);
        let read = r.dist(&at("read_time"), self.read_time);
        let write = match self.write_time {
            Some(w) => r.dist(&at("write_time"), w),
            None => read.clone(),
        };
        Some(ServerSpec {
            connections,
            cores: cores.min(connections),
            queue,
            times: QueryTimes { read: read?, write: write? },
        })
    }
}

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

    /// The totals of several nodes (a primary and its replicas, or the shards) as one.
    pub fn sum_totals(nodes: &mut [DbNode], now: Nanos) -> Totals {
        nodes.iter_mut().map(|n| n.totals(now)).fold(Totals::default(), |t, x| Totals {
            busy_ns: t.busy_ns + x.busy_ns,
            queue_ns: t.queue_ns + x.queue_ns,
            servers: t.servers + x.servers,
            ..Totals::default()
        })
    }

    pub fn totals(&mut self, now: Nanos) -> Totals {
        self.pool.sync(now);
        Totals {
            busy_ns: self.pool.cores.total_busy_ns,
            queue_ns: self.pool.threads.total_queue_ns + self.pool.cores.total_queue_ns,
            servers: self.pool.cores.servers,
            ..Totals::default()
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
/// and rejections counted as the component's; `name` names node `i`.
pub fn node_stats(nodes: &[DbNode], elapsed: Nanos, name: impl Fn(usize) -> String) -> KindStats {
    let cores: Vec<StationStats> = nodes.iter().map(|n| n.pool.cores.stats).collect();
    let conns: Vec<StationStats> = nodes.iter().map(|n| n.pool.threads.stats).collect();
    let (per_cores, per_conns) = nodes.first().map_or((0, 0), |n| (n.pool.cores.servers, n.pool.threads.servers));
    let mut s = KindStats::from_stations(&cores, per_cores, elapsed);
    let c = KindStats::from_stations(&conns, per_conns, elapsed);
    s.queue_mean += c.queue_mean;
    s.wait_s_mean += c.wait_s_mean;
    s.rejected = c.rejected;
    // A query waits for a connection, a core or both: counted once per admitted query.
    s.granted = nodes.iter().map(|n| n.pool.admitted).sum();
    s.waited = nodes.iter().map(|n| n.pool.waited).sum();
    let cap = elapsed as f64 * f64::from(per_cores);
    s.nodes = nodes.iter().enumerate().map(|(i, n)| NodeStats::of_pool(name(i), &n.pool, cap, elapsed)).collect();
    s.queue_max = s.nodes.iter().map(|n| n.queue_max).max().unwrap_or(0);
    let (reads, writes): (u64, u64) = (nodes.iter().map(|n| n.reads).sum(), nodes.iter().map(|n| n.writes).sum());
    let work: u128 = nodes.iter().map(|n| n.work_ns).sum();
    let queries = reads + writes;
    s.service_s_mean = if queries == 0 { 0.0 } else { work as f64 / 1e9 / queries as f64 };
    s.extra.insert("connections_utilization".into(), c.utilization);
    s.extra.insert("reads".into(), reads as f64);
    s.extra.insert("writes".into(), writes as f64);
    s
}
