//! `kind = "load_balancer"`: spreads calls over the instances of a backend pool by a policy.
//! It keeps its own count of open connections per backend instance, as a real balancer does,
//! and can optionally model its own processing as a queueing station.

mod kind;
mod bench_tests;
use super::health::{HealthCheckInput, HealthCheckSpec, HealthChecks};
use super::sessions::Sticky;
use super::KindStats;
use crate::dist::Dist;
use crate::engine::calls::{CallId, Op, Outcome};
use crate::engine::event::Event;
use crate::engine::membership::{InstState, Watcher};
use crate::engine::station::{Acquire, Station};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::faults::{FaultKind, FaultSpec};
use crate::model::{CompId, Cost};
use crate::rng::{stream, SimRng};
use crate::units::Nanos;
use crate::validate::Resolver;
use rand::RngExt;
use serde::Deserialize;

/// What `stagesim docs` says this kind costs beyond its instances and reports in its summary
/// object; a test fails when a run reports a field missing here.
pub const DOCS: super::KindDocs = super::KindDocs {
    usage_prices: &[],
    metrics: &[&[
        ("backend_instances", "instances of the backend in rotation at the end of the run"),
        ("no_backend_rejected", "requests rejected because no backend instance was in rotation"),
        ("logouts", "sticky sessions: users whose session was lost when their instance left"),
        ("detect_s_max", "health checks: longest time from an instance's death to its removal, in seconds"),
    ]],
};

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    #[default]
    RoundRobin,
    Random,
    LeastConnections,
    PowerOfTwo,
    Weighted,
    /// Pins each user to an instance.
    Sticky,
}

/// A load balancer: spreads requests over the instances of its backend by `policy`; with `service_time` it is itself a station (servers and a queue).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerInput {
    /// The component kind.
    pub kind: String,
    /// How a backend instance is chosen (default "round_robin").
    #[serde(default)]
    pub policy: Policy,
    /// The component requests are forwarded to (its instances share the load).
    pub backends: String,
    /// One weight per backend instance, for `policy = "weighted"`.
    pub weights: Option<Vec<f64>>,
    /// Requests processed at once; with `service_time`, the balancer is itself a station.
    pub servers: Option<u32>,
    /// Time one request takes on a core, without waiting: a distribution, e.g. "lognormal(mean = 6ms, cv = 1.0)".
    #[schemars(with = "Option<crate::schema::Distribution>")]
    pub service_time: Option<String>,
    /// Requests that may wait; beyond it, they are rejected (default: `[limits] max_queue`).
    pub queue: Option<u32>,
    /// An instance profile from models/instances.toml: its cores, memory and hourly price (the cost of this component).
    pub instance_type: Option<String>,
    /// Hourly price of one instance in USD, instead of the instance type's.
    pub usd_per_hour: Option<f64>,
    /// How the instances are bought: `on_demand` (default), `spot`, `reserved_1y` or
    /// `savings_plan_1y`, each at its discount from models/prices.toml ([instance_pricing]).
    pub pricing: Option<String>,
    /// `{ interval = "5s", failures = 3 }`: how soon a dead instance leaves the rotation;
    /// without it, at once.
    pub health_check: Option<HealthCheckInput>,
}

#[derive(Clone, Debug)]
pub struct LoadBalancerSpec {
    pub policy: Policy,
    pub backend: CompId,
    pub weights: Vec<f64>,
    /// (servers, queue, processing time) when the balancer's own work is modelled.
    pub station: Option<(u32, u32, Dist)>,
    pub health: Option<HealthCheckSpec>,
}

impl LoadBalancerInput {
    pub fn validate(&self, name: &str, r: &mut Resolver) -> Option<(LoadBalancerSpec, Cost)> {
        let base = ["components", name];
        let at = |k: &'static str| [base[0], base[1], k];
        let backend = r.component(&at("backends"), &self.backends);
        let weights = self.weights.clone().unwrap_or_default();
        if self.policy == Policy::Weighted && weights.is_empty() {
            r.problem(
                &at("policy"),
                "`policy = \"weighted\"` needs `weights`",
                "add `weights = [2, 1, 1]`, one per backend instance",
            );
        }
        if weights.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
            r.problem(
                &at("weights"),
                "every weight must be greater than zero",
                "remove the instance instead of giving it weight 0",
            );
        }
        if self.policy != Policy::Weighted && !weights.is_empty() {
            r.problem(
                &at("weights"),
                "`weights` is only used with `policy = \"weighted\"`",
                "set `policy = \"weighted\"` or remove `weights`",
            );
        }
        let station = match &self.service_time {
            Some(t) => {
                let servers = r.count(&at("servers"), self.servers, 1);
                let queue = self.queue.unwrap_or(r.limits.max_queue);
                r.dist(&at("service_time"), t).map(|d| (servers, queue, d))
            }
            None => {
                if self.servers.is_some() || self.queue.is_some() {
                    r.problem(
                        &at("service_time"),
                        "`servers` and `queue` need a `service_time`",
                        "add `service_time = \"50us\"`, or remove them",
                    );
                }
                None
            }
        };
        let health = self.health_check.as_ref().and_then(|h| {
            let at = |k: &'static str| [base[0], base[1], "health_check", k];
            let interval = r.interval(&at("interval"), &h.interval)?;
            let failures = r.count(&at("failures"), h.failures, 3);
            Some(HealthCheckSpec { interval, failures })
        });
        let cost = r.cost(&base, &self.instance_type, 1, self.usd_per_hour, &self.pricing, true);
        Some((LoadBalancerSpec { policy: self.policy, backend: backend?, weights, station, health }, cost))
    }
}

pub struct LoadBalancer {
    id: CompId,
    spec: LoadBalancerSpec,
    station: Option<Station>,
    /// Open connections per backend instance slot.
    open: Vec<u32>,
    /// The backend instances new calls go to, rebuilt when the membership table changes.
    rotation: Vec<u16>,
    /// The membership version `rotation` was built from.
    seen: Option<u32>,
    next: u32,
    /// Smooth weighted round robin state (as in nginx).
    current: Vec<f64>,
    rng: SimRng,
    work_ns: u128,
    /// Calls turned away because no backend instance was in rotation (HTTP 503).
    no_backend: u64,
    health: Option<HealthChecks>,
    /// Stopped by a fault: every call fails.
    down: bool,
    /// Per backend slot: whether it is in `rotation` (for sticky pins).
    in_rotation: Vec<bool>,
    sticky: Option<Sticky>,
    /// Logouts at the last window, for the per-window series.
    series_prev: u64,
}

impl LoadBalancer {
    /// `users`: how many users a sticky balancer pins; `sessions_in_memory`: whether the
    /// backend keeps sessions in its instances (no external store).
    pub fn new(
        spec: &LoadBalancerSpec,
        id: CompId,
        name: &str,
        seed: u64,
        backend_slots: u32,
        users: u64,
        sessions_in_memory: bool,
    ) -> Self {
        let n = backend_slots as usize;
        LoadBalancer {
            id,
            spec: spec.clone(),
            station: spec.station.as_ref().map(|(s, q, _)| Station::new(*s, *q)),
            open: vec![0; n],
            rotation: Vec::with_capacity(n),
            seen: None,
            next: 0,
            current: vec![0.0; n],
            rng: stream(seed, &format!("component:{name}")),
            work_ns: 0,
            no_backend: 0,
            health: spec.health.map(|h| HealthChecks::new(h, n)),
            down: false,
            in_rotation: vec![false; n],
            sticky: (spec.policy == Policy::Sticky).then(|| Sticky::new(users, sessions_in_memory)),
            series_prev: 0,
        }
    }

    pub fn validate_against_backend(spec: &LoadBalancerSpec, backend_instances: u32) -> Result<(), String> {
        if spec.policy == Policy::Weighted && spec.weights.len() != backend_instances as usize {
            return Err(format!("{} weights for {} backend instances", spec.weights.len(), backend_instances));
        }
        Ok(())
    }

    pub fn start(&mut self, ctx: &mut Ctx) {
        let m = &mut ctx.members[self.spec.backend as usize];
        m.watcher = if self.health.is_some() { Watcher::HealthChecks } else { Watcher::Instant };
        if let Some(h) = self.health.as_mut() {
            h.init(m);
            ctx.schedule_periodic(h.spec.interval, Event::Timer(self.id, 0));
        }
    }

    /// A round of health checks.
    pub fn timer(&mut self, ctx: &mut Ctx, _tag: u32) {
        let Some(h) = self.health.as_mut() else { return };
        ctx.schedule_periodic(h.spec.interval, Event::Timer(self.id, 0));
        if h.check(ctx.now, &ctx.members[self.spec.backend as usize], &mut ctx.faults) {
            self.seen = None;
        }
    }

    /// `component_down`: the balancer stops, failing what it holds and every call after.
    pub fn fault(&mut self, ctx: &mut Ctx, fault_id: u16, fault: &FaultSpec, start: bool) {
        match fault.kind {
            FaultKind::ComponentDown { .. } => {
                let (id, station) = (self.id, &mut self.station);
                super::crash::whole_component(ctx, id, &mut self.down, fault_id, start, |ctx| {
                    super::crash::fail_station(ctx, id, station.as_mut(), fault_id)
                });
            }
            // Validation sends a balancer no other fault (region outages are the engine's).
            FaultKind::InstanceCrash { .. }
            | FaultKind::LinkLatency { .. }
            | FaultKind::LinkLoss { .. }
            | FaultKind::RegionOutage { .. }
            | FaultKind::RegionPartition { .. }
            | FaultKind::ReplicaLagSpike { .. }
            | FaultKind::CacheFlush
            | FaultKind::PrimaryFailover { .. } => {}
        }
    }

    fn work(&mut self, ctx: &mut Ctx, id: CallId) {
        let (_, _, d) = self.spec.station.as_ref().expect("station configured");
        let t = d.sample(&mut self.rng);
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
        let Some(st) = self.station.as_mut() else { return self.forward(ctx, id) };
        match st.acquire(ctx.now, id) {
            Acquire::Granted => self.work(ctx, id),
            Acquire::Queued => {}
            Acquire::Rejected => ctx.reply(id, Outcome::Rejected),
        }
    }

    pub fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        let st = self.station.as_mut().expect("done only follows work");
        if let Some(next) = st.release(ctx.now) {
            self.work(ctx, next);
        }
        if self.down {
            // Held when the balancer stopped (already failed for its caller): goes nowhere.
            return ctx.reply(id, Outcome::Failed);
        }
        self.forward(ctx, id);
    }

    fn forward(&mut self, ctx: &mut Ctx, id: CallId) {
        self.refresh(ctx);
        let Some(inst) = self.pick(ctx, id) else {
            self.no_backend += 1;
            return ctx.reply(id, Outcome::Rejected);
        };
        ctx.calls.get_mut(id).instance = inst as u16;
        if ctx.call_out(id, self.spec.backend, Op::Default, inst as u16, None).is_some() {
            self.open[inst] += 1;
        } else {
            ctx.reply(id, Outcome::Rejected);
        }
    }

    /// Rebuilds the rotation if the backend's membership changed since it was built.
    #[inline]
    fn refresh(&mut self, ctx: &Ctx) {
        let m = &ctx.members[self.spec.backend as usize];
        if self.seen == Some(m.version) {
            return;
        }
        self.seen = Some(m.version);
        for &i in &self.rotation {
            self.in_rotation[i as usize] = false;
        }
        self.rotation.clear();
        match &self.health {
            Some(h) => {
                let r = m.state.iter().enumerate().filter(|(i, s)| h.routable(*i, **s)).map(|(i, _)| i as u16);
                self.rotation.extend(r);
            }
            None => {
                let up = m.state.iter().enumerate().filter(|(_, s)| **s == InstState::Up).map(|(i, _)| i as u16);
                self.rotation.extend(up);
            }
        }
        for &i in &self.rotation {
            self.in_rotation[i as usize] = true;
        }
    }

    fn pick(&mut self, ctx: &Ctx, id: CallId) -> Option<usize> {
        let n = self.rotation.len();
        if n == 0 {
            return None;
        }
        let r = &self.rotation;
        Some(match self.spec.policy {
            Policy::RoundRobin => {
                self.next = (self.next + 1) % n as u32;
                r[self.next as usize] as usize
            }
            Policy::Sticky => {
                let user = ctx.requests.get(ctx.calls.get(id).req).user;
                let m = &ctx.members[self.spec.backend as usize];
                let next = &mut self.next;
                let fresh = || {
                    *next = (*next + 1) % n as u32;
                    r[*next as usize] as usize
                };
                self.sticky.as_mut().map_or(0, |s| s.route(user, m, &self.in_rotation, fresh))
            }
            Policy::Random => r[self.rng.random_range(0..n)] as usize,
            Policy::LeastConnections => {
                // Ties go round robin, so an idle pool is not all sent to instance 0.
                let start = self.next as usize % n;
                self.next = (start as u32 + 1) % n as u32;
                (0..n).map(|k| r[(start + k) % n] as usize).min_by_key(|i| self.open[*i]).unwrap_or(0)
            }
            Policy::PowerOfTwo => {
                let a = r[self.rng.random_range(0..n)] as usize;
                let b = r[self.rng.random_range(0..n)] as usize;
                if self.open[b] < self.open[a] {
                    b
                } else {
                    a
                }
            }
            Policy::Weighted => {
                let w = &self.spec.weights;
                let total: f64 = r.iter().map(|i| w[*i as usize]).sum();
                for i in r {
                    self.current[*i as usize] += w[*i as usize];
                }
                let best = r.iter().map(|i| *i as usize).fold(r[0] as usize, |b, i| {
                    if self.current[i] > self.current[b] {
                        i
                    } else {
                        b
                    }
                });
                self.current[best] -= total;
                best
            }
        })
    }

    pub fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        let inst = ctx.calls.get(id).instance as usize;
        self.open[inst] -= 1;
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

    /// Per-window values: logouts per second, for a sticky balancer.
    pub fn series(&mut self, _now: Nanos, width: Nanos, out: &mut Vec<(&'static str, f64)>) {
        if let Some(st) = &self.sticky {
            out.push(("logouts_per_s", (st.logouts_total - self.series_prev) as f64 / (width.max(1) as f64 / 1e9)));
            self.series_prev = st.logouts_total;
        }
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        if let Some(st) = self.station.as_mut() {
            st.reset_stats(now);
        }
        if let Some(s) = self.sticky.as_mut() {
            s.logouts = 0;
        }
        if let Some(h) = self.health.as_mut() {
            h.detect_ns_max = None;
        }
        self.work_ns = 0;
    }

    pub fn stats(&self, elapsed: Nanos) -> KindStats {
        let mut s = match &self.station {
            Some(st) => KindStats::from_stations(&[st.stats], st.servers, elapsed),
            None => KindStats::default(),
        };
        s.service_s_mean = if s.granted == 0 { 0.0 } else { self.work_ns as f64 / 1e9 / s.granted as f64 };
        s.extra.insert("backend_instances".into(), self.open.len() as f64);
        s.extra.insert("no_backend_rejected".into(), self.no_backend as f64);
        if let Some(st) = &self.sticky {
            s.extra.insert("logouts".into(), st.logouts as f64);
        }
        if let Some(d) = self.health.as_ref().and_then(|h| h.detect_ns_max) {
            s.extra.insert("detect_s_max".into(), d as f64 / 1e9);
        }
        s
    }
}
