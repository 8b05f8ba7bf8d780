//! `kind = "cdn"`: a content delivery network. Users reach the edge nearest to them; each
//! edge keeps its own LRU cache of objects (by request key). A hit is served from the edge;
//! a miss, a stale object (older than `ttl`) or a class that is not cached is fetched from
//! the `origin` across the network between the edge's region and the origin's, and a fetched
//! object of a cached class is stored at that edge.
//!
//! Concurrent misses for one key each go to the origin (no request collapsing). Edges are not
//! a queueing station: a CDN's capacity is far beyond a single system's traffic.
//!
//! Bytes: edges serve each response's size (`[sizes]` by class) to users (`edge_egress_bytes`,
//! billed at the CDN's price per GB, with its per-request price) and fetch it from the origin
//! on every miss (`origin_fetch_bytes`, billed at the origin-fetch price).

mod kind;
mod bench_tests;
use super::edge_cache::{Lookup, Lru};
use super::nodes::NodeStats;
use super::{op_rule, KindStats, OpRule};
use crate::dist::Dist;
use crate::engine::calls::{CallId, Op, Outcome, NO_INSTANCE};
use crate::engine::event::Event;
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::model::{CompId, Cost, Placement};
use crate::regions::{resolve_region, RegionTable};
use crate::rng::{stream, SimRng};
use crate::units::Nanos;
use crate::validate::Resolver;
use serde::Deserialize;

/// What `stagesim docs` says this kind costs beyond its instances and reports in its summary
/// object; a test fails when a run reports a field missing here.
pub const DOCS: super::KindDocs = super::KindDocs {
    usage_prices: &["cdn_egress", "cdn_requests", "cdn_origin_fetch"],
    metrics: &[&[
        ("edges", "edge locations"),
        ("requests", "requests the edges answered"),
        ("hits", "requests served from an edge's cache"),
        ("misses", "cacheable requests fetched from the origin"),
        ("stale", "misses on an expired object"),
        ("pass_through", "requests of classes not cached, sent to the origin"),
        ("fetch_errors", "origin fetches that failed"),
        ("hit_ratio", "hits / cacheable requests"),
        ("edge_egress_bytes", "bytes the edges sent to users"),
        ("origin_fetch_bytes", "bytes the edges fetched from the origin"),
        ("cached_objects", "objects held by all edges at the end"),
    ]],
};

/// A CDN: an edge in each user region (or in `regions`) caches objects of the cached classes and fetches misses from the origin. Billed by use (models/prices.toml).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CdnInput {
    /// The component kind.
    pub kind: String,
    /// Regions with an edge (models/regions.toml); default: one edge in each user region.
    pub regions: Option<Vec<String>>,
    /// Where misses are fetched from (object storage, a load balancer, a service).
    pub origin: String,
    /// Per request class, another origin (`{ image = "assets" }`), as a CDN routes paths
    /// (`/images/*` to a bucket, the rest to the load balancer).
    pub origins: Option<std::collections::BTreeMap<String, String>>,
    /// Request classes the edges cache (static assets); the others pass through to the
    /// origin uncached. Default: every class.
    pub cache_classes: Option<Vec<String>>,
    /// Objects each edge's cache holds (least recently used evicted first; default 100000).
    #[schemars(extend("default" = DEFAULT_CAPACITY))]
    pub capacity: Option<u64>,
    /// How long a cached object stays fresh (default: until evicted).
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub ttl: Option<String>,
    /// An edge's own time per request: lookup and start of the response (default "1ms").
    #[schemars(with = "Option<crate::schema::Distribution>")]
    pub edge_time: Option<String>,
    /// How long an edge waits for the origin.
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub timeout: Option<String>,
}

pub const DEFAULT_CAPACITY: u64 = 100_000;
/// About 40 bytes an object: 10 million per edge is 400 MB.
pub const MAX_CAPACITY: u64 = 10_000_000;

#[derive(Clone, Debug)]
pub struct CdnSpec {
    /// Edge regions given in the scenario (indices into the shipped region table).
    pub regions: Option<Vec<u8>>,
    /// Per class: the origin and the operation asked of it (`.read` of a data kind).
    pub origins: Vec<(CompId, Op)>,
    /// Per class: cached at the edges.
    pub cache_class: Vec<bool>,
    pub capacity: u64,
    pub ttl: Option<Nanos>,
    pub edge_time: Dist,
    pub timeout: Option<Nanos>,
}

impl CdnInput {
    pub fn validate(&self, name: &str, r: &mut Resolver) -> Option<(CdnSpec, Cost)> {
        let base = ["components", name];
        let at = |k: &'static str| [base[0], base[1], k];
        let table = RegionTable::shipped();
        let regions = self.regions.as_ref().map(|list| {
            if list.is_empty() {
                r.problem(&at("regions"), "a CDN needs at least one edge region", "for example [\"us-east\"]");
            }
            let mut out = Vec::new();
            for (i, text) in list.iter().enumerate() {
                let idx = i.to_string();
                if let Some(reg) = resolve_region(r, &table, &[base[0], base[1], "regions", &idx], text) {
                    out.push(reg);
                }
            }
            out
        });
        let origins = self.origins(name, r);
        let cache_class = match &self.cache_classes {
            None => vec![true; r.classes.len()],
            Some(list) => {
                let mut out = vec![false; r.classes.len()];
                for (i, class) in list.iter().enumerate() {
                    match r.classes.iter().position(|c| c == class) {
                        Some(c) => out[c] = true,
                        None => {
                            let idx = i.to_string();
                            let help = format!("request classes are: {}", r.classes.join(", "));
                            let path = [base[0], base[1], "cache_classes", &idx];
                            r.problem(&path, format!("`{class}` is not a request class"), help);
                        }
                    }
                }
                out
            }
        };
        let capacity = self.capacity.unwrap_or(DEFAULT_CAPACITY);
        if capacity == 0 || capacity > MAX_CAPACITY {
            let help = format!("objects per edge, from 1 to {MAX_CAPACITY}");
            r.problem(&at("capacity"), format!("`capacity` {capacity} is out of range"), help);
        }
        let ttl = self.ttl.as_deref().and_then(|t| r.duration(&at("ttl"), t));
        if ttl == Some(0) {
            r.problem(&at("ttl"), "`ttl` must be greater than zero", "remove it to keep objects until evicted");
        }
        let edge_time = r.dist(&at("edge_time"), self.edge_time.as_deref().unwrap_or("1ms"));
        let timeout = self.timeout.as_deref().and_then(|t| r.duration(&at("timeout"), t));
        if timeout == Some(0) {
            r.problem(&at("timeout"), "`timeout` must be greater than zero", "for example \"10s\"");
        }
        let spec = CdnSpec {
            regions,
            origins: origins?,
            cache_class,
            capacity: capacity.clamp(1, MAX_CAPACITY),
            ttl,
            edge_time: edge_time?,
            timeout,
        };
        Some((spec, Cost::default()))
    }
}

impl CdnInput {
    fn origins(&self, name: &str, r: &mut Resolver) -> Option<Vec<(CompId, Op)>> {
        let target = |r: &mut Resolver, path: &[&str], text: &str| {
            let comp = r.component(path, text)?;
            let op = match op_rule(r.comp_kinds[comp as usize]) {
                OpRule::ReadWrite => Op::Read,
                OpRule::Plain => Op::Default,
            };
            Some((comp, op))
        };
        let default = target(r, &["components", name, "origin"], &self.origin);
        let mut out = vec![default.unwrap_or((0, Op::Default)); r.classes.len()];
        let mut ok = default.is_some();
        for (class, text) in self.origins.iter().flatten() {
            let path = ["components", name, "origins", class.as_str()];
            match r.classes.iter().position(|c| c == class) {
                Some(i) => match target(r, &path, text) {
                    Some(t) => out[i] = t,
                    None => ok = false,
                },
                None => {
                    let help = format!("request classes are: {}", r.classes.join(", "));
                    r.problem(&path, format!("`{class}` is not a request class"), help);
                }
            }
        }
        ok.then_some(out)
    }
}

impl CdnSpec {
    /// Every origin, once.
    pub fn downstream(&self) -> Vec<CompId> {
        let mut v: Vec<CompId> = self.origins.iter().map(|o| o.0).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The edges' regions (`None`: regions are not modelled, one edge next to everyone), and
    /// the edge serving each user region: the nearest.
    pub fn route(&self, placement: &Placement) -> (Vec<Option<u8>>, Vec<u16>) {
        if !placement.is_modelled() || placement.user_region.is_empty() {
            return (vec![None], Vec::new());
        }
        let edges: Vec<u8> = match &self.regions {
            Some(list) => list.clone(),
            None => {
                let mut v: Vec<u8> = placement.user_region.iter().flatten().copied().collect();
                v.sort_unstable();
                v.dedup();
                v
            }
        };
        let per_user = placement
            .user_region
            .iter()
            .map(|u| {
                let near = u.and_then(|u| placement.table.nearest(u, &edges));
                near.and_then(|e| edges.iter().position(|x| *x == e)).unwrap_or(0) as u16
            })
            .collect();
        (edges.into_iter().map(Some).collect(), per_user)
    }

    /// One way from users of a region to their edge.
    pub fn user_link_ns(&self, user_region: u8, placement: &Placement) -> Nanos {
        let (edges, per_user) = self.route(placement);
        let edge = per_user.get(user_region as usize).map(|e| edges[*e as usize]);
        match (placement.user_table_region(user_region), edge.flatten()) {
            (Some(u), Some(e)) => placement.table.one_way(u, e),
            _ => 0,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    requests: u64,
    hits: u64,
    misses: u64,
    stale: u64,
    pass_through: u64,
    fetch_errors: u64,
    edge_egress_bytes: u64,
    origin_fetch_bytes: u64,
}

pub struct Cdn {
    spec: CdnSpec,
    rng: SimRng,
    caches: Vec<Lru>,
    /// One way between each edge and each class's origin: `leg_ns[edge * classes + class]`.
    leg_ns: Vec<Nanos>,
    classes: usize,
    edge_for_user: Vec<u16>,
    c: Counters,
    /// Per edge: its name (`edge us-east`) and the requests it received since the reset.
    edge_names: Vec<String>,
    edge_requests: Vec<u64>,
}

impl Cdn {
    pub fn new(spec: &CdnSpec, name: &str, seed: u64, placement: &Placement) -> Self {
        let (edges, edge_for_user) = spec.route(placement);
        let region = |c: CompId| placement.comp_region.get(c as usize).copied().flatten();
        let mut leg_ns = Vec::with_capacity(edges.len() * spec.origins.len());
        for e in &edges {
            for (origin, _) in &spec.origins {
                leg_ns.push(match (e, region(*origin)) {
                    (Some(e), Some(o)) => placement.table.one_way(*e, o),
                    _ => 0,
                });
            }
        }
        Cdn {
            spec: spec.clone(),
            rng: stream(seed, &format!("component:{name}")),
            caches: edges.iter().map(|_| Lru::new(spec.capacity as usize)).collect(),
            leg_ns,
            classes: spec.origins.len(),
            edge_for_user,
            c: Counters::default(),
            edge_names: edges
                .iter()
                .enumerate()
                .map(|(i, e)| match e {
                    Some(r) => format!("edge {}", placement.table.names[*r as usize]),
                    None => format!("edge {i}"),
                })
                .collect(),
            edge_requests: vec![0; edges.len()],
        }
    }

    pub fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        let region = ctx.requests.get(ctx.calls.get(id).req).region;
        let edge = self.edge_for_user.get(region as usize).copied().unwrap_or(0);
        ctx.calls.get_mut(id).instance = edge;
        self.c.requests += 1;
        self.edge_requests[edge as usize] += 1;
        let t = self.spec.edge_time.sample(&mut self.rng);
        ctx.schedule(t, Event::Done(id));
    }

    /// The edge has looked: serve a fresh hit, or fetch from the origin.
    pub fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        let call = *ctx.calls.get(id);
        let req = *ctx.requests.get(call.req);
        let edge = call.instance as usize;
        if !self.spec.cache_class[req.class as usize] {
            self.c.pass_through += 1;
        } else {
            match self.caches[edge].get(req.key, ctx.now, self.spec.ttl) {
                Lookup::Hit => {
                    self.c.hits += 1;
                    self.c.edge_egress_bytes += ctx.size_of_class(req.class);
                    return ctx.reply(id, Outcome::Ok);
                }
                Lookup::Stale => {
                    self.c.misses += 1;
                    self.c.stale += 1;
                }
                Lookup::Miss => self.c.misses += 1,
            }
        }
        let (origin, op) = self.spec.origins[req.class as usize];
        let leg = self.leg_ns[edge * self.classes + req.class as usize];
        let sent = ctx.call_out_after(id, origin, op, NO_INSTANCE, self.spec.timeout, leg);
        if sent.is_none() {
            ctx.reply(id, Outcome::Rejected);
        }
    }

    /// The origin answered (after the leg back to the edge, added here).
    pub fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        let call = *ctx.calls.get(id);
        let req = *ctx.requests.get(call.req);
        let edge = call.instance as usize;
        let leg = self.leg_ns[edge * self.classes + req.class as usize];
        if outcome == Outcome::Ok {
            let size = ctx.size_of_class(req.class);
            self.c.origin_fetch_bytes += size;
            self.c.edge_egress_bytes += size;
            if self.spec.cache_class[req.class as usize] {
                // Stored when the object reaches the edge, after the leg back.
                self.caches[edge].put(req.key, ctx.now + leg);
            }
        } else {
            self.c.fetch_errors += 1;
        }
        ctx.reply_after(id, outcome, leg);
    }

    pub fn totals(&mut self, _now: Nanos) -> Totals {
        Totals::default()
    }

    pub fn sync(&mut self, _now: Nanos) {}

    pub fn reset_stats(&mut self, _now: Nanos) {
        self.c = Counters::default();
        self.edge_requests.iter_mut().for_each(|r| *r = 0);
    }

    pub fn stats(&self, _elapsed: Nanos) -> KindStats {
        let c = &self.c;
        let mut s = KindStats::default();
        let cached = c.hits + c.misses;
        let e = &mut s.extra;
        e.insert("edges".into(), self.caches.len() as f64);
        e.insert("requests".into(), c.requests as f64);
        e.insert("hits".into(), c.hits as f64);
        e.insert("misses".into(), c.misses as f64);
        e.insert("stale".into(), c.stale as f64);
        e.insert("pass_through".into(), c.pass_through as f64);
        e.insert("fetch_errors".into(), c.fetch_errors as f64);
        e.insert("hit_ratio".into(), if cached == 0 { 0.0 } else { c.hits as f64 / cached as f64 });
        e.insert("edge_egress_bytes".into(), c.edge_egress_bytes as f64);
        e.insert("origin_fetch_bytes".into(), c.origin_fetch_bytes as f64);
        e.insert("cached_objects".into(), self.caches.iter().map(Lru::len).sum::<usize>() as f64);
        s.usage.cdn_egress_bytes = c.edge_egress_bytes;
        s.usage.cdn_requests = c.requests;
        s.usage.origin_fetch_bytes = c.origin_fetch_bytes;
        // Edges have no modelled servers: each is a node by the requests it took.
        s.nodes = self
            .edge_names
            .iter()
            .zip(&self.edge_requests)
            .map(|(name, r)| NodeStats { name: name.clone(), served: *r, admitted: *r, ..NodeStats::default() })
            .collect();
        s
    }
}
