//! `kind = "gateway"`: an API gateway (Kong, AWS API Gateway, Envoy). Each request is first
//! checked against token buckets, a global one (`rate_limit`, `burst`) and one per client
//! (`per_client_limit`, `per_client_burst`; the client is the request's user), and turned
//! away with 429 (`Outcome::Rejected`, counted in `rejected_rate_limited`) when either is
//! empty. Admitted requests are authenticated on the gateway's own servers (`auth_time`,
//! `servers`, a bounded `queue`), then forwarded round robin over the instances of `backends`.
//!
//! The limits are checked before authentication, as a gateway does with API keys it reads
//! from a header, so an abusive client cannot exhaust the authentication servers either.
//! Buckets are kept per user id for up to `MAX_CLIENT_BUCKETS` clients; beyond that, clients
//! share buckets by `user % MAX_CLIENT_BUCKETS`.

mod kind;
mod bench_tests;
use super::KindStats;
use crate::dist::Dist;
use crate::engine::calls::{CallId, Op, Outcome};
use crate::engine::event::Event;
use crate::engine::station::{Acquire, Station};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::model::{CompId, Cost, Model};
use crate::rng::{stream, SimRng};
use crate::units::{parse_rate, secs_to_ns, Nanos};
use crate::validate::Resolver;
use serde::Deserialize;

/// What `stagesim docs` says this kind costs beyond its instances and reports in its summary
/// object; a test fails when a run reports a field missing here.
pub const DOCS: super::KindDocs = super::KindDocs {
    usage_prices: &[],
    metrics: &[&[
        ("admitted", "requests let through"),
        ("rejected_rate_limited", "requests refused by a rate limit (global or per client)"),
        ("rejected_global_limit", "requests refused by `rate_limit`"),
        ("rejected_client_limit", "requests refused by `per_client_limit`"),
        ("rejected_auth_queue", "requests refused because the authentication queue was full"),
    ]],
};

/// An API gateway: token-bucket rate limits (global and per client) and authentication work before the backend.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GatewayInput {
    /// The component kind.
    pub kind: String,
    /// The component admitted requests go to.
    pub backends: String,
    /// Requests per second the gateway admits in all, e.g. "1000/s" (default: no limit).
    #[schemars(with = "Option<crate::schema::Rate>")]
    pub rate_limit: Option<String>,
    /// Requests the global bucket lets through at once (default: one second of `rate_limit`).
    pub burst: Option<u32>,
    /// Requests per second one client may send, e.g. "20/s" (default: no limit).
    #[schemars(with = "Option<crate::schema::Rate>")]
    pub per_client_limit: Option<String>,
    /// Requests a client may send at once (default: one second of `per_client_limit`).
    pub per_client_burst: Option<u32>,
    /// Authentication work per admitted request, e.g. "exp(mean = 0.5ms)" (default: none).
    #[schemars(with = "Option<crate::schema::Distribution>")]
    pub auth_time: Option<String>,
    /// Servers authenticating in parallel (default 1), and the requests that may wait for
    /// one (default: the scenario's `max_queue`); beyond, requests are rejected.
    pub servers: Option<u32>,
    /// Requests that may wait; beyond it, they are rejected (default: `[limits] max_queue`).
    pub queue: Option<u32>,
    /// How long the gateway waits for the backend.
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub timeout: Option<String>,
    /// An instance profile from models/instances.toml: its cores, memory and hourly price (the cost of this component).
    pub instance_type: Option<String>,
    /// Identical instances (default 1), each priced at the instance type's or `usd_per_hour`'s hourly rate.
    pub instances: Option<u32>,
    /// Hourly price of one instance in USD, instead of the instance type's.
    pub usd_per_hour: Option<f64>,
    /// How the instances are bought: `on_demand` (default), `spot`, `reserved_1y` or
    /// `savings_plan_1y`, each at its discount from models/prices.toml ([instance_pricing]).
    pub pricing: Option<String>,
}

pub const MAX_CLIENT_BUCKETS: u64 = 1 << 20;

/// A token bucket as the generic cell rate algorithm: one emission interval per request and
/// a tolerance of `burst - 1` intervals, in integer nanoseconds.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub interval: Nanos,
    pub tolerance: Nanos,
}

impl Limit {
    fn new(per_s: f64, burst: u32) -> Limit {
        let interval = secs_to_ns(1.0 / per_s).max(1);
        Limit { interval, tolerance: interval.saturating_mul(u64::from(burst.max(1) - 1)) }
    }

    /// Whether a request at `now` conforms, given the bucket's theoretical arrival time.
    #[inline]
    fn admits(&self, tat: Nanos, now: Nanos) -> bool {
        tat.saturating_sub(now) <= self.tolerance
    }

    #[inline]
    fn take(&self, tat: &mut Nanos, now: Nanos) {
        *tat = (*tat).max(now) + self.interval;
    }
}

#[derive(Clone, Debug)]
pub struct GatewaySpec {
    pub backend: CompId,
    pub global: Option<Limit>,
    pub per_client: Option<Limit>,
    /// (servers, queue, authentication time) when authentication is modelled.
    pub auth: Option<(u32, u32, Dist)>,
    pub timeout: Option<Nanos>,
}

impl GatewayInput {
    fn limit(
        &self,
        r: &mut Resolver,
        name: &str,
        key: &'static str,
        rate: &Option<String>,
        burst: Option<u32>,
    ) -> Option<Limit> {
        let path = ["components", name, key];
        let per_s = parse_rate(rate.as_deref()?)
            .map_err(|e| r.problem(&path, e, "requests per second, for example \"20/s\""))
            .ok()?;
        let burst = match burst {
            Some(0) => {
                let bkey = if key == "rate_limit" { "burst" } else { "per_client_burst" };
                r.problem(
                    &["components", name, bkey],
                    format!("`{bkey}` must be at least 1"),
                    "1 lets no burst through",
                );
                1
            }
            Some(b) => b,
            None => per_s.ceil().clamp(1.0, f64::from(u32::MAX)) as u32,
        };
        Some(Limit::new(per_s, burst))
    }

    pub fn validate(&self, name: &str, r: &mut Resolver) -> Option<(GatewaySpec, Cost)> {
        let base = ["components", name];
        let at = |k: &'static str| [base[0], base[1], k];
        let backend = r.component(&at("backends"), &self.backends);
        for (key, rate, burst) in [
            ("burst", &self.rate_limit, self.burst),
            ("per_client_burst", &self.per_client_limit, self.per_client_burst),
        ] {
            if rate.is_none() && burst.is_some() {
                r.problem(&at(key), format!("`{key}` needs a rate limit"), "add the limit, or remove the burst");
            }
        }
        let global = self.limit(r, name, "rate_limit", &self.rate_limit, self.burst);
        let per_client = self.limit(r, name, "per_client_limit", &self.per_client_limit, self.per_client_burst);
        let auth = match &self.auth_time {
            Some(t) => {
                let servers = r.count(&at("servers"), self.servers, 1);
                let queue = self.queue.unwrap_or(r.limits.max_queue);
                r.dist(&at("auth_time"), t).map(|d| (servers, queue, d))
            }
            None => {
                if self.servers.is_some() || self.queue.is_some() {
                    r.problem(
                        &at("auth_time"),
                        "`servers` and `queue` need an `auth_time`",
                        "add `auth_time = \"0.5ms\"`",
                    );
                }
                None
            }
        };
        let timeout = self.timeout.as_deref().and_then(|t| r.duration(&at("timeout"), t));
        if timeout == Some(0) {
            r.problem(&at("timeout"), "`timeout` must be greater than zero", "for example \"5s\"");
        }
        let cost = r.cost(
            &base,
            &self.instance_type,
            self.instances.unwrap_or(1).max(1),
            self.usd_per_hour,
            &self.pricing,
            true,
        );
        Some((GatewaySpec { backend: backend?, global, per_client, auth, timeout }, cost))
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    admitted: u64,
    rejected_global: u64,
    rejected_client: u64,
    rejected_auth_queue: u64,
    auth_ns: u128,
}

pub struct Gateway {
    spec: GatewaySpec,
    rng: SimRng,
    station: Option<Station>,
    global_tat: Nanos,
    client_tat: Vec<Nanos>,
    backend_instances: u32,
    next: u32,
    c: Counters,
}

impl Gateway {
    pub fn new(spec: &GatewaySpec, name: &str, seed: u64, model: &Model) -> Self {
        let clients = match spec.per_client {
            Some(_) => {
                let dedicated: u64 = model.users.dedicated.iter().flatten().map(|(_, n)| n).sum();
                (model.users.count + dedicated).min(MAX_CLIENT_BUCKETS) as usize
            }
            None => 0,
        };
        Gateway {
            spec: spec.clone(),
            rng: stream(seed, &format!("component:{name}")),
            station: spec.auth.as_ref().map(|(s, q, _)| Station::new(*s, *q)),
            global_tat: 0,
            client_tat: vec![0; clients],
            backend_instances: model.components[spec.backend as usize].spec.instances(),
            next: 0,
            c: Counters::default(),
        }
    }

    pub fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        let now = ctx.now;
        let client = if self.client_tat.is_empty() {
            0
        } else {
            (u64::from(ctx.requests.get(ctx.calls.get(id).req).user) % self.client_tat.len() as u64) as usize
        };
        if let Some(l) = self.spec.per_client {
            if !l.admits(self.client_tat[client], now) {
                self.c.rejected_client += 1;
                return ctx.reply(id, Outcome::Rejected);
            }
        }
        if let Some(l) = self.spec.global {
            if !l.admits(self.global_tat, now) {
                self.c.rejected_global += 1;
                return ctx.reply(id, Outcome::Rejected);
            }
            l.take(&mut self.global_tat, now);
        }
        if let Some(l) = self.spec.per_client {
            l.take(&mut self.client_tat[client], now);
        }
        self.c.admitted += 1;
        let Some(st) = self.station.as_mut() else { return self.forward(ctx, id) };
        match st.acquire(now, id) {
            Acquire::Granted => self.authenticate(ctx, id),
            Acquire::Queued => {}
            Acquire::Rejected => {
                self.c.rejected_auth_queue += 1;
                ctx.reply(id, Outcome::Rejected);
            }
        }
    }

    fn authenticate(&mut self, ctx: &mut Ctx, id: CallId) {
        let (_, _, d) = self.spec.auth.as_ref().expect("authentication configured");
        let t = d.sample(&mut self.rng);
        self.c.auth_ns += u128::from(t);
        ctx.schedule(t, Event::Done(id));
    }

    pub fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        let st = self.station.as_mut().expect("done only follows authentication");
        if let Some(next) = st.release(ctx.now) {
            self.authenticate(ctx, next);
        }
        self.forward(ctx, id);
    }

    fn forward(&mut self, ctx: &mut Ctx, id: CallId) {
        let inst = (self.next % self.backend_instances) as u16;
        self.next = self.next.wrapping_add(1);
        if ctx.call_out(id, self.spec.backend, Op::Default, inst, self.spec.timeout).is_none() {
            ctx.reply(id, Outcome::Rejected);
        }
    }

    pub fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        ctx.reply(id, outcome);
    }

    pub fn totals(&mut self, now: Nanos) -> Totals {
        self.station.as_mut().map_or_else(Totals::default, |st| st.totals(now))
    }

    pub fn sync(&mut self, now: Nanos) {
        if let Some(st) = self.station.as_mut() {
            st.sync(now);
        }
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        if let Some(st) = self.station.as_mut() {
            st.reset_stats(now);
        }
        self.c = Counters::default();
    }

    pub fn stats(&self, elapsed: Nanos) -> KindStats {
        let c = &self.c;
        let mut s = match &self.station {
            Some(st) => KindStats::from_stations(&[st.stats], st.servers, elapsed),
            None => KindStats::default(),
        };
        s.service_s_mean = if s.granted == 0 { 0.0 } else { c.auth_ns as f64 / 1e9 / s.granted as f64 };
        let limited = c.rejected_global + c.rejected_client;
        s.rejected = limited + c.rejected_auth_queue;
        let e = &mut s.extra;
        e.insert("admitted".into(), c.admitted as f64);
        e.insert("rejected_rate_limited".into(), limited as f64);
        e.insert("rejected_global_limit".into(), c.rejected_global as f64);
        e.insert("rejected_client_limit".into(), c.rejected_client as f64);
        e.insert("rejected_auth_queue".into(), c.rejected_auth_queue as f64);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bucket_admits_burst_then_rate() {
        let l = Limit::new(10.0, 3); // 100 ms apart, 3 at once
        let mut tat = 0;
        let mut admitted = 0;
        for _ in 0..10 {
            if l.admits(tat, 0) {
                l.take(&mut tat, 0);
                admitted += 1;
            }
        }
        assert_eq!(admitted, 3, "the burst");
        assert!(!l.admits(tat, 50_000_000));
        assert!(l.admits(tat, 100_000_000), "one more after one interval");
        // Over a long stream of back-to-back requests, the rate is the limit.
        let (mut tat, mut n) = (0, 0);
        for t in (0..10_000_000_000u64).step_by(1_000_000) {
            if l.admits(tat, t) {
                l.take(&mut tat, t);
                n += 1;
            }
        }
        assert_eq!(n, 100 + 2, "10/s for 10 s, plus the burst beyond the first");
    }
}
