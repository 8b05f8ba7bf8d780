//! `kind = "database"`: a single primary. A connection limit with a bounded wait for a free
//! connection, and queries that occupy one of the database's cores for a read or write time.

use super::pool::{Admit, Pool};
use super::KindStats;
use crate::dist::Dist;
use crate::engine::calls::{CallId, Op, Outcome};
use crate::engine::event::Event;
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::faults::{FaultKind, FaultSpec};
use crate::model::{CompId, Cost};
use crate::rng::{stream, SimRng};
use crate::units::Nanos;
use crate::validate::Resolver;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseInput {
    pub kind: String,
    pub instance_type: Option<String>,
    /// Concurrent client connections (sessions) the database accepts.
    pub connections: Option<u32>,
    /// Queries executed in parallel (default: the instance type's cores, else `connections`).
    pub cores: Option<u32>,
    /// Callers waiting for a connection; beyond it, calls are rejected.
    pub queue: Option<u32>,
    pub read_time: String,
    /// Default: the read time.
    pub write_time: Option<String>,
    pub usd_per_hour: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct DatabaseSpec {
    pub connections: u32,
    pub cores: u32,
    pub queue: u32,
    pub read_time: Dist,
    pub write_time: Dist,
}

pub const DEFAULT_CONNECTIONS: u32 = 100;

impl DatabaseInput {
    pub fn validate(&self, name: &str, r: &mut Resolver) -> Option<(DatabaseSpec, Cost)> {
        let base = ["components", name];
        let at = |k: &'static str| [base[0], base[1], k];
        let connections = r.count(&at("connections"), self.connections, DEFAULT_CONNECTIONS);
        let profile_cores = self.instance_type.as_ref().and_then(|t| r.catalog.get(t)).map(|p| p.cores);
        let cores = r.count(&at("cores"), self.cores, profile_cores.unwrap_or(connections).max(1));
        let queue = self.queue.unwrap_or(r.limits.max_queue);
        let read_time = r.dist(&at("read_time"), &self.read_time);
        let write_time = match &self.write_time {
            Some(w) => r.dist(&at("write_time"), w),
            None => read_time.clone(),
        };
        let cost = r.cost(&base, &self.instance_type, 1, self.usd_per_hour);
        let spec = DatabaseSpec {
            connections,
            cores: cores.min(connections),
            queue,
            read_time: read_time?,
            write_time: write_time?,
        };
        Some((spec, cost))
    }
}

pub struct Database {
    id: CompId,
    /// Stopped by a fault: every call fails.
    down: bool,
    spec: DatabaseSpec,
    pool: Pool,
    rng: SimRng,
    work_ns: u128,
    reads: u64,
    writes: u64,
}

impl Database {
    pub fn new(spec: &DatabaseSpec, id: CompId, name: &str, seed: u64) -> Self {
        Database {
            id,
            down: false,
            spec: spec.clone(),
            pool: Pool::new(spec.connections, spec.queue, spec.cores),
            rng: stream(seed, &format!("component:{name}")),
            work_ns: 0,
            reads: 0,
            writes: 0,
        }
    }

    fn run(&mut self, ctx: &mut Ctx, id: CallId) {
        let t = match ctx.calls.get(id).op {
            Op::Write => {
                self.writes += 1;
                self.spec.write_time.sample(&mut self.rng)
            }
            Op::Read | Op::Default => {
                self.reads += 1;
                self.spec.read_time.sample(&mut self.rng)
            }
        };
        self.work_ns += u128::from(t);
        ctx.schedule(t, Event::Done(id));
    }

    pub fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        if self.down {
            if !ctx.calls.get(id).abandoned {
                super::crash::count(ctx, ctx.members[self.id as usize].down_by[0]);
            }
            return ctx.reply(id, Outcome::Failed);
        }
        match self.pool.admit(ctx.now, id) {
            Admit::Run => self.run(ctx, id),
            Admit::Wait => {}
            Admit::Rejected => ctx.reply(id, Outcome::Rejected),
        }
    }

    pub fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        if let Some(next) = self.pool.work_done(ctx.now) {
            self.run(ctx, next);
        }
        if let Some(next) = self.pool.leave(ctx.now) {
            self.run(ctx, next);
        }
        // Failed only for a query the database held when it went down.
        let outcome = ctx.calls.get(id).outcome;
        ctx.reply(id, outcome);
    }

    /// `component_down`: the database stops (failing what it holds and every call it
    /// receives) and, when the fault ends, comes back empty-handed.
    pub fn fault(&mut self, ctx: &mut Ctx, fault_id: u16, fault: &FaultSpec, start: bool) {
        match fault.kind {
            FaultKind::ComponentDown { .. } => {
                let m = &mut ctx.members[self.id as usize];
                if start && !self.down {
                    self.down = true;
                    m.went_down(0, fault_id, ctx.now, &mut ctx.faults);
                    super::crash::fail_pool(ctx, self.id, None, &mut self.pool, fault_id);
                } else if !start && self.down && m.down_by[0] == fault_id {
                    self.down = false;
                    m.came_back(0, ctx.now, &mut ctx.faults);
                }
            }
            FaultKind::InstanceCrash { .. } | FaultKind::LinkLatency { .. } | FaultKind::LinkLoss { .. } => {}
        }
    }

    pub fn totals(&mut self, now: Nanos) -> Totals {
        self.pool.sync(now);
        Totals {
            busy_ns: self.pool.cores.total_busy_ns,
            queue_ns: self.pool.threads.total_queue_ns + self.pool.cores.total_queue_ns,
            servers: self.spec.cores,
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

    pub fn stats(&self, elapsed: Nanos) -> KindStats {
        let mut s = KindStats::from_stations(&[self.pool.cores.stats], self.spec.cores, elapsed);
        let conns = KindStats::from_stations(&[self.pool.threads.stats], self.spec.connections, elapsed);
        s.queue_mean += conns.queue_mean;
        s.queue_max = s.queue_max.max(conns.queue_max);
        s.wait_s_mean += conns.wait_s_mean;
        s.rejected = conns.rejected;
        s.waited += conns.waited;
        let queries = self.reads + self.writes;
        s.service_s_mean = if queries == 0 { 0.0 } else { self.work_ns as f64 / 1e9 / queries as f64 };
        s.extra.insert("connections_utilization".into(), conns.utilization);
        s.extra.insert("reads".into(), self.reads as f64);
        s.extra.insert("writes".into(), self.writes as f64);
        s
    }
}
