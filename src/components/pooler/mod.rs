//! `kind = "pooler"`: a PgBouncer-style connection pooler in transaction mode (article 002,
//! "Connection Pooling"). Many client connections (every call in flight through it is one)
//! share a few `server_connections` to the backend database: a call takes a server connection
//! for the length of its query (its transaction) and gives it back when the answer comes;
//! calls that find them all busy wait in arrival order. So the database never sees more than
//! `server_connections` sessions however many app threads call it, and a burst waits at the
//! pooler instead of being refused by the database's connection limit.
//!
//! Callers name the operation (`pooler.read`, `pooler.write`), which the pooler passes on.
//! The pooler's own processing time is not modelled (PgBouncer adds microseconds).

mod kind;
mod bench_tests;
use super::conn_pool::{pool_figures, ConnPool};
use super::KindStats;
use crate::engine::calls::{CallId, Outcome, NO_INSTANCE};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::model::{CompId, Cost};
use crate::units::Nanos;
use crate::validate::Resolver;
use serde::Deserialize;

/// What `stagesim docs` says this kind costs beyond its instances and reports in its summary
/// object; a test fails when a run reports a field missing here.
pub const DOCS: super::KindDocs = super::KindDocs {
    usage_prices: &[],
    metrics: &[&[
        ("server_connections_utilization", "busy server connections / `server_connections`"),
        ("client_wait_s_mean", "a client's mean wait for a server connection, in seconds"),
        ("clients_max", "most client connections at once"),
        ("clients_refused", "calls refused at `max_client_connections`"),
    ]],
};

/// A connection pooler (PgBouncer-style) in front of a database: many client connections share `server_connections`. Calls name the operation.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolerInput {
    /// The component kind.
    pub kind: String,
    /// The database the server connections go to.
    pub backend: String,
    /// Connections from the pooler to the backend, shared by all clients (PgBouncer's
    /// `default_pool_size`, 20 by default there).
    pub server_connections: u32,
    /// Client connections accepted at once; beyond, calls are refused (PgBouncer's
    /// `max_client_conn`, 100 by default there; 1,000 here).
    #[schemars(extend("default" = DEFAULT_MAX_CLIENT_CONNECTIONS))]
    pub max_client_connections: Option<u32>,
    /// An instance profile from models/instances.toml: its cores, memory and hourly price (the cost of this component).
    pub instance_type: Option<String>,
    /// Hourly price of one instance in USD, instead of the instance type's.
    pub usd_per_hour: Option<f64>,
    /// How the instances are bought: `on_demand` (default), `spot`, `reserved_1y` or
    /// `savings_plan_1y`, each at its discount from models/prices.toml ([instance_pricing]).
    pub pricing: Option<String>,
}

#[derive(Clone, Debug)]
pub struct PoolerSpec {
    pub backend: CompId,
    pub server_connections: u32,
    pub max_clients: u32,
}

pub const DEFAULT_MAX_CLIENT_CONNECTIONS: u32 = 1_000;

impl PoolerInput {
    pub fn validate(&self, name: &str, r: &mut Resolver) -> Option<(PoolerSpec, Cost)> {
        let base = ["components", name];
        let at = |k: &'static str| [base[0], base[1], k];
        let backend = r.component(&at("backend"), &self.backend);
        let server_connections = r.count(&at("server_connections"), Some(self.server_connections), 1);
        let max_clients =
            r.count(&at("max_client_connections"), self.max_client_connections, DEFAULT_MAX_CLIENT_CONNECTIONS);
        if max_clients < server_connections {
            r.problem(
                &at("max_client_connections"),
                format!("{max_clients} client connections cannot use {server_connections} server connections"),
                "a pooler has more client connections than server connections; raise it or lower `server_connections`",
            );
        }
        let cost = r.cost(&base, &self.instance_type, 1, self.usd_per_hour, &self.pricing, true);
        Some((PoolerSpec { backend: backend?, server_connections, max_clients }, cost))
    }
}

pub struct Pooler {
    spec: PoolerSpec,
    pool: ConnPool,
    clients: u32,
    clients_max: u32,
    refused: u64,
}

impl Pooler {
    pub fn new(spec: &PoolerSpec) -> Self {
        Pooler {
            spec: spec.clone(),
            pool: ConnPool::new(spec.server_connections, spec.max_clients),
            clients: 0,
            clients_max: 0,
            refused: 0,
        }
    }

    #[inline(never)] // keeps the engine's event loop compact for the common kinds
    pub fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        if self.clients >= self.spec.max_clients {
            self.refused += 1;
            return ctx.reply(id, Outcome::Rejected);
        }
        self.clients += 1;
        self.clients_max = self.clients_max.max(self.clients);
        let op = ctx.calls.get(id).op;
        if self.pool.take(ctx.now, id, op) && ctx.call_out(id, self.spec.backend, op, NO_INSTANCE, None).is_none() {
            self.answer(ctx, id, Outcome::Rejected);
            self.release(ctx);
        }
    }

    fn answer(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        self.clients -= 1;
        ctx.reply(id, outcome);
    }

    /// A server connection is free: the first waiting client's query goes out on it.
    fn release(&mut self, ctx: &mut Ctx) {
        while let Some((waiter, op)) = self.pool.give_back(ctx.now) {
            if ctx.call_out(waiter, self.spec.backend, op, NO_INSTANCE, None).is_some() {
                return;
            }
            self.answer(ctx, waiter, Outcome::Rejected);
        }
    }

    #[inline(never)] // keeps the engine's event loop compact for the common kinds
    pub fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        self.release(ctx);
        self.answer(ctx, id, outcome);
    }

    #[inline(never)] // keeps the engine's event loop compact for the common kinds
    pub fn done(&mut self, _ctx: &mut Ctx, _id: CallId) {
        // The pooler schedules no work of its own: its queries run at the backend.
    }

    pub fn totals(&mut self, now: Nanos) -> Totals {
        self.pool.sync(now);
        Totals {
            busy_ns: self.pool.total_in_use_ns,
            queue_ns: self.pool.total_waiting_ns,
            servers: self.pool.size,
            ..Totals::default()
        }
    }

    pub fn sync(&mut self, now: Nanos) {
        self.pool.sync(now);
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        self.pool.reset_stats(now);
        self.refused = 0;
        self.clients_max = self.clients;
    }

    pub fn stats(&self, elapsed: Nanos) -> KindStats {
        let (util, wait, waited, waiting, waiting_max) = pool_figures(&[&self.pool], elapsed);
        let mut s = KindStats {
            servers: self.spec.server_connections,
            utilization: util,
            queue_mean: waiting,
            queue_max: waiting_max,
            wait_s_mean: wait,
            // No work of its own: the utilization law is the backend's to check.
            service_s_mean: 0.0,
            granted: self.pool.stats.acquired,
            waited,
            rejected: self.refused,
            ..KindStats::default()
        };
        s.extra.insert("server_connections_utilization".into(), util);
        s.extra.insert("client_wait_s_mean".into(), wait);
        s.extra.insert("clients_max".into(), f64::from(self.clients_max));
        s.extra.insert("clients_refused".into(), self.refused as f64);
        s
    }
}
