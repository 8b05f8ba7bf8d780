//! The closed set of component kinds. Each kind lives in its own folder
//! (`components/<kind>/`) with its input type, its validation, its behaviour and its
//! implementation of the kind contract (`kind.rs`: the traits `KindInput`, `KindSpec` and
//! `Kind`). The one table below (`kinds!`) declares the kinds; the three enums, the list of
//! names, the parser and every forwarding match are generated from it, so adding a kind is
//! one folder and one line here, and a kind that misses part of the contract does not compile.

#[macro_use]
mod table;

pub mod autoscale;
pub mod cache_store;
pub mod conn_pool;
pub mod crash;
pub mod db_node;
pub mod edge_cache;
pub mod fleet;
pub mod health;
pub mod kind;
pub mod nodes;
pub mod pool;
pub mod remote_replica;
pub mod remote_replication;
pub mod replication;
pub mod resilience;
pub mod sessions;
pub mod testkit;

use crate::engine::station::StationStats;
use crate::units::Nanos;
pub use kind::{Kind, KindInput, KindSpec, OpRule};
use std::collections::BTreeMap;
pub use table::{node_name, op_rule};

// The table of kinds: `Variant = "name", module { input, spec, runtime }`, in the order
// `KINDS`, the schema's union and REFERENCE.md list them. The large inputs and runtimes are
// boxed, so that the common kinds stay compact (parsing is a cold path; a boxed runtime costs
// one indirection per event).
kinds! {
    LoadBalancer = "load_balancer", load_balancer {
        load_balancer::LoadBalancerInput, load_balancer::LoadBalancerSpec, load_balancer::LoadBalancer
    };
    Service = "service", service { Box<service::ServiceInput>, service::ServiceSpec, service::Service };
    Database = "database", database { database::DatabaseInput, database::DatabaseSpec, database::Database };
    Queue = "queue", queue { queue::QueueInput, queue::QueueSpec, Box<queue::Queue> };
    Cdn = "cdn", cdn { cdn::CdnInput, cdn::CdnSpec, cdn::Cdn };
    ObjectStorage = "object_storage", object_storage {
        object_storage::ObjectStorageInput, object_storage::ObjectStorageSpec, object_storage::ObjectStorage
    };
    GeoDns = "geo_dns", geo_dns { geo_dns::GeoDnsInput, geo_dns::GeoDnsSpec, geo_dns::GeoDns };
    Gateway = "gateway", gateway { gateway::GatewayInput, gateway::GatewaySpec, gateway::Gateway };
    Cache = "cache", cache { cache::CacheInput, cache::CacheSpec, Box<cache::Cache> };
    Shards = "shards", shards { shards::ShardsInput, shards::ShardsSpec, Box<shards::Shards> };
    Pooler = "pooler", pooler { pooler::PoolerInput, pooler::PoolerSpec, Box<pooler::Pooler> };
}

/// What `stagesim docs` says about a kind beyond its keys, held beside the kind's code.
pub struct KindDocs {
    /// The prices of models/prices.toml its usage is billed at, as `section.key`.
    pub usage_prices: &'static [&'static str],
    /// The fields its summary object has beyond every component's, in groups (shared parts
    /// such as `resilience` keep their own), with `{i}` or `{target}` for a numbered family.
    pub metrics: &'static [&'static [(&'static str, &'static str)]],
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
