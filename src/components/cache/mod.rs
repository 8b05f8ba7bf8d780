//! `kind = "cache"`: a Redis/Memcached-style cache in front of a backend, used cache-aside.
//!
//! Callers send `cache.read` and `cache.write`. A read looks the key up (one cache operation
//! on one of `servers`, taking `hit_time`); a hit answers at once, a miss reads the backend
//! and then stores the value (a second operation) before answering. Writes follow
//! `write_policy`:
//!
//! - `invalidate` (default): delete the key, write the backend, delete again once the write
//!   committed (the second delete closes most of the delete-then-write race).
//! - `write_through`: write the backend, then store the new value.
//! - `write_behind`: store the value and answer at once; the backend write is sent after
//!   `flush_interval` (later writes to a key already waiting ride on the same flush).
//!   Writes acked and not yet sent are the ones a cache crash would lose.
//! - `write_around`: write the backend only; cached copies stay until they expire or leave.
//!
//! Misses only store a value if no write to the key was seen since the miss was sent (a
//! lease, as in Facebook's memcache), so a slow miss cannot put back a value a write replaced.
//! Freshness is tracked per key: a hit is *stale* when the backend committed a write to the
//! key after the cached value was read. `hit_ratio = 0.9` instead keeps no keys at all: each
//! read hits with that probability (a quick sketch; no staleness then).

mod kind;
mod bench_tests;
mod flush;

use super::cache_store::{Eviction, Lookup, Put, Store};
use super::KindStats;
use crate::dist::Dist;
use crate::engine::calls::{CallId, Op, Outcome, NO_INSTANCE};
use crate::engine::event::Event;
use crate::engine::station::{Acquire, Station};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::model::{CompId, Cost, Keys};
use crate::rng::{stream, SimRng};
use crate::traffic::unit;
use crate::units::{parse_size, Nanos};
use crate::validate::Resolver;
use rand::Rng;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;

pub const DEFAULT_SERVERS: u32 = 4;
pub const DEFAULT_HIT_TIME: &str = "exp(mean = 0.2ms)";
pub const DEFAULT_FLUSH_INTERVAL: &str = "1s";
/// Entries a cache may hold: the store preallocates them (about 48 bytes each).
pub const MAX_ENTRIES: u64 = 10_000_000;

/// What `stagesim docs` says this kind costs beyond its instances and reports in its summary
/// object; a test fails when a run reports a field missing here.
pub const DOCS: super::KindDocs = super::KindDocs {
    usage_prices: &[],
    metrics: &[&[
        ("reads", "reads"),
        ("hits", "reads served from the cache"),
        ("misses", "reads sent to the backend"),
        ("hit_ratio", "hits / reads"),
        ("backend_reads", "reads the backend served for the cache"),
        ("backend_reads_deflected", "1 - backend reads / reads: the share of reads the backend did not see"),
        ("writes", "writes"),
        ("backend_writes", "writes sent to the backend"),
        ("capacity_keys", "entries the cache holds at most"),
        ("entries", "entries held at the end"),
        ("evictions", "entries evicted to make room"),
        ("expirations", "entries dropped at their `ttl`"),
        ("stale_hits", "hits on a value older than the backend's"),
        ("stale_hit_ratio", "stale hits / hits"),
        ("fills", "entries stored after a miss"),
        ("fills_refused", "fills refused (the cache was full of entries not yet evictable)"),
        ("write_behind_pending_mean", "write-behind: writes waiting for their flush, time-average"),
        ("write_behind_pending_max", "write-behind: most writes waiting at once"),
        ("write_behind_coalesced", "write-behind: writes merged into a pending one for the same key"),
        ("write_behind_lost", "write-behind: pending writes lost (a flush of the cache)"),
        ("write_behind_buffer_full", "write-behind: writes sent at once because the buffer was full"),
        ("dirty_misses", "write-behind: misses on a key with a write pending"),
    ]],
};

/// `capacity = 50_000` (keys) or `capacity = "2GiB"` (bytes, with `value_size`).
#[derive(Clone, Debug, PartialEq)]
pub enum CapacityInput {
    Keys(i64),
    Bytes(String),
}

impl schemars::JsonSchema for CapacityInput {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CacheCapacity".into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Keys held (an integer), or memory (a size) divided by `value_size`.",
            "anyOf": [{ "type": "integer", "minimum": 0 }, g.subschema_for::<crate::schema::Size>()]
        })
    }
}

impl<'de> Deserialize<'de> for CapacityInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = CapacityInput;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of keys (50_000) or a size in bytes (\"2GiB\")")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<CapacityInput, E> {
                Ok(CapacityInput::Keys(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<CapacityInput, E> {
                Ok(CapacityInput::Keys(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CapacityInput, E> {
                Ok(CapacityInput::Bytes(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WritePolicy {
    #[default]
    Invalidate,
    WriteThrough,
    WriteBehind,
    WriteAround,
}

/// A cache in front of a backend (cache-aside): reads hit or miss by key (LRU, LFU or TTL over `capacity`, or a fixed `hit_ratio`); writes invalidate, write through, write behind or write around.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CacheInput {
    /// The component kind.
    pub kind: String,
    /// The component misses read from and writes go to, e.g. `backend = "db"`.
    pub backend: String,
    /// Keys held (`50_000`), or memory (`"2GiB"`) divided by `value_size`. Capped at the key
    /// space. Required unless `hit_ratio` is given.
    pub capacity: Option<CapacityInput>,
    /// Bytes one entry takes, key and overhead included, for a capacity in bytes.
    #[schemars(with = "Option<crate::schema::Size>")]
    pub value_size: Option<String>,
    /// `"lru"` (default), `"lfu"` or `"ttl"` (entries leave only when they expire).
    pub eviction: Option<Eviction>,
    /// How long an entry lives after it is stored; required by `eviction = "ttl"`.
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub ttl: Option<String>,
    /// `"invalidate"` (default), `"write_through"`, `"write_behind"` or `"write_around"`.
    pub write_policy: Option<WritePolicy>,
    /// Write-behind only: how long after a write its backend write is sent (default 1s).
    #[schemars(with = "Option<crate::schema::Duration>", extend("default" = DEFAULT_FLUSH_INTERVAL))]
    pub flush_interval: Option<String>,
    /// Fixed probability that a read hits, keeping no keys (instead of `capacity`).
    pub hit_ratio: Option<f64>,
    /// Cache operations served in parallel (default 4).
    #[schemars(extend("default" = DEFAULT_SERVERS))]
    pub servers: Option<u32>,
    /// Time of one cache operation (default "exp(mean = 0.2ms)").
    #[schemars(with = "Option<crate::schema::Distribution>", extend("default" = DEFAULT_HIT_TIME))]
    pub hit_time: Option<String>,
    /// Operations waiting for a server; beyond it, calls are rejected.
    pub queue: Option<u32>,
    /// An instance profile from models/instances.toml: its cores, memory and hourly price (the cost of this component).
    pub instance_type: Option<String>,
    /// Hourly price of one instance in USD, instead of the instance type's.
    pub usd_per_hour: Option<f64>,
    /// How the instances are bought: `on_demand` (default), `spot`, `reserved_1y` or
    /// `savings_plan_1y`, each at its discount from models/prices.toml ([instance_pricing]) (no `spot`: managed databases and caches sell none).
    pub pricing: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    Keys { capacity: u32, eviction: Eviction, ttl: Option<Nanos> },
    Fixed { hit_ratio: f64 },
}

#[derive(Clone, Debug)]
pub struct CacheSpec {
    pub backend: CompId,
    pub mode: Mode,
    pub write_policy: WritePolicy,
    pub flush_interval: Nanos,
    /// Write-behind writes acked and not yet sent, at most (a full buffer rejects writes).
    pub behind_limit: u32,
    pub servers: u32,
    pub queue: u32,
    pub hit_time: Dist,
}

impl CacheInput {
    pub fn validate(&self, name: &str, r: &mut Resolver) -> Option<(CacheSpec, Cost)> {
        let base = ["components", name];
        let at = |k: &'static str| [base[0], base[1], k];
        let backend = r.component(&at("backend"), &self.backend);
        let mode = self.mode(&base, r);
        let write_policy = self.write_policy.unwrap_or_default();
        let flush_interval = match (&self.flush_interval, write_policy) {
            (Some(f), WritePolicy::WriteBehind) => r.interval(&at("flush_interval"), f),
            (None, WritePolicy::WriteBehind) => r.interval(&at("flush_interval"), DEFAULT_FLUSH_INTERVAL),
            (Some(_), _) => {
                r.problem(
                    &at("flush_interval"),
                    "`flush_interval` only applies to `write_policy = \"write_behind\"`",
                    "remove it, or set `write_policy = \"write_behind\"`",
                );
                None
            }
            (None, _) => Some(0),
        };
        let servers = r.count(&at("servers"), self.servers, DEFAULT_SERVERS);
        let hit_time = r.dist(&at("hit_time"), self.hit_time.as_deref().unwrap_or(DEFAULT_HIT_TIME));
        let queue = self.queue.unwrap_or(r.limits.max_queue);
        let cost = r.cost(&base, &self.instance_type, 1, self.usd_per_hour, &self.pricing, false);
        let spec = CacheSpec {
            backend: backend?,
            mode: mode?,
            write_policy,
            flush_interval: flush_interval?,
            behind_limit: r.limits.max_queue.max(1),
            servers,
            queue,
            hit_time: hit_time?,
        };
        Some((spec, cost))
    }

    fn mode(&self, base: &[&str; 2], r: &mut Resolver) -> Option<Mode> {
        let at = |k: &'static str| [base[0], base[1], k];
        if let Some(p) = self.hit_ratio {
            for (key, given) in [("capacity", self.capacity.is_some()), ("eviction", self.eviction.is_some())]
                .into_iter()
                .chain([("ttl", self.ttl.is_some()), ("value_size", self.value_size.is_some())])
            {
                if given {
                    r.problem(
                        &[base[0], base[1], key],
                        format!("`{key}` has no effect with a fixed `hit_ratio`, which keeps no keys"),
                        "remove it, or remove `hit_ratio` to simulate the keys",
                    );
                }
            }
            if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
                r.problem(&at("hit_ratio"), "`hit_ratio` must be between 0 and 1", "for example `hit_ratio = 0.9`");
                return None;
            }
            return Some(Mode::Fixed { hit_ratio: p });
        }
        let eviction = self.eviction.unwrap_or_default();
        let ttl = self.ttl.as_deref().and_then(|t| r.duration(&at("ttl"), t));
        if ttl == Some(0) {
            r.problem(&at("ttl"), "`ttl` must be greater than zero", "for example \"5m\"");
        }
        if eviction == Eviction::Ttl && self.ttl.is_none() {
            r.problem(&at("eviction"), "`eviction = \"ttl\"` needs a `ttl`", "add `ttl = \"5m\"`");
        }
        let capacity = self.capacity(base, r)?;
        Some(Mode::Keys { capacity, eviction, ttl })
    }

    fn capacity(&self, base: &[&str; 2], r: &mut Resolver) -> Option<u32> {
        let at = |k: &'static str| [base[0], base[1], k];
        let entries = match &self.capacity {
            None => {
                r.problem(
                    &at("capacity"),
                    "a cache needs a `capacity` (or a fixed `hit_ratio`)",
                    "add `capacity = 50_000` (keys) or `capacity = \"2GiB\"` with `value_size = \"1KiB\"`",
                );
                return None;
            }
            Some(CapacityInput::Keys(n)) => {
                if self.value_size.is_some() {
                    r.problem(
                        &at("value_size"),
                        "`value_size` only applies to a capacity in bytes",
                        "remove it, or give `capacity` in bytes such as \"2GiB\"",
                    );
                }
                *n
            }
            Some(CapacityInput::Bytes(text)) => {
                let bytes = parse_size(text).map_err(|e| r.problem(&at("capacity"), e, "for example \"2GiB\"")).ok();
                let Some(size) = &self.value_size else {
                    r.problem(
                        &at("capacity"),
                        "a capacity in bytes needs a `value_size`",
                        "add `value_size = \"1KiB\"` (bytes per entry, overhead included)",
                    );
                    return None;
                };
                let size = parse_size(size).map_err(|e| r.problem(&at("value_size"), e, "for example \"1KiB\"")).ok();
                match (bytes?, size?) {
                    (_, 0) => {
                        r.problem(&at("value_size"), "`value_size` must be greater than zero", "for example \"1KiB\"");
                        return None;
                    }
                    (b, s) => i64::try_from(b / s).unwrap_or(i64::MAX),
                }
            }
        };
        if entries < 1 {
            r.problem(&at("capacity"), "`capacity` must hold at least one entry", "use 1 or more keys, or more bytes");
            return None;
        }
        if entries as u64 > MAX_ENTRIES {
            r.problem(
                &at("capacity"),
                format!("a capacity of {entries} entries is more than the {MAX_ENTRIES} a cache may hold"),
                "model a larger cache as shards of several caches, or use a fixed `hit_ratio`",
            );
            return None;
        }
        Some(entries as u32)
    }
}

impl CacheSpec {
    pub fn keyed(&self) -> bool {
        matches!(self.mode, Mode::Keys { .. })
    }
}

/// Call phases, kept in `Call::step` (the cache's own call).
const LOOKUP: u8 = 0;
const AT_BACKEND: u8 = 1;
const SECOND_OP: u8 = 2;

#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    hits: u64,
    misses: u64,
    evictions: u64,
    expirations: u64,
    stale_hits: u64,
    fills: u64,
    fills_refused: u64,
    backend_reads: u64,
    writes: u64,
    backend_writes: u64,
    coalesced: u64,
    lost: u64,
    buffer_full: u64,
    dirty_misses: u64,
    answered: u64,
    /// Sum over write-behind writes of the time from ack to flush (Little's law gives the
    /// mean number at risk), and the most at risk at once.
    pending_ns: u128,
    pending_max: u64,
}

pub struct Cache {
    spec: CacheSpec,
    me: CompId,
    station: Station,
    store: Option<Store>,
    /// Per key: when the cache last saw a write to it (commit, or ack for write-behind).
    written_at: Vec<Nanos>,
    /// Per key, write-behind: when its pending flush is sent (0: none pending).
    flush_at: Vec<Nanos>,
    /// Flush times of the write-behind writes acked and not yet sent.
    pending: BinaryHeap<Reverse<Nanos>>,
    keys: u64,
    rng: SimRng,
    work_ns: u128,
    c: Counters,
    /// Hit ratio tracking for a `cache_flush` (only when one is scheduled; see `flush`).
    rewarm: Option<Box<flush::Rewarm>>,
    /// (hits, reads, backend reads) at the last window, for the per-window series.
    series_prev: (u64, u64, u64),
}

impl Cache {
    /// `flushed`: a `cache_flush` is scheduled against it (its re-warm is then measured).
    pub fn new(spec: &CacheSpec, name: &str, seed: u64, me: CompId, keys: Keys, flushed: bool) -> Self {
        let count = match keys {
            Keys::Uniform { count } | Keys::Zipf { count, .. } => count.max(1),
        };
        let (store, written_at) = match &spec.mode {
            Mode::Keys { capacity, eviction, ttl } => {
                (Some(Store::new(*eviction, *capacity, *ttl, count)), vec![0; count as usize])
            }
            Mode::Fixed { .. } => (None, Vec::new()),
        };
        let behind = spec.write_policy == WritePolicy::WriteBehind;
        Cache {
            spec: spec.clone(),
            me,
            station: Station::new(spec.servers, spec.queue),
            store,
            written_at,
            flush_at: if behind && spec.keyed() { vec![0; count as usize] } else { Vec::new() },
            pending: BinaryHeap::with_capacity(if behind { (spec.behind_limit as usize).min(1 << 16) } else { 0 }),
            keys: count,
            rng: stream(seed, &format!("component:{name}")),
            work_ns: 0,
            c: Counters::default(),
            rewarm: flushed.then(Box::default),
            series_prev: (0, 0, 0),
        }
    }

    fn key_of(&self, ctx: &Ctx, id: CallId) -> (u64, u32) {
        let r = ctx.requests.get(ctx.calls.get(id).req);
        (r.key % self.keys, r.user)
    }

    fn op_of(ctx: &Ctx, id: CallId) -> Op {
        match ctx.calls.get(id).op {
            Op::Write => Op::Write,
            Op::Read | Op::Default => Op::Read,
        }
    }

    #[inline(never)] // keeps the engine's event loop compact for the common kinds
    pub fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        ctx.calls.get_mut(id).step = LOOKUP;
        let op = Self::op_of(ctx, id);
        if op == Op::Write {
            self.c.writes += 1;
            if matches!(self.spec.write_policy, WritePolicy::WriteThrough | WritePolicy::WriteAround) {
                return self.send_backend(ctx, id, Op::Write);
            }
        }
        self.operate(ctx, id);
    }

    /// Queues a cache operation for `id` on one of the servers.
    fn operate(&mut self, ctx: &mut Ctx, id: CallId) {
        match self.station.acquire(ctx.now, id) {
            Acquire::Granted => self.work(ctx, id),
            Acquire::Queued => {}
            Acquire::Rejected if ctx.calls.get(id).step == LOOKUP => self.answer(ctx, id, Outcome::Rejected),
            // The backend already did its part: the caller has its answer, only the cache
            // update is lost, so apply its effect on the keys without the operation.
            Acquire::Rejected => self.second_op_done(ctx, id),
        }
    }

    fn work(&mut self, ctx: &mut Ctx, id: CallId) {
        let t = self.spec.hit_time.sample(&mut self.rng);
        self.work_ns += u128::from(t);
        ctx.schedule(t, Event::Done(id));
    }

    fn answer(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        self.c.answered += 1;
        ctx.reply(id, outcome);
    }

    fn send_backend(&mut self, ctx: &mut Ctx, id: CallId, op: Op) {
        let call = ctx.calls.get_mut(id);
        call.step = AT_BACKEND;
        // The miss's send time, for the fill's lease (the cache owns this call's fields).
        call.queued_at = ctx.now;
        match op {
            Op::Write => self.c.backend_writes += 1,
            Op::Read | Op::Default => self.c.backend_reads += 1,
        }
        if ctx.call_out(id, self.spec.backend, op, NO_INSTANCE, None).is_none() {
            self.answer(ctx, id, Outcome::Rejected);
        }
    }

    #[inline(never)] // keeps the engine's event loop compact for the common kinds
    pub fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        if let Some(next) = self.station.release(ctx.now) {
            self.work(ctx, next);
        }
        match ctx.calls.get(id).step {
            LOOKUP => self.lookup_done(ctx, id),
            _ => self.second_op_done(ctx, id),
        }
    }

    fn lookup_done(&mut self, ctx: &mut Ctx, id: CallId) {
        let (key, user) = self.key_of(ctx, id);
        let now = ctx.now;
        if Self::op_of(ctx, id) == Op::Write {
            return match self.spec.write_policy {
                WritePolicy::WriteBehind => self.write_behind(ctx, id, key, user),
                WritePolicy::Invalidate | WritePolicy::WriteThrough | WritePolicy::WriteAround => {
                    if let Some(store) = self.store.as_mut() {
                        store.remove(key);
                        self.written_at[key as usize] = now;
                    }
                    self.send_backend(ctx, id, Op::Write)
                }
            };
        }
        let hit = match (self.store.as_mut(), &self.spec.mode) {
            (Some(store), _) => match store.get(key, now) {
                Lookup::Hit(version) => {
                    if self.written_at[key as usize] > version {
                        self.c.stale_hits += 1;
                    }
                    true
                }
                Lookup::Miss => false,
                Lookup::Expired => {
                    self.c.expirations += 1;
                    false
                }
            },
            (None, Mode::Fixed { hit_ratio }) => unit(self.rng.next_u64()) < *hit_ratio,
            (None, Mode::Keys { .. }) => false,
        };
        if let Some(r) = self.rewarm.as_mut() {
            r.read(hit, now, &mut ctx.faults);
        }
        if hit {
            self.c.hits += 1;
            return self.answer(ctx, id, Outcome::Ok);
        }
        self.c.misses += 1;
        if self.flush_at.get(key as usize).is_some_and(|f| *f > now) {
            self.c.dirty_misses += 1;
        }
        self.send_backend(ctx, id, Op::Read);
    }

    fn write_behind(&mut self, ctx: &mut Ctx, id: CallId, key: u64, user: u32) {
        let now = ctx.now;
        while self.pending.peek().is_some_and(|Reverse(f)| *f <= now) {
            self.pending.pop();
        }
        if self.pending.len() >= self.spec.behind_limit as usize {
            self.c.buffer_full += 1;
            return self.answer(ctx, id, Outcome::Rejected);
        }
        if self.store.is_some() {
            self.written_at[key as usize] = now;
            self.store_value(key, now, now);
        }
        let flush = match self.flush_at.get(key as usize) {
            Some(f) if *f > now => {
                self.c.coalesced += 1;
                Some(*f)
            }
            _ => {
                let f = now + self.spec.flush_interval;
                let sent =
                    ctx.send_background(self.me, self.spec.backend, Op::Write, key, user, self.spec.flush_interval);
                self.c.backend_writes += u64::from(sent.is_some());
                match (sent, self.flush_at.get_mut(key as usize)) {
                    (None, _) => None,
                    (Some(_), Some(slot)) => {
                        *slot = f;
                        Some(f)
                    }
                    (Some(_), None) => Some(f),
                }
            }
        };
        match flush {
            Some(f) => {
                self.pending.push(Reverse(f));
                self.c.pending_ns += u128::from(f - now);
                self.c.pending_max = self.c.pending_max.max(self.pending.len() as u64);
            }
            None => self.c.lost += 1,
        }
        self.answer(ctx, id, Outcome::Ok);
    }

    fn store_value(&mut self, key: u64, version: Nanos, now: Nanos) {
        let Some(store) = self.store.as_mut() else { return };
        match store.put(key, version, now) {
            Put::Inserted | Put::Updated => {}
            Put::Replaced { evicted: true } => self.c.evictions += 1,
            Put::Replaced { evicted: false } => self.c.expirations += 1,
            Put::Refused => self.c.fills_refused += 1,
        }
    }

    #[inline(never)] // keeps the engine's event loop compact for the common kinds
    pub fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        if outcome != Outcome::Ok {
            return self.answer(ctx, id, outcome);
        }
        if Self::op_of(ctx, id) == Op::Write {
            let (key, _) = self.key_of(ctx, id);
            if self.store.is_some() {
                // The backend value changed now: older cached copies are stale from here.
                self.written_at[key as usize] = ctx.now;
            }
            if matches!(self.spec.write_policy, WritePolicy::WriteAround | WritePolicy::WriteBehind) {
                return self.answer(ctx, id, Outcome::Ok);
            }
        }
        ctx.calls.get_mut(id).step = SECOND_OP;
        self.operate(ctx, id);
    }

    /// The store after a miss, the update after a write-through, the delete after an
    /// invalidating write.
    fn second_op_done(&mut self, ctx: &mut Ctx, id: CallId) {
        let (key, _) = self.key_of(ctx, id);
        let now = ctx.now;
        if self.store.is_some() {
            match (Self::op_of(ctx, id), self.spec.write_policy) {
                (Op::Read | Op::Default, policy) => {
                    let sent = ctx.calls.get(id).queued_at;
                    // The lease: a write seen since the miss was sent (or, write-behind, one not
                    // yet flushed when it was sent) means the backend value read is outdated.
                    let dirty = self.flush_at.get(key as usize).is_some_and(|f| *f > sent);
                    if dirty || (policy != WritePolicy::WriteAround && self.written_at[key as usize] > sent) {
                        self.c.fills_refused += 1;
                    } else {
                        self.c.fills += 1;
                        self.store_value(key, sent, now);
                    }
                }
                (Op::Write, WritePolicy::WriteThrough) => self.store_value(key, now, now),
                (Op::Write, WritePolicy::Invalidate | WritePolicy::WriteBehind | WritePolicy::WriteAround) => {
                    if let Some(store) = self.store.as_mut() {
                        store.remove(key);
                    }
                }
            }
        }
        self.answer(ctx, id, Outcome::Ok);
    }

    pub fn totals(&mut self, now: Nanos) -> Totals {
        self.station.totals(now)
    }

    pub fn sync(&mut self, now: Nanos) {
        self.station.sync(now);
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        self.station.reset_stats(now);
        self.work_ns = 0;
        self.c = Counters::default();
        self.series_prev = (0, 0, 0);
    }

    pub fn stats(&self, elapsed: Nanos) -> KindStats {
        let c = &self.c;
        let mut s = KindStats::from_stations(&[self.station.stats], self.spec.servers, elapsed);
        s.service_s_mean = if c.answered == 0 { 0.0 } else { self.work_ns as f64 / 1e9 / c.answered as f64 };
        let reads = c.hits + c.misses;
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let mut put = |k: &str, v: f64| {
            s.extra.insert(k.to_string(), v);
        };
        put("reads", reads as f64);
        put("hits", c.hits as f64);
        put("misses", c.misses as f64);
        put("hit_ratio", ratio(c.hits, reads));
        put("backend_reads", c.backend_reads as f64);
        put("backend_reads_deflected", if reads == 0 { 0.0 } else { 1.0 - ratio(c.backend_reads, reads) });
        put("writes", c.writes as f64);
        put("backend_writes", c.backend_writes as f64);
        if let Some(store) = &self.store {
            put("capacity_keys", f64::from(store.capacity()));
            put("entries", store.len() as f64);
            put("evictions", c.evictions as f64);
            put("expirations", c.expirations as f64);
            put("stale_hits", c.stale_hits as f64);
            put("stale_hit_ratio", ratio(c.stale_hits, c.hits));
            put("fills", c.fills as f64);
            put("fills_refused", c.fills_refused as f64);
        }
        if self.spec.write_policy == WritePolicy::WriteBehind {
            put("write_behind_pending_mean", c.pending_ns as f64 / elapsed.max(1) as f64);
            put("write_behind_pending_max", c.pending_max as f64);
            put("write_behind_coalesced", c.coalesced as f64);
            put("write_behind_lost", c.lost as f64);
            put("write_behind_buffer_full", c.buffer_full as f64);
            put("dirty_misses", c.dirty_misses as f64);
        }
        s
    }
}
