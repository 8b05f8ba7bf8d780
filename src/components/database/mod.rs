//! `kind = "database"`: a primary, optionally with read replicas. Each server has a
//! connection limit with a bounded wait for a free connection, and queries that occupy one of
//! its cores for a read or write time.
//!
//! With `replicas = N`, writes go to the primary and reads to the replicas (each an identical
//! server with its own connections and cores), chosen by `read_policy`. Writes reach the
//! replicas after `replication_lag` (see `replication.rs`), so a read can be *stale*: its key's
//! latest write is not yet visible on the replica serving it. `read_your_writes` routes a
//! user's reads so that the user sees their own writes.
//!
//! With `replica_of = "db"` (and a `region`), the database is a read replica of `db` in
//! another region: see `remote_replica.rs` (its routing and validation) and
//! `remote_replication.rs` (what the primary sends it). Here it is one branch per handler.
//!
//! A replicated database also takes a `replica_lag_spike` and a `primary_failover` (see
//! `database/faults.rs`): the primary is then whichever node was promoted, and reads go to
//! the replicas still serving (`readers`).

mod kind;
mod bench_tests;
mod faults;

use super::db_node::{node_stats, DbNode, QueryTimes, ServerInput};
use super::pool::Admit;
use super::remote_replica::{RemoteReplica, RemoteSpec};
use super::remote_replication::RemoteLog;
use super::replication::{ReadYourWrites, Replication};
use super::{ComponentSpec, KindStats, MAX_KEY_STATE};
use crate::engine::calls::{CallId, Op, Outcome};
use crate::engine::membership::NO_FAULT;
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::faults::{FaultKind, FaultSpec};
use crate::model::{CompId, Cost, Model};
use crate::rng::{stream, SimRng};
use crate::units::Nanos;
use crate::validate::Resolver;
use rand::RngExt;
use serde::Deserialize;

/// What `stagesim docs` says this kind costs beyond its instances and reports in its summary
/// object; a test fails when a run reports a field missing here.
pub const DOCS: super::KindDocs = super::KindDocs {
    usage_prices: &[],
    metrics: &[
        super::db_node::METRICS,
        &[
            ("primary_utilization", "with replicas: the primary's core utilization"),
            ("replica_{i}_utilization", "with replicas: replica i's core utilization"),
            ("replicas_utilization_mean", "with replicas: mean core utilization of the replicas"),
            ("replica_reads", "reads served by a replica"),
            ("primary_reads", "with replicas: reads sent to the primary (read-your-writes)"),
            ("stale_reads", "replica reads that missed a committed write"),
            ("stale_read_ratio", "stale reads / replica reads"),
            ("ryw_violations", "with `read_your_writes`: a user's read that missed that user's own write"),
            ("lag_s_p50", "replication lag, median, in seconds"),
            ("lag_s_p99", "replication lag, 99th percentile, in seconds"),
            ("failover_writes_untracked", "writes a failover could not follow to every replica"),
        ],
        super::remote_replica::METRICS,
    ],
};

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadPolicy {
    #[default]
    RoundRobin,
    Random,
    LeastConnections,
}

/// A database server: connections, cores and read/write query times; read replicas with replication lag and read-your-writes; `replica_of` makes it a read replica of a primary in another region. Calls name the operation: `db.read`, `db.write`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatabaseInput {
    /// The component kind.
    pub kind: String,
    /// An instance profile from models/instances.toml: its cores, memory and hourly price (the cost of this component).
    pub instance_type: Option<String>,
    /// Concurrent client connections (sessions) each server accepts.
    #[schemars(extend("default" = super::db_node::DEFAULT_CONNECTIONS))]
    pub connections: Option<u32>,
    /// Queries executed in parallel per server (default: the instance type's cores, else
    /// `connections`).
    pub cores: Option<u32>,
    /// Callers waiting for a connection, per server; beyond it, calls are rejected.
    pub queue: Option<u32>,
    /// Time of one read query on a core: a distribution.
    #[schemars(with = "crate::schema::Distribution")]
    pub read_time: String,
    /// Default: the read time.
    #[schemars(with = "Option<crate::schema::Distribution>")]
    pub write_time: Option<String>,
    /// Read replicas, each a server like the primary (default 0). Priced as instances.
    pub replicas: Option<u32>,
    /// How reads pick a replica: `"round_robin"` (default), `"random"`, `"least_connections"`.
    pub read_policy: Option<ReadPolicy>,
    /// Delay before a committed write shows on a replica, per write and replica (default
    /// "exp(mean = 50ms)").
    #[schemars(with = "Option<crate::schema::Distribution>", extend("default" = DEFAULT_REPLICATION_LAG))]
    pub replication_lag: Option<String>,
    /// A replica with queries waiting applies writes later by the time it needs to clear them.
    pub lag_growth: Option<bool>,
    /// `"none"` (default), `"primary_window"` or `"session"`.
    pub read_your_writes: Option<ReadYourWrites>,
    /// With `read_your_writes = "primary_window"`: how long after a user's write that user's
    /// reads go to the primary (default "5s").
    #[schemars(with = "Option<crate::schema::Duration>", extend("default" = DEFAULT_PRIMARY_WINDOW))]
    pub primary_window: Option<String>,
    /// Makes this database a read replica of the named primary database, in another region
    /// (set `region`): it serves reads, writes go to the primary, and each write shows here
    /// one way (primary region to this one) plus `replication_lag` (default: the
    /// primary's) after it commits. `read_your_writes` forwards reads to the primary.
    pub replica_of: Option<String>,
    /// Hourly price of one instance in USD, instead of the instance type's.
    pub usd_per_hour: Option<f64>,
    /// How the instances are bought: `on_demand` (default), `spot`, `reserved_1y` or
    /// `savings_plan_1y`, each at its discount from models/prices.toml ([instance_pricing]) (no `spot`: managed databases and caches sell none).
    pub pricing: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Replicas {
    pub count: u32,
    pub read_policy: ReadPolicy,
    pub lag: crate::dist::Dist,
    pub lag_growth: bool,
    pub read_your_writes: ReadYourWrites,
    pub primary_window: Nanos,
}

#[derive(Clone, Debug)]
pub struct DatabaseSpec {
    pub connections: u32,
    pub cores: u32,
    pub queue: u32,
    pub read_time: crate::dist::Dist,
    pub write_time: crate::dist::Dist,
    pub replicas: Option<Replicas>,
    /// Set when this database is a read replica of a primary in another region.
    pub remote: Option<RemoteSpec>,
}

pub use super::db_node::DEFAULT_CONNECTIONS;
/// `Database::primary` while no node takes writes (a failover's promotion).
const NO_PRIMARY: usize = usize::MAX;
pub const DEFAULT_REPLICATION_LAG: &str = "exp(mean = 50ms)";
pub const DEFAULT_PRIMARY_WINDOW: &str = "5s";

/// `primary_window` (at `path`): how long a user's reads go to the primary after their write;
/// only meaningful with `read_your_writes = "primary_window"`.
pub fn primary_window(r: &mut Resolver, path: &[&str], text: Option<&str>, ryw: ReadYourWrites) -> Option<Nanos> {
    match (text, ryw) {
        (Some(w), ReadYourWrites::PrimaryWindow) => r.duration(path, w),
        (None, _) => r.duration(path, DEFAULT_PRIMARY_WINDOW),
        (Some(_), _) => {
            r.problem(
                path,
                "`primary_window` only applies to `read_your_writes = \"primary_window\"`",
                "set `read_your_writes = \"primary_window\"`, or remove it",
            );
            None
        }
    }
}
/// Servers travel in calls as `u16`; 64 replicas is far beyond any managed offering.
pub const MAX_REPLICAS: u32 = 64;

impl DatabaseInput {
    pub fn validate(&self, name: &str, r: &mut Resolver) -> Option<(DatabaseSpec, Cost)> {
        let base = ["components", name];
        let server = ServerInput {
            instance_type: &self.instance_type,
            connections: self.connections,
            cores: self.cores,
            queue: self.queue,
            read_time: &self.read_time,
            write_time: self.write_time.as_deref(),
        }
        .validate(&base, r);
        let (replicas, remote) = match &self.replica_of {
            Some(primary) => (None, super::remote_replica::validate(self, primary, name, r).map(Some)?),
            None => (self.replicas(&base, r), None),
        };
        let servers = 1 + replicas.as_ref().map_or(0, |x| x.count);
        let cost = r.cost(&base, &self.instance_type, servers, self.usd_per_hour, &self.pricing, false);
        let s = server?;
        let spec = DatabaseSpec {
            connections: s.connections,
            cores: s.cores,
            queue: s.queue,
            read_time: s.times.read,
            write_time: s.times.write,
            replicas,
            remote,
        };
        Some((spec, cost))
    }

    fn replicas(&self, base: &[&str; 2], r: &mut Resolver) -> Option<Replicas> {
        let at = |k: &'static str| [base[0], base[1], k];
        let count = self.replicas.unwrap_or(0);
        if count > MAX_REPLICAS {
            r.problem(
                &at("replicas"),
                format!("{count} replicas is more than the {MAX_REPLICAS} a database may have"),
                "shard the data instead (`kind = \"shards\"`)",
            );
            return None;
        }
        let given = [
            ("read_policy", self.read_policy.is_some()),
            ("replication_lag", self.replication_lag.is_some()),
            ("lag_growth", self.lag_growth.is_some()),
            ("read_your_writes", self.read_your_writes.is_some()),
        ];
        if count == 0 {
            for (key, _) in given.iter().filter(|(_, g)| *g) {
                r.problem(
                    &[base[0], base[1], key],
                    format!("`{key}` needs read replicas"),
                    "add `replicas = 2`, or remove it",
                );
            }
        }
        let ryw = self.read_your_writes.unwrap_or_default();
        let window = primary_window(r, &at("primary_window"), self.primary_window.as_deref(), ryw);
        let lag = r.dist(&at("replication_lag"), self.replication_lag.as_deref().unwrap_or(DEFAULT_REPLICATION_LAG));
        (count > 0).then_some(())?;
        Some(Replicas {
            count,
            read_policy: self.read_policy.unwrap_or_default(),
            lag: lag?,
            lag_growth: self.lag_growth.unwrap_or(false),
            read_your_writes: ryw,
            primary_window: window?,
        })
    }
}

impl DatabaseSpec {
    /// Per-key and per-user replication state must fit `MAX_KEY_STATE` entries.
    pub fn check_scale(&self, name: &str, keys: u64, users: u64, r: &mut Resolver) {
        let n = match (&self.replicas, &self.remote) {
            (Some(x), _) => u64::from(x.count),
            (None, Some(_)) => 1,
            (None, None) => return,
        };
        let key = if self.remote.is_some() { "replica_of" } else { "replicas" };
        for (what, count) in [("keys", keys), ("users", users)] {
            if count.saturating_mul(n) > MAX_KEY_STATE {
                r.problem(
                    &["components", name, key],
                    format!(
                        "database `{name}` tracks replication per {} per replica: {count} {what} x {n} replicas is more than {MAX_KEY_STATE}",
                        &what[..what.len() - 1]
                    ),
                    format!("use fewer replicas, or model fewer {what} ([{what}] count)"),
                );
            }
        }
    }
}

pub struct Database {
    id: CompId,
    /// Stopped by a fault: every call fails.
    down: bool,
    spec: DatabaseSpec,
    times: QueryTimes,
    /// The primary, then the replicas.
    nodes: Vec<DbNode>,
    /// Boxed: only replicated databases have it, and it is large.
    repl: Option<Box<Replication>>,
    next: u32,
    rng: SimRng,
    /// The node writes go to (`NO_PRIMARY` while a failover promotes a replica).
    primary: usize,
    /// The replicas serving reads, by node.
    readers: Vec<u16>,
    /// The faults in progress: a lag spike (stale reads count against it), a failover.
    spike: u16,
    failover: Option<faults::Failover>,
    /// (replica reads, stale reads) at the last window, for the per-window series.
    series_prev: (u64, u64),
    /// Replica reads, those that were stale, and those that missed the user's own write.
    replica_reads: u64,
    stale_reads: u64,
    ryw_violations: u64,
    primary_reads: u64,
    /// Set when this database is a replica of a primary in another region.
    remote: Option<Box<RemoteReplica>>,
    /// Whether replicas in other regions receive this primary's writes.
    feeds_remote: bool,
}

impl Database {
    pub fn new(spec: &DatabaseSpec, id: CompId, name: &str, seed: u64, model: &Model) -> Self {
        let servers = 1 + spec.replicas.as_ref().map_or(0, |x| x.count);
        let repl = spec.replicas.as_ref().map(|x| {
            let users = model.draws_users.then_some(model.users.count);
            let failover =
                model.faults.iter().any(|f| f.target == id && matches!(f.kind, FaultKind::PrimaryFailover { .. }));
            Box::new(Replication::new(x.lag.clone(), x.lag_growth, x.count, model.keys.count(), users, failover))
        });
        let remote = spec
            .remote
            .as_ref()
            .map(|r| Box::new(RemoteReplica::new(r, model, id, spec.read_time.mean_secs(), spec.cores)));
        let feeds_remote = model.components.iter().any(
            |c| matches!(&c.spec, ComponentSpec::Database(d) if d.remote.as_ref().is_some_and(|r| r.primary == id)),
        );
        Database {
            id,
            down: false,
            spec: spec.clone(),
            times: QueryTimes { read: spec.read_time.clone(), write: spec.write_time.clone() },
            nodes: (0..servers).map(|_| DbNode::new(spec.connections, spec.queue, spec.cores)).collect(),
            repl,
            next: 0,
            rng: stream(seed, &format!("component:{name}")),
            primary: 0,
            readers: (1..servers as u16).collect(),
            spike: NO_FAULT,
            failover: None,
            series_prev: (0, 0),
            replica_reads: 0,
            stale_reads: 0,
            ryw_violations: 0,
            primary_reads: 0,
            remote,
            feeds_remote,
        }
    }

    pub fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        if self.down {
            if !ctx.calls.get(id).abandoned {
                super::crash::count(ctx, ctx.members[self.id as usize].down_by[0]);
            }
            return ctx.reply(id, Outcome::Failed);
        }
        if let Some(remote) = self.remote.as_mut() {
            return remote.deliver(ctx, id, &mut self.nodes[0], &self.times, &mut self.rng);
        }
        if self.repl.is_none() {
            // A lone primary: no routing, and the call's instance is left alone.
            return match self.nodes[0].admit(ctx.now, id) {
                Admit::Run => {
                    self.nodes[0].start(ctx, id, &self.times, &mut self.rng);
                }
                Admit::Wait => {}
                Admit::Rejected => ctx.reply(id, Outcome::Rejected),
            };
        }
        let node = match (&self.spec.replicas, ctx.calls.get(id).op) {
            (None, _) | (Some(_), Op::Write) => self.primary,
            (Some(x), Op::Read | Op::Default) => {
                let route = (self.readers.len(), x.read_policy, x.read_your_writes, x.primary_window);
                self.route_read(ctx, id, route)
            }
        };
        if node == NO_PRIMARY {
            return self.refuse_write(ctx, id);
        }
        ctx.calls.get_mut(id).instance = node as u16;
        match self.nodes[node].admit(ctx.now, id) {
            Admit::Run => self.start(ctx, id, node),
            Admit::Wait => {}
            Admit::Rejected => ctx.reply(id, Outcome::Rejected),
        }
    }

    /// The server for a read: a replica by the policy, or the primary when read-your-writes
    /// says the replicas cannot be trusted for this user yet (and there is one).
    fn route_read(&mut self, ctx: &Ctx, id: CallId, route: (usize, ReadPolicy, ReadYourWrites, Nanos)) -> usize {
        let (n, policy, ryw, window) = route;
        if n == 0 {
            // Every replica was promoted away: the primary serves reads too.
            return self.primary;
        }
        let primary = if self.primary == NO_PRIMARY { self.readers[0] as usize } else { self.primary };
        let user = ctx.requests.get(ctx.calls.get(id).req).user;
        let pick = match policy {
            ReadPolicy::RoundRobin => {
                self.next = (self.next + 1) % n as u32;
                self.next as usize
            }
            ReadPolicy::Random => self.rng.random_range(0..n),
            ReadPolicy::LeastConnections => {
                // Ties go round robin, so an idle set of replicas is not all sent to the first.
                let start = self.next as usize;
                self.next = (self.next + 1) % n as u32;
                let load = |r: &usize| self.nodes[self.readers[*r] as usize].pool.threads.load();
                (0..n).map(|k| (start + k) % n).min_by_key(load).unwrap_or(0)
            }
        };
        let node = self.readers[pick] as usize;
        let Some(repl) = self.repl.as_ref() else { return node };
        match ryw {
            ReadYourWrites::None => node,
            ReadYourWrites::PrimaryWindow => {
                let last = repl.last_write_of(user);
                if last > 0 && ctx.now < last.saturating_add(window) {
                    primary
                } else {
                    node
                }
            }
            ReadYourWrites::Session => (0..n)
                .map(|k| self.readers[(pick + k) % n] as usize)
                .find(|r| repl.shows_users_write(user, r - 1, ctx.now))
                .unwrap_or(primary),
        }
    }

    fn start(&mut self, ctx: &mut Ctx, id: CallId, node: usize) {
        let op = self.nodes[node].start(ctx, id, &self.times, &mut self.rng);
        let Some(repl) = &self.repl else { return };
        if op == Op::Write {
            return;
        }
        if node == self.primary {
            self.primary_reads += 1;
            return;
        }
        // What the read sees is decided when it starts (its snapshot).
        let req = ctx.requests.get(ctx.calls.get(id).req);
        self.replica_reads += 1;
        if !repl.fresh(req.key, node - 1, ctx.now) {
            self.stale_reads += 1;
            if self.spike != NO_FAULT {
                ctx.faults[self.spike as usize].stale += 1;
            }
        }
        // Only a write that committed before the read was sent must show: reads sent while a
        // write is in flight may see either value.
        let sent = ctx.calls.get(id).arrived_at;
        if repl.last_write_of(req.user) < sent && !repl.shows_users_write(req.user, node - 1, ctx.now) {
            self.ryw_violations += 1;
        }
    }

    pub fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        if let Some(remote) = self.remote.as_mut() {
            return remote.done(ctx, id, &mut self.nodes[0], &self.times, &mut self.rng);
        }
        if self.feeds_remote {
            commit_remote(self.id, ctx, id);
        }
        if self.repl.is_none() {
            let [a, b] = self.nodes[0].finish(ctx.now);
            for next in [a, b].into_iter().flatten() {
                self.nodes[0].start(ctx, next, &self.times, &mut self.rng);
            }
            // Failed only for a query the database held when it went down.
            let outcome = ctx.calls.get(id).outcome;
            return ctx.reply(id, outcome);
        }
        let node = ctx.calls.get(id).instance as usize;
        for next in self.nodes[node].finish(ctx.now).into_iter().flatten() {
            self.start(ctx, next, node);
        }
        // A write the dead primary was running when it died is not replicated (it failed).
        if node == self.primary && ctx.calls.get(id).op == Op::Write {
            self.replicate(ctx, id);
        }
        // Failed only for a query the database held when it went down.
        let outcome = ctx.calls.get(id).outcome;
        ctx.reply(id, outcome);
    }

    /// The primary answered a read this replica forwarded (a database calls nothing else).
    pub fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        // A replica that went down meanwhile has nobody to answer with: the call fails.
        let outcome = if self.down { Outcome::Failed } else { outcome };
        match self.remote.as_mut() {
            Some(remote) => remote.child_replied(ctx, id, outcome),
            None => ctx.reply(id, outcome),
        }
    }

    /// The run ended: a remote replica keeps what its replication slot measured.
    pub fn collect_remote(&mut self, log: &RemoteLog) {
        if let Some(remote) = self.remote.as_mut() {
            remote.collect(log);
        }
    }

    /// `component_down`: the database stops (failing what it holds and every call it
    /// receives) and, when the fault ends, comes back empty-handed.
    pub fn fault(&mut self, ctx: &mut Ctx, fault_id: u16, fault: &FaultSpec, start: bool) {
        match fault.kind {
            FaultKind::ComponentDown { .. } => {
                let (id, nodes) = (self.id, &mut self.nodes);
                super::crash::whole_component(ctx, id, &mut self.down, fault_id, start, |ctx| {
                    super::crash::fail_pools(ctx, id, nodes.iter_mut().map(|n| &mut n.pool), fault_id)
                });
            }
            FaultKind::ReplicaLagSpike { lag, .. } => self.lag_spike(ctx, fault_id, lag, start),
            FaultKind::PrimaryFailover { .. } => {
                if start {
                    self.primary_dies(ctx, fault_id);
                } else {
                    self.promote(ctx, fault_id);
                }
            }
            // Validation sends a database no other fault.
            FaultKind::InstanceCrash { .. }
            | FaultKind::LinkLatency { .. }
            | FaultKind::LinkLoss { .. }
            | FaultKind::RegionOutage { .. }
            | FaultKind::RegionPartition { .. }
            | FaultKind::CacheFlush => {}
        }
    }

    fn replicate(&mut self, ctx: &Ctx, id: CallId) {
        let Some(repl) = self.repl.as_mut() else { return };
        let req = ctx.requests.get(ctx.calls.get(id).req);
        let (nodes, per_query) = (&self.nodes, self.spec.read_time.mean_secs() / f64::from(self.spec.cores));
        repl.commit(req.key, req.user, ctx.now, |r| nodes[1 + r].waiting() as f64 * per_query, &mut self.rng);
    }

    pub fn totals(&mut self, now: Nanos) -> Totals {
        DbNode::sum_totals(&mut self.nodes, now)
    }

    pub fn sync(&mut self, now: Nanos) {
        self.nodes.iter_mut().for_each(|n| n.sync(now));
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        self.nodes.iter_mut().for_each(|n| n.reset_stats(now));
        if let Some(r) = self.repl.as_mut() {
            r.reset_stats();
        }
        (self.replica_reads, self.stale_reads, self.ryw_violations, self.primary_reads) = (0, 0, 0, 0);
        if let Some(remote) = self.remote.as_mut() {
            remote.reset_stats();
        }
        self.series_prev = (0, 0);
    }

    pub fn stats(&self, elapsed: Nanos) -> KindStats {
        // A read replica in another region (`replica_of`) is one server: not a primary.
        let first = if self.remote.is_some() { "replica" } else { "primary" };
        let mut s = node_stats(&self.nodes, elapsed, |i| if i == 0 { first.into() } else { format!("replica {i}") });
        if let Some(remote) = &self.remote {
            remote.stats(&mut s);
        }
        let Some(repl) = &self.repl else { return s };
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let mut put = |k: String, v: f64| {
            s.extra.insert(k, v);
        };
        let util: Vec<f64> = self.nodes.iter().map(|n| n.utilization(elapsed)).collect();
        put("primary_utilization".into(), util[0]);
        for (i, u) in util.iter().enumerate().skip(1) {
            put(format!("replica_{i}_utilization"), *u);
        }
        put("replicas_utilization_mean".into(), util[1..].iter().sum::<f64>() / (util.len() - 1) as f64);
        put("replica_reads".into(), self.replica_reads as f64);
        put("primary_reads".into(), self.primary_reads as f64);
        put("stale_reads".into(), self.stale_reads as f64);
        put("stale_read_ratio".into(), ratio(self.stale_reads, self.replica_reads));
        if repl.tracks_users() {
            put("ryw_violations".into(), self.ryw_violations as f64);
        }
        let (p50, p99) = repl.lag_s();
        put("lag_s_p50".into(), p50);
        put("lag_s_p99".into(), p99);
        if repl.pending_untracked > 0 {
            put("failover_writes_untracked".into(), repl.pending_untracked as f64);
        }
        s
    }
}

/// A write committed on a primary with replicas in other regions: they will show it.
fn commit_remote(primary: CompId, ctx: &mut Ctx, id: CallId) {
    let call = ctx.calls.get(id);
    if call.op != Op::Write || call.outcome != Outcome::Ok {
        return;
    }
    let req = ctx.requests.get(call.req);
    let (key, user, now) = (req.key, req.user, ctx.now);
    if let Some(log) = ctx.remote_repl.as_mut() {
        log.commit(primary, key, user, now);
    }
}
