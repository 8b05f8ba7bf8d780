//! The validated scenario: engine-ready types in base units, with every reference resolved
//! to an index. Nothing here is parsed or checked again during a run.

use crate::calls_model::Plan;
use crate::components::ComponentSpec;
use crate::units::Nanos;

pub type CompId = u16;

#[derive(Clone, Debug)]
pub struct Model {
    pub name: String,
    pub description: String,
    pub seed: u64,
    pub duration: Nanos,
    pub warmup: Nanos,
    /// Detect the warm-up (MSER-5 on a pilot run) instead of using `warmup`.
    pub warmup_auto: bool,
    pub drain: Nanos,
    pub window: Nanos,
    pub replications: u32,
    pub load: Load,
    pub keys: Keys,
    pub users: Users,
    /// Whether requests carry keys and users: only when the scenario or a component uses
    /// them, since drawing costs time on every arrival.
    pub draws_keys: bool,
    pub draws_users: bool,
    pub classes: Vec<Class>,
    pub components: Vec<ComponentModel>,
    pub latency: LatencyMatrix,
    pub limits: Limits,
    /// Scheduled faults, in file order (events carry their index).
    pub faults: Vec<crate::faults::FaultSpec>,
    /// Where each component runs (see `regions`); the entry's link to each user region.
    pub placement: Placement,
    /// One-way latency from each user region to the entry, in user-region order; empty when
    /// the scenario does not model regions (then the user is next to the entry).
    pub user_link_ns: Vec<Nanos>,
    /// Response size in bytes per request class (`[sizes]`); empty when not given.
    pub sizes: Vec<u64>,
    /// Request and response bytes of calls (`[call_sizes]`).
    pub call_sizes: CallSizes,
}

/// Per component, per operation (`Op as usize`: default, read, write): the bytes a call
/// sends and the bytes its reply carries.
#[derive(Clone, Debug, Default)]
pub struct CallSizes {
    pub by_comp: Vec<[(u64, u64); 3]>,
}

impl CallSizes {
    /// Whether any call carries bytes.
    pub fn any(&self) -> bool {
        self.by_comp.iter().flatten().any(|(a, b)| *a > 0 || *b > 0)
    }

    /// (request, response) bytes of a call to `comp`'s `op`.
    #[inline]
    pub fn of(&self, comp: usize, op: crate::engine::calls::Op) -> (u64, u64) {
        self.by_comp.get(comp).map_or((0, 0), |c| c[op as usize])
    }
}

/// The region of every component, as an index into `regions::RegionTable`; `None` for a kind
/// that is everywhere (a CDN's edges, a geo-DNS) and for scenarios without regions.
#[derive(Clone, Debug, Default)]
pub struct Placement {
    pub table: crate::regions::RegionTable,
    pub comp_region: Vec<Option<u8>>,
    /// The region table index of each user region (in `Users::regions` order), if regions
    /// are modelled.
    pub user_region: Vec<Option<u8>>,
}

#[derive(Clone, Debug)]
pub struct Load {
    /// The constant rate, or a shaped curve's mean over the run (0 for a closed model).
    pub rate_per_s: f64,
    pub entry: CompId,
    pub timeout: Option<Nanos>,
    pub arrivals: crate::traffic::Arrivals,
}

/// The key space: `count` keys, key 0 the most popular.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Keys {
    Uniform { count: u64 },
    Zipf { count: u64, exponent: f64 },
}

impl Keys {
    pub fn count(&self) -> u64 {
        match self {
            Keys::Uniform { count } | Keys::Zipf { count, .. } => *count,
        }
    }
}

/// Users by region: user ids are `0..count`; `regions` holds (name, share) pairs.
#[derive(Clone, Debug, PartialEq)]
pub struct Users {
    pub count: u64,
    pub regions: Vec<(String, f64)>,
    /// Per class: (first id, count) of users sending only that class; empty if none.
    pub dedicated: Vec<Option<(u64, u64)>>,
}

impl Default for Users {
    fn default() -> Self {
        Users { count: 1_000_000, regions: vec![("default".into(), 1.0)], dedicated: Vec::new() }
    }
}

#[derive(Clone, Debug)]
pub struct Class {
    pub name: String,
    pub share: f64,
}

#[derive(Clone, Debug)]
pub struct ComponentModel {
    pub name: String,
    pub spec: ComponentSpec,
    pub cost: Cost,
}

/// What a component costs to run: instances times an hourly price.
#[derive(Clone, Debug, Default)]
pub struct Cost {
    pub instance_type: Option<String>,
    pub instances: u32,
    /// After the pricing option's discount (`pricing`).
    pub usd_per_hour_each: f64,
    /// The on-demand price, before the discount: what the pricing option saves is the difference.
    pub usd_per_hour_on_demand_each: f64,
}

impl Cost {
    pub fn usd_per_hour(&self) -> f64 {
        self.usd_per_hour_each * f64::from(self.instances)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_in_flight: u32,
    pub max_calls: u32,
    pub max_events: u64,
    pub max_queue: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_in_flight: 1_000_000, max_calls: 4_000_000, max_events: 2_000_000_000, max_queue: 100_000 }
    }
}

/// One-way network latency between every pair of components (zero unless a link says).
#[derive(Clone, Debug)]
pub struct LatencyMatrix {
    n: usize,
    ns: Vec<Nanos>,
}

impl LatencyMatrix {
    pub fn zero(n: usize) -> Self {
        LatencyMatrix { n, ns: vec![0; n * n] }
    }
    pub fn set(&mut self, a: CompId, b: CompId, ns: Nanos) {
        let (a, b) = (a as usize, b as usize);
        self.ns[a * self.n + b] = ns;
        self.ns[b * self.n + a] = ns;
    }
    #[inline]
    pub fn get(&self, a: CompId, b: CompId) -> Nanos {
        self.ns[a as usize * self.n + b as usize]
    }
}

impl Model {
    pub fn component_id(&self, name: &str) -> Option<CompId> {
        self.components.iter().position(|c| c.name == name).map(|i| i as CompId)
    }

    /// Every (caller, callee) edge of the call graph, in component order.
    pub fn edges(&self) -> Vec<(CompId, CompId)> {
        let mut out = Vec::new();
        for (i, c) in self.components.iter().enumerate() {
            for t in c.spec.downstream() {
                if !out.contains(&(i as CompId, t)) {
                    out.push((i as CompId, t));
                }
            }
        }
        out
    }

    /// The class plans of a handler, for the graph and explanations.
    pub fn plans_of(&self, id: CompId) -> Option<&[Plan]> {
        self.components[id as usize].spec.plans()
    }
}
