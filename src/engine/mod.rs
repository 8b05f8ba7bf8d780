//! The discrete-event engine: the clock, the event loop, and the context handlers act on.
//!
//! The engine knows calls, requests, stations and time; it does not know component kinds
//! beyond dispatching to the closed `Component` enum. It never reads files or the clock.

pub mod calls;
mod deadlines;
pub mod event;
mod flow;
pub mod heap;
pub mod latency_counts;
pub mod membership;
pub mod metrics;
mod orphans;
mod probe;
mod regional;
pub mod station;
mod timeline;
mod transfer;
pub mod windows;

use crate::components::Component;
use crate::model::{CompId, LatencyMatrix, Model};
use crate::traffic::Source;
use crate::units::Nanos;
use calls::{Call, CallId, Op, Outcome, ReqId, Request, Slab, NO_INSTANCE, NO_PARENT};
use deadlines::Deadlines;
use event::Event;
use heap::EventHeap;
use metrics::{ClassMetrics, CompMetrics, LimitsHit};
use std::collections::VecDeque;
use windows::{Totals, Windows};

/// What handlers may touch: the clock, the event set, the arenas and shared counters.
pub struct Ctx {
    pub now: Nanos,
    heap: EventHeap<Event>,
    /// Events due now (zero delay), in insertion order. Every heap entry due now was inserted
    /// before them, so taking the heap's first keeps the global (time, sequence) order while
    /// sparing most hops a heap push and pop.
    due_now: VecDeque<Event>,
    /// Calls' timeouts, out of the heap (see `deadlines`): a call that ends unlinks its own.
    deadlines: Deadlines,
    /// Timeouts that went to the heap or the zero-delay FIFO instead (a duration no deadline
    /// FIFO takes), pending; they may go stale.
    queued_timeouts: u32,
    /// The most timeouts ever pending at once (both kinds).
    peak_timeouts: u32,
    pub calls: Slab<Call>,
    pub requests: Slab<Request>,
    latency: LatencyMatrix,
    stamp: u32,
    pub limits_hit: LimitsHit,
    /// Pending `Wake` (a component's own work) and `Think` (a closed-model user's next
    /// request) events: work that no live call represents, so the run must not end yet.
    timers: u32,
    pub comp_metrics: Vec<CompMetrics>,
    /// The child call whose reply (or timeout) is being handed to its caller's
    /// `child_replied`: callers that retry or count per target read its `comp` and `attempt`
    /// (the slot stays valid until `child_replied` returns).
    pub child: CallId,
    /// One-way latency between a user's region and the entry, by user region (empty: none).
    user_link: Vec<Nanos>,
    /// Response size in bytes by request class (empty when the scenario gives no `[sizes]`).
    sizes: Vec<u64>,
    /// Requests in the arena that are components' background work, not users' requests.
    background_live: u32,
    /// Per request slot, its abandoned calls still running (see `orphans`).
    orphans: Vec<u32>,
    /// Requests over whose slots wait for their abandoned calls.
    zombies: u32,
    /// Per component, the state of its instances (written by the component, read by others).
    pub members: Vec<membership::Members>,
    /// Per scheduled fault, what it did (written by whoever handles or notices it).
    pub faults: Vec<crate::faults::FaultStats>,
    /// Links losing calls now: (a, b, probability, fault); `lossy` when any.
    losses: Vec<(CompId, CompId, f64, u16)>,
    /// Region partitions now: (region, region, fault); region outages in progress.
    partitions: Vec<(u8, u8, u16)>,
    outages: u32,
    /// Per component, the region outage it is down in (`NO_FAULT`: none; see `regional`).
    pub region_out: Vec<u16>,
    /// Table regions of components and of user regions (empty when not modelled).
    comp_region: Vec<Option<u8>>,
    user_region: Vec<Option<u8>>,
    lossy: bool,
    fault_rng: crate::rng::SimRng,
    /// Replication to databases in other regions (`replica_of`); `None` when there are none.
    pub remote_repl: Option<Box<crate::components::remote_replication::RemoteLog>>,
    /// Calls' bytes between regions (`[call_sizes]`); `None` when none cross.
    transfer: Option<Box<transfer::Transfer>>,
    /// When arrivals stop: periodic timers (health checks, autoscaling) stop there too, so
    /// that a run can drain.
    pub arrivals_end: Nanos,
}

impl Ctx {
    /// The context a run's components act on, before any event: empty arenas and queues,
    /// every component's metrics and instance states, the model's latencies and faults.
    pub(crate) fn new(model: &Model, seed: u64) -> Ctx {
        let n = model.components.len();
        let initial = (model.limits.max_calls as usize).min(1 << 16);
        Ctx {
            now: 0,
            heap: EventHeap::with_capacity(initial),
            due_now: VecDeque::with_capacity(1024),
            calls: Slab::with_limit(model.limits.max_calls as usize),
            requests: Slab::with_limit(model.limits.max_in_flight as usize),
            latency: model.latency.clone(),
            stamp: 0,
            deadlines: Deadlines::new(),
            queued_timeouts: 0,
            peak_timeouts: 0,
            limits_hit: LimitsHit::default(),
            timers: 0,
            comp_metrics: (0..n).map(|_| CompMetrics::new()).collect(),
            child: NO_PARENT,
            user_link: model.user_link_ns.clone(),
            sizes: model.sizes.clone(),
            background_live: 0,
            orphans: Vec::new(),
            zombies: 0,
            members: model
                .components
                .iter()
                .map(|c| membership::Members::new(c.spec.max_instances(), c.spec.instances()))
                .collect(),
            faults: vec![crate::faults::FaultStats::default(); model.faults.len()],
            losses: Vec::new(),
            partitions: Vec::new(),
            outages: 0,
            region_out: vec![membership::NO_FAULT; n],
            comp_region: model.placement.comp_region.clone(),
            user_region: model.placement.user_region.clone(),
            lossy: false,
            fault_rng: crate::rng::stream(seed, "faults"),
            arrivals_end: model.duration,
            remote_repl: crate::components::remote_replication::RemoteLog::build(model, seed),
            transfer: transfer::Transfer::build(model),
        }
    }

    /// During `child_replied`: the component whose call answered (or timed out), for callers
    /// that hold a resource per target (a connection pool).
    #[inline]
    pub fn child_comp(&self) -> CompId {
        self.calls.get(self.child).comp
    }

    #[inline]
    pub fn schedule(&mut self, delay: Nanos, event: Event) {
        if let Event::Wake(..) | Event::Think(_) = event {
            self.timers += 1;
        }
        if delay == 0 {
            self.due_now.push_back(event);
        } else {
            self.heap.push(self.now.saturating_add(delay), event);
        }
    }

    /// Schedules the next round of a periodic timer, unless arrivals will have stopped.
    pub fn schedule_periodic(&mut self, delay: Nanos, event: Event) {
        if self.now.saturating_add(delay) < self.arrivals_end {
            self.schedule(delay, event);
        }
    }

    /// The time of the next event, and whether it is one due now from the FIFO.
    #[inline]
    fn next_time(&self) -> Option<Nanos> {
        if self.due_now.is_empty() {
            self.first_timed().map(|(t, _)| t)
        } else {
            Some(self.now)
        }
    }

    /// The first of the heap and the deadlines by (time, sequence): they act as one heap.
    #[inline]
    fn first_timed(&self) -> Option<(Nanos, bool)> {
        let Some(d) = self.deadlines.first_key() else {
            return self.heap.peek_time().map(|t| (t, false));
        };
        match self.heap.peek_key() {
            Some(h) if h < d => Some((h.0, false)),
            _ => Some((d.0, true)),
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<(Nanos, Event)> {
        let first = self.first_timed();
        if first.is_some_and(|(t, _)| t == self.now) || self.due_now.is_empty() {
            let (t, deadline) = first?;
            if deadline {
                let (_, _, id) = self.deadlines.first().expect("peeked");
                self.deadlines.disarm(id);
                return Some((t, Event::Deadline(id)));
            }
            self.heap.pop()
        } else {
            self.due_now.pop_front().map(|e| (self.now, e))
        }
    }

    /// Starts a call's timeout: in its duration's deadline FIFO, with the sequence number the
    /// heap would have given it, or (a duration no FIFO takes) in the heap as an event that
    /// goes stale if the call ends first.
    #[inline]
    fn arm_timeout(&mut self, id: CallId, delay: Nanos) {
        let fifo = if delay > 0 { self.deadlines.fifo_for(delay) } else { None };
        match fifo {
            Some(f) => {
                let seq = self.heap.take_seq();
                self.deadlines.arm(f, id, self.now, seq);
            }
            None => {
                self.queued_timeouts += 1;
                let stamp = self.calls.get(id).stamp;
                self.schedule(delay, Event::Timeout(id, stamp));
            }
        }
        let pending = self.deadlines.len() as u32 + self.queued_timeouts;
        self.peak_timeouts = self.peak_timeouts.max(pending);
    }

    /// Sends a call from `parent` to `target`; `None` when the call arena is full (counted).
    #[inline(always)]
    pub fn call_out(
        &mut self,
        parent: CallId,
        target: CompId,
        op: Op,
        instance: u16,
        timeout: Option<Nanos>,
    ) -> Option<CallId> {
        self.call_out_after(parent, target, op, instance, timeout, 0)
    }

    /// `call_out`, sent `after` nanoseconds from now (a retry's backoff, or a leg of network
    /// latency the caller knows and the static matrix does not: a CDN edge or geo-DNS route).
    /// The callee's clock and the caller's timeout start when the call is sent.
    #[inline(always)]
    pub fn call_out_after(
        &mut self,
        parent: CallId,
        target: CompId,
        op: Op,
        instance: u16,
        timeout: Option<Nanos>,
        after: Nanos,
    ) -> Option<CallId> {
        let p = *self.calls.get(parent);
        let id = self.new_call(p.req, parent, target, op, instance)?;
        if let Some(t) = &self.transfer {
            self.comp_metrics[p.comp as usize].inter_region_bytes += t.request(p.comp, target, op);
        }
        if after > 0 {
            self.calls.get_mut(id).arrived_at = self.now.saturating_add(after);
        }
        let delay = self.latency.get(p.comp, target).saturating_add(after);
        if self.lossy {
            if let Some(at_once) = self.lose(p.comp, target, p.req) {
                return Some(self.lost(id, delay, if at_once { None } else { timeout }));
            }
        }
        self.schedule(delay, Event::Deliver(id));
        if let Some(t) = timeout {
            self.arm_timeout(id, t.saturating_add(after));
        }
        Some(id)
    }

    /// Fails a call on behalf of a crashed holder: its caller learns now, its own reply,
    /// whenever it comes, is dropped.
    pub fn abort(&mut self, id: CallId) {
        let stamp = self.calls.get(id).stamp;
        self.schedule(0, Event::Abort(id, stamp));
    }

    fn new_call(&mut self, req: ReqId, parent: CallId, comp: CompId, op: Op, instance: u16) -> Option<CallId> {
        // Stamp 0 marks a freed slot (see `free_call`), so it is never handed out.
        self.stamp = self.stamp.wrapping_add(1).max(1);
        let call = Call {
            req,
            parent,
            comp,
            instance,
            op,
            outcome: Outcome::Ok,
            abandoned: false,
            replied: false,
            step: 0,
            pending: 0,
            stamp: self.stamp,
            arrived_at: self.now,
            queued_at: self.now,
            attempt: 0,
        };
        let id = self.calls.insert(call);
        if id.is_none() {
            self.limits_hit.calls += 1;
        }
        id
    }

    /// Answers a call: records the component's latency and sends the reply back.
    #[inline]
    pub fn reply(&mut self, id: CallId, outcome: Outcome) {
        self.reply_after(id, outcome, 0);
    }

    /// `reply`, with `after` nanoseconds of network latency the static matrix does not know
    /// (the leg from a region a geo-DNS or CDN edge chose back to the user).
    #[inline(always)]
    pub fn reply_after(&mut self, id: CallId, outcome: Outcome, after: Nanos) {
        let now = self.now;
        let call = self.calls.get_mut(id);
        call.outcome = outcome;
        call.replied = true;
        let (comp, parent, arrived, op) = (call.comp, call.parent, call.arrived_at, call.op);
        let m = &mut self.comp_metrics[comp as usize];
        if outcome == Outcome::Ok {
            m.ok += 1;
            m.record(now - arrived);
            if let (Some(t), false) = (&self.transfer, parent == NO_PARENT) {
                m.inter_region_bytes += t.response(self.calls.get(parent).comp, comp, op);
            }
        } else {
            m.errors += 1;
        }
        let delay = if parent == NO_PARENT {
            self.leaving(id, outcome)
        } else {
            self.latency.get(comp, self.calls.get(parent).comp)
        };
        self.schedule(delay.saturating_add(after), Event::Reply(id));
    }

    /// Frees a call's slot and unlinks its deadline; clearing the stamp makes a timeout still
    /// pending in the heap for it stale.
    #[inline]
    fn free_call(&mut self, id: CallId) {
        self.deadlines.disarm(id);
        self.calls.get_mut(id).stamp = 0;
        self.calls.remove(id);
    }

    #[inline]
    pub fn class_of(&self, call: CallId) -> u8 {
        self.requests.get(self.calls.get(call).req).class
    }
}

/// What the components measured when the measured window closed.
struct Frozen {
    at: Nanos,
    stats: Vec<crate::components::KindStats>,
    counts: Vec<metrics::WindowCounts>,
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StopReason {
    /// Every request finished after arrivals stopped.
    Drained,
    /// The drain period ran out with requests still in flight.
    TimeLimit,
    /// `max_events` was reached.
    EventLimit,
    /// The window hook asked to stop (a signal): the run's numbers are not to be shown.
    Stopped,
}

/// Everything a run measured, before it is summarised.
pub struct RunData {
    pub seed: u64,
    /// The simulated time the run reached (before the scenario's duration when a limit
    /// stopped it).
    pub end: Nanos,
    pub measured_from: Nanos,
    /// The end of the measured window: the scenario's duration, or `end` when the run stopped
    /// before it. Rates and utilizations cover `measured_from..measured_to`.
    pub measured_to: Nanos,
    /// Each component's statistics and counts over the measured window (its latency
    /// histogram in `comp_metrics` also has the calls that ended during the drain).
    pub stats: Vec<crate::components::KindStats>,
    pub window_counts: Vec<metrics::WindowCounts>,
    pub events: u64,
    pub stop: StopReason,
    pub total: ClassMetrics,
    pub classes: Vec<ClassMetrics>,
    pub comp_metrics: Vec<CompMetrics>,
    pub components: Vec<Component>,
    pub windows: Windows,
    pub limits_hit: LimitsHit,
    pub in_flight: u64,
    /// Integral over the measured period of requests in the system, in request-nanoseconds.
    pub in_system_ns: u128,
    /// What each scheduled fault did.
    pub faults: Vec<crate::faults::FaultStats>,
    pub window_width: Nanos,
    /// Per user region, when users come from more than one (else empty).
    pub regions: Vec<ClassMetrics>,
    /// The most call timeouts pending at once, and the most live calls: the first never
    /// exceeds the second (a call that ends takes its timeout with it). Not in the summary.
    pub peak_timeouts: u64,
    pub peak_calls: u64,
}

pub struct Simulation<'m> {
    model: &'m Model,
    ctx: Ctx,
    comps: Vec<Component>,
    source: Source,
    classes: Vec<ClassMetrics>,
    regions: Vec<ClassMetrics>,
    windows: Windows,
    measuring: bool,
    arrivals_over: bool,
    events: u64,
    /// Requests counted as arrived and not yet resolved.
    unresolved: u64,
    /// Requests in the system (measured or not) and the integral of that count.
    in_system: u64,
    in_system_ns: u128,
    in_system_since: Nanos,
    seed: u64,
    /// A closed model: users send their next request after each one ends.
    closed: bool,
    /// Faults started and not yet over (their errors are counted).
    active_faults: Vec<u16>,
    /// The components' statistics, taken when the measured window closed.
    frozen: Option<Frozen>,
    /// Called with the window's width at each window boundary; `true` stops the run.
    window_hook: fn(Nanos) -> bool,
    stop_asked: bool,
}

impl<'m> Simulation<'m> {
    pub fn new(model: &'m Model, seed: u64) -> Self {
        let n = model.components.len();
        let comps = model
            .components
            .iter()
            .enumerate()
            .map(|(i, c)| Component::build(model, i as CompId, seed, &c.spec))
            .collect();
        let horizon = model.duration + model.drain;
        Simulation {
            model,
            ctx: Ctx::new(model, seed),
            comps,
            source: Source::new(model, seed),
            classes: model.classes.iter().map(|_| ClassMetrics::new()).collect(),
            regions: if model.draws_users && model.users.regions.len() > 1 {
                model.users.regions.iter().map(|_| ClassMetrics::new()).collect()
            } else {
                Vec::new()
            },
            windows: Windows::new(model.window, horizon, n),
            measuring: model.warmup == 0,
            arrivals_over: false,
            events: 0,
            unresolved: 0,
            in_system: 0,
            in_system_ns: 0,
            in_system_since: 0,
            seed,
            closed: matches!(model.load.arrivals, crate::traffic::Arrivals::Closed { .. }),
            active_faults: Vec::new(),
            frozen: None,
            window_hook: |_| false,
            stop_asked: false,
        }
    }

    /// Sets the hook called at each window boundary (progress, and a stop on a signal). It
    /// runs at most once per window, never per event, and its answer can only end the run:
    /// the caller must then discard the run's numbers.
    pub fn with_window_hook(mut self, hook: fn(Nanos) -> bool) -> Self {
        self.window_hook = hook;
        self
    }

    /// Runs to the end and returns what was measured.
    pub fn run(mut self) -> RunData {
        match self.source.next_after(0) {
            Some(t) => self.ctx.heap.push(t, Event::Arrival),
            None => self.arrivals_over = true,
        }
        self.start_timeline();
        let horizon = self.model.duration + self.model.drain;
        let stop = loop {
            // Once arrivals are over and nothing is alive, what remains in the heap can only be
            // stale timeouts: they must not stretch the run (and dilute its throughput).
            // (A message waiting out a retry backoff, or a user thinking, has no call yet.)
            if self.arrivals_over && self.ctx.calls.live() == 0 && self.ctx.timers == 0 {
                break StopReason::Drained;
            }
            if self.stop_asked {
                break StopReason::Stopped;
            }
            let Some(t) = self.ctx.next_time() else { break StopReason::Drained };
            if t > horizon {
                self.ctx.limits_hit.sim_time = true;
                break StopReason::TimeLimit;
            }
            if self.events >= self.model.limits.max_events {
                self.ctx.limits_hit.events = true;
                break StopReason::EventLimit;
            }
            self.advance_clock_to(t);
            let (now, event) = self.ctx.pop().expect("peeked");
            self.ctx.now = now;
            self.events += 1;
            self.dispatch(event);
        };
        // The time actually reached: a run stopped by the event limit ends where it stopped.
        let end = match stop {
            StopReason::Drained => self.ctx.now.max(self.model.duration),
            StopReason::TimeLimit => horizon,
            StopReason::EventLimit | StopReason::Stopped => self.ctx.now,
        };
        self.finish(end, stop)
    }

    /// Closes the windows and starts measurement that fall before `t`.
    fn advance_clock_to(&mut self, t: Nanos) {
        let duration = self.model.duration;
        while self.windows.due(t) {
            let end = self.windows.next_end();
            if !self.measuring && self.model.warmup <= end {
                self.start_measuring(self.model.warmup);
            }
            // Before a window past the duration brings the stations' integrals beyond it.
            if self.frozen.is_none() && end > duration {
                self.freeze(duration);
            }
            self.close_window(end);
            self.stop_asked |= (self.window_hook)(self.windows.width);
        }
        if !self.measuring && t >= self.model.warmup {
            self.start_measuring(self.model.warmup);
        }
        if self.frozen.is_none() && t > duration {
            self.freeze(duration);
        }
    }

    /// Closes the measured window at `at`: each component's statistics from the end of
    /// warm-up to `at`, so that the drain after the duration dilutes no rate or utilization.
    fn freeze(&mut self, at: Nanos) {
        if !self.measuring {
            self.start_measuring(self.model.warmup.min(at));
        }
        for c in &mut self.comps {
            c.sync(at);
        }
        if let Some(log) = self.ctx.remote_repl.as_deref() {
            log.hand_over(&mut self.comps);
        }
        let elapsed = at.saturating_sub(self.model.warmup.min(at));
        self.frozen = Some(Frozen {
            at,
            stats: self.comps.iter().map(|c| c.stats(elapsed)).collect(),
            counts: self.ctx.comp_metrics.iter().map(CompMetrics::window_counts).collect(),
        });
    }

    fn close_window(&mut self, end: Nanos) {
        let totals: Vec<Totals> = self.comps.iter_mut().map(|c| c.totals(end)).collect();
        let in_flight =
            self.ctx.requests.live() as u64 - u64::from(self.ctx.background_live) - u64::from(self.ctx.zombies);
        let mut series = Vec::new();
        let mut values = Vec::new();
        for (i, c) in self.comps.iter_mut().enumerate() {
            c.series(end, self.windows.width, &mut values);
            series.extend(values.drain(..).map(|(k, v)| (i as CompId, k, v)));
        }
        self.windows.close(end, &totals, in_flight, series);
    }

    /// Adds `delta` to the requests in the system, integrating the count so far.
    #[inline]
    fn in_system_change(&mut self, now: Nanos, up: bool) {
        if self.measuring {
            // Only the measured window counts (it ends at the duration).
            let upto = now.min(self.model.duration);
            self.in_system_ns += u128::from(upto.saturating_sub(self.in_system_since)) * u128::from(self.in_system);
        }
        self.in_system_since = now;
        if up {
            self.in_system += 1;
        } else {
            self.in_system -= 1;
        }
    }

    fn start_measuring(&mut self, at: Nanos) {
        self.measuring = true;
        self.in_system_since = at;
        for c in &mut self.comps {
            c.reset_stats(at);
        }
        for m in &mut self.ctx.comp_metrics {
            m.reset();
        }
        if let Some(log) = self.ctx.remote_repl.as_mut() {
            log.reset_stats();
        }
    }

    #[inline]
    fn dispatch(&mut self, event: Event) {
        match event {
            Event::Arrival => self.on_arrival(),
            Event::Deliver(id) => {
                let comp = self.ctx.calls.get(id).comp as usize;
                self.ctx.comp_metrics[comp].received += 1;
                self.comps[comp].deliver(&mut self.ctx, id);
            }
            Event::Done(id) => {
                let comp = self.ctx.calls.get(id).comp as usize;
                self.comps[comp].done(&mut self.ctx, id);
            }
            Event::Reply(id) => self.on_reply(id),
            Event::Timeout(id, stamp) => {
                self.ctx.queued_timeouts -= 1;
                self.on_timeout(id, stamp)
            }
            Event::Deadline(id) => self.on_timeout(id, self.ctx.calls.get(id).stamp),
            Event::Wake(comp, token) => {
                self.ctx.timers -= 1;
                self.comps[comp as usize].wake(&mut self.ctx, token)
            }
            Event::Think(user) => {
                self.ctx.timers -= 1;
                self.on_think(user)
            }
            Event::Timer(comp, tag) => self.comps[comp as usize].timer(&mut self.ctx, tag),
            Event::Fault(i, start) => self.on_fault(i, start),
            Event::Abort(id, stamp) => self.abandon(id, stamp, Outcome::Failed),
        }
    }

    fn on_arrival(&mut self) {
        let now = self.ctx.now;
        match self.source.next_after(now) {
            Some(t) => self.ctx.heap.push(t, Event::Arrival),
            None => self.arrivals_over = true,
        }
        let draw = self.source.draw();
        self.admit(draw);
    }

    /// A request enters the system at `now`.
    #[inline(always)]
    fn admit(&mut self, draw: crate::traffic::Draw) {
        let now = self.ctx.now;
        let class = draw.class;
        self.windows.arrival();
        let measured = self.measuring;
        if measured {
            self.classes[class as usize].outcomes.arrived += 1;
            if let Some(r) = self.regions.get_mut(draw.region as usize) {
                r.outcomes.arrived += 1;
            }
            self.unresolved += 1;
        }
        let request = Request {
            class,
            measured,
            resolved: false,
            arrived_at: now,
            key: draw.key,
            user: draw.user,
            region: draw.region,
            root: NO_PARENT,
            background: false,
        };
        let Some(req) = self.ctx.requests.insert(request) else {
            self.ctx.limits_hit.in_flight += 1;
            self.resolve_untracked(class, draw.user, draw.region, measured, Outcome::Rejected);
            return;
        };
        let entry = self.model.load.entry;
        let Some(root) = self.ctx.new_call(req, NO_PARENT, entry, Op::Default, NO_INSTANCE) else {
            self.ctx.requests.remove(req);
            self.resolve_untracked(class, draw.user, draw.region, measured, Outcome::Rejected);
            return;
        };
        self.ctx.requests.get_mut(req).root = root;
        self.in_system_change(now, true);
        if self.ctx.lossy && self.ctx.entry_cut(root, entry, self.ctx.user_link(draw.region), self.model.load.timeout) {
            return;
        }
        // The way from the user's region to the entry, when regions are modelled (the test
        // keeps the usual case a constant zero delay, which `schedule` folds to a FIFO push).
        match self.ctx.user_link(draw.region) {
            0 => self.ctx.schedule(0, Event::Deliver(root)),
            link => self.ctx.schedule(link, Event::Deliver(root)),
        }
        if let Some(t) = self.model.load.timeout {
            self.ctx.arm_timeout(root, t);
        }
    }

    /// Counts the outcome of a request that never got an arena slot.
    fn resolve_untracked(&mut self, class: u8, user: u32, region: u8, measured: bool, outcome: Outcome) {
        let r = Request {
            class,
            measured,
            resolved: false,
            arrived_at: self.ctx.now,
            key: 0,
            user,
            region,
            root: NO_PARENT,
            background: false,
        };
        self.resolve(&r, outcome);
    }

    fn on_reply(&mut self, id: CallId) {
        let call = *self.ctx.calls.get(id);
        if call.parent != NO_PARENT && !call.abandoned {
            let parent = call.parent;
            let comp = self.ctx.calls.get(parent).comp as usize;
            // Freed after the caller has seen it, so the caller may read the child's fields.
            self.ctx.child = id;
            self.comps[comp].child_replied(&mut self.ctx, parent, call.outcome);
            self.ctx.free_call(id);
            return;
        }
        self.ctx.free_call(id);
        if call.abandoned {
            self.ctx.orphan_replied(call.req);
            if call.parent == NO_PARENT {
                self.ctx.release_request(call.req);
            }
            return;
        }
        let req = *self.ctx.requests.get(call.req);
        self.ctx.release_request(call.req);
        if req.background {
            // A component's own work (`send_background`) answered: nobody waits for it.
            self.ctx.background_live -= 1;
            return;
        }
        self.resolve(&req, call.outcome);
    }

    fn on_timeout(&mut self, id: CallId, stamp: u32) {
        self.abandon(id, stamp, Outcome::TimedOut);
    }

    /// The caller stops waiting for a call (a timeout, or its holder crashed): it sees
    /// `outcome` now, and the call's reply, when it comes, is dropped.
    fn abandon(&mut self, id: CallId, stamp: u32, outcome: Outcome) {
        let call = *self.ctx.calls.get(id);
        if call.stamp != stamp || call.abandoned {
            // Answered in time: the slot is free (stamp 0) or holds another call by now.
            return;
        }
        self.ctx.calls.get_mut(id).abandoned = true;
        // Its caller has stopped waiting: its timeout, if still pending, has nothing to do.
        self.ctx.deadlines.disarm(id);
        self.ctx.orphaned(call.req);
        if call.parent == NO_PARENT {
            let req = *self.ctx.requests.get(call.req);
            self.ctx.requests.get_mut(call.req).resolved = true;
            self.resolve(&req, outcome);
        } else {
            let parent = call.parent;
            let comp = self.ctx.calls.get(parent).comp as usize;
            self.ctx.child = id;
            self.comps[comp].child_replied(&mut self.ctx, parent, outcome);
        }
    }

    /// Counts how a request ended (once) and records its latency if it completed.
    #[inline]
    fn resolve(&mut self, req: &Request, outcome: Outcome) {
        if req.resolved {
            return;
        }
        let latency = self.ctx.now - req.arrived_at;
        if req.root != NO_PARENT {
            self.in_system_change(self.ctx.now, false);
        }
        if self.closed {
            self.user_done(req.user);
        }
        if outcome == Outcome::Ok {
            self.windows.completion(latency);
        } else {
            self.windows.error();
            self.error_during_faults();
        }
        if !req.measured {
            return;
        }
        self.unresolved -= 1;
        if let Some(r) = self.regions.get_mut(req.region as usize) {
            count_outcome(r, outcome, latency);
        }
        // Only per class: the total is their sum, formed once at the end of the run.
        count_outcome(&mut self.classes[req.class as usize], outcome, latency);
    }

    fn finish(mut self, end: Nanos, stop: StopReason) -> RunData {
        if self.frozen.is_none() {
            self.freeze(end.min(self.model.duration));
        }
        let Frozen { at: measured_to, mut stats, counts: window_counts } = self.frozen.take().expect("frozen above");
        while self.windows.next_end() <= end {
            let e = self.windows.next_end();
            self.close_window(e);
        }
        if self.windows.rows.last().is_none_or(|r| r.start + r.width < end) {
            self.close_window(end);
        }
        for (c, s) in self.comps.iter_mut().zip(&mut stats) {
            c.sync(end);
            c.settle(s);
        }
        if end > self.in_system_since {
            self.in_system_change(end, true);
            self.in_system -= 1;
        }
        self.classes.iter_mut().chain(&mut self.regions).for_each(ClassMetrics::seal);
        self.ctx.comp_metrics.iter_mut().for_each(CompMetrics::seal);
        let mut total = ClassMetrics::new();
        for c in &self.classes {
            total.outcomes.add(&c.outcomes);
            total.latency.add(&c.latency).expect("same bounds");
        }
        RunData {
            seed: self.seed,
            end,
            measured_from: self.model.warmup.min(measured_to),
            measured_to,
            stats,
            window_counts,
            events: self.events,
            stop,
            total,
            classes: self.classes,
            comp_metrics: self.ctx.comp_metrics,
            components: self.comps,
            window_width: self.windows.width,
            windows: self.windows,
            limits_hit: self.ctx.limits_hit,
            in_flight: self.unresolved,
            in_system_ns: self.in_system_ns,
            regions: self.regions,
            faults: self.ctx.faults,
            peak_timeouts: u64::from(self.ctx.peak_timeouts),
            peak_calls: self.ctx.calls.peak() as u64,
        }
    }
}

#[inline]
fn count_outcome(m: &mut ClassMetrics, outcome: Outcome, latency: Nanos) {
    match outcome {
        Outcome::Ok => {
            m.outcomes.completed += 1;
            m.record(latency);
        }
        Outcome::Failed => m.outcomes.failed += 1,
        Outcome::Rejected => m.outcomes.rejected += 1,
        Outcome::TimedOut => m.outcomes.timed_out += 1,
    }
}
