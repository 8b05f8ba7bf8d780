//! The closed set of component kinds. Each kind lives in its own file with its input type,
//! its validation and its behaviour; adding a kind is one file and one arm in each match
//! below (the compiler lists the matches, since none has a catch-all).

pub mod autoscale;
pub mod crash;
pub mod database;
pub mod fleet;
pub mod health;
pub mod load_balancer;
pub mod pool;
pub mod service;
pub mod sessions;

use crate::calls_model::Plan;
use crate::engine::calls::{CallId, Outcome};
use crate::engine::station::StationStats;
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::faults::{FaultKind, FaultSpec};
use crate::model::{CompId, Cost, Model};
use crate::units::Nanos;
use crate::validate::Resolver;
use database::{Database, DatabaseInput, DatabaseSpec};
use load_balancer::{LoadBalancer, LoadBalancerInput, LoadBalancerSpec};
use serde::Deserialize;
use service::{Service, ServiceInput, ServiceSpec};
use std::collections::BTreeMap;

pub const KINDS: &[&str] = &["load_balancer", "service", "database"];

pub enum ComponentInput {
    LoadBalancer(LoadBalancerInput),
    Service(ServiceInput),
    Database(DatabaseInput),
}

/// Deserializes one `[components.NAME]` table once its `kind` is known, keeping spans.
pub fn parse_component<'de, D: serde::Deserializer<'de>>(kind: &str, d: D) -> Result<ComponentInput, D::Error> {
    Ok(match kind {
        "load_balancer" => ComponentInput::LoadBalancer(LoadBalancerInput::deserialize(d)?),
        "service" => ComponentInput::Service(ServiceInput::deserialize(d)?),
        "database" => ComponentInput::Database(DatabaseInput::deserialize(d)?),
        other => return Err(serde::de::Error::custom(format!("unknown component kind `{other}`"))),
    })
}

/// Whether calls to a kind name an operation (`db.read`) or not (`app`).
pub enum OpRule {
    Plain,
    ReadWrite,
}

pub fn op_rule(kind: &str) -> OpRule {
    match kind {
        "database" => OpRule::ReadWrite,
        _ => OpRule::Plain,
    }
}

impl ComponentInput {
    pub fn kind_name(&self) -> &'static str {
        match self {
            ComponentInput::LoadBalancer(_) => "load_balancer",
            ComponentInput::Service(_) => "service",
            ComponentInput::Database(_) => "database",
        }
    }

    pub fn validate(&self, name: &str, r: &mut Resolver) -> Option<(ComponentSpec, Cost)> {
        match self {
            ComponentInput::LoadBalancer(i) => i.validate(name, r).map(|(s, c)| (ComponentSpec::LoadBalancer(s), c)),
            ComponentInput::Service(i) => i.validate(name, r).map(|(s, c)| (ComponentSpec::Service(s), c)),
            ComponentInput::Database(i) => i.validate(name, r).map(|(s, c)| (ComponentSpec::Database(s), c)),
        }
    }
}

#[derive(Clone, Debug)]
pub enum ComponentSpec {
    LoadBalancer(LoadBalancerSpec),
    Service(ServiceSpec),
    Database(DatabaseSpec),
}

impl ComponentSpec {
    pub fn kind_name(&self) -> &'static str {
        match self {
            ComponentSpec::LoadBalancer(_) => "load_balancer",
            ComponentSpec::Service(_) => "service",
            ComponentSpec::Database(_) => "database",
        }
    }

    /// The components this one calls.
    pub fn downstream(&self) -> Vec<CompId> {
        match self {
            ComponentSpec::LoadBalancer(s) => vec![s.backend],
            ComponentSpec::Service(s) => Service::downstream(s),
            ComponentSpec::Database(_) => Vec::new(),
        }
    }

    pub fn plans(&self) -> Option<&[Plan]> {
        match self {
            ComponentSpec::Service(s) => Some(&s.plans),
            ComponentSpec::LoadBalancer(_) | ComponentSpec::Database(_) => None,
        }
    }

    /// Whether this kind looks at request keys (caches, shards, replicas).
    pub fn needs_keys(&self) -> bool {
        match self {
            ComponentSpec::LoadBalancer(_) | ComponentSpec::Service(_) | ComponentSpec::Database(_) => false,
        }
    }

    /// Whether this kind looks at who sends a request (sessions, regions).
    pub fn needs_users(&self) -> bool {
        match self {
            ComponentSpec::LoadBalancer(s) => s.policy == load_balancer::Policy::Sticky,
            ComponentSpec::Service(_) | ComponentSpec::Database(_) => false,
        }
    }

    /// Instances a balancer in front of this component spreads over.
    pub fn instances(&self) -> u32 {
        match self {
            ComponentSpec::Service(s) => s.instances,
            ComponentSpec::LoadBalancer(_) | ComponentSpec::Database(_) => 1,
        }
    }

    /// Instance slots: the most instances the component can have at once (autoscaling).
    pub fn max_instances(&self) -> u32 {
        match self {
            ComponentSpec::Service(s) => s.max_instances(),
            ComponentSpec::LoadBalancer(_) | ComponentSpec::Database(_) => 1,
        }
    }

    /// Whether this kind handles a fault (checked at validation, so `Component::fault` only
    /// ever receives faults its kind accepts). Link faults are the engine's.
    pub fn accepts_fault(&self, f: &FaultKind) -> bool {
        match self {
            ComponentSpec::Service(_) => matches!(f, FaultKind::InstanceCrash { .. } | FaultKind::ComponentDown { .. }),
            ComponentSpec::Database(_) | ComponentSpec::LoadBalancer(_) => {
                matches!(f, FaultKind::ComponentDown { .. })
            }
        }
    }

    /// Parallel servers and the mean work per call at the bottleneck resource, for
    /// back-of-the-envelope capacity: servers / mean time.
    pub fn servers_and_mean_work_s(&self) -> (u32, f64) {
        match self {
            ComponentSpec::Service(s) => (s.instances * s.cores, s.service_time.mean_secs()),
            ComponentSpec::Database(s) => (s.cores, s.read_time.mean_secs()),
            ComponentSpec::LoadBalancer(s) => match &s.station {
                Some((servers, _, d)) => (*servers, d.mean_secs()),
                None => (0, 0.0),
            },
        }
    }
}

pub enum Component {
    LoadBalancer(LoadBalancer),
    Service(Service),
    Database(Database),
}

impl Component {
    pub fn build(model: &Model, id: CompId, seed: u64, spec: &ComponentSpec) -> Component {
        let name = &model.components[id as usize].name;
        match spec {
            ComponentSpec::LoadBalancer(s) => {
                let backend = &model.components[s.backend as usize].spec;
                let in_memory = matches!(backend, ComponentSpec::Service(b) if b.session_store.is_none());
                let users = model.users.count;
                let slots = backend.max_instances();
                Component::LoadBalancer(LoadBalancer::new(s, id, name, seed, slots, users, in_memory))
            }
            ComponentSpec::Service(s) => {
                let struck = model.faults.iter().any(|f| f.target == id && spec.accepts_fault(&f.kind));
                Component::Service(Service::new(s, id, name, seed, struck))
            }
            ComponentSpec::Database(s) => Component::Database(Database::new(s, id, name, seed)),
        }
    }

    #[inline]
    pub fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        match self {
            Component::LoadBalancer(c) => c.deliver(ctx, id),
            Component::Service(c) => c.deliver(ctx, id),
            Component::Database(c) => c.deliver(ctx, id),
        }
    }

    #[inline]
    pub fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        match self {
            Component::LoadBalancer(c) => c.done(ctx, id),
            Component::Service(c) => c.done(ctx, id),
            Component::Database(c) => c.done(ctx, id),
        }
    }

    #[inline]
    pub fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        match self {
            Component::LoadBalancer(c) => c.child_replied(ctx, id, outcome),
            Component::Service(c) => c.child_replied(ctx, id, outcome),
            Component::Database(_) => unreachable!("a database makes no downstream calls"),
        }
    }

    /// At time zero, before the first event: schedule what the component runs on its own.
    pub fn start(&mut self, ctx: &mut Ctx) {
        match self {
            Component::LoadBalancer(c) => c.start(ctx),
            Component::Service(c) => c.start(ctx),
            Component::Database(_) => {}
        }
    }

    /// A scheduled fault aimed at this component starts (`start`) or ends; `id` indexes
    /// `Model::faults` and `Ctx::faults` (where the kind reports what the fault did).
    pub fn fault(&mut self, ctx: &mut Ctx, id: u16, fault: &FaultSpec, start: bool) {
        match self {
            Component::LoadBalancer(c) => c.fault(ctx, id, fault, start),
            Component::Service(c) => c.fault(ctx, id, fault, start),
            Component::Database(c) => c.fault(ctx, id, fault, start),
        }
    }

    /// A timer the component scheduled (`Event::Timer`), with its own tag.
    pub fn timer(&mut self, ctx: &mut Ctx, tag: u32) {
        match self {
            Component::LoadBalancer(c) => c.timer(ctx, tag),
            Component::Service(c) => c.timer(ctx, tag),
            Component::Database(_) => {}
        }
    }

    /// Kind-specific values for the time-series window of `width` ending at `now` (for
    /// example a pool's instance count, a cache's hit ratio, a replica's lag), as (name,
    /// value) pairs, base units last in the name; each becomes `windows[i].NAME.COMPONENT`
    /// in the JSON. Called once per window (at most 1000 times a run): allocation is fine.
    pub fn series(&mut self, now: Nanos, width: Nanos, out: &mut Vec<(&'static str, f64)>) {
        match self {
            Component::Service(c) => c.series(now, out),
            Component::LoadBalancer(c) => c.series(now, width, out),
            Component::Database(_) => {}
        }
    }

    pub fn totals(&mut self, now: Nanos) -> Totals {
        match self {
            Component::LoadBalancer(c) => c.totals(now),
            Component::Service(c) => c.totals(now),
            Component::Database(c) => c.totals(now),
        }
    }

    pub fn sync(&mut self, now: Nanos) {
        match self {
            Component::LoadBalancer(c) => c.sync(now),
            Component::Service(c) => c.sync(now),
            Component::Database(c) => c.sync(now),
        }
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        match self {
            Component::LoadBalancer(c) => c.reset_stats(now),
            Component::Service(c) => c.reset_stats(now),
            Component::Database(c) => c.reset_stats(now),
        }
    }

    pub fn stats(&self, elapsed: Nanos) -> KindStats {
        match self {
            Component::LoadBalancer(c) => c.stats(elapsed),
            Component::Service(c) => c.stats(elapsed),
            Component::Database(c) => c.stats(elapsed),
        }
    }
}

/// Queueing statistics of one component over the measured period, in base units.
#[derive(Clone, Debug, Default)]
pub struct KindStats {
    pub servers: u32,
    pub utilization: f64,
    pub queue_mean: f64,
    pub queue_max: u32,
    pub wait_s_mean: f64,
    pub service_s_mean: f64,
    pub granted: u64,
    /// Grants that had to wait: the probability of waiting is `waited / granted`.
    pub waited: u64,
    pub rejected: u64,
    /// Kind-specific figures, by name with its unit last.
    pub extra: BTreeMap<String, f64>,
    /// Time-average instances over the measured period, when that count changes (autoscaling,
    /// crashes): the summary's cost uses it instead of the configured count.
    pub instances_mean: Option<f64>,
}

impl KindStats {
    /// Aggregates identical stations (one per instance) with `servers` each.
    pub fn from_stations(stations: &[StationStats], servers: u32, elapsed: Nanos) -> KindStats {
        let el = elapsed.max(1) as f64;
        let busy: u128 = stations.iter().map(|s| s.busy_ns).sum();
        let queue: u128 = stations.iter().map(|s| s.queue_ns).sum();
        let wait: u128 = stations.iter().map(|s| s.wait_ns).sum();
        let granted: u64 = stations.iter().map(|s| s.granted).sum();
        let total_servers = servers * stations.len() as u32;
        KindStats {
            servers: total_servers,
            utilization: if total_servers == 0 { 0.0 } else { busy as f64 / (el * f64::from(total_servers)) },
            queue_mean: queue as f64 / el,
            queue_max: stations.iter().map(|s| s.queue_max).max().unwrap_or(0),
            wait_s_mean: if granted == 0 { 0.0 } else { wait as f64 / 1e9 / granted as f64 },
            service_s_mean: 0.0,
            granted,
            waited: stations.iter().map(|s| s.waited).sum(),
            rejected: stations.iter().map(|s| s.rejected).sum(),
            extra: BTreeMap::new(),
            instances_mean: None,
        }
    }
}
