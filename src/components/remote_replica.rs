//! A `database` with `replica_of = "db"`: a read replica of primary `db` that lives in another
//! region. It is a server of its own (connections, cores, `read_time`) next to the readers
//! of its region, which is the point of it: they reach it at the same-region RTT instead of
//! crossing to the primary. Writes go to the primary (`db.write`; `db_eu.write` is a
//! validation error) and show on the replica one way later plus its own apply lag (see
//! `remote_replication.rs`), so a read there may be stale.
//!
//! Read-your-writes: with `"primary_window"`, a user's reads for `primary_window` after that
//! user's last write are forwarded to the primary (a real cross-region call, paying the RTT
//! both ways, and a query on the primary); with `"session"`, only those reads the replica
//! cannot serve yet (the user's last write has not shown) are forwarded. The consistency
//! costs latency, and `forwarded_reads` counts how often. A write that reaches the replica
//! anyway (through a cache or pooler in front of it) is forwarded too, never applied here.
//!
//! Validation here: the keys a replica does not use (`replicas`, `read_policy`,
//! `write_time`) and, once every component is known (`check`), that `replica_of` names a
//! database that is not itself a replica, that the replica has a `region` of its own and that
//! it differs from the primary's (a replica in the primary's region is `replicas = N` there).
//! The primary's region is its own `region`, else the scenario's home region, as for any
//! component.

use super::database::{primary_window, DatabaseInput};
use super::db_node::{DbNode, QueryTimes};
use super::pool::Admit;
use super::remote_replication::RemoteLog;
use super::replication::ReadYourWrites;
use super::{ComponentSpec, KindStats};
use crate::dist::Dist;
use crate::engine::calls::{CallId, Op, Outcome, NO_INSTANCE};
use crate::engine::Ctx;
use crate::model::{CompId, ComponentModel, Model, Placement};
use crate::rng::SimRng;
use crate::units::Nanos;
use crate::validate::Resolver;

/// Summary fields a cross-region replica adds to its database's (see `database::DOCS`); it
/// also reports the replica fields `database::DOCS` lists.
pub const METRICS: &[(&str, &str)] = &[
    ("forwarded_reads", "replica_of: reads forwarded to the primary (read-your-writes)"),
    ("forwarded_read_ratio", "replica_of: forwarded reads / reads"),
    ("forwarded_writes", "replica_of: writes forwarded to the primary"),
    ("lag_floor_s", "replica_of: the one-way latency from the primary's region, the lag's floor, in seconds"),
];

/// A remote replica's validated keys.
#[derive(Clone, Debug)]
pub struct RemoteSpec {
    pub primary: CompId,
    /// Its own `replication_lag`; `None`: the primary's (see `RemoteLog::build`).
    pub lag: Option<Dist>,
    pub lag_growth: bool,
    pub read_your_writes: ReadYourWrites,
    pub primary_window: Nanos,
}

/// Validates the keys of a `replica_of` database (its server keys are the usual ones).
pub fn validate(input: &DatabaseInput, primary: &str, name: &str, r: &mut Resolver) -> Option<RemoteSpec> {
    let at = |k: &'static str| ["components", name, k];
    let unused = [
        ("replicas", input.replicas.is_some(), "a replica has no replicas of its own: give them to the primary"),
        ("read_policy", input.read_policy.is_some(), "a single replica has no replicas to choose among"),
        ("write_time", input.write_time.is_some(), "a replica takes no writes: they go to the primary"),
    ];
    for (key, _, why) in unused.iter().filter(|(_, given, _)| *given) {
        r.problem(&at(key), format!("`{key}` does not apply to a replica (`replica_of`)"), format!("{why}; remove it"));
    }
    let mut id = r.component(&at("replica_of"), primary);
    if let Some(i) = id {
        let kind = r.comp_kinds[i as usize];
        if kind != "database" {
            r.problem(
                &at("replica_of"),
                format!("`replica_of` must name a database, and `{primary}` is a {kind}"),
                "name the primary database whose writes this replica receives",
            );
            id = None;
        } else if primary == name {
            r.problem(&at("replica_of"), "a database cannot be a replica of itself", "name its primary");
            id = None;
        }
    }
    let ryw = input.read_your_writes.unwrap_or_default();
    let window = primary_window(r, &at("primary_window"), input.primary_window.as_deref(), ryw);
    let lag = match &input.replication_lag {
        Some(text) => Some(r.dist(&at("replication_lag"), text)?),
        None => None,
    };
    Some(RemoteSpec {
        primary: id?,
        lag,
        lag_growth: input.lag_growth.unwrap_or(false),
        read_your_writes: ryw,
        primary_window: window?,
    })
}

/// Checks replicas against their primaries and regions, once every component is validated.
pub fn check(comps: &[ComponentModel], comp_regions: &[Option<String>], placement: &Placement, r: &mut Resolver) {
    for (i, c) in comps.iter().enumerate() {
        let ComponentSpec::Database(d) = &c.spec else { continue };
        let Some(remote) = &d.remote else { continue };
        let primary = &comps[remote.primary as usize];
        let at = |k: &'static str| ["components", c.name.as_str(), k];
        if matches!(&primary.spec, ComponentSpec::Database(p) if p.remote.is_some()) {
            r.problem(
                &at("replica_of"),
                format!("`{}` is itself a replica (of another database): replicas do not chain", primary.name),
                format!("name the primary that `{}` replicates", primary.name),
            );
            continue;
        }
        if comp_regions.get(i).is_none_or(Option::is_none) {
            r.problem(
                &at("replica_of"),
                format!("replica `{}` of `{}` has no `region`", c.name, primary.name),
                "place it where its readers are, for example `region = \"eu-west\"` (a replica in the primary's region is `replicas = N` on the primary)",
            );
            continue;
        }
        let (mine, theirs) = (placement.comp_region.get(i), placement.comp_region.get(remote.primary as usize));
        if let (Some(Some(a)), Some(Some(b))) = (mine, theirs) {
            if a == b {
                let region = &placement.table.names[*a as usize];
                r.problem(
                    &at("region"),
                    format!("replica `{}` is in `{region}`, the region of its primary `{}`", c.name, primary.name),
                    format!("a replica next to its primary is `replicas = N` on `{}`; else place this one in another region", primary.name),
                );
            }
        }
    }
}

/// A remote replica at run time: its routing, counters and slot in `Ctx::remote_repl`.
pub struct RemoteReplica {
    slot: usize,
    primary: CompId,
    ryw: ReadYourWrites,
    window: Nanos,
    growth: bool,
    /// Mean time a waiting query adds to the backlog: read time / cores.
    per_query_s: f64,
    replica_reads: u64,
    stale_reads: u64,
    ryw_violations: u64,
    forwarded_reads: u64,
    forwarded_writes: u64,
    tracks_users: bool,
    floor_s: f64,
    /// Lag (p50, p99) of the measured period, copied from the slot when the run ends.
    lag_s: (f64, f64),
    /// Bytes of the replication stream over the measured period, copied from the slot.
    shipped_bytes: u64,
}

impl RemoteReplica {
    pub fn new(spec: &RemoteSpec, model: &Model, id: CompId, read_mean_s: f64, cores: u32) -> RemoteReplica {
        RemoteReplica {
            slot: RemoteLog::slot_of(model, id),
            primary: spec.primary,
            ryw: spec.read_your_writes,
            window: spec.primary_window,
            growth: spec.lag_growth,
            per_query_s: read_mean_s / f64::from(cores.max(1)),
            replica_reads: 0,
            stale_reads: 0,
            ryw_violations: 0,
            forwarded_reads: 0,
            forwarded_writes: 0,
            tracks_users: model.draws_users,
            floor_s: model.latency.get(spec.primary, id) as f64 / 1e9,
            lag_s: (0.0, 0.0),
            shipped_bytes: 0,
        }
    }

    /// A call reaches the replica: served here, or forwarded to the primary.
    pub fn deliver(&mut self, ctx: &mut Ctx, id: CallId, node: &mut DbNode, times: &QueryTimes, rng: &mut SimRng) {
        let call = ctx.calls.get(id);
        let op = call.op;
        if op == Op::Write || self.must_forward(ctx, id) {
            if op == Op::Write {
                self.forwarded_writes += 1;
            } else {
                self.forwarded_reads += 1;
            }
            if ctx.call_out(id, self.primary, op, NO_INSTANCE, None).is_none() {
                ctx.reply(id, Outcome::Rejected);
            }
            return;
        }
        ctx.calls.get_mut(id).instance = 0;
        match node.admit(ctx.now, id) {
            Admit::Run => self.start(ctx, id, node, times, rng),
            Admit::Wait => self.publish_backlog(ctx, node),
            Admit::Rejected => ctx.reply(id, Outcome::Rejected),
        }
    }

    /// Whether read-your-writes sends this read to the primary.
    fn must_forward(&self, ctx: &Ctx, id: CallId) -> bool {
        let Some(slot) = ctx.remote_repl.as_ref().map(|l| l.slot(self.slot)) else { return false };
        let user = ctx.requests.get(ctx.calls.get(id).req).user;
        match self.ryw {
            ReadYourWrites::None => false,
            ReadYourWrites::PrimaryWindow => {
                let last = slot.last_write_of(user);
                last > 0 && ctx.now < last.saturating_add(self.window)
            }
            ReadYourWrites::Session => !slot.shows_users_write(user, ctx.now),
        }
    }

    /// Starts a read: what it sees is decided now (its snapshot), as for local replicas.
    fn start(&mut self, ctx: &mut Ctx, id: CallId, node: &mut DbNode, times: &QueryTimes, rng: &mut SimRng) {
        node.start(ctx, id, times, rng);
        self.publish_backlog(ctx, node);
        let Some(slot) = ctx.remote_repl.as_ref().map(|l| l.slot(self.slot)) else { return };
        let req = ctx.requests.get(ctx.calls.get(id).req);
        self.replica_reads += 1;
        if !slot.fresh(req.key, ctx.now) {
            self.stale_reads += 1;
        }
        // Only a write committed before the read was sent must show.
        let sent = ctx.calls.get(id).arrived_at;
        if slot.last_write_of(req.user) < sent && !slot.shows_users_write(req.user, ctx.now) {
            self.ryw_violations += 1;
        }
    }

    /// A read finished here: the next waiting ones start, and it is answered.
    pub fn done(&mut self, ctx: &mut Ctx, id: CallId, node: &mut DbNode, times: &QueryTimes, rng: &mut SimRng) {
        for next in node.finish(ctx.now).into_iter().flatten() {
            self.start(ctx, next, node, times, rng);
        }
        self.publish_backlog(ctx, node);
        let outcome = ctx.calls.get(id).outcome;
        ctx.reply(id, outcome);
    }

    /// The primary answered a forwarded call: pass its answer on.
    pub fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        ctx.reply(id, outcome);
    }

    /// With `lag_growth`, the slot learns how far behind the replica's own work is.
    fn publish_backlog(&self, ctx: &mut Ctx, node: &DbNode) {
        if self.growth {
            if let Some(log) = ctx.remote_repl.as_mut() {
                log.slot_mut(self.slot).backlog_s = node.waiting() as f64 * self.per_query_s;
            }
        }
    }

    pub fn reset_stats(&mut self) {
        (self.replica_reads, self.stale_reads, self.ryw_violations) = (0, 0, 0);
        (self.forwarded_reads, self.forwarded_writes) = (0, 0);
    }

    /// The replica's figures. `service_s_mean` becomes the mean work per call it answered,
    /// forwarded ones included (they take none of its cores), so that U = X S / c holds with
    /// the throughput of everything it answered.
    /// The run ended: keep what the slot measured (components outlive `Ctx`).
    pub fn collect(&mut self, log: &RemoteLog) {
        self.lag_s = log.slot(self.slot).lag_s();
        self.shipped_bytes = log.slot(self.slot).shipped_bytes;
    }

    pub fn stats(&self, s: &mut KindStats) {
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let local = s.extra.get("reads").copied().unwrap_or(0.0) + s.extra.get("writes").copied().unwrap_or(0.0);
        let answered = local + (self.forwarded_reads + self.forwarded_writes) as f64;
        if answered > 0.0 {
            s.service_s_mean *= local / answered;
        }
        let reads = self.replica_reads + self.forwarded_reads;
        // The replication stream crosses regions: the replica's share of the transfer bill.
        s.usage.inter_region_bytes += self.shipped_bytes;
        let mut put = |k: &str, v: f64| {
            s.extra.insert(k.into(), v);
        };
        put("replica_reads", self.replica_reads as f64);
        put("stale_reads", self.stale_reads as f64);
        put("stale_read_ratio", ratio(self.stale_reads, self.replica_reads));
        put("forwarded_reads", self.forwarded_reads as f64);
        put("forwarded_read_ratio", ratio(self.forwarded_reads, reads));
        put("forwarded_writes", self.forwarded_writes as f64);
        if self.tracks_users {
            put("ryw_violations", self.ryw_violations as f64);
        }
        put("lag_s_p50", self.lag_s.0);
        put("lag_s_p99", self.lag_s.1);
        put("lag_floor_s", self.floor_s);
    }
}
