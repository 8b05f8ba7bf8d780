//! The closed set of component kinds. Each kind lives in its own file with its input type,
//! its validation and its behaviour; adding a kind is one file and one arm in each match
//! below (the compiler lists the matches, since none has a catch-all).

pub mod autoscale;
pub mod cache;
pub mod cache_store;
pub mod cdn;
pub mod conn_pool;
pub mod crash;
pub mod database;
pub mod db_node;
pub mod edge_cache;
pub mod fleet;
pub mod gateway;
pub mod geo_dns;
pub mod health;
pub mod load_balancer;
pub mod nodes;
pub mod object_storage;
pub mod pool;
pub mod pooler;
pub mod queue;
pub mod remote_replica;
pub mod remote_replication;
pub mod replication;
pub mod resilience;
pub mod service;
pub mod sessions;
pub mod shards;

use crate::calls_model::Plan;
use crate::engine::calls::{CallId, Op, Outcome};
use crate::engine::station::StationStats;
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::faults::{FaultKind, FaultSpec};
use crate::model::Placement;
use crate::model::{CompId, Cost, Model};
use crate::units::Nanos;
use crate::validate::Resolver;
use cache::{Cache, CacheInput, CacheSpec};
use cdn::{Cdn, CdnInput, CdnSpec};
use database::{Database, DatabaseInput, DatabaseSpec};
use gateway::{Gateway, GatewayInput, GatewaySpec};
use geo_dns::{GeoDns, GeoDnsInput, GeoDnsSpec};
use load_balancer::{LoadBalancer, LoadBalancerInput, LoadBalancerSpec};
use object_storage::{ObjectStorage, ObjectStorageInput, ObjectStorageSpec};
use pooler::{Pooler, PoolerInput, PoolerSpec};
use queue::{Queue, QueueInput, QueueSpec};
use serde::Deserialize;
use service::{Service, ServiceInput, ServiceSpec};
use shards::{Shards, ShardsInput, ShardsSpec};
use std::collections::BTreeMap;

pub const KINDS: &[&str] = &[
    "load_balancer",
    "service",
    "database",
    "queue",
    "cdn",
    "object_storage",
    "geo_dns",
    "gateway",
    "cache",
    "shards",
    "pooler",
];

pub enum ComponentInput {
    LoadBalancer(LoadBalancerInput),
    // Boxed: the largest input by far, and parsing is a cold path.
    Service(Box<ServiceInput>),
    Database(DatabaseInput),
    Queue(QueueInput),
    Cdn(CdnInput),
    ObjectStorage(ObjectStorageInput),
    GeoDns(GeoDnsInput),
    Gateway(GatewayInput),
    Cache(CacheInput),
    Shards(ShardsInput),
    Pooler(PoolerInput),
}

/// Deserializes one `[components.NAME]` table once its `kind` is known, keeping spans.
pub fn parse_component<'de, D: serde::Deserializer<'de>>(kind: &str, d: D) -> Result<ComponentInput, D::Error> {
    Ok(match kind {
        "load_balancer" => ComponentInput::LoadBalancer(LoadBalancerInput::deserialize(d)?),
        "service" => ComponentInput::Service(Box::new(ServiceInput::deserialize(d)?)),
        "database" => ComponentInput::Database(DatabaseInput::deserialize(d)?),
        "queue" => ComponentInput::Queue(QueueInput::deserialize(d)?),
        "cdn" => ComponentInput::Cdn(CdnInput::deserialize(d)?),
        "object_storage" => ComponentInput::ObjectStorage(ObjectStorageInput::deserialize(d)?),
        "geo_dns" => ComponentInput::GeoDns(GeoDnsInput::deserialize(d)?),
        "gateway" => ComponentInput::Gateway(GatewayInput::deserialize(d)?),
        "cache" => ComponentInput::Cache(CacheInput::deserialize(d)?),
        "shards" => ComponentInput::Shards(ShardsInput::deserialize(d)?),
        "pooler" => ComponentInput::Pooler(PoolerInput::deserialize(d)?),
        other => return Err(serde::de::Error::custom(format!("unknown component kind `{other}`"))),
    })
}

/// Each kind's name and the JSON Schema of its input (a reference into the generator's
/// definitions), in `KINDS` order; `schema` builds the tagged union of components from it.
pub fn input_schemas(g: &mut schemars::SchemaGenerator) -> Vec<(&'static str, schemars::Schema)> {
    vec![
        ("load_balancer", g.subschema_for::<LoadBalancerInput>()),
        ("service", g.subschema_for::<ServiceInput>()),
        ("database", g.subschema_for::<DatabaseInput>()),
        ("queue", g.subschema_for::<QueueInput>()),
        ("cdn", g.subschema_for::<CdnInput>()),
        ("object_storage", g.subschema_for::<ObjectStorageInput>()),
        ("geo_dns", g.subschema_for::<GeoDnsInput>()),
        ("gateway", g.subschema_for::<GatewayInput>()),
        ("cache", g.subschema_for::<CacheInput>()),
        ("shards", g.subschema_for::<ShardsInput>()),
        ("pooler", g.subschema_for::<PoolerInput>()),
    ]
}

/// What `stagesim docs` says about a kind beyond its keys, held beside the kind's code.
pub struct KindDocs {
    /// The prices of models/prices.toml its usage is billed at, as `section.key`.
    pub usage_prices: &'static [&'static str],
    /// The fields its summary object has beyond every component's, in groups (shared parts
    /// such as `resilience` keep their own), with `{i}` or `{target}` for a numbered family.
    pub metrics: &'static [&'static [(&'static str, &'static str)]],
}

/// Every kind's docs, in `KINDS` order.
pub fn kind_docs() -> Vec<(&'static str, &'static KindDocs)> {
    vec![
        ("load_balancer", &load_balancer::DOCS),
        ("service", &service::DOCS),
        ("database", &database::DOCS),
        ("queue", &queue::DOCS),
        ("cdn", &cdn::DOCS),
        ("object_storage", &object_storage::DOCS),
        ("geo_dns", &geo_dns::DOCS),
        ("gateway", &gateway::DOCS),
        ("cache", &cache::DOCS),
        ("shards", &shards::DOCS),
        ("pooler", &pooler::DOCS),
    ]
}

/// Whether calls to a kind name an operation (`db.read`) or not (`app`).
pub enum OpRule {
    Plain,
    ReadWrite,
}

pub fn op_rule(kind: &str) -> OpRule {
    match kind {
        "database" | "object_storage" | "cache" | "shards" | "pooler" => OpRule::ReadWrite,
        _ => OpRule::Plain,
    }
}

impl ComponentInput {
    pub fn kind_name(&self) -> &'static str {
        match self {
            ComponentInput::LoadBalancer(_) => "load_balancer",
            ComponentInput::Service(_) => "service",
            ComponentInput::Database(_) => "database",
            ComponentInput::Queue(_) => "queue",
            ComponentInput::Cdn(_) => "cdn",
            ComponentInput::ObjectStorage(_) => "object_storage",
            ComponentInput::GeoDns(_) => "geo_dns",
            ComponentInput::Gateway(_) => "gateway",
            ComponentInput::Cache(_) => "cache",
            ComponentInput::Shards(_) => "shards",
            ComponentInput::Pooler(_) => "pooler",
        }
    }

    /// The primary of a read replica in another region (`replica_of`), which takes no writes.
    pub fn replica_of(&self) -> Option<String> {
        match self {
            ComponentInput::Database(i) => i.replica_of.clone(),
            ComponentInput::LoadBalancer(_)
            | ComponentInput::Service(_)
            | ComponentInput::Queue(_)
            | ComponentInput::Cdn(_)
            | ComponentInput::ObjectStorage(_)
            | ComponentInput::GeoDns(_)
            | ComponentInput::Gateway(_)
            | ComponentInput::Cache(_)
            | ComponentInput::Shards(_)
            | ComponentInput::Pooler(_) => None,
        }
    }

    pub fn validate(&self, name: &str, r: &mut Resolver) -> Option<(ComponentSpec, Cost)> {
        match self {
            ComponentInput::LoadBalancer(i) => i.validate(name, r).map(|(s, c)| (ComponentSpec::LoadBalancer(s), c)),
            ComponentInput::Service(i) => i.validate(name, r).map(|(s, c)| (ComponentSpec::Service(s), c)),
            ComponentInput::Database(i) => i.validate(name, r).map(|(s, c)| (ComponentSpec::Database(s), c)),
            ComponentInput::Queue(i) => i.validate(name, r).map(|(s, c)| (ComponentSpec::Queue(s), c)),
            ComponentInput::Cdn(i) => i.validate(name, r).map(|(s, c)| (ComponentSpec::Cdn(s), c)),
            ComponentInput::ObjectStorage(i) => i.validate(name, r).map(|(s, c)| (ComponentSpec::ObjectStorage(s), c)),
            ComponentInput::GeoDns(i) => i.validate(name, r).map(|(s, c)| (ComponentSpec::GeoDns(s), c)),
            ComponentInput::Gateway(i) => i.validate(name, r).map(|(s, c)| (ComponentSpec::Gateway(s), c)),
            ComponentInput::Cache(i) => i.validate(name, r).map(|(s, c)| (ComponentSpec::Cache(s), c)),
            ComponentInput::Shards(i) => i.validate(name, r).map(|(s, c)| (ComponentSpec::Shards(s), c)),
            ComponentInput::Pooler(i) => i.validate(name, r).map(|(s, c)| (ComponentSpec::Pooler(s), c)),
        }
    }
}

#[derive(Clone, Debug)]
pub enum ComponentSpec {
    LoadBalancer(LoadBalancerSpec),
    Service(ServiceSpec),
    Database(DatabaseSpec),
    Queue(QueueSpec),
    Cdn(CdnSpec),
    ObjectStorage(ObjectStorageSpec),
    GeoDns(GeoDnsSpec),
    Gateway(GatewaySpec),
    Cache(CacheSpec),
    Shards(ShardsSpec),
    Pooler(PoolerSpec),
}

impl ComponentSpec {
    pub fn kind_name(&self) -> &'static str {
        match self {
            ComponentSpec::LoadBalancer(_) => "load_balancer",
            ComponentSpec::Service(_) => "service",
            ComponentSpec::Database(_) => "database",
            ComponentSpec::Queue(_) => "queue",
            ComponentSpec::Cdn(_) => "cdn",
            ComponentSpec::ObjectStorage(_) => "object_storage",
            ComponentSpec::GeoDns(_) => "geo_dns",
            ComponentSpec::Gateway(_) => "gateway",
            ComponentSpec::Cache(_) => "cache",
            ComponentSpec::Shards(_) => "shards",
            ComponentSpec::Pooler(_) => "pooler",
        }
    }

    /// The components this one calls.
    pub fn downstream(&self) -> Vec<CompId> {
        match self {
            ComponentSpec::LoadBalancer(s) => vec![s.backend],
            ComponentSpec::Service(s) => Service::downstream(s),
            // A replica in another region forwards some reads to its primary.
            ComponentSpec::Database(s) => s.remote.iter().map(|r| r.primary).collect(),
            ComponentSpec::Shards(_) => Vec::new(),
            ComponentSpec::Queue(s) => Queue::downstream(s),
            ComponentSpec::Cdn(s) => s.downstream(),
            ComponentSpec::ObjectStorage(_) => Vec::new(),
            ComponentSpec::GeoDns(s) => s.targets.clone(),
            ComponentSpec::Gateway(s) => vec![s.backend],
            ComponentSpec::Cache(s) => vec![s.backend],
            ComponentSpec::Pooler(s) => vec![s.backend],
        }
    }

    pub fn plans(&self) -> Option<&[Plan]> {
        match self {
            ComponentSpec::Service(s) => Some(&s.plans),
            ComponentSpec::Queue(s) => Some(&s.plans),
            ComponentSpec::LoadBalancer(_)
            | ComponentSpec::Database(_)
            | ComponentSpec::Cdn(_)
            | ComponentSpec::ObjectStorage(_)
            | ComponentSpec::GeoDns(_)
            | ComponentSpec::Gateway(_)
            | ComponentSpec::Cache(_)
            | ComponentSpec::Shards(_)
            | ComponentSpec::Pooler(_) => None,
        }
    }

    /// Whether this kind looks at request keys (caches, shards, replicas).
    pub fn needs_keys(&self) -> bool {
        match self {
            ComponentSpec::LoadBalancer(_)
            | ComponentSpec::Service(_)
            | ComponentSpec::Queue(_)
            | ComponentSpec::ObjectStorage(_)
            | ComponentSpec::GeoDns(_)
            | ComponentSpec::Gateway(_)
            | ComponentSpec::Pooler(_) => false,
            ComponentSpec::Cdn(_) | ComponentSpec::Shards(_) => true,
            ComponentSpec::Database(s) => s.replicas.is_some() || s.remote.is_some(),
            ComponentSpec::Cache(s) => s.keyed(),
        }
    }

    /// Whether this kind looks at who sends a request (sessions, regions).
    pub fn needs_users(&self) -> bool {
        match self {
            ComponentSpec::LoadBalancer(s) => s.policy == load_balancer::Policy::Sticky,
            ComponentSpec::Service(_)
            | ComponentSpec::Queue(_)
            | ComponentSpec::ObjectStorage(_)
            | ComponentSpec::Cache(_)
            | ComponentSpec::Shards(_)
            | ComponentSpec::Pooler(_) => false,
            // Read-your-writes is measured (and, if asked, enforced) per user.
            ComponentSpec::Database(s) => s.replicas.is_some() || s.remote.is_some(),
            ComponentSpec::Cdn(_) | ComponentSpec::GeoDns(_) => true,
            ComponentSpec::Gateway(s) => s.per_client.is_some(),
        }
    }

    /// Whether this kind is in every region at once (a CDN's edges, a geo-DNS): it has no
    /// `region`, and adds the network legs it chooses per request itself.
    pub fn everywhere(&self) -> bool {
        match self {
            ComponentSpec::LoadBalancer(_)
            | ComponentSpec::Service(_)
            | ComponentSpec::Database(_)
            | ComponentSpec::Queue(_)
            | ComponentSpec::ObjectStorage(_)
            | ComponentSpec::Gateway(_)
            | ComponentSpec::Cache(_)
            | ComponentSpec::Shards(_)
            | ComponentSpec::Pooler(_) => false,
            ComponentSpec::Cdn(_) | ComponentSpec::GeoDns(_) => true,
        }
    }

    /// Whether this kind accounts for the bytes it sends users itself (else they are billed as
    /// internet egress of the entry).
    /// Whether calls to or from this kind move bytes between the provider's regions (a CDN
    /// edge's fetches are billed by the CDN; a geo-DNS only answers where to go).
    pub fn moves_call_bytes(&self) -> bool {
        match self {
            ComponentSpec::LoadBalancer(_)
            | ComponentSpec::Service(_)
            | ComponentSpec::Database(_)
            | ComponentSpec::Queue(_)
            | ComponentSpec::ObjectStorage(_)
            | ComponentSpec::Gateway(_)
            | ComponentSpec::Cache(_)
            | ComponentSpec::Shards(_)
            | ComponentSpec::Pooler(_) => true,
            ComponentSpec::Cdn(_) | ComponentSpec::GeoDns(_) => false,
        }
    }

    pub fn bills_own_egress(&self) -> bool {
        match self {
            ComponentSpec::LoadBalancer(_)
            | ComponentSpec::Service(_)
            | ComponentSpec::Database(_)
            | ComponentSpec::Queue(_)
            | ComponentSpec::ObjectStorage(_)
            | ComponentSpec::GeoDns(_)
            | ComponentSpec::Gateway(_)
            | ComponentSpec::Cache(_)
            | ComponentSpec::Shards(_)
            | ComponentSpec::Pooler(_) => false,
            ComponentSpec::Cdn(_) => true,
        }
    }

    /// One-way latency from users of a region (index into the scenario's user regions) to
    /// this component when it is the entry.
    pub fn user_link_ns(&self, user_region: u8, id: CompId, placement: &Placement) -> Nanos {
        match self {
            ComponentSpec::LoadBalancer(_)
            | ComponentSpec::Service(_)
            | ComponentSpec::Database(_)
            | ComponentSpec::Queue(_)
            | ComponentSpec::ObjectStorage(_)
            | ComponentSpec::Gateway(_)
            | ComponentSpec::Cache(_)
            | ComponentSpec::Shards(_)
            | ComponentSpec::Pooler(_) => placement.user_to(user_region, id),
            ComponentSpec::Cdn(s) => s.user_link_ns(user_region, placement),
            // The route it picks adds the legs to and from the user.
            ComponentSpec::GeoDns(_) => 0,
        }
    }

    /// Checks the per-key (and per-user) state a kind keeps against the scenario's key space
    /// and user count, so that memory is bounded before a run starts.
    pub fn check_scale(&self, name: &str, keys: u64, users: u64, r: &mut Resolver) {
        match self {
            ComponentSpec::LoadBalancer(_)
            | ComponentSpec::Service(_)
            | ComponentSpec::Shards(_)
            | ComponentSpec::Pooler(_)
            | ComponentSpec::Queue(_)
            | ComponentSpec::Cdn(_)
            | ComponentSpec::ObjectStorage(_)
            | ComponentSpec::GeoDns(_)
            | ComponentSpec::Gateway(_) => {}
            ComponentSpec::Database(s) => s.check_scale(name, keys, users, r),
            ComponentSpec::Cache(s) => {
                if s.keyed() && keys > MAX_KEY_STATE {
                    r.problem(
                        &["keys", "count"],
                        format!("cache `{name}` keeps state for every key, and {keys} keys is more than {MAX_KEY_STATE}"),
                        "model a sample of the key space (the hit ratio depends on capacity / keys), or give the cache a fixed `hit_ratio`",
                    );
                }
            }
        }
    }

    /// Instances a balancer in front of this component spreads over.
    pub fn instances(&self) -> u32 {
        match self {
            ComponentSpec::Service(s) => s.instances,
            ComponentSpec::LoadBalancer(_)
            | ComponentSpec::Database(_)
            | ComponentSpec::Queue(_)
            | ComponentSpec::Cdn(_)
            | ComponentSpec::ObjectStorage(_)
            | ComponentSpec::GeoDns(_)
            | ComponentSpec::Gateway(_)
            | ComponentSpec::Cache(_)
            | ComponentSpec::Shards(_)
            | ComponentSpec::Pooler(_) => 1,
        }
    }

    /// Calls this component makes downstream per call it receives (for `explain`):
    /// (target, operation, expected calls).
    pub fn forwards(&self, class: usize) -> Vec<(CompId, Op, f64)> {
        match self {
            ComponentSpec::LoadBalancer(s) => vec![(s.backend, Op::Default, 1.0)],
            ComponentSpec::Service(s) => s.plans[class].iter().flatten().map(|t| (t.comp, t.op, 1.0)).collect(),
            // The workers' calls, made after the ack: the load is real, only later.
            ComponentSpec::Queue(s) => s.plans[class].iter().flatten().map(|t| (t.comp, t.op, 1.0)).collect(),
            // An upper bound: every request is taken to miss the edge.
            ComponentSpec::Cdn(s) => vec![(s.origins[class].0, s.origins[class].1, 1.0)],
            // Users split by region: without the region shares here, spread evenly.
            ComponentSpec::GeoDns(s) => {
                s.targets.iter().map(|t| (*t, Op::Default, 1.0 / s.targets.len() as f64)).collect()
            }
            ComponentSpec::Gateway(s) => vec![(s.backend, Op::Default, 1.0)],
            ComponentSpec::Database(_) | ComponentSpec::ObjectStorage(_) | ComponentSpec::Shards(_) => Vec::new(),
            // An upper bound again: every read misses, every write goes through.
            ComponentSpec::Cache(s) => vec![(s.backend, Op::Read, 1.0)],
            ComponentSpec::Pooler(s) => vec![(s.backend, Op::Read, 1.0)],
        }
    }

    /// Mean work one call of `op` puts on one of this component's servers, in seconds.
    pub fn mean_work_s(&self, op: Op) -> f64 {
        match self {
            ComponentSpec::Service(s) => s.service_time.mean_secs(),
            ComponentSpec::Database(s) => match op {
                Op::Write => s.write_time.mean_secs(),
                Op::Read | Op::Default => s.read_time.mean_secs(),
            },
            ComponentSpec::LoadBalancer(s) => s.station.as_ref().map_or(0.0, |(_, _, d)| d.mean_secs()),
            ComponentSpec::Queue(s) => s.work_time.mean_secs(),
            ComponentSpec::Cdn(s) => s.edge_time.mean_secs(),
            ComponentSpec::ObjectStorage(s) => s.first_byte_time.mean_secs(),
            ComponentSpec::Gateway(s) => s.auth.as_ref().map_or(0.0, |(_, _, d)| d.mean_secs()),
            ComponentSpec::GeoDns(_) | ComponentSpec::Pooler(_) => 0.0,
            ComponentSpec::Cache(s) => s.hit_time.mean_secs(),
            ComponentSpec::Shards(s) => match op {
                Op::Write => s.server.times.write.mean_secs(),
                Op::Read | Op::Default => s.server.times.read.mean_secs(),
            },
        }
    }

    /// Instance slots: the most instances the component can have at once (autoscaling).
    pub fn max_instances(&self) -> u32 {
        match self {
            ComponentSpec::Service(s) => s.max_instances(),
            ComponentSpec::LoadBalancer(_)
            | ComponentSpec::Database(_)
            | ComponentSpec::Queue(_)
            | ComponentSpec::Cdn(_)
            | ComponentSpec::ObjectStorage(_)
            | ComponentSpec::GeoDns(_)
            | ComponentSpec::Gateway(_)
            | ComponentSpec::Cache(_)
            | ComponentSpec::Shards(_)
            | ComponentSpec::Pooler(_) => 1,
        }
    }

    /// Whether this kind handles a fault (checked at validation, so `Component::fault` only
    /// ever receives faults its kind accepts). Link faults are the engine's.
    pub fn accepts_fault(&self, f: &FaultKind) -> bool {
        match self {
            ComponentSpec::Service(_) => matches!(f, FaultKind::InstanceCrash { .. } | FaultKind::ComponentDown { .. }),
            ComponentSpec::Database(s) => {
                matches!(f, FaultKind::ComponentDown { .. })
                    || (matches!(f, FaultKind::ReplicaLagSpike { .. } | FaultKind::PrimaryFailover { .. })
                        && s.replicas.is_some())
            }
            ComponentSpec::LoadBalancer(_) => matches!(f, FaultKind::ComponentDown { .. }),
            // A fixed `hit_ratio` keeps no keys: there is nothing to flush.
            ComponentSpec::Cache(s) => matches!(f, FaultKind::CacheFlush) && s.keyed(),
            // Their own faults are not modelled yet (region outages reach them all): a
            // scenario that aims one at them is told so at validation.
            ComponentSpec::Queue(_)
            | ComponentSpec::Cdn(_)
            | ComponentSpec::ObjectStorage(_)
            | ComponentSpec::GeoDns(_)
            | ComponentSpec::Gateway(_)
            | ComponentSpec::Shards(_)
            | ComponentSpec::Pooler(_) => false,
        }
    }

    /// Parallel servers and the mean work per call at the bottleneck resource, for
    /// back-of-the-envelope capacity: servers / mean time.
    pub fn servers_and_mean_work_s(&self) -> (u32, f64) {
        match self {
            ComponentSpec::Service(s) => (s.instances * s.cores, s.service_time.mean_secs()),
            ComponentSpec::Database(s) => {
                (s.cores * (1 + s.replicas.as_ref().map_or(0, |x| x.count)), s.read_time.mean_secs())
            }
            ComponentSpec::Cache(s) => (s.servers, s.hit_time.mean_secs()),
            ComponentSpec::Shards(s) => (s.shards * s.server.cores, s.server.times.read.mean_secs()),
            // Its connections are held across the backend's work, which is the bottleneck.
            ComponentSpec::Pooler(_) => (0, 0.0),
            ComponentSpec::Queue(s) => (s.workers, s.work_time.mean_secs()),
            ComponentSpec::Cdn(_) | ComponentSpec::GeoDns(_) => (0, 0.0),
            ComponentSpec::Gateway(s) => match &s.auth {
                Some((servers, _, d)) => (*servers, d.mean_secs()),
                None => (0, 0.0),
            },
            ComponentSpec::ObjectStorage(s) => (0, s.first_byte_time.mean_secs()),
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
    /// Boxed: its histograms make it far larger than the hot kinds.
    Queue(Box<Queue>),
    Cdn(Cdn),
    ObjectStorage(ObjectStorage),
    GeoDns(GeoDns),
    Gateway(Gateway),
    // Boxed: large, and kept out of the enum so the common kinds stay compact.
    Cache(Box<Cache>),
    Shards(Box<Shards>),
    Pooler(Box<Pooler>),
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
            ComponentSpec::Queue(s) => Component::Queue(Box::new(Queue::new(s, name, id, seed))),
            ComponentSpec::Cdn(s) => Component::Cdn(Cdn::new(s, name, seed, &model.placement)),
            ComponentSpec::ObjectStorage(s) => Component::ObjectStorage(ObjectStorage::new(s, name, seed)),
            ComponentSpec::GeoDns(s) => Component::GeoDns(GeoDns::new(s, id, model)),
            ComponentSpec::Gateway(s) => Component::Gateway(Gateway::new(s, name, seed, model)),
            ComponentSpec::Database(s) => Component::Database(Database::new(s, id, name, seed, model)),
            ComponentSpec::Cache(s) => {
                let flushed = model.faults.iter().any(|f| f.target == id && f.kind == FaultKind::CacheFlush);
                Component::Cache(Box::new(Cache::new(s, name, seed, id, model.keys, flushed)))
            }
            ComponentSpec::Shards(s) => Component::Shards(Box::new(Shards::new(s, name, seed, model.keys))),
            ComponentSpec::Pooler(s) => Component::Pooler(Box::new(Pooler::new(s))),
        }
    }

    #[inline]
    pub fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        match self {
            Component::LoadBalancer(c) => c.deliver(ctx, id),
            Component::Service(c) => c.deliver(ctx, id),
            Component::Database(c) => c.deliver(ctx, id),
            Component::Queue(c) => c.deliver(ctx, id),
            Component::Cdn(c) => c.deliver(ctx, id),
            Component::ObjectStorage(c) => c.deliver(ctx, id),
            Component::GeoDns(c) => c.deliver(ctx, id),
            Component::Gateway(c) => c.deliver(ctx, id),
            Component::Cache(c) => c.deliver(ctx, id),
            Component::Shards(c) => c.deliver(ctx, id),
            Component::Pooler(c) => c.deliver(ctx, id),
        }
    }

    #[inline]
    pub fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        match self {
            Component::LoadBalancer(c) => c.done(ctx, id),
            Component::Service(c) => c.done(ctx, id),
            Component::Database(c) => c.done(ctx, id),
            Component::Queue(c) => c.done(ctx, id),
            Component::Cdn(c) => c.done(ctx, id),
            Component::ObjectStorage(c) => c.done(ctx, id),
            Component::GeoDns(_) => unreachable!("a geo-DNS schedules no work"),
            Component::Gateway(c) => c.done(ctx, id),
            Component::Cache(c) => c.done(ctx, id),
            Component::Shards(c) => c.done(ctx, id),
            Component::Pooler(c) => c.done(ctx, id),
        }
    }

    #[inline]
    pub fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        match self {
            Component::LoadBalancer(c) => c.child_replied(ctx, id, outcome),
            Component::Service(c) => c.child_replied(ctx, id, outcome),
            // Only a replica in another region calls out: reads it forwards to its primary.
            Component::Database(c) => c.child_replied(ctx, id, outcome),
            Component::Shards(_) => unreachable!("shards make no downstream calls"),
            Component::Cache(c) => c.child_replied(ctx, id, outcome),
            Component::Pooler(c) => c.child_replied(ctx, id, outcome),
            Component::Queue(c) => c.child_replied(ctx, id, outcome),
            Component::Cdn(c) => c.child_replied(ctx, id, outcome),
            Component::ObjectStorage(_) => unreachable!("object storage makes no downstream calls"),
            Component::GeoDns(c) => c.child_replied(ctx, id, outcome),
            Component::Gateway(c) => c.child_replied(ctx, id, outcome),
        }
    }

    /// A timer the component set with `Event::Wake`.
    pub fn wake(&mut self, ctx: &mut Ctx, token: u32) {
        match self {
            Component::Queue(c) => c.wake(ctx, token),
            Component::LoadBalancer(_)
            | Component::Service(_)
            | Component::Database(_)
            | Component::Cdn(_)
            | Component::ObjectStorage(_)
            | Component::GeoDns(_)
            | Component::Gateway(_)
            | Component::Cache(_)
            | Component::Shards(_)
            | Component::Pooler(_) => {
                unreachable!("this kind sets no timers")
            }
        }
    }

    /// At time zero, before the first event: schedule what the component runs on its own.
    pub fn start(&mut self, ctx: &mut Ctx) {
        match self {
            Component::LoadBalancer(c) => c.start(ctx),
            Component::Service(c) => c.start(ctx),
            Component::GeoDns(c) => c.start(ctx),
            Component::Database(_)
            | Component::Queue(_)
            | Component::Cdn(_)
            | Component::ObjectStorage(_)
            | Component::Gateway(_)
            | Component::Cache(_)
            | Component::Shards(_)
            | Component::Pooler(_) => {}
        }
    }

    /// A scheduled fault aimed at this component starts (`start`) or ends; `id` indexes
    /// `Model::faults` and `Ctx::faults` (where the kind reports what the fault did).
    pub fn fault(&mut self, ctx: &mut Ctx, id: u16, fault: &FaultSpec, start: bool) {
        match self {
            Component::LoadBalancer(c) => c.fault(ctx, id, fault, start),
            Component::Service(c) => c.fault(ctx, id, fault, start),
            Component::Database(c) => c.fault(ctx, id, fault, start),
            Component::Cache(c) => c.fault(ctx, id, fault, start),
            Component::Queue(_)
            | Component::Cdn(_)
            | Component::ObjectStorage(_)
            | Component::GeoDns(_)
            | Component::Gateway(_)
            | Component::Shards(_)
            | Component::Pooler(_) => {
                unreachable!("validation only lets a kind receive the faults it accepts")
            }
        }
    }

    /// A timer the component scheduled (`Event::Timer`), with its own tag.
    pub fn timer(&mut self, ctx: &mut Ctx, tag: u32) {
        match self {
            Component::LoadBalancer(c) => c.timer(ctx, tag),
            Component::Service(c) => c.timer(ctx, tag),
            Component::GeoDns(c) => c.timer(ctx, tag),
            Component::Database(_)
            | Component::Queue(_)
            | Component::Cdn(_)
            | Component::ObjectStorage(_)
            | Component::Gateway(_)
            | Component::Cache(_)
            | Component::Shards(_)
            | Component::Pooler(_) => {}
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
            Component::Database(c) => c.series(out),
            Component::Cache(c) => c.series(width, out),
            Component::Queue(_)
            | Component::Cdn(_)
            | Component::ObjectStorage(_)
            | Component::GeoDns(_)
            | Component::Gateway(_)
            | Component::Shards(_)
            | Component::Pooler(_) => {}
        }
    }

    pub fn totals(&mut self, now: Nanos) -> Totals {
        match self {
            Component::LoadBalancer(c) => c.totals(now),
            Component::Service(c) => c.totals(now),
            Component::Database(c) => c.totals(now),
            Component::Queue(c) => c.totals(now),
            Component::Cdn(c) => c.totals(now),
            Component::ObjectStorage(c) => c.totals(now),
            Component::GeoDns(c) => c.totals(now),
            Component::Gateway(c) => c.totals(now),
            Component::Cache(c) => c.totals(now),
            Component::Shards(c) => c.totals(now),
            Component::Pooler(c) => c.totals(now),
        }
    }

    pub fn sync(&mut self, now: Nanos) {
        match self {
            Component::LoadBalancer(c) => c.sync(now),
            Component::Service(c) => c.sync(now),
            Component::Database(c) => c.sync(now),
            Component::Queue(c) => c.sync(now),
            Component::Cdn(c) => c.sync(now),
            Component::ObjectStorage(c) => c.sync(now),
            Component::GeoDns(c) => c.sync(now),
            Component::Gateway(c) => c.sync(now),
            Component::Cache(c) => c.sync(now),
            Component::Shards(c) => c.sync(now),
            Component::Pooler(c) => c.sync(now),
        }
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        match self {
            Component::LoadBalancer(c) => c.reset_stats(now),
            Component::Service(c) => c.reset_stats(now),
            Component::Database(c) => c.reset_stats(now),
            Component::Queue(c) => c.reset_stats(now),
            Component::Cdn(c) => c.reset_stats(now),
            Component::ObjectStorage(c) => c.reset_stats(now),
            Component::GeoDns(c) => c.reset_stats(now),
            Component::Gateway(c) => c.reset_stats(now),
            Component::Cache(c) => c.reset_stats(now),
            Component::Shards(c) => c.reset_stats(now),
            Component::Pooler(c) => c.reset_stats(now),
        }
    }

    /// When the run ends, after `stats` was taken at the end of the measured window: counts
    /// that follow the window's work through the drain (a queue's messages).
    pub fn settle(&self, s: &mut KindStats) {
        match self {
            Component::Queue(c) => c.settle(s),
            Component::LoadBalancer(_)
            | Component::Service(_)
            | Component::Database(_)
            | Component::Cdn(_)
            | Component::ObjectStorage(_)
            | Component::GeoDns(_)
            | Component::Gateway(_)
            | Component::Cache(_)
            | Component::Shards(_)
            | Component::Pooler(_) => {}
        }
    }

    pub fn stats(&self, elapsed: Nanos) -> KindStats {
        match self {
            Component::LoadBalancer(c) => c.stats(elapsed),
            Component::Service(c) => c.stats(elapsed),
            Component::Database(c) => c.stats(elapsed),
            Component::Queue(c) => c.stats(elapsed),
            Component::Cdn(c) => c.stats(elapsed),
            Component::ObjectStorage(c) => c.stats(elapsed),
            Component::GeoDns(c) => c.stats(elapsed),
            Component::Gateway(c) => c.stats(elapsed),
            Component::Cache(c) => c.stats(elapsed),
            Component::Shards(c) => c.stats(elapsed),
            Component::Pooler(c) => c.stats(elapsed),
        }
    }
}

/// Keys (or users) a kind may keep per-key state for: 8 to 20 bytes each, allocated up front.
pub const MAX_KEY_STATE: u64 = 10_000_000;

/// Queueing statistics of one component over the measured period, in base units.
// Serializable exactly (non-finite floats too): plan parts carry it between machines.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KindStats {
    pub servers: u32,
    #[serde(with = "crate::summary::facts::exact")]
    pub utilization: f64,
    #[serde(with = "crate::summary::facts::exact")]
    pub queue_mean: f64,
    pub queue_max: u32,
    #[serde(with = "crate::summary::facts::exact")]
    pub wait_s_mean: f64,
    #[serde(with = "crate::summary::facts::exact")]
    pub service_s_mean: f64,
    pub granted: u64,
    /// Grants that had to wait: the probability of waiting is `waited / granted`.
    pub waited: u64,
    pub rejected: u64,
    /// Kind-specific figures, by name with its unit last.
    #[serde(with = "crate::summary::facts::exact_map")]
    pub extra: BTreeMap<String, f64>,
    /// Usage billed by the byte or the request (see `prices`).
    pub usage: crate::prices::Usage,
    /// Time-average instances over the measured period, when that count changes (autoscaling,
    /// crashes): the summary's cost uses it instead of the configured count.
    #[serde(with = "crate::summary::facts::exact_opt")]
    pub instances_mean: Option<f64>,
    /// Per node, for kinds made of several (instances, primary and replicas, shards); empty
    /// for a kind that is one node (the summary makes that node from the figures above).
    pub nodes: Vec<nodes::NodeStats>,
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
            usage: crate::prices::Usage::default(),
            instances_mean: None,
            nodes: Vec::new(),
        }
    }
}
