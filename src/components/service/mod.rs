//! `kind = "service"`: an app server pool. Instances x cores serve in parallel; each
//! instance has a limit of worker threads held across downstream calls and a bounded accept
//! queue; the handler calls downstream components in sequence or in parallel.

mod kind;
mod bench_tests;
use super::autoscale::{AutoscaleInput, AutoscaleSpec, Autoscaler};
use super::conn_pool::{pool_figures, ConnPool, PoolInput};
use super::fleet::Fleet;
use super::nodes::NodeStats;
use super::pool::{Admit, Pool};
use super::resilience::{self, BreakerInput, Resilience, ResilienceKeys, ResilienceSpec};
use super::KindStats;
use crate::calls_model::Plan;
use crate::dist::Dist;
use crate::engine::calls::{CallId, Outcome, NO_INSTANCE};
use crate::engine::event::Event;
use crate::engine::membership::InstState;
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::input::calls::CallsInput;
use crate::model::CompId;
use crate::model::Cost;
use crate::rng::{stream, SimRng};
use crate::units::Nanos;
use crate::validate::Resolver;
use serde::Deserialize;

mod faults;

/// What `stagesim docs` says this kind costs beyond its instances and reports in its summary
/// object; a test fails when a run reports a field missing here.
pub const DOCS: super::KindDocs = super::KindDocs {
    usage_prices: &[],
    metrics: &[
        &[
            ("threads_utilization", "busy worker threads / threads offered (`max_in_flight` per instance)"),
            ("instances", "instances (time-average when the count changes: autoscaling, crashes)"),
            ("servers_mean", "cores offered by serving instances, time-average"),
            ("instances_peak", "most instances at once"),
            ("scale_ups", "autoscaling actions that added instances"),
            ("scale_downs", "autoscaling actions that removed instances"),
            ("pool_size", "connections of the `pool` per instance"),
            ("pool_utilization", "busy pool connections / pool connections"),
            ("pool_wait_s_mean", "mean wait for a pool connection, in seconds"),
            ("pool_exhausted", "calls that had to wait for a pool connection"),
            ("pool_waiting_max", "most calls waiting for a pool connection at once"),
        ],
        super::resilience::METRICS,
    ],
};

/// A pool of identical instances (an app server): each serves requests on its cores with worker threads held while it waits on downstream calls, and an accept queue; retries, circuit breakers, bulkheads, connection pools and autoscaling are optional.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    /// The component kind.
    pub kind: String,
    /// An instance profile from models/instances.toml: its cores, memory and hourly price (the cost of this component).
    pub instance_type: Option<String>,
    /// Identical instances (default 1), each priced at the instance type's or `usd_per_hour`'s hourly rate.
    pub instances: Option<u32>,
    /// Requests served in parallel per instance (default: the instance type's cores, or 1).
    pub cores: Option<u32>,
    /// Worker threads per instance, held while waiting on downstream calls.
    #[schemars(extend("default" = DEFAULT_MAX_IN_FLIGHT))]
    pub max_in_flight: Option<u32>,
    /// Accept queue per instance; beyond it, requests are rejected.
    #[schemars(extend("default" = DEFAULT_QUEUE))]
    pub queue: Option<u32>,
    /// Time one request takes on a core, without waiting: a distribution, e.g. "lognormal(mean = 6ms, cv = 1.0)".
    #[schemars(with = "crate::schema::Distribution")]
    pub service_time: String,
    /// Downstream calls, in sequence, per request class (`{ browse = ["cache", "db.read"] }`) or for every class (`["db.read"]`); an inner array runs in parallel. Reads and writes name the operation: `db.read`, `db.write`.
    pub calls: Option<CallsInput>,
    /// How long the handler waits for each downstream call.
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub timeout: Option<String>,
    /// A connection pool per instance towards one target, `pool = { target = "db", size = 10 }`:
    /// each call to the target waits for a free connection (holding its worker thread) and
    /// holds it until the call answers.
    pub pool: Option<PoolInput>,
    /// Hourly price of one instance in USD, instead of the instance type's.
    pub usd_per_hour: Option<f64>,
    /// How the instances are bought: `on_demand` (default), `spot`, `reserved_1y` or
    /// `savings_plan_1y`, each at its discount from models/prices.toml ([instance_pricing]).
    pub pricing: Option<String>,
    /// Times a failed downstream call is sent again (default 0), after a
    /// jittered exponential `backoff` (default "50ms") capped at `backoff_max` (default "1s").
    pub retries: Option<u32>,
    /// Delay before the first retry (default "50ms"), doubling with each.
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub backoff: Option<String>,
    /// Cap of the exponential backoff (default "1s").
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub backoff_max: Option<String>,
    /// A circuit breaker per downstream target and instance.
    pub breaker: Option<BreakerInput>,
    /// Calls one instance may have outstanding to one target; beyond, calls fail fast.
    pub bulkhead: Option<u32>,
    /// Add and remove instances by a metric; `instances` is
    /// then the count at the start (default `min`).
    pub autoscale: Option<AutoscaleInput>,
    /// A component holding user sessions (a cache or database), read first on every request;
    /// without it, sessions live in the instances' memory.
    pub session_store: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ServiceSpec {
    pub instances: u32,
    pub cores: u32,
    pub max_in_flight: u32,
    pub queue: u32,
    pub service_time: Dist,
    pub plans: Vec<Plan>,
    pub call_timeout: Option<Nanos>,
    pub resilience: Option<ResilienceSpec>,
    /// (target, connections per instance) of the instance connection pool.
    pub pool: Option<(CompId, u32)>,
    pub autoscale: Option<AutoscaleSpec>,
    /// The external session store, called first in every class's plan.
    pub session_store: Option<CompId>,
}

impl ServiceSpec {
    /// Instance slots: the autoscaling maximum, or the fixed count.
    pub fn max_instances(&self) -> u32 {
        self.autoscale.as_ref().map_or(self.instances, |a| a.max)
    }
}

pub const DEFAULT_MAX_IN_FLIGHT: u32 = 200;
pub const DEFAULT_QUEUE: u32 = 1_000;
/// Instance indices travel in calls as `u16`.
pub const MAX_INSTANCES: u32 = 10_000;

impl ServiceInput {
    pub fn validate(&self, name: &str, r: &mut Resolver) -> Option<(ServiceSpec, Cost)> {
        let base = ["components", name];
        let at = |k: &'static str| [base[0], base[1], k];
        let profile_cores = self.instance_type.as_ref().and_then(|t| r.catalog.get(t)).map(|p| p.cores);
        let autoscale = self.autoscale.as_ref().map(|a| a.validate(name, r, MAX_INSTANCES));
        let default_instances = self.autoscale.as_ref().map_or(1, |a| a.min.max(1));
        let instances = r.count(&at("instances"), self.instances, default_instances);
        if let (Some(a), Some(n)) = (&self.autoscale, self.instances) {
            if n < a.min || n > a.max {
                r.problem(
                    &at("instances"),
                    format!("{n} instances at the start is outside the autoscaling range {}..{}", a.min, a.max),
                    "remove `instances` (it defaults to `min`), or set it between `min` and `max`",
                );
            }
        }
        if instances > MAX_INSTANCES {
            r.problem(
                &at("instances"),
                format!("{instances} instances is more than the {MAX_INSTANCES} a pool may have"),
                "model a larger fleet as several pools behind a balancer",
            );
        }
        let cores = r.count(&at("cores"), self.cores, profile_cores.unwrap_or(1).max(1));
        let max_in_flight = r.count(&at("max_in_flight"), self.max_in_flight, DEFAULT_MAX_IN_FLIGHT);
        let queue = self.queue.unwrap_or(DEFAULT_QUEUE.min(r.limits.max_queue));
        let service_time = r.dist(&at("service_time"), &self.service_time);
        let call_timeout = self.timeout.as_deref().and_then(|t| r.duration(&at("timeout"), t));
        if call_timeout == Some(0) {
            r.problem(&at("timeout"), "`timeout` must be greater than zero", "for example \"1s\"");
        }
        let mut plans = r.plans(&base, &self.calls);
        let session_store = self.session_store.as_ref().and_then(|s| r.component(&at("session_store"), s));
        if let Some(store) = session_store {
            // Every request first looks its session up.
            let op = match crate::components::op_rule(r.comp_kinds[store as usize]) {
                crate::components::OpRule::ReadWrite => crate::engine::calls::Op::Read,
                crate::components::OpRule::Plain => crate::engine::calls::Op::Default,
            };
            for plan in &mut plans {
                plan.insert(0, vec![crate::calls_model::Target { comp: store, op }]);
            }
        }
        let pool = self.pool.as_ref().and_then(|p| p.validate(&base, &plans, r));
        let cost = r.cost(&base, &self.instance_type, instances, self.usd_per_hour, &self.pricing, true);
        let keys = ResilienceKeys {
            retries: self.retries,
            backoff: &self.backoff,
            backoff_max: &self.backoff_max,
            breaker: &self.breaker,
            bulkhead: self.bulkhead,
        };
        let resilience = resilience::validate(name, &keys, r);
        if pool.is_some() && resilience.is_some() {
            r.problem(
                &at("pool"),
                "a connection pool cannot yet be combined with retries, a breaker or a bulkhead",
                "model the pool, or the resilience settings, in separate scenarios",
            );
        }
        let autoscale = match autoscale {
            Some(a) => Some(a?),
            None => None,
        };
        let spec = ServiceSpec {
            instances,
            cores,
            max_in_flight,
            queue,
            service_time: service_time?,
            plans,
            call_timeout,
            resilience,
            pool,
            autoscale,
            session_store,
        };
        Some((spec, cost))
    }
}

/// Timer tags: the kind of timer in the high byte, an instance in the low bits.
const TAG_EVALUATE: u32 = 0;
const TAG_WARM: u32 = 1 << 24;
const TAG_KIND: u32 = 0xff << 24;

pub struct Service {
    id: CompId,
    spec: ServiceSpec,
    /// One pool per instance slot (the autoscaling maximum), allocated once.
    pools: Vec<Pool>,
    /// One connection pool per instance slot (none without `pool`).
    conns: Vec<ConnPool>,
    fleet: Fleet,
    next: u32,
    rng: SimRng,
    work_ns: u128,
    /// Retries, breakers and bulkheads, when the service configures any.
    res: Option<Box<Resilience>>,
    scaler: Autoscaler,
    /// Totals at the last evaluation: (time, busy, capacity, queue, received).
    last_eval: (Nanos, u128, u128, u128, u64),
    /// When each warming instance becomes ready.
    warm_until: Vec<Nanos>,
    /// Whether the pool's size can change (then it reports `instances` per window).
    dynamic: bool,
    /// Time, instance and capacity integrals at the last window, for per-window counts.
    series_prev: (Nanos, u128, u128),
}

impl Service {
    pub fn new(spec: &ServiceSpec, id: CompId, name: &str, seed: u64, dynamic: bool) -> Self {
        let slots = spec.max_instances();
        let pools = (0..slots).map(|_| Pool::new(spec.max_in_flight, spec.queue, spec.cores)).collect();
        let conns = match spec.pool {
            Some((_, size)) => (0..slots).map(|_| ConnPool::new(size, spec.max_in_flight)).collect(),
            None => Vec::new(),
        };
        let res = spec.resilience.as_ref().map(|r| Box::new(Resilience::new(r, &Service::downstream(spec), slots)));
        Service {
            id,
            spec: spec.clone(),
            pools,
            conns,
            fleet: Fleet::new(id, slots, spec.instances, spec.cores),
            next: 0,
            rng: stream(seed, &format!("component:{name}")),
            work_ns: 0,
            res,
            scaler: Autoscaler::default(),
            last_eval: (0, 0, 0, 0, 0),
            warm_until: vec![0; slots as usize],
            dynamic: dynamic || spec.autoscale.is_some(),
            series_prev: (0, 0, 0),
        }
    }

    #[inline]
    fn run(&mut self, ctx: &mut Ctx, id: CallId) {
        let t = self.spec.service_time.sample(&mut self.rng);
        self.work_ns += u128::from(t);
        ctx.schedule(t, Event::Done(id));
    }

    pub fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        let call = ctx.calls.get_mut(id);
        if call.instance == NO_INSTANCE {
            // Called directly, without a balancer: spread round robin, like a DNS name.
            let targets = &self.fleet.targets;
            if targets.is_empty() {
                return ctx.reply(id, Outcome::Rejected);
            }
            call.instance = targets[self.next as usize % targets.len()];
            self.next = self.next.wrapping_add(1);
        }
        let inst = call.instance as usize;
        match self.fleet.state[inst] {
            InstState::Up | InstState::Draining => {}
            InstState::Down | InstState::Off | InstState::Warming => return self.refuse(ctx, id, inst),
        }
        match self.pools[inst].admit(ctx.now, id) {
            Admit::Run => self.run(ctx, id),
            Admit::Wait => {}
            Admit::Rejected => ctx.reply(id, Outcome::Rejected),
        }
    }

    /// A call reached an instance that is not serving: a crashed one fails it, a stopped or
    /// not yet started one refuses the connection.
    #[cold]
    fn refuse(&mut self, ctx: &mut Ctx, id: CallId, inst: usize) {
        if self.fleet.state[inst] != InstState::Down {
            return ctx.reply(id, Outcome::Rejected);
        }
        // Aborted on its way in (the crash found it on the wire) counts once, there.
        if !ctx.calls.get(id).abandoned {
            super::crash::count(ctx, ctx.members[self.id as usize].down_by[inst]);
        }
        ctx.reply(id, Outcome::Failed);
    }

    pub fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        let inst = ctx.calls.get(id).instance as usize;
        if let Some(next) = self.pools[inst].work_done(ctx.now) {
            self.run(ctx, next);
        }
        self.advance(ctx, id);
    }

    /// Schedules the first autoscaling evaluation.
    pub fn start(&mut self, ctx: &mut Ctx) {
        if let Some(a) = &self.spec.autoscale {
            ctx.schedule_periodic(a.interval, Event::Timer(self.id, TAG_EVALUATE));
        }
    }

    pub fn timer(&mut self, ctx: &mut Ctx, tag: u32) {
        let inst = (tag & !TAG_KIND) as usize;
        match tag & TAG_KIND {
            TAG_EVALUATE => self.evaluate(ctx),
            TAG_WARM if self.fleet.state[inst] == InstState::Warming && ctx.now >= self.warm_until[inst] => {
                self.fleet.set(ctx, inst, InstState::Up);
            }
            _ => {}
        }
    }

    /// One autoscaling evaluation: the metric over the last interval, then the decision.
    fn evaluate(&mut self, ctx: &mut Ctx) {
        let Some(a) = self.spec.autoscale.clone() else { return };
        ctx.schedule_periodic(a.interval, Event::Timer(self.id, TAG_EVALUATE));
        let now = ctx.now;
        let (mut busy, mut queue) = (0u128, 0u128);
        for p in &mut self.pools {
            p.sync(now);
            busy += p.cores.total_busy_ns;
            queue += p.threads.total_queue_ns + p.cores.total_queue_ns;
        }
        self.fleet.advance(now);
        let cap = self.fleet.capacity_ns_total;
        let (t0, busy0, cap0, queue0, recv0) = self.last_eval;
        // The engine counts deliveries (reset once, when measurement starts).
        let received = ctx.comp_metrics[self.id as usize].received;
        self.last_eval = (now, busy, cap, queue, received);
        let serving = self.fleet.serving();
        if cap == cap0 || serving == 0 || now == t0 {
            return; // nothing served: no metric to act on
        }
        let dt = (now - t0) as f64;
        let metric = match a.metric {
            super::autoscale::Metric::Cpu => (busy - busy0) as f64 / (cap - cap0) as f64,
            super::autoscale::Metric::QueueDepth => (queue - queue0) as f64 / dt / f64::from(serving),
            super::autoscale::Metric::RequestsPerInstance => {
                let calls = if received >= recv0 { received - recv0 } else { received };
                calls as f64 / (dt / 1e9) / f64::from(serving)
            }
        };
        let view = super::autoscale::PoolView {
            serving: self.fleet.count(InstState::Up),
            warming: self.fleet.count(InstState::Warming),
            provisioned: self.fleet.provisioned(),
            metric,
        };
        match self.scaler.decide(&a, now, view) {
            super::autoscale::Decision::Hold => {}
            super::autoscale::Decision::Add(n) => {
                for inst in self.fleet.spare(n) {
                    self.launch(ctx, inst, a.warmup);
                }
            }
            super::autoscale::Decision::Remove(n) => {
                for inst in self.fleet.newest_up(n) {
                    self.fleet.set(ctx, inst, InstState::Draining);
                    self.stop_if_drained(ctx, inst);
                }
            }
        }
    }

    /// Starts a fresh process in slot `inst`: it serves after `warmup`.
    fn launch(&mut self, ctx: &mut Ctx, inst: usize, warmup: Nanos) {
        ctx.members[self.id as usize].incarnation[inst] += 1;
        if warmup == 0 {
            self.fleet.set(ctx, inst, InstState::Up);
            return;
        }
        self.warm_until[inst] = ctx.now + warmup;
        self.fleet.set(ctx, inst, InstState::Warming);
        ctx.schedule(warmup, Event::Timer(self.id, TAG_WARM | inst as u32));
    }

    /// A draining instance with nothing left to finish stops (and stops costing).
    fn stop_if_drained(&mut self, ctx: &mut Ctx, inst: usize) {
        if self.fleet.state[inst] == InstState::Draining && self.pools[inst].idle() {
            self.fleet.set(ctx, inst, InstState::Off);
        }
    }

    /// Starts the current step's downstream calls, or answers when the plan is done.
    #[inline]
    fn advance(&mut self, ctx: &mut Ctx, id: CallId) {
        if self.spec.pool.is_some() {
            return self.advance_pooled(ctx, id);
        }
        let class = ctx.class_of(id) as usize;
        let call = *ctx.calls.get(id);
        let plan = &self.spec.plans[class];
        if call.outcome != Outcome::Ok || call.step as usize >= plan.len() {
            return self.finish(ctx, id);
        }
        let mut sent = 0u16;
        for t in &plan[call.step as usize] {
            let out = match self.res.as_deref_mut() {
                None => ctx.call_out(id, t.comp, t.op, NO_INSTANCE, self.spec.call_timeout),
                Some(res) => {
                    res.send(ctx, id, call.instance, (t.comp, t.op), self.spec.call_timeout, 0, 0).ok().flatten()
                }
            };
            match out {
                Some(_) => sent += 1,
                None => ctx.calls.get_mut(id).outcome = Outcome::Rejected,
            }
        }
        ctx.calls.get_mut(id).pending = sent;
        if sent == 0 {
            self.finish(ctx, id);
        }
    }

    /// `advance` for an instance with a connection pool: calls to the pool's target first
    /// take a connection, or wait for one. Kept out of line: scenarios without pools never
    /// come here, and `advance` stays small enough to inline.
    #[inline(never)]
    fn advance_pooled(&mut self, ctx: &mut Ctx, id: CallId) {
        let class = ctx.class_of(id) as usize;
        let call = *ctx.calls.get(id);
        let (step, inst) = (call.step as usize, call.instance as usize);
        if call.outcome != Outcome::Ok || step >= self.spec.plans[class].len() {
            return self.finish(ctx, id);
        }
        let (mut sent, mut unused_conns) = (0u16, 0);
        for j in 0..self.spec.plans[class][step].len() {
            let t = self.spec.plans[class][step][j];
            let pooled = self.spec.pool.is_some_and(|(c, _)| c == t.comp);
            if pooled && !self.conns[inst].take(ctx.now, id, t.op) {
                sent += 1; // sent when a connection comes back (`release`)
                continue;
            }
            match ctx.call_out(id, t.comp, t.op, NO_INSTANCE, self.spec.call_timeout) {
                Some(_) => sent += 1,
                None => {
                    ctx.calls.get_mut(id).outcome = Outcome::Rejected;
                    unused_conns += u32::from(pooled);
                }
            }
        }
        ctx.calls.get_mut(id).pending = sent;
        if sent == 0 {
            self.finish(ctx, id);
        }
        for _ in 0..unused_conns {
            self.release(ctx, inst);
        }
    }

    /// A connection of instance `inst`'s pool comes back: the first waiting call sends its
    /// call to the pool's target on it.
    #[inline(never)]
    fn release(&mut self, ctx: &mut Ctx, inst: usize) {
        let Some((target, _)) = self.spec.pool else { return };
        while let Some((waiter, op)) = self.conns[inst].give_back(ctx.now) {
            if ctx.call_out(waiter, target, op, NO_INSTANCE, self.spec.call_timeout).is_some() {
                return;
            }
            // The call arena is full: this call fails, and the connection goes to the next.
            self.child_done(ctx, waiter, Outcome::Rejected);
        }
    }

    pub fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        if self.spec.pool.is_some_and(|(c, _)| c == ctx.child_comp()) {
            let inst = ctx.calls.get(id).instance as usize;
            self.release(ctx, inst);
        }
        if self.res.is_some() && self.retried(ctx, id, outcome) {
            return;
        }
        self.child_done(ctx, id, outcome);
    }

    /// One downstream call of `id`'s current step is over with `outcome`.
    #[inline]
    fn child_done(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        let call = ctx.calls.get_mut(id);
        call.pending -= 1;
        if outcome != Outcome::Ok && call.outcome == Outcome::Ok {
            call.outcome = outcome;
        }
        if call.pending == 0 {
            call.step += 1;
            self.advance(ctx, id);
        }
    }

    /// Tells the breaker and bulkhead about the answer; sends a failed call again if it may.
    fn retried(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) -> bool {
        let res = self.res.as_deref_mut().expect("checked by the caller");
        let child = *ctx.calls.get(ctx.child);
        let inst = ctx.calls.get(id).instance;
        res.answered(inst, child.comp, outcome == Outcome::Ok, ctx.now);
        if outcome == Outcome::Ok {
            return false;
        }
        let Some(delay) = res.retry_delay(child.attempt, &mut self.rng) else { return false };
        let target = (child.comp, child.op);
        match res.send(ctx, id, inst, target, self.spec.call_timeout, child.attempt + 1, delay) {
            Ok(Some(_)) => {
                res.c.retries += 1;
                true
            }
            Ok(None) | Err(_) => false,
        }
    }

    #[inline]
    fn finish(&mut self, ctx: &mut Ctx, id: CallId) {
        let call = *ctx.calls.get(id);
        let inst = call.instance as usize;
        if let Some(next) = self.pools[inst].leave(ctx.now) {
            self.run(ctx, next);
        }
        if self.fleet.state[inst] == InstState::Draining {
            self.stop_if_drained(ctx, inst);
        }
        ctx.reply(id, call.outcome);
    }

    pub fn totals(&mut self, now: Nanos) -> Totals {
        self.fleet.advance(now);
        let serving = self.fleet.serving() * self.spec.cores;
        let mut t = Totals { servers: serving, capacity_ns: self.fleet.running_ns_total, ..Totals::default() };
        for p in &mut self.pools {
            p.sync(now);
            t.busy_ns += p.cores.total_busy_ns;
            t.queue_ns += p.threads.total_queue_ns + p.cores.total_queue_ns;
        }
        t
    }

    /// Per-window values: the time-average number of instances, when it can change.
    pub fn series(&mut self, now: Nanos, out: &mut Vec<(&'static str, f64)>) {
        if !self.dynamic {
            return;
        }
        self.fleet.advance(now);
        let (t0, i0, c0) = self.series_prev;
        let (total, cap) = (self.fleet.instance_ns_total, self.fleet.capacity_ns_total);
        if now > t0 {
            let w = (now - t0) as f64;
            out.push(("instances", (total - i0) as f64 / w));
            out.push(("instances_serving", (cap - c0) as f64 / w / f64::from(self.spec.cores)));
        }
        self.series_prev = (now, total, cap);
    }

    pub fn sync(&mut self, now: Nanos) {
        self.pools.iter_mut().for_each(|p| p.sync(now));
        if let Some(res) = self.res.as_deref_mut() {
            res.sync(now);
        }
        self.conns.iter_mut().for_each(|c| c.sync(now));
        self.fleet.advance(now);
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        self.pools.iter_mut().for_each(|p| p.reset_stats(now));
        self.conns.iter_mut().for_each(|c| c.reset_stats(now));
        self.fleet.reset_stats(now);
        self.work_ns = 0;
        if let Some(res) = self.res.as_deref_mut() {
            res.reset_stats(now);
        }
        self.scaler.ups = 0;
        self.scaler.downs = 0;
    }

    pub fn stats(&self, elapsed: Nanos) -> KindStats {
        let cores: Vec<_> = self.pools.iter().map(|p| p.cores.stats).collect();
        let threads: Vec<_> = self.pools.iter().map(|p| p.threads.stats).collect();
        let mut s = KindStats::from_stations(&cores, self.spec.cores, elapsed);
        let th = KindStats::from_stations(&threads, self.spec.max_in_flight, elapsed);
        // The accept queue is part of what a request waits in front of this service.
        s.queue_mean += th.queue_mean;
        s.rejected = th.rejected;
        s.service_s_mean = if s.granted == 0 { 0.0 } else { self.work_ns as f64 / 1e9 / s.granted as f64 };
        // A call waits for a thread, a core or both: counted once per admitted call.
        s.granted = self.pools.iter().map(|p| p.admitted).sum();
        s.waited = self.pools.iter().map(|p| p.waited).sum();
        s.wait_s_mean += th.wait_s_mean;
        // Capacity is what the instances able to run work offered over time, not the slots.
        let el = elapsed.max(1) as f64;
        let cap = self.fleet.running_ns as f64;
        let busy: u128 = cores.iter().map(|c| c.busy_ns).sum();
        let thread_busy: u128 = threads.iter().map(|t| t.busy_ns).sum();
        let servers_mean = cap / el;
        s.servers = servers_mean.round() as u32;
        s.utilization = if cap > 0.0 { busy as f64 / cap } else { 0.0 };
        let thread_cap = cap / f64::from(self.spec.cores) * f64::from(self.spec.max_in_flight);
        let threads_utilization = if thread_cap > 0.0 { thread_busy as f64 / thread_cap } else { 0.0 };
        s.extra.insert("threads_utilization".into(), threads_utilization);
        s.nodes = self.instance_nodes(elapsed);
        s.queue_max = s.nodes.iter().map(|n| n.queue_max).max().unwrap_or(0);
        // Only a pool whose size can change (autoscaling, or a crash aimed at it) reports a
        // time-average count; a static pool's count is its configuration.
        if self.dynamic {
            let instances_mean = self.fleet.instance_ns as f64 / el;
            s.instances_mean = Some(instances_mean);
            s.extra.insert("instances".into(), instances_mean);
            s.extra.insert("servers_mean".into(), servers_mean);
            s.extra.insert("instances_peak".into(), f64::from(self.fleet.peak));
            if self.spec.autoscale.is_some() {
                s.extra.insert("scale_ups".into(), self.scaler.ups as f64);
                s.extra.insert("scale_downs".into(), self.scaler.downs as f64);
            }
        } else {
            s.extra.insert("instances".into(), f64::from(self.spec.instances));
        }
        if let Some(res) = &self.res {
            res.report(&mut s.extra);
        }
        if let Some((_, size)) = self.spec.pool {
            let (util, wait, waited, _, waiting_max) = pool_figures(&self.conns.iter().collect::<Vec<_>>(), elapsed);
            s.extra.insert("pool_size".into(), f64::from(size));
            s.extra.insert("pool_utilization".into(), util);
            s.extra.insert("pool_wait_s_mean".into(), wait);
            s.extra.insert("pool_exhausted".into(), waited as f64);
            s.extra.insert("pool_waiting_max".into(), f64::from(waiting_max));
        }
        s
    }

    /// One node per instance slot that could run work during the window (spare slots of an
    /// autoscaled pool that never started are left out).
    fn instance_nodes(&self, elapsed: Nanos) -> Vec<NodeStats> {
        let cores = f64::from(self.spec.cores);
        let mut nodes = Vec::new();
        for (i, p) in self.pools.iter().enumerate() {
            let run = self.fleet.run_ns(i) as f64;
            let never_started = self.fleet.state[i] == InstState::Off || elapsed > 0;
            if run == 0.0 && never_started && p.cores.stats.busy_ns == 0 && p.threads.stats.granted == 0 {
                continue;
            }
            let cap = if run > 0.0 { run * cores } else { elapsed as f64 * cores };
            nodes.push(NodeStats::of_pool(format!("instance {i}"), p, cap, elapsed));
        }
        nodes
    }

    pub fn spec(&self) -> &ServiceSpec {
        &self.spec
    }

    pub fn downstream(spec: &ServiceSpec) -> Vec<CompId> {
        let mut v: Vec<CompId> = Vec::new();
        for t in crate::calls_model::targets(&spec.plans) {
            if !v.contains(&t) {
                v.push(t);
            }
        }
        v
    }
}
