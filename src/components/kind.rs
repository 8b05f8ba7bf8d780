//! The kind contract: everything the rest of stagesim asks of a component kind, in three
//! traits, one per stage of a component's life (its TOML input, its validated spec, its
//! running state). Each kind implements them in its own folder (`components/<kind>/kind.rs`);
//! the enums of `components/mod.rs` forward to them through matches generated from the one
//! table of kinds (`kinds!`), so dispatch stays static (no `dyn` on the hot path) and a kind
//! that leaves a required method out does not compile.
//!
//! A method has a default only where most kinds honestly share it (no timers, no faults, one
//! instance, not keyed); the facts that differ from kind to kind (what it calls, how much work
//! a call is, whether calls name an operation) have none.

use crate::calls_model::Plan;
use crate::engine::calls::{CallId, Op, Outcome};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::faults::{FaultKind, FaultSpec};
use crate::model::{CompId, Cost, Model, Placement};
use crate::units::Nanos;
use crate::validate::Resolver;

use super::KindStats;

/// Whether calls to a kind name an operation (`db.read`) or not (`app`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpRule {
    Plain,
    ReadWrite,
}

/// Calls per second a component receives, by operation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flow {
    pub reads: f64,
    pub writes: f64,
    /// `Op::Default`: a service's or balancer's requests.
    pub other: f64,
}

impl Flow {
    pub fn total(&self) -> f64 {
        self.reads + self.writes + self.other
    }
    pub fn add(&mut self, op: Op, r: f64) {
        match op {
            Op::Read => self.reads += r,
            Op::Write => self.writes += r,
            Op::Default => self.other += r,
        }
    }
}

/// What `explain` gives a kind to estimate itself with: the flows and hit ratios it worked
/// out, the response times of the components it calls, Erlang C. (`explain`'s `Latencies`
/// implements it, so the kinds need nothing from `explain`.)
pub trait Estimator {
    /// Calls per second `c` receives, by operation.
    fn flow(&self, c: CompId) -> Flow;
    /// The hit ratio estimated for `c`, a cache (`None` when not estimated).
    fn hit(&self, c: CompId) -> Option<f64>;
    /// Mean time from a call's arrival at `c` to its reply (its own links excluded).
    fn response(&mut self, c: CompId, op: Op) -> f64;
    /// One call from `from` to `to`, links included, capped by the caller's timeout.
    fn call_s(&mut self, from: CompId, to: CompId, op: Op, timeout_s: f64) -> f64;
    /// The mean over classes of the time `from`'s plans wait on their steps.
    fn plans_s(&mut self, from: CompId, plans: &[Plan], timeout_s: f64) -> f64;
    /// What a caller waits at most: its own timeout, else the scenario's, else a default.
    fn timeout_s(&self, own: Option<u64>) -> f64;
    /// The mean wait in an M/M/c queue (Erlang C) with `servers`, arrivals at `lambda` per
    /// second and mean service `s`.
    fn wait_s(&self, servers: u32, lambda: f64, s: f64) -> f64;
    /// A station's response: its wait plus its service.
    fn station_s(&self, servers: u32, lambda: f64, s: f64) -> f64 {
        s + self.wait_s(servers, lambda, s)
    }
}

/// A component's busiest resource by `explain`'s estimate, as its kind works it out.
#[derive(Clone, Debug, Default)]
pub struct Busiest {
    /// Mean busy time of one call on a server (its own work).
    pub work_s: f64,
    /// Mean time one call holds a thread, worker or connection (work plus waits downstream).
    pub hold_s: f64,
    /// The busiest resource's utilization, as offered load: above 1 it is saturated.
    pub utilization: f64,
    /// Which resource or node that is ("cores", "threads", "replica 1", ...).
    pub resource: String,
}

impl Busiest {
    /// Keeps the busiest resource.
    pub fn consider(&mut self, name: &str, u: f64) {
        if u > self.utilization || self.resource.is_empty() {
            self.utilization = u;
            self.resource = name.to_string();
        }
    }
}

/// A kind's `[components.NAME]` table, as read (serde, spans kept).
pub trait KindInput {
    type Spec: KindSpec;

    /// Checks the table and resolves it into base units and component ids, recording every
    /// problem in `r`; also returns what the component costs.
    fn validate(&self, name: &str, r: &mut Resolver) -> Option<(Self::Spec, Cost)>;

    /// The primary of a read replica in another region (`replica_of`), which takes no writes.
    fn replica_of(&self) -> Option<String> {
        None
    }
}

/// A kind's validated spec: the facts validation, the budget, `explain` and the summary need.
pub trait KindSpec {
    type Runtime: Kind;

    /// Whether a call to this kind names an operation.
    const OP_RULE: OpRule;

    /// The key under which the kind names the components it calls (a cycle is reported
    /// there); `None` for a kind that calls nothing.
    const CALLS_KEY: Option<&'static str>;

    /// The name of its one node in the summary's `nodes`, when it is not made of several.
    const NODE_NAME: &'static str;

    /// The running component, with its random streams derived from `seed`.
    fn build(&self, model: &Model, id: CompId, seed: u64) -> Self::Runtime;

    /// The components this one calls.
    fn downstream(&self) -> Vec<CompId>;

    /// Calls this component makes downstream per call it receives (for `explain`):
    /// (target, operation, expected calls).
    fn forwards(&self, class: usize) -> Vec<(CompId, Op, f64)>;

    /// Mean work one call of `op` puts on one of this component's servers, in seconds.
    fn mean_work_s(&self, op: Op) -> f64;

    /// Parallel servers and the mean work per call at the bottleneck resource, for
    /// back-of-the-envelope capacity: servers / mean time.
    fn servers_and_mean_work_s(&self) -> (u32, f64);

    /// `explain`'s mean response time of a call of `op` to this component (`c`), its own
    /// waits (Erlang C) and its downstream calls' included.
    fn explain_response(&self, l: &mut dyn Estimator, c: CompId, op: Op) -> f64;

    /// `explain`'s busiest resource of this component (`b` starts empty).
    fn explain_estimate(&self, l: &mut dyn Estimator, c: CompId, b: &mut Busiest);

    /// `explain`'s routing: the calls one call of `op` (class `class`) makes downstream, as
    /// (target, operation, expected calls), given the hit ratio estimated for it (caches).
    fn explain_route(&self, class: usize, _op: Op, _hit: Option<f64>) -> Vec<(CompId, Op, f64)> {
        self.forwards(class)
    }

    /// Where what this component does not answer itself goes (a cache's misses, a pooler's
    /// calls): a cold cache in front shows there.
    fn misses_to(&self) -> Option<CompId> {
        None
    }

    /// The call plans per request class, for the kinds that follow plans.
    fn plans(&self) -> Option<&[Plan]> {
        None
    }

    /// Whether this kind looks at request keys (caches, shards, replicas).
    fn needs_keys(&self) -> bool {
        false
    }

    /// Whether this kind looks at who sends a request (sessions, regions).
    fn needs_users(&self) -> bool {
        false
    }

    /// Whether this kind is in every region at once (a CDN's edges, a geo-DNS): it has no
    /// `region`, and adds the network legs it chooses per request itself.
    fn everywhere(&self) -> bool {
        false
    }

    /// Whether calls to or from this kind move bytes between the provider's regions (a CDN
    /// edge's fetches are billed by the CDN; a geo-DNS only answers where to go).
    fn moves_call_bytes(&self) -> bool {
        true
    }

    /// Whether this kind accounts for the bytes it sends users itself (else they are billed
    /// as internet egress of the entry).
    fn bills_own_egress(&self) -> bool {
        false
    }

    /// One-way latency from users of a region (index into the scenario's user regions) to
    /// this component when it is the entry.
    fn user_link_ns(&self, user_region: u8, id: CompId, placement: &Placement) -> Nanos {
        placement.user_to(user_region, id)
    }

    /// A placement this kind cannot work with: (key, problem, help) when users are not in
    /// named regions (`users_named` false) and the kind needs them to be.
    fn placement_problem(&self, _users_named: bool) -> Option<(&'static str, &'static str, &'static str)> {
        None
    }

    /// Checks the per-key (and per-user) state a kind keeps against the scenario's key space
    /// and user count, so that memory is bounded before a run starts.
    fn check_scale(&self, _name: &str, _keys: u64, _users: u64, _r: &mut Resolver) {}

    /// Instances a balancer in front of this component spreads over.
    fn instances(&self) -> u32 {
        1
    }

    /// Instance slots: the most instances the component can have at once (autoscaling).
    fn max_instances(&self) -> u32 {
        1
    }

    /// Whether its instances keep users' sessions in their own memory (a balancer in front
    /// must then pin users to keep them).
    fn sessions_in_memory(&self) -> bool {
        false
    }

    /// Whether this kind handles a fault (checked at validation, so `Kind::fault` only ever
    /// receives faults its kind accepts). Link and region faults are the engine's.
    fn accepts_fault(&self, _f: &FaultKind) -> bool {
        false
    }

    /// Why this kind refuses a fault kinds like it may take, said to the user (`name` is the
    /// component's); `None` for the generic message.
    fn fault_refusal(&self, _name: &str, _f: &FaultKind) -> Option<String> {
        None
    }

    /// Components one of which every call here certainly reaches (the event budget counts
    /// the fewest calls among them); empty when none is certain.
    fn certain_next(&self) -> Vec<CompId> {
        Vec::new()
    }

    /// Components this kind health-checks and routes users around when their region is out
    /// (the engine then lets it report their recovery).
    fn routes_around(&self) -> &[CompId] {
        &[]
    }
}

/// A running component: what the event loop hands it, and what it reports.
pub trait Kind {
    /// A call reaches it.
    fn deliver(&mut self, ctx: &mut Ctx, id: CallId);

    /// Work it scheduled for a call (`Event::Done`) is finished.
    fn done(&mut self, ctx: &mut Ctx, id: CallId);

    /// A call it made downstream replied (or timed out: see `outcome`).
    fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome);

    /// Per-window totals (arrivals, completions, busy time) up to `now`.
    fn totals(&mut self, now: Nanos) -> Totals;

    /// Brings its time integrals up to `now`.
    fn sync(&mut self, now: Nanos);

    /// Measurement starts at `now`: forget what came before.
    fn reset_stats(&mut self, now: Nanos);

    /// Its statistics over the measured period of length `elapsed`.
    fn stats(&self, elapsed: Nanos) -> KindStats;

    /// At time zero, before the first event: schedule what the component runs on its own.
    fn start(&mut self, _ctx: &mut Ctx) {}

    /// A timer the component scheduled (`Event::Timer`), with its own tag.
    fn timer(&mut self, _ctx: &mut Ctx, _tag: u32) {}

    /// A timer the component set with `Event::Wake`.
    fn wake(&mut self, _ctx: &mut Ctx, _token: u32) {
        unreachable!("this kind sets no timers")
    }

    /// A scheduled fault aimed at this component starts (`start`) or ends; `id` indexes
    /// `Model::faults` and `Ctx::faults` (where the kind reports what the fault did).
    fn fault(&mut self, _ctx: &mut Ctx, _id: u16, _fault: &FaultSpec, _start: bool) {
        unreachable!("validation only lets a kind receive the faults it accepts")
    }

    /// Kind-specific values for the time-series window of `width` ending at `now` (for
    /// example a pool's instance count, a cache's hit ratio, a replica's lag), as (name,
    /// value) pairs, base units last in the name; each becomes `windows[i].NAME.COMPONENT`
    /// in the JSON. Called once per window (at most 1000 times a run): allocation is fine.
    fn series(&mut self, _now: Nanos, _width: Nanos, _out: &mut Vec<(&'static str, f64)>) {}

    /// When the run ends, after `stats` was taken at the end of the measured window: counts
    /// that follow the window's work through the drain (a queue's messages).
    fn settle(&self, _s: &mut KindStats) {}
}

/// A boxed input (the largest ones are boxed in `ComponentInput`) is its input.
impl<T: KindInput> KindInput for Box<T> {
    type Spec = T::Spec;
    fn validate(&self, name: &str, r: &mut Resolver) -> Option<(Self::Spec, Cost)> {
        (**self).validate(name, r)
    }
    fn replica_of(&self) -> Option<String> {
        (**self).replica_of()
    }
}

/// A boxed component (the large kinds are boxed in `Component`) is its component.
impl<T: Kind> Kind for Box<T> {
    #[inline]
    fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        (**self).deliver(ctx, id)
    }
    #[inline]
    fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        (**self).done(ctx, id)
    }
    #[inline]
    fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        (**self).child_replied(ctx, id, outcome)
    }
    fn totals(&mut self, now: Nanos) -> Totals {
        (**self).totals(now)
    }
    fn sync(&mut self, now: Nanos) {
        (**self).sync(now)
    }
    fn reset_stats(&mut self, now: Nanos) {
        (**self).reset_stats(now)
    }
    fn stats(&self, elapsed: Nanos) -> KindStats {
        (**self).stats(elapsed)
    }
    fn start(&mut self, ctx: &mut Ctx) {
        (**self).start(ctx)
    }
    fn timer(&mut self, ctx: &mut Ctx, tag: u32) {
        (**self).timer(ctx, tag)
    }
    #[inline]
    fn wake(&mut self, ctx: &mut Ctx, token: u32) {
        (**self).wake(ctx, token)
    }
    fn fault(&mut self, ctx: &mut Ctx, id: u16, fault: &FaultSpec, start: bool) {
        (**self).fault(ctx, id, fault, start)
    }
    fn series(&mut self, now: Nanos, width: Nanos, out: &mut Vec<(&'static str, f64)>) {
        (**self).series(now, width, out)
    }
    fn settle(&self, s: &mut KindStats) {
        (**self).settle(s)
    }
}
