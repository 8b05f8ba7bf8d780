//! `kind = "shards"`: a database split by shard key over N identical servers, each holding a
//! part of the keys and taking both the reads and the writes for it.
//!
//! The shard of a request is a function of its key, by `strategy`:
//!
//! - `hash_modulo` (default): `hash(key) % shards`.
//! - `range`: contiguous ranges of the key space. Keys are numbered by popularity rank
//!   (key 0 is the most popular under Zipf), so the first range holds the hottest keys: the
//!   hotspot range sharding suffers when its key follows popularity (a time-ordered id).
//! - `consistent_hash`: a ring with `virtual_nodes` points per shard; a key belongs to the
//!   first point at or after its hash.
//!
//! A hot key makes a hot shard whatever the strategy, since all of one key's traffic goes to
//! one server. `keys_moved_ratio_on_add` is the fraction of keys (all keys, or 100,000 evenly
//! spaced ones for larger spaces) whose shard changes when growing from N to N+1 shards.

mod kind;
mod bench_tests;
use super::db_node::{node_stats, DbNode, ServerInput, ServerSpec};
use super::pool::Admit;
use super::KindStats;
use crate::engine::calls::{CallId, Outcome};
use crate::engine::metrics::{new_histogram, record};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::model::{Cost, Keys};
use crate::rng::{mix64, stream, SimRng};
use crate::units::Nanos;
use crate::validate::Resolver;
use hdrhistogram::Histogram;
use serde::Deserialize;

/// What `stagesim docs` says this kind costs beyond its instances and reports in its summary
/// object; a test fails when a run reports a field missing here.
pub const DOCS: super::KindDocs = super::KindDocs {
    usage_prices: &[],
    metrics: &[
        super::db_node::METRICS,
        &[
            ("shard_{i}_utilization", "core utilization of shard i"),
            ("shard_{i}_latency_s_p99", "99th percentile latency of shard i, in seconds"),
            ("shard_utilization_max", "the busiest shard's utilization"),
            ("shard_imbalance", "the busiest shard's utilization / the mean shard's"),
            ("keys_moved_ratio_on_add", "share of keys that would move to another shard if one were added"),
        ],
    ],
};

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    #[default]
    HashModulo,
    Range,
    ConsistentHash,
}

/// A sharded database: keys are split over `shards` database servers by hash modulo, range or consistent hashing. Calls name the operation.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShardsInput {
    /// The component kind.
    pub kind: String,
    /// Number of shards, each a database server (priced as one instance each).
    pub shards: u32,
    /// `"hash_modulo"` (default), `"range"` or `"consistent_hash"`.
    pub strategy: Option<Strategy>,
    /// Points per shard on the ring, for `consistent_hash` (default 100).
    #[schemars(extend("default" = DEFAULT_VIRTUAL_NODES))]
    pub virtual_nodes: Option<u32>,
    /// An instance profile from models/instances.toml: its cores, memory and hourly price (the cost of this component).
    pub instance_type: Option<String>,
    /// Per shard, as for a database: connections, cores, connection wait queue.
    #[schemars(extend("default" = super::db_node::DEFAULT_CONNECTIONS))]
    pub connections: Option<u32>,
    /// Requests processed in parallel per instance (default: the instance type's cores, or 1).
    pub cores: Option<u32>,
    /// Requests that may wait; beyond it, they are rejected (default: `[limits] max_queue`).
    pub queue: Option<u32>,
    /// Time of one read query on a core: a distribution.
    #[schemars(with = "crate::schema::Distribution")]
    pub read_time: String,
    /// Default: the read time.
    #[schemars(with = "Option<crate::schema::Distribution>")]
    pub write_time: Option<String>,
    /// Hourly price of one instance in USD, instead of the instance type's.
    pub usd_per_hour: Option<f64>,
    /// How the instances are bought: `on_demand` (default), `spot`, `reserved_1y` or
    /// `savings_plan_1y`, each at its discount from models/prices.toml ([instance_pricing]) (no `spot`: managed databases and caches sell none).
    pub pricing: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ShardsSpec {
    pub shards: u32,
    pub strategy: Strategy,
    pub virtual_nodes: u32,
    pub server: ServerSpec,
}

pub const MAX_SHARDS: u32 = 256;
pub const DEFAULT_VIRTUAL_NODES: u32 = 100;
/// Ring points in all: shards x virtual nodes.
pub const MAX_RING_POINTS: u64 = 1_000_000;
/// Keys looked at for `keys_moved_ratio_on_add`.
const MOVE_SAMPLE: u64 = 100_000;

impl ShardsInput {
    pub fn validate(&self, name: &str, r: &mut Resolver) -> Option<(ShardsSpec, Cost)> {
        let base = ["components", name];
        let at = |k: &'static str| [base[0], base[1], k];
        let shards = r.count(&at("shards"), Some(self.shards), 1);
        if shards > MAX_SHARDS {
            r.problem(
                &at("shards"),
                format!("{shards} shards is more than the {MAX_SHARDS} a shard set may have"),
                "model a sample of the shards: per-shard load is what matters",
            );
        }
        let strategy = self.strategy.unwrap_or_default();
        let virtual_nodes = r.count(&at("virtual_nodes"), self.virtual_nodes, DEFAULT_VIRTUAL_NODES);
        if self.virtual_nodes.is_some() && strategy != Strategy::ConsistentHash {
            r.problem(
                &at("virtual_nodes"),
                "`virtual_nodes` only applies to `strategy = \"consistent_hash\"`",
                "set `strategy = \"consistent_hash\"`, or remove it",
            );
        }
        if u64::from(virtual_nodes) * u64::from(shards + 1) > MAX_RING_POINTS {
            r.problem(
                &at("virtual_nodes"),
                format!("{virtual_nodes} virtual nodes x {shards} shards is more than {MAX_RING_POINTS} ring points"),
                "100 to 1,000 points per shard already spread keys within a few percent",
            );
        }
        let server = ServerInput {
            instance_type: &self.instance_type,
            connections: self.connections,
            cores: self.cores,
            queue: self.queue,
            read_time: &self.read_time,
            write_time: self.write_time.as_deref(),
        }
        .validate(&base, r);
        let cost = r.cost(&base, &self.instance_type, shards, self.usd_per_hour, &self.pricing, false);
        (shards <= MAX_SHARDS).then_some(())?;
        Some((ShardsSpec { shards, strategy, virtual_nodes, server: server? }, cost))
    }
}

/// Maps keys to shards.
pub struct Router {
    strategy: Strategy,
    shards: u32,
    keys: u64,
    /// Consistent hashing: (point, shard), sorted by point.
    ring: Vec<(u64, u32)>,
}

fn key_hash(key: u64) -> u64 {
    mix64(key ^ 0x5ca1_ab1e_d00d_f00d)
}

impl Router {
    pub fn new(strategy: Strategy, shards: u32, virtual_nodes: u32, keys: u64) -> Router {
        let mut ring = Vec::new();
        if strategy == Strategy::ConsistentHash {
            // A shard's points depend only on the shard, so adding one leaves the others'.
            for s in 0..shards {
                for v in 0..virtual_nodes {
                    ring.push((mix64(mix64(u64::from(s) + 1) ^ u64::from(v)), s));
                }
            }
            ring.sort_unstable();
        }
        Router { strategy, shards, keys: keys.max(1), ring }
    }

    #[inline]
    pub fn shard_of(&self, key: u64) -> u32 {
        match self.strategy {
            Strategy::HashModulo => (key_hash(key) % u64::from(self.shards)) as u32,
            Strategy::Range => ((u128::from(key % self.keys) * u128::from(self.shards)) / u128::from(self.keys)) as u32,
            Strategy::ConsistentHash => {
                let h = key_hash(key);
                let i = self.ring.partition_point(|(p, _)| *p < h);
                self.ring.get(i).unwrap_or(&self.ring[0]).1
            }
        }
    }

    /// The fraction of keys whose shard changes when a shard is added.
    pub fn moved_on_add(&self, virtual_nodes: u32) -> f64 {
        let grown = Router::new(self.strategy, self.shards + 1, virtual_nodes, self.keys);
        let n = self.keys.min(MOVE_SAMPLE);
        let moved = (0..n)
            .map(|i| (u128::from(i) * u128::from(self.keys) / u128::from(n)) as u64)
            .filter(|k| self.shard_of(*k) != grown.shard_of(*k))
            .count();
        moved as f64 / n as f64
    }
}

pub struct Shards {
    spec: ShardsSpec,
    router: Router,
    nodes: Vec<DbNode>,
    latency: Vec<Histogram<u64>>,
    moved_on_add: f64,
    rng: SimRng,
}

impl Shards {
    pub fn new(spec: &ShardsSpec, name: &str, seed: u64, keys: Keys) -> Self {
        let router = Router::new(spec.strategy, spec.shards, spec.virtual_nodes, keys.count());
        let s = &spec.server;
        Shards {
            moved_on_add: router.moved_on_add(spec.virtual_nodes),
            router,
            nodes: (0..spec.shards).map(|_| DbNode::new(s.connections, s.queue, s.cores)).collect(),
            latency: (0..spec.shards).map(|_| new_histogram()).collect(),
            spec: spec.clone(),
            rng: stream(seed, &format!("component:{name}")),
        }
    }

    #[inline(never)] // keeps the engine's event loop compact for the common kinds
    pub fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        let key = ctx.requests.get(ctx.calls.get(id).req).key;
        let shard = self.router.shard_of(key) as usize;
        ctx.calls.get_mut(id).instance = shard as u16;
        match self.nodes[shard].admit(ctx.now, id) {
            Admit::Run => {
                self.nodes[shard].start(ctx, id, &self.spec.server.times, &mut self.rng);
            }
            Admit::Wait => {}
            Admit::Rejected => ctx.reply(id, Outcome::Rejected),
        }
    }

    #[inline(never)] // keeps the engine's event loop compact for the common kinds
    pub fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        let shard = ctx.calls.get(id).instance as usize;
        for next in self.nodes[shard].finish(ctx.now).into_iter().flatten() {
            self.nodes[shard].start(ctx, next, &self.spec.server.times, &mut self.rng);
        }
        record(&mut self.latency[shard], ctx.now - ctx.calls.get(id).arrived_at);
        ctx.reply(id, Outcome::Ok);
    }

    pub fn totals(&mut self, now: Nanos) -> Totals {
        DbNode::sum_totals(&mut self.nodes, now)
    }

    pub fn sync(&mut self, now: Nanos) {
        self.nodes.iter_mut().for_each(|n| n.sync(now));
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        self.nodes.iter_mut().for_each(|n| n.reset_stats(now));
        self.latency.iter_mut().for_each(Histogram::reset);
    }

    pub fn stats(&self, elapsed: Nanos) -> KindStats {
        let mut s = node_stats(&self.nodes, elapsed, |i| format!("shard {i}"));
        let util: Vec<f64> = self.nodes.iter().map(|n| n.utilization(elapsed)).collect();
        let max = util.iter().copied().fold(0.0, f64::max);
        let mean = util.iter().sum::<f64>() / util.len() as f64;
        for (i, (u, h)) in util.iter().zip(&self.latency).enumerate() {
            s.extra.insert(format!("shard_{i}_utilization"), *u);
            let p99 = if h.is_empty() { 0.0 } else { h.value_at_quantile(0.99) as f64 / 1e9 };
            s.extra.insert(format!("shard_{i}_latency_s_p99"), p99);
        }
        s.extra.insert("shard_utilization_max".into(), max);
        s.extra.insert("shard_imbalance".into(), if mean > 0.0 { max / mean } else { 1.0 });
        s.extra.insert("keys_moved_ratio_on_add".into(), self.moved_on_add);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_strategy_covers_every_shard() {
        for strategy in [Strategy::HashModulo, Strategy::Range, Strategy::ConsistentHash] {
            let r = Router::new(strategy, 5, 100, 10_000);
            let mut counts = [0u32; 5];
            (0..10_000).for_each(|k| counts[r.shard_of(k) as usize] += 1);
            // 2,000 keys per shard expected; hashing spreads within a few percent.
            assert!(counts.iter().all(|c| (1_500..2_500).contains(c)), "{strategy:?}: {counts:?}");
        }
        let r = Router::new(Strategy::Range, 4, 100, 100);
        assert_eq!([r.shard_of(0), r.shard_of(24), r.shard_of(25), r.shard_of(99)], [0, 0, 1, 3]);
    }

    #[test]
    fn consistent_hashing_only_moves_keys_to_the_new_shard() {
        let (a, b) = (
            Router::new(Strategy::ConsistentHash, 3, 100, 50_000),
            Router::new(Strategy::ConsistentHash, 4, 100, 50_000),
        );
        for k in 0..50_000 {
            let (from, to) = (a.shard_of(k), b.shard_of(k));
            assert!(from == to || to == 3, "key {k} moved from {from} to {to}");
        }
    }
}
