//! `kind = "service"`: an app server pool. Instances x cores serve in parallel; each
//! instance has a limit of worker threads held across downstream calls and a bounded accept
//! queue; the handler calls downstream components in sequence or in parallel.

use super::conn_pool::{pool_figures, ConnPool, PoolInput};
use super::pool::{Admit, Pool};
use super::resilience::{self, BreakerInput, Resilience, ResilienceKeys, ResilienceSpec};
use super::KindStats;
use crate::calls_model::Plan;
use crate::dist::Dist;
use crate::engine::calls::{CallId, Outcome, NO_INSTANCE};
use crate::engine::event::Event;
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::input::calls::CallsInput;
use crate::model::CompId;
use crate::model::Cost;
use crate::rng::{stream, SimRng};
use crate::units::Nanos;
use crate::validate::Resolver;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    pub kind: String,
    pub instance_type: Option<String>,
    pub instances: Option<u32>,
    /// Requests served in parallel per instance (default: the instance type's cores, or 1).
    pub cores: Option<u32>,
    /// Worker threads per instance, held while waiting on downstream calls.
    pub max_in_flight: Option<u32>,
    /// Accept queue per instance; beyond it, requests are rejected.
    pub queue: Option<u32>,
    pub service_time: String,
    pub calls: Option<CallsInput>,
    /// How long the handler waits for each downstream call.
    pub timeout: Option<String>,
    /// A connection pool per instance towards one target, `pool = { target = "db", size = 10 }`:
    /// each call to the target waits for a free connection (holding its worker thread) and
    /// holds it until the call answers.
    pub pool: Option<PoolInput>,
    pub usd_per_hour: Option<f64>,
    /// Times a failed downstream call is sent again (default 0; see `resilience`), after a
    /// jittered exponential `backoff` (default "50ms") capped at `backoff_max` (default "1s").
    pub retries: Option<u32>,
    pub backoff: Option<String>,
    pub backoff_max: Option<String>,
    /// A circuit breaker per downstream target and instance.
    pub breaker: Option<BreakerInput>,
    /// Calls one instance may have outstanding to one target; beyond, calls fail fast.
    pub bulkhead: Option<u32>,
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
        let instances = r.count(&at("instances"), self.instances, 1);
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
        let plans = r.plans(&base, &self.calls);
        let pool = self.pool.as_ref().and_then(|p| p.validate(&base, &plans, r));
        let cost = r.cost(&base, &self.instance_type, instances, self.usd_per_hour);
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
        let service_time = service_time?;
        let spec =
            ServiceSpec { instances, cores, max_in_flight, queue, service_time, plans, call_timeout, resilience, pool };
        Some((spec, cost))
    }
}

pub struct Service {
    spec: ServiceSpec,
    pools: Vec<Pool>,
    /// One connection pool per instance (none without `pool`).
    conns: Vec<ConnPool>,
    next: u32,
    rng: SimRng,
    work_ns: u128,
    /// Retries, breakers and bulkheads, when the service configures any.
    res: Option<Box<Resilience>>,
}

impl Service {
    pub fn new(spec: &ServiceSpec, name: &str, seed: u64) -> Self {
        let pools = (0..spec.instances).map(|_| Pool::new(spec.max_in_flight, spec.queue, spec.cores)).collect();
        let conns = match spec.pool {
            Some((_, size)) => (0..spec.instances).map(|_| ConnPool::new(size, spec.max_in_flight)).collect(),
            None => Vec::new(),
        };
        let res =
            spec.resilience.as_ref().map(|r| Box::new(Resilience::new(r, &Service::downstream(spec), spec.instances)));
        let rng = stream(seed, &format!("component:{name}"));
        Service { spec: spec.clone(), pools, conns, next: 0, rng, work_ns: 0, res }
    }

    fn run(&mut self, ctx: &mut Ctx, id: CallId) {
        let t = self.spec.service_time.sample(&mut self.rng);
        self.work_ns += u128::from(t);
        ctx.schedule(t, Event::Done(id));
    }

    pub fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        let call = ctx.calls.get_mut(id);
        if call.instance == NO_INSTANCE {
            // Called directly, without a balancer: spread round robin, like a DNS name.
            call.instance = (self.next % self.spec.instances) as u16;
            self.next = self.next.wrapping_add(1);
        }
        let inst = call.instance as usize;
        match self.pools[inst].admit(ctx.now, id) {
            Admit::Run => self.run(ctx, id),
            Admit::Wait => {}
            Admit::Rejected => ctx.reply(id, Outcome::Rejected),
        }
    }

    pub fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        let inst = ctx.calls.get(id).instance as usize;
        if let Some(next) = self.pools[inst].work_done(ctx.now) {
            self.run(ctx, next);
        }
        self.advance(ctx, id);
    }

    /// Starts the current step's downstream calls, or answers when the plan is done.
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

    fn finish(&mut self, ctx: &mut Ctx, id: CallId) {
        let call = *ctx.calls.get(id);
        if let Some(next) = self.pools[call.instance as usize].leave(ctx.now) {
            self.run(ctx, next);
        }
        ctx.reply(id, call.outcome);
    }

    pub fn totals(&mut self, now: Nanos) -> Totals {
        let mut t = Totals { servers: self.spec.instances * self.spec.cores, ..Totals::default() };
        for p in &mut self.pools {
            p.sync(now);
            t.busy_ns += p.cores.total_busy_ns;
            t.queue_ns += p.threads.total_queue_ns + p.cores.total_queue_ns;
        }
        t
    }

    pub fn sync(&mut self, now: Nanos) {
        self.pools.iter_mut().for_each(|p| p.sync(now));
        if let Some(res) = self.res.as_deref_mut() {
            res.sync(now);
        }
        self.conns.iter_mut().for_each(|c| c.sync(now));
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        self.pools.iter_mut().for_each(|p| p.reset_stats(now));
        self.conns.iter_mut().for_each(|c| c.reset_stats(now));
        self.work_ns = 0;
        if let Some(res) = self.res.as_deref_mut() {
            res.reset_stats(now);
        }
    }

    pub fn stats(&self, elapsed: Nanos) -> KindStats {
        let cores: Vec<_> = self.pools.iter().map(|p| p.cores.stats).collect();
        let threads: Vec<_> = self.pools.iter().map(|p| p.threads.stats).collect();
        let mut s = KindStats::from_stations(&cores, self.spec.cores, elapsed);
        let th = KindStats::from_stations(&threads, self.spec.max_in_flight, elapsed);
        // The accept queue is part of what a request waits in front of this service.
        s.queue_mean += th.queue_mean;
        s.queue_max = s.queue_max.max(th.queue_max);
        s.wait_s_mean += th.wait_s_mean;
        s.rejected = th.rejected;
        s.waited += th.waited;
        s.service_s_mean = if s.granted == 0 { 0.0 } else { self.work_ns as f64 / 1e9 / s.granted as f64 };
        s.extra.insert("threads_utilization".into(), th.utilization);
        s.extra.insert("instances".into(), f64::from(self.spec.instances));
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
