//! `kind = "queue"`: a message queue (Kafka, RabbitMQ, SQS) and the pool of workers that
//! consumes it.
//!
//! The producer's call is answered once the broker has the message (`ack_time`); the work
//! happens later, on one of `workers` consumers, each message taking `work_time` and then
//! the worker's own downstream `calls`. A consumer's work is not a user's request: it runs as
//! background work (`Ctx::spawn`) that keeps the run going until the queue has drained, and
//! it never counts among the requests. A message that fails (a downstream error or timeout)
//! becomes visible again after an exponential backoff, up to `max_retries` times, and then
//! goes to the dead-letter queue. Messages are lost only where a bound says so, and counted:
//! `dropped_full` (the `capacity`), `dropped_at_hard_limit` (an "unbounded" queue reached
//! `HARD_LIMIT`), `dead_lettered`.

mod kind;
mod bench_tests;
use super::KindStats;
use crate::calls_model::Plan;
use crate::dist::Dist;
use crate::engine::calls::{CallId, Outcome, Request, Slab, NO_INSTANCE};
use crate::engine::event::Event;
use crate::engine::metrics::{new_histogram, record};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::input::calls::CallsInput;
use crate::model::{CompId, Cost};
use crate::rng::{stream, SimRng};
use crate::units::{ns_to_secs, Nanos};
use crate::validate::Resolver;
use hdrhistogram::Histogram;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::collections::VecDeque;
use std::fmt;

/// What `stagesim docs` says this kind costs beyond its instances and reports in its summary
/// object; a test fails when a run reports a field missing here.
pub const DOCS: super::KindDocs = super::KindDocs {
    usage_prices: &[],
    metrics: &[&[
        ("workers", "consumers"),
        ("worker_utilization", "busy consumers / consumers"),
        ("work_s_mean", "a consumer's mean work per attempt, in seconds"),
        ("attempts_per_s", "processing attempts per second"),
        ("enqueued", "messages accepted"),
        ("processed", "messages processed successfully"),
        ("failed_attempts", "attempts that failed"),
        ("retries", "attempts that were retries"),
        ("dead_lettered", "messages moved to the dead-letter queue after `max_retries`"),
        ("dropped_full", "messages refused because the queue was at `capacity`"),
        ("dropped_at_hard_limit", "messages refused at the hard limit of an unbounded queue"),
        ("start_refused", "attempts that could not start (a limit was hit)"),
        ("depth_max", "most messages held at once"),
        ("depth_at_end", "messages held at the end of the run"),
        ("consumer_lag_s_p99", "time from enqueue to the start of processing, 99th percentile, in seconds"),
        ("consumer_lag_s_max", "longest time from enqueue to the start of processing, in seconds"),
        ("end_to_end_async_s_mean", "time from enqueue to successful processing, mean, in seconds"),
        ("end_to_end_async_s_p99", "time from enqueue to successful processing, 99th percentile, in seconds"),
    ]],
};

/// A message queue with its consumers: the producer waits only for the acknowledgement; workers process messages in the background, with retries and a dead-letter queue.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueInput {
    /// The component kind.
    pub kind: String,
    /// Time until the producer has its acknowledgement: the broker's durable write
    /// (default "1ms").
    #[schemars(with = "Option<crate::schema::Distribution>")]
    pub ack_time: Option<String>,
    /// Messages the queue holds (waiting or in backoff): a count, or "unbounded" (default),
    /// which still stops at `HARD_LIMIT` messages and reports it.
    pub capacity: Option<Capacity>,
    /// Consumers processing messages in parallel (default 1).
    pub workers: Option<u32>,
    /// A consumer's own work per message.
    #[schemars(with = "crate::schema::Distribution")]
    pub work_time: String,
    /// What a consumer calls for each message after its work, like a service's `calls`.
    pub calls: Option<CallsInput>,
    /// How long a consumer waits for each downstream call.
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub timeout: Option<String>,
    /// Times a failed message is tried again before it goes to the dead-letter queue
    /// (default 3).
    pub max_retries: Option<u32>,
    /// Delay before a failed message is visible again; doubles with each failure (default
    /// "100ms"), up to `backoff_max` (default "1m").
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub backoff: Option<String>,
    /// Cap of the exponential backoff.
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub backoff_max: Option<String>,
    /// Hosts of the broker and consumers, for cost.
    pub instance_type: Option<String>,
    /// Identical instances (default 1), each priced at the instance type's or `usd_per_hour`'s hourly rate.
    pub instances: Option<u32>,
    /// Hourly price of one instance in USD, instead of the instance type's.
    pub usd_per_hour: Option<f64>,
    /// How the instances are bought: `on_demand` (default), `spot`, `reserved_1y` or
    /// `savings_plan_1y`, each at its discount from models/prices.toml ([instance_pricing]).
    pub pricing: Option<String>,
}

/// `capacity = 10000` or `capacity = "unbounded"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capacity {
    Count(u64),
    Unbounded,
}

impl schemars::JsonSchema for Capacity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "QueueCapacity".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Messages held: a count, or \"unbounded\".",
            "anyOf": [{ "type": "integer", "minimum": 0 }, { "const": "unbounded" }]
        })
    }
}

impl<'de> Deserialize<'de> for Capacity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Capacity;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of messages, or \"unbounded\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Capacity, E> {
                u64::try_from(v).map(Capacity::Count).map_err(|_| E::custom("`capacity` must not be negative"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Capacity, E> {
                Ok(Capacity::Count(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Capacity, E> {
                match v {
                    "unbounded" => Ok(Capacity::Unbounded),
                    other => Err(E::custom(format!("`capacity` is a number or \"unbounded\", not \"{other}\""))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// What "unbounded" means: a queue this deep is far past any alarm, and the memory it takes
/// (24 bytes a message) must stay bounded too.
pub const HARD_LIMIT: u64 = 4_000_000;
pub const MAX_WORKERS: u32 = 10_000;

#[derive(Clone, Debug)]
pub struct QueueSpec {
    pub ack_time: Dist,
    pub capacity: u64,
    pub unbounded: bool,
    pub workers: u32,
    pub work_time: Dist,
    pub plans: Vec<Plan>,
    pub call_timeout: Option<Nanos>,
    pub max_retries: u32,
    pub backoff: Nanos,
    pub backoff_max: Nanos,
}

impl QueueInput {
    pub fn validate(&self, name: &str, r: &mut Resolver) -> Option<(QueueSpec, Cost)> {
        let base = ["components", name];
        let at = |k: &'static str| [base[0], base[1], k];
        let ack_time = r.dist(&at("ack_time"), self.ack_time.as_deref().unwrap_or("1ms"));
        let (capacity, unbounded) = match self.capacity.unwrap_or(Capacity::Unbounded) {
            Capacity::Unbounded => (HARD_LIMIT, true),
            Capacity::Count(0) => {
                r.problem(&at("capacity"), "`capacity` must be at least 1", "a number of messages, or \"unbounded\"");
                (1, false)
            }
            Capacity::Count(n) if n > HARD_LIMIT => {
                let help = format!("use at most {HARD_LIMIT}, or \"unbounded\" (which stops there too)");
                r.problem(&at("capacity"), format!("`capacity` {n} is above the hard limit"), help);
                (HARD_LIMIT, false)
            }
            Capacity::Count(n) => (n, false),
        };
        let workers = r.count(&at("workers"), self.workers, 1);
        if workers > MAX_WORKERS {
            let msg = format!("{workers} workers is more than the {MAX_WORKERS} a queue's pool may have");
            r.problem(&at("workers"), msg, "model a larger pool as several queues");
        }
        let work_time = r.dist(&at("work_time"), &self.work_time);
        let call_timeout = self.timeout.as_deref().and_then(|t| r.duration(&at("timeout"), t));
        if call_timeout == Some(0) {
            r.problem(&at("timeout"), "`timeout` must be greater than zero", "for example \"1s\"");
        }
        let max_retries = self.max_retries.unwrap_or(3);
        if max_retries > 100 {
            r.problem(&at("max_retries"), "`max_retries` must be at most 100", "a handful is typical, e.g. 3 or 5");
        }
        let backoff = r.duration(&at("backoff"), self.backoff.as_deref().unwrap_or("100ms"));
        let backoff_max = r.duration(&at("backoff_max"), self.backoff_max.as_deref().unwrap_or("1m"));
        if let (Some(b), Some(m)) = (backoff, backoff_max) {
            if m < b {
                r.problem(&at("backoff_max"), "`backoff_max` must not be below `backoff`", "raise it, e.g. \"1m\"");
            }
        }
        let plans = r.plans(&base, &self.calls);
        let cost = r.cost(
            &base,
            &self.instance_type,
            self.instances.unwrap_or(1).max(1),
            self.usd_per_hour,
            &self.pricing,
            true,
        );
        let spec = QueueSpec {
            ack_time: ack_time?,
            capacity,
            unbounded,
            workers: workers.min(MAX_WORKERS),
            work_time: work_time?,
            plans,
            call_timeout,
            max_retries: max_retries.min(100),
            backoff: backoff?,
            backoff_max: backoff_max?,
        };
        Some((spec, cost))
    }
}

/// A message: who sent it (so its consumer's calls look like the request that produced it),
/// when it was first enqueued and when it last became visible, and how often it failed.
#[derive(Clone, Copy, Debug)]
struct Msg {
    first_at: Nanos,
    visible_at: Nanos,
    key: u64,
    user: u32,
    class: u8,
    region: u8,
    failures: u8,
}

#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    enqueued: u64,
    processed: u64,
    failed_attempts: u64,
    retries: u64,
    dead_lettered: u64,
    dropped_full: u64,
    dropped_at_hard_limit: u64,
    start_refused: u64,
    /// Attempts started, of which `waited` found no idle worker; waits summed.
    started: u64,
    waited: u64,
    wait_ns: u128,
    work_ns: u128,
    busy_ns: u128,
    depth_ns: u128,
    depth_max: u64,
}

pub struct Queue {
    spec: QueueSpec,
    id: CompId,
    rng: SimRng,
    ready: VecDeque<Msg>,
    /// Failed messages waiting out their backoff, woken by `Event::Wake(id, slot)`.
    delayed: Slab<Msg>,
    /// Messages on a worker, by the slot the worker's call carries as its `instance`.
    working: Slab<Msg>,
    last: Nanos,
    total_busy_ns: u128,
    total_depth_ns: u128,
    c: Counters,
    lag: Histogram<u64>,
    end_to_end: Histogram<u64>,
    lag_max: Nanos,
    depth_at_end: u64,
}

impl Queue {
    pub fn new(spec: &QueueSpec, name: &str, id: CompId, seed: u64) -> Self {
        // Grows as messages pile up; the bound is enforced on `len`, not reserved.
        let prealloc = (spec.capacity as usize).min(1 << 10);
        Queue {
            spec: spec.clone(),
            id,
            rng: stream(seed, &format!("component:{name}")),
            ready: VecDeque::with_capacity(prealloc),
            delayed: Slab::with_limit(spec.capacity as usize),
            working: Slab::with_limit(spec.workers as usize),
            last: 0,
            total_busy_ns: 0,
            total_depth_ns: 0,
            c: Counters::default(),
            lag: new_histogram(),
            end_to_end: new_histogram(),
            lag_max: 0,
            depth_at_end: 0,
        }
    }

    fn depth(&self) -> u64 {
        (self.ready.len() + self.delayed.live()) as u64
    }

    /// Integrates depth and busy workers up to `now`.
    fn advance(&mut self, now: Nanos) {
        let dt = u128::from(now.saturating_sub(self.last));
        let busy = dt * self.working.live() as u128;
        let depth = dt * u128::from(self.depth());
        self.c.busy_ns += busy;
        self.c.depth_ns += depth;
        self.total_busy_ns += busy;
        self.total_depth_ns += depth;
        self.last = now;
    }

    pub fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        let t = self.spec.ack_time.sample(&mut self.rng);
        ctx.schedule(t, Event::Done(id));
    }

    pub fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        let req = *ctx.requests.get(ctx.calls.get(id).req);
        if req.background {
            return self.advance_plan(ctx, id);
        }
        // The broker has written the message: the producer is answered now.
        self.advance(ctx.now);
        if self.depth() >= self.spec.capacity {
            if self.spec.unbounded {
                self.c.dropped_at_hard_limit += 1;
            } else {
                self.c.dropped_full += 1;
            }
            return ctx.reply(id, Outcome::Rejected);
        }
        let now = ctx.now;
        let msg = Msg {
            first_at: now,
            visible_at: now,
            key: req.key,
            user: req.user,
            class: req.class,
            region: req.region,
            failures: 0,
        };
        self.ready.push_back(msg);
        self.c.enqueued += 1;
        self.c.depth_max = self.c.depth_max.max(self.depth());
        ctx.reply(id, Outcome::Ok);
        self.start_workers(ctx);
    }

    /// Hands waiting messages to idle workers.
    fn start_workers(&mut self, ctx: &mut Ctx) {
        while self.working.live() < self.spec.workers as usize {
            let Some(msg) = self.ready.pop_front() else { return };
            self.advance(ctx.now);
            let like = Request {
                class: msg.class,
                measured: false,
                resolved: true,
                arrived_at: msg.first_at,
                key: msg.key,
                user: msg.user,
                region: msg.region,
                root: 0,
                background: true,
            };
            let Some(call) = ctx.spawn(self.id, like) else {
                // No arena slot for the work: a failed attempt, retried after its backoff.
                self.c.start_refused += 1;
                self.failed(ctx, msg);
                continue;
            };
            let waited = ctx.now - msg.visible_at;
            self.c.started += 1;
            if waited > 0 {
                self.c.waited += 1;
                self.c.wait_ns += u128::from(waited);
            }
            self.lag_max = self.lag_max.max(waited);
            record(&mut self.lag, waited);
            let slot = self.working.insert(msg).expect("fewer messages in work than workers");
            ctx.calls.get_mut(call).instance = slot as u16;
            let t = self.spec.work_time.sample(&mut self.rng);
            ctx.schedule(t, Event::Done(call));
        }
    }

    /// Starts the current step's downstream calls, or ends the work when the plan is done.
    fn advance_plan(&mut self, ctx: &mut Ctx, id: CallId) {
        let class = ctx.class_of(id) as usize;
        let call = *ctx.calls.get(id);
        let plan = &self.spec.plans[class];
        if call.outcome != Outcome::Ok || call.step as usize >= plan.len() {
            return self.finish(ctx, id);
        }
        let mut sent = 0u16;
        for t in &plan[call.step as usize] {
            match ctx.call_out(id, t.comp, t.op, NO_INSTANCE, self.spec.call_timeout) {
                Some(_) => sent += 1,
                None => ctx.calls.get_mut(id).outcome = Outcome::Rejected,
            }
        }
        ctx.calls.get_mut(id).pending = sent;
        if sent == 0 {
            self.finish(ctx, id);
        }
    }

    pub fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        let call = ctx.calls.get_mut(id);
        call.pending -= 1;
        if outcome != Outcome::Ok && call.outcome == Outcome::Ok {
            call.outcome = outcome;
        }
        if call.pending == 0 {
            call.step += 1;
            self.advance_plan(ctx, id);
        }
    }

    /// A worker is done with a message, successfully or not.
    fn finish(&mut self, ctx: &mut Ctx, id: CallId) {
        self.advance(ctx.now);
        let call = *ctx.calls.get(id);
        let msg = *self.working.get(u32::from(call.instance));
        self.working.remove(u32::from(call.instance));
        self.c.work_ns += u128::from(ctx.now - call.arrived_at);
        ctx.retire(id);
        if call.outcome == Outcome::Ok {
            self.c.processed += 1;
            record(&mut self.end_to_end, ctx.now - msg.first_at);
        } else {
            self.failed(ctx, msg);
        }
        self.start_workers(ctx);
    }

    /// A failed attempt: back in the queue after its backoff, or to the dead-letter queue.
    fn failed(&mut self, ctx: &mut Ctx, mut msg: Msg) {
        self.c.failed_attempts += 1;
        msg.failures = msg.failures.saturating_add(1);
        if u32::from(msg.failures) > self.spec.max_retries {
            self.c.dead_lettered += 1;
            return;
        }
        let shift = u32::from(msg.failures - 1).min(40);
        let delay = self.spec.backoff.saturating_mul(1 << shift).min(self.spec.backoff_max);
        match self.delayed.insert(msg) {
            Some(slot) => {
                self.c.retries += 1;
                ctx.schedule(delay, Event::Wake(self.id, slot));
            }
            // More messages in backoff than the queue holds: the capacity bound drops it.
            None => self.c.dropped_full += 1,
        }
    }

    /// A message's backoff is over: it is visible again, at the back of the queue.
    pub fn wake(&mut self, ctx: &mut Ctx, slot: u32) {
        self.advance(ctx.now);
        let mut msg = *self.delayed.get(slot);
        self.delayed.remove(slot);
        msg.visible_at = ctx.now;
        self.ready.push_back(msg);
        self.start_workers(ctx);
    }

    pub fn totals(&mut self, now: Nanos) -> Totals {
        self.advance(now);
        Totals {
            busy_ns: self.total_busy_ns,
            queue_ns: self.total_depth_ns,
            servers: self.spec.workers,
            ..Totals::default()
        }
    }

    pub fn sync(&mut self, now: Nanos) {
        self.advance(now);
        self.depth_at_end = self.depth() + self.working.live() as u64;
        if let Some(oldest) = self.ready.front() {
            self.lag_max = self.lag_max.max(now - oldest.visible_at);
        }
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        self.advance(now);
        self.c = Counters { depth_max: self.depth(), ..Counters::default() };
        self.lag.reset();
        self.end_to_end.reset();
        self.lag_max = 0;
    }

    pub fn stats(&self, elapsed: Nanos) -> KindStats {
        let el = elapsed.max(1) as f64;
        let c = &self.c;
        let workers = f64::from(self.spec.workers);
        let q = |h: &Histogram<u64>, p: f64| if h.is_empty() { 0.0 } else { ns_to_secs(h.value_at_quantile(p)) };
        let mut s = KindStats {
            servers: self.spec.workers,
            utilization: c.busy_ns as f64 / (el * workers),
            queue_mean: c.depth_ns as f64 / el,
            queue_max: c.depth_max.min(u64::from(u32::MAX)) as u32,
            wait_s_mean: if c.started == 0 { 0.0 } else { c.wait_ns as f64 / 1e9 / c.started as f64 },
            // The caller is served by the acknowledgement; the workers' time is reported as
            // `work_s_mean` (per attempt), whose rate is not the rate of calls to the queue.
            service_s_mean: 0.0,
            granted: c.started,
            waited: c.waited,
            rejected: c.dropped_full + c.dropped_at_hard_limit,
            ..KindStats::default()
        };
        let e = &mut s.extra;
        e.insert("workers".into(), workers);
        e.insert("worker_utilization".into(), s.utilization);
        e.insert("work_s_mean".into(), if c.started == 0 { 0.0 } else { c.work_ns as f64 / 1e9 / c.started as f64 });
        e.insert("attempts_per_s".into(), c.started as f64 * 1e9 / el);
        e.insert("enqueued".into(), c.enqueued as f64);
        e.insert("processed".into(), c.processed as f64);
        e.insert("failed_attempts".into(), c.failed_attempts as f64);
        e.insert("retries".into(), c.retries as f64);
        e.insert("dead_lettered".into(), c.dead_lettered as f64);
        e.insert("dropped_full".into(), c.dropped_full as f64);
        e.insert("dropped_at_hard_limit".into(), c.dropped_at_hard_limit as f64);
        e.insert("start_refused".into(), c.start_refused as f64);
        e.insert("depth_max".into(), c.depth_max as f64);
        e.insert("depth_at_end".into(), self.depth_at_end as f64);
        e.insert("consumer_lag_s_p99".into(), q(&self.lag, 0.99));
        e.insert("consumer_lag_s_max".into(), ns_to_secs(self.lag_max));
        e.insert(
            "end_to_end_async_s_mean".into(),
            if self.end_to_end.is_empty() { 0.0 } else { self.end_to_end.mean() / 1e9 },
        );
        e.insert("end_to_end_async_s_p99".into(), q(&self.end_to_end, 0.99));
        s
    }

    /// When the run ends: what became of the messages, counted to the end like requests
    /// (a message of the measured window counts when it is processed during the drain).
    /// Rates and utilizations stay those of the measured window.
    pub fn settle(&self, s: &mut KindStats) {
        let c = &self.c;
        let e = &mut s.extra;
        for (k, v) in [
            ("enqueued", c.enqueued),
            ("processed", c.processed),
            ("failed_attempts", c.failed_attempts),
            ("retries", c.retries),
            ("dead_lettered", c.dead_lettered),
            ("dropped_full", c.dropped_full),
            ("dropped_at_hard_limit", c.dropped_at_hard_limit),
            ("start_refused", c.start_refused),
            ("depth_max", c.depth_max),
            ("depth_at_end", self.depth_at_end),
        ] {
            e.insert(k.into(), v as f64);
        }
        e.insert("consumer_lag_s_max".into(), ns_to_secs(self.lag_max));
    }

    pub fn downstream(spec: &QueueSpec) -> Vec<CompId> {
        crate::calls_model::targets(&spec.plans).collect()
    }
}
