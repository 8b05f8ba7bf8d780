//! The analytic estimate, as an interviewer would work it out, independent of any run:
//! routing shares from the call plans, a cache's hit ratio from its capacity and the key
//! popularity, then per component the work its servers do and the time its threads,
//! workers or connections are held (their own work plus the mean latency of what they
//! wait on, with M/M/c waits from Erlang C).

use super::hit_ratio::hit_ratio;
use crate::components::cache::{Mode, WritePolicy};
pub use crate::components::kind::Flow;
use crate::components::ComponentSpec;
use crate::engine::calls::Op;
use crate::model::{CompId, Model};
use crate::units::ns_to_secs;

/// The estimate for one component.
#[derive(Clone, Debug, Default)]
pub struct Estimate {
    pub flow: Flow,
    /// The busiest resource's utilization (cores of the busiest node, threads, workers,
    /// connections), as offered load: above 1 it is saturated.
    pub utilization: f64,
    /// Which resource or node that is ("cores", "threads", "replica 1", ...).
    pub resource: String,
    /// Mean busy time of one call on a server (its own work).
    pub work_s: f64,
    /// Mean time one call holds a thread, worker or connection (work plus waits downstream).
    pub hold_s: f64,
    /// Predicted steady-state hit ratio (caches).
    pub hit_ratio: Option<f64>,
}

/// Which caches' hit ratios to use on a walk: none yet (every read misses) or estimated.
fn walk(model: &Model, rate: f64, hits: &[Option<f64>]) -> Vec<Flow> {
    let mut flows = vec![Flow::default(); model.components.len()];
    for (class, cl) in model.classes.iter().enumerate() {
        visit(model, class, model.load.entry, Op::Default, rate * cl.share, hits, &mut flows, 0);
    }
    flows
}

#[allow(clippy::too_many_arguments)]
fn visit(model: &Model, class: usize, c: CompId, op: Op, r: f64, hits: &[Option<f64>], flows: &mut [Flow], depth: u32) {
    if r <= 0.0 || depth > 32 {
        return;
    }
    flows[c as usize].add(op, r);
    let spec = &model.components[c as usize].spec;
    for (t, top, k) in spec.explain_route(class, op, hits[c as usize]) {
        visit(model, class, t, top, r * k, hits, flows, depth + 1);
    }
}

/// Predicted hit ratio of each cache, from the read and write rates it receives.
fn hit_ratios(model: &Model, flows: &[Flow]) -> Vec<Option<f64>> {
    model
        .components
        .iter()
        .zip(flows)
        .map(|(c, f)| {
            // Only a cache has a hit ratio.
            let ComponentSpec::Cache(s) = &c.spec else { return None };
            Some(match &s.mode {
                Mode::Fixed { hit_ratio } => *hit_ratio,
                Mode::Keys { capacity, eviction, ttl } => {
                    let h = hit_ratio(&model.keys, *capacity, *eviction, ttl.map(ns_to_secs), f.reads + f.other);
                    // A write removes the key unless it writes the new value through: a
                    // read finds it valid when no write came since the last fill.
                    let writes_remove = s.write_policy != WritePolicy::WriteThrough;
                    let reads = f.reads + f.other;
                    if writes_remove && reads + f.writes > 0.0 {
                        h * reads / (reads + f.writes)
                    } else {
                        h
                    }
                }
            })
        })
        .collect()
}

/// Erlang C: the mean wait in an M/M/c queue with `c` servers, arrival rate `lambda` and
/// mean service `s`; infinite at or beyond saturation.
pub fn mmc_wait_s(c: u32, lambda: f64, s: f64) -> f64 {
    if c == 0 || lambda <= 0.0 || s <= 0.0 {
        return 0.0;
    }
    let a = lambda * s;
    let rho = a / f64::from(c);
    if rho >= 1.0 {
        return f64::INFINITY;
    }
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let pw = b / (1.0 - rho * (1.0 - b));
    pw * s / (f64::from(c) * (1.0 - rho))
}

/// The whole estimate at `rate` user requests per second.
pub fn estimate(model: &Model, rate: f64) -> Vec<Estimate> {
    let n = model.components.len();
    let cold = walk(model, rate, &vec![None; n]);
    let mut hits = hit_ratios(model, &cold);
    // A cache behind another sees the first's misses: settle them in a few rounds.
    let mut flows = walk(model, rate, &hits);
    for _ in 0..3 {
        hits = hit_ratios(model, &flows);
        flows = walk(model, rate, &hits);
    }
    let mut lat = super::latency::Latencies::new(model, &flows, &hits);
    (0..n).map(|i| lat.estimate(i as CompId)).collect()
}
