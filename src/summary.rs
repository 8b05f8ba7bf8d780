//! The output contract: a serializable summary in base units (seconds, ratios, USD), built
//! from the raw data of one or more replications. Renderers only format what is here.
//!
//! `schema_version` changes whenever a field is renamed, removed or changes meaning; adding
//! fields keeps it. Version 2: `utilization` is the busiest node's (`busiest_node`, `nodes`),
//! the all-server average is `utilization_mean`, queue figures are per node, and rates and
//! utilizations cover the measured window only (warm-up end to the duration).
//! Version 3: costs are the whole bill (`bill.rs`): usage at tiered list prices on the
//! scenario's pooled monthly volume (a component's usage is its pro-rated share), inter-region
//! transfer included, instances at their pricing option; `cost` and every component carry the
//! breakdown `compute/storage/transfer/requests_usd_per_month`.

pub mod facts;
mod nodes;
pub use facts::RunFacts;
pub use nodes::NodeSummary;

use crate::components::{ComponentSpec, KindStats};
use crate::engine::metrics::Outcomes;
use crate::engine::{RunData, StopReason};
use crate::model::Model;
use crate::prices::Prices;
use crate::stats::{mean_ci95, Ci};
use crate::units::ns_to_secs;
use facts::ClassFacts;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA_VERSION: u32 = 3;
pub use crate::prices::HOURS_PER_MONTH;

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Summary {
    pub schema_version: u32,
    pub stagesim_version: String,
    pub scenario: String,
    pub seed: u64,
    pub replications: u32,
    /// Simulated time one replication reached (the first; the others reach the same unless
    /// a limit stopped them).
    pub simulated_s: f64,
    /// The measured windows (warm-up end to the duration, or to where a limit stopped the
    /// run), summed over replications: the denominator of every rate.
    pub measured_s: f64,
    /// Discarded start of each replication; `warmup_detected` when MSER-5 chose it.
    pub warmup_s: f64,
    pub warmup_detected: bool,
    /// `drained`, or the limit that stopped a replication (`event_limit`, `drain_time_limit`).
    pub stop_reason: String,
    /// A limit stopped at least one replication: every figure covers only what ran.
    pub partial: bool,
    pub events: u64,
    pub requests: Requests,
    /// Time-average number of requests in the system over the measured window (Little's L).
    pub requests_in_system_mean: f64,
    pub throughput_per_s: f64,
    pub latency_s: Latency,
    pub classes: BTreeMap<String, ClassSummary>,
    /// Per user region, when users come from more than one (`share` is the users' share).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub regions: BTreeMap<String, ClassSummary>,
    pub components: BTreeMap<String, ComponentSummary>,
    pub cost: CostSummary,
    pub limits: LimitsReport,
    /// Each scheduled fault and what it did (first replication, like `windows`).
    pub faults: Vec<FaultSummary>,
    /// What limits the run, when something is wrong: errors, or a node above 80%.
    pub bottleneck: Option<crate::analysis::Bottleneck>,
    /// Why the measurements may not be those of a steady state (see `steady.rs`).
    pub warnings: Vec<crate::steady::Warning>,
    /// Shaped traffic, period by period (see `periods.rs`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub periods: Vec<crate::periods::Period>,
    pub window_s: f64,
    pub windows: Vec<Window>,
}

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct FaultSummary {
    pub kind: String,
    /// A component, or `a-b` for a link.
    pub target: String,
    pub at_s: f64,
    /// Until a balancer took what broke out of rotation (null: nothing detected it).
    pub detected_after_s: Option<f64>,
    /// Until what broke served again, back in rotation where a balancer fronts it (null:
    /// never, within the run).
    pub recovered_after_s: Option<f64>,
    /// Calls the fault failed: received by a crashed instance, held by it, or lost.
    pub requests_failed: u64,
    /// Requests that ended in error, whatever the cause, while the fault lasted.
    pub errors_during: u64,
    /// Writes acknowledged and then lost (a failover's writes not yet on the promoted replica).
    pub requests_lost: u64,
    /// Reads served stale while the fault lasted (a replica lag spike).
    pub served_stale: u64,
    /// A cache flush: backend reads until the cache re-warmed beyond those its hit ratio
    /// before the flush would have caused.
    pub backend_reads_extra: u64,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Requests {
    pub arrived: u64,
    pub completed: u64,
    pub failed: u64,
    pub rejected: u64,
    pub timed_out: u64,
    /// Arrived but unresolved when the run ended.
    pub in_flight: u64,
    /// (failed + rejected + timed out) / resolved.
    pub error_ratio: f64,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Latency {
    pub samples: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    /// 95% confidence intervals across replications (absent with one replication).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_ci95: Option<Ci>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99_ci95: Option<Ci>,
    /// Percentiles with fewer than 10 samples beyond them: shown, but not to be trusted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub too_few_samples: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct ClassSummary {
    pub share: f64,
    pub requests: Requests,
    pub latency_s: Latency,
}

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct ComponentSummary {
    pub kind: String,
    /// Servers (cores, workers, connections) of all nodes together.
    pub servers: u32,
    /// The busiest node's time-average utilization (`busiest_node`).
    pub utilization: f64,
    pub busiest_node: String,
    /// Busy servers over all servers of all nodes.
    pub utilization_mean: f64,
    /// The longest time-average queue of one node, and the longest queue one node reached.
    pub node_queue_mean: f64,
    pub node_queue_max: u32,
    pub wait_s_mean: f64,
    /// Fraction of admitted calls that waited for a server (a thread, connection or core),
    /// each call counted once.
    pub wait_probability: f64,
    pub service_s_mean: f64,
    pub throughput_per_s: f64,
    pub received: u64,
    pub errors: u64,
    pub rejected: u64,
    pub latency_s: Latency,
    /// Instances plus usage (`usage_usd_per_month`): this component's share of the whole bill.
    pub cost_usd_per_month: f64,
    /// Bytes of responses this component sent to users as the entry (by `[sizes]`).
    pub egress_bytes: u64,
    /// Bytes this component sent to or received from another region over the measured
    /// windows, summed over replications (calls' `[call_sizes]`, replication streams).
    pub inter_region_bytes: u64,
    /// Bytes and requests billed by use (egress, CDN, object storage, inter-region),
    /// extrapolated to a month: its pro-rated share of each tiered schedule's bill.
    pub usage_usd_per_month: f64,
    /// `cost_usd_per_month` by part.
    #[serde(flatten)]
    pub bill: crate::bill::Parts,
    /// One entry per node (primary, replica, shard, instance slot, server pool).
    pub nodes: Vec<NodeSummary>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, f64>,
}

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct CostSummary {
    /// Instances plus usage, per hour.
    pub usd_per_hour: f64,
    /// The part of `usd_per_month` billed by use.
    pub usage_usd_per_month: f64,
    /// The whole bill: compute plus usage, per month of 730 hours.
    pub usd_per_month: f64,
    /// `usd_per_month` by part; the components' parts sum to these.
    #[serde(flatten)]
    pub bill: crate::bill::Parts,
    /// Compute at on-demand prices: what the instances' pricing options save is this minus
    /// `compute_usd_per_month`.
    pub compute_on_demand_usd_per_month: f64,
    /// Bytes that crossed regions over the measured windows, summed over replications.
    pub inter_region_bytes: u64,
    /// What the bill leaves out or assumes (e.g. calls without sizes in a multi-region design).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Infinite when nothing completed.
    pub usd_per_million_requests: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct LimitsReport {
    pub max_in_flight: u32,
    pub max_calls: u32,
    pub max_events: u64,
    pub rejected_at_max_in_flight: u64,
    pub refused_at_max_calls: u64,
    pub stopped_at_max_events: bool,
    pub stopped_at_drain_end: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Window {
    pub t_s: f64,
    pub arrivals_per_s: f64,
    pub throughput_per_s: f64,
    pub errors_per_s: f64,
    /// Null when nothing completed in the window.
    pub latency_s_p99: Option<f64>,
    pub latency_s_mean: Option<f64>,
    pub in_flight: u64,
    /// Per component, busy over all its servers (the mean over nodes), and the calls waiting
    /// at all its nodes together.
    pub utilization: BTreeMap<String, f64>,
    pub queue_mean: BTreeMap<String, f64>,
    /// Kind-specific series by name, then component (e.g. `instances`: {"app": 3.5}).
    #[serde(flatten)]
    pub series: BTreeMap<String, BTreeMap<String, f64>>,
}

fn requests(o: &Outcomes, in_flight: u64) -> Requests {
    let resolved = o.resolved();
    let errors = o.failed + o.rejected + o.timed_out;
    Requests {
        arrived: o.arrived,
        completed: o.completed,
        failed: o.failed,
        rejected: o.rejected,
        timed_out: o.timed_out,
        in_flight,
        error_ratio: if resolved == 0 { 0.0 } else { errors as f64 / resolved as f64 },
    }
}

impl ComponentSummary {
    /// How text names this component's busiest node: `db replica 1`, or `db` when the
    /// component is a single node.
    pub fn node_label(&self, component: &str) -> String {
        if self.nodes.len() > 1 {
            format!("{component} {}", self.busiest_node)
        } else {
            component.to_string()
        }
    }
}

/// Percentiles of a histogram in seconds, with a CI over replications' values if given.
pub fn latency(h: &Histogram<u64>, per_rep: &[(f64, f64)]) -> Latency {
    let n = h.len();
    let q = |p: f64| if n == 0 { 0.0 } else { ns_to_secs(h.value_at_quantile(p)) };
    let mut too_few = Vec::new();
    for (name, p) in [("p90", 0.9), ("p95", 0.95), ("p99", 0.99), ("p999", 0.999)] {
        if (n as f64) * (1.0 - p) < 10.0 {
            too_few.push(name.to_string());
        }
    }
    let (means, p99s): (Vec<f64>, Vec<f64>) = per_rep.iter().copied().unzip();
    Latency {
        samples: n,
        mean: if n == 0 { 0.0 } else { h.mean() / 1e9 },
        p50: q(0.5),
        p90: q(0.9),
        p95: q(0.95),
        p99: q(0.99),
        p999: q(0.999),
        max: if n == 0 { 0.0 } else { ns_to_secs(h.max()) },
        mean_ci95: mean_ci95(&means),
        p99_ci95: mean_ci95(&p99s),
        too_few_samples: too_few,
    }
}

fn rep_point(h: &Histogram<u64>) -> (f64, f64) {
    if h.is_empty() {
        (0.0, 0.0)
    } else {
        (h.mean() / 1e9, ns_to_secs(h.value_at_quantile(0.99)))
    }
}

/// Merges class metrics across replications; also returns each replication's (mean, p99).
fn merge<'a>(items: impl Iterator<Item = &'a ClassFacts>) -> (Outcomes, Histogram<u64>, Vec<(f64, f64)>) {
    let mut o = Outcomes::default();
    let mut h = crate::engine::metrics::new_histogram();
    let mut reps = Vec::new();
    for m in items {
        o.add(&m.outcomes);
        h.add(&m.latency).expect("same bounds");
        reps.push(rep_point(&m.latency));
    }
    (o, h, reps)
}

impl Summary {
    /// Summarises replications (in replication order: the result does not depend on which
    /// thread ran which).
    pub fn build(model: &Model, runs: &[RunData]) -> Summary {
        Summary::from_facts(model, &runs.iter().map(RunFacts::of).collect::<Vec<_>>())
    }

    /// `build` from what replications measured (read back from a plan's parts, or taken
    /// from runs just made): the one place a summary's figures are computed.
    pub fn from_facts(model: &Model, runs: &[RunFacts]) -> Summary {
        let first = &runs[0];
        let measured_s: f64 = runs.iter().map(|r| ns_to_secs(r.measured_to - r.measured_from)).sum();
        let in_flight: u64 = runs.iter().map(|r| r.in_flight).sum();
        let (total, hist, reps) = merge(runs.iter().map(|r| &r.total));
        let single = |v: Vec<(f64, f64)>| if runs.len() > 1 { v } else { Vec::new() };
        let classes = model
            .classes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (o, h, reps) = merge(runs.iter().map(|r| &r.classes[i]));
                let s =
                    ClassSummary { share: c.share, requests: requests(&o, 0), latency_s: latency(&h, &single(reps)) };
                (c.name.clone(), s)
            })
            .collect();
        let throughput = if measured_s > 0.0 { total.completed as f64 / measured_s } else { 0.0 };
        let (components, on_demand_usd_per_hour) = components(model, runs, measured_s);
        let bill = crate::bill::Parts::sum(components.values().map(|c| &c.bill));
        let usd_per_hour = bill.total() / HOURS_PER_MONTH;
        let inter_region_bytes = components.values().map(|c| c.inter_region_bytes).sum();
        let mut s = Summary {
            schema_version: SCHEMA_VERSION,
            stagesim_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: model.name.clone(),
            seed: first.seed,
            replications: runs.len() as u32,
            simulated_s: ns_to_secs(first.end),
            measured_s,
            warmup_s: ns_to_secs(first.measured_from),
            warmup_detected: model.warmup_auto,
            stop_reason: stop_reason(
                runs.iter().map(|r| r.stop).find(|s| *s != StopReason::Drained).unwrap_or(first.stop),
            )
            .into(),
            partial: runs.iter().any(|r| r.stop != StopReason::Drained),
            events: runs.iter().map(|r| r.events).sum(),
            requests: requests(&total, in_flight),
            requests_in_system_mean: runs.iter().map(|r| r.in_system_ns as f64).sum::<f64>()
                / 1e9
                / measured_s.max(1e-12),
            throughput_per_s: throughput,
            latency_s: latency(&hist, &single(reps)),
            classes,
            regions: regions(model, runs),
            components,
            cost: CostSummary {
                usd_per_hour,
                usage_usd_per_month: bill.usage(),
                usd_per_month: bill.total(),
                bill,
                compute_on_demand_usd_per_month: on_demand_usd_per_hour * HOURS_PER_MONTH,
                inter_region_bytes,
                notes: cost_notes(model),
                usd_per_million_requests: if throughput > 0.0 {
                    usd_per_hour / (throughput * 3600.0) * 1e6
                } else {
                    f64::INFINITY
                },
            },
            limits: limits(model, runs),
            faults: faults(model, first),
            bottleneck: None,
            warnings: Vec::new(),
            periods: Vec::new(),
            window_s: ns_to_secs(first.window_width),
            windows: windows(model, first),
        };
        s.bottleneck = crate::analysis::run_bottleneck(model, &s);
        s.warnings = crate::steady::warnings(model, &s);
        s.periods = crate::periods::periods(model, &s.windows);
        s
    }
}

fn stop_reason(s: StopReason) -> &'static str {
    match s {
        StopReason::Drained => "drained",
        StopReason::TimeLimit => "drain_time_limit",
        StopReason::EventLimit => "event_limit",
        StopReason::Stopped => "stopped",
    }
}

/// Every component's summary, and the on-demand price of all instances per hour.
fn components(model: &Model, runs: &[RunFacts], measured_s: f64) -> (BTreeMap<String, ComponentSummary>, f64) {
    let reps = runs.len() as f64;
    let prices = Prices::shipped();
    let stats: Vec<Vec<KindStats>> =
        (0..model.components.len()).map(|i| runs.iter().map(|r| r.stats[i].clone()).collect()).collect();
    let volumes: Vec<[f64; crate::prices::LINES]> =
        model.components.iter().enumerate().map(|(i, c)| monthly_volumes(i, &c.spec, &stats[i], runs)).collect();
    let shares = crate::bill::usage_shares(prices, &volumes);
    let mut on_demand = 0.0;
    let mut out = BTreeMap::new();
    for (i, c) in model.components.iter().enumerate() {
        let stats = &stats[i];
        let avg = |f: &dyn Fn(&crate::components::KindStats) -> f64| stats.iter().map(f).sum::<f64>() / reps;
        let mut h = crate::engine::metrics::new_histogram();
        let mut per_rep = Vec::new();
        for r in runs {
            h.add(&r.comps[i].latency).expect("same bounds");
            per_rep.push(rep_point(&r.comps[i].latency));
        }
        let ok: u64 = runs.iter().map(|r| r.window_counts[i].ok).sum();
        let egress: u64 = runs.iter().map(|r| r.window_counts[i].egress_bytes).sum();
        let instances = instances_mean(c, stats);
        on_demand += c.cost.usd_per_hour_on_demand_each * instances;
        let bill = crate::bill::parts(prices, c.cost.usd_per_hour_each * instances * HOURS_PER_MONTH, &shares[i]);
        // Replications may differ in which kind-specific figures they report (a pool that
        // changed size in one of them): each figure is averaged over those that have it.
        let mut extra = BTreeMap::new();
        for k in stats.iter().flat_map(|s| s.extra.keys()) {
            if !extra.contains_key(k) {
                let have: Vec<f64> = stats.iter().filter_map(|s| s.extra.get(k).copied()).collect();
                extra.insert(k.clone(), have.iter().sum::<f64>() / have.len() as f64);
            }
        }
        let kind = c.spec.kind_name();
        let nodes = nodes::merge(kind, stats, measured_s);
        let busiest = nodes::busiest(&nodes);
        let (granted, waited) = stats.iter().fold((0, 0), |(g, w), s| (g + s.granted, w + s.waited));
        out.insert(
            c.name.clone(),
            ComponentSummary {
                kind: kind.into(),
                servers: stats[0].servers,
                utilization: busiest.map_or(0.0, |n| n.utilization),
                busiest_node: busiest.map_or_else(String::new, |n| n.name.clone()),
                utilization_mean: avg(&|s| s.utilization),
                node_queue_mean: nodes.iter().map(|n| n.queue_mean).fold(0.0, f64::max),
                node_queue_max: nodes.iter().map(|n| n.queue_max).max().unwrap_or(0),
                wait_s_mean: avg(&|s| s.wait_s_mean),
                wait_probability: if granted == 0 { 0.0 } else { waited as f64 / granted as f64 },
                service_s_mean: avg(&|s| s.service_s_mean),
                throughput_per_s: if measured_s > 0.0 { ok as f64 / measured_s } else { 0.0 },
                received: runs.iter().map(|r| r.comps[i].received).sum(),
                errors: runs.iter().map(|r| r.comps[i].errors).sum(),
                rejected: stats.iter().map(|s| s.rejected).sum(),
                latency_s: latency(&h, if runs.len() > 1 { &per_rep } else { &[] }),
                cost_usd_per_month: bill.total(),
                egress_bytes: egress,
                inter_region_bytes: stats.iter().map(|s| s.usage.inter_region_bytes).sum::<u64>()
                    + runs.iter().map(|r| r.window_counts[i].inter_region_bytes).sum::<u64>(),
                usage_usd_per_month: bill.usage(),
                bill,
                nodes,
                extra,
            },
        );
    }
    (out, on_demand)
}

/// Instances that come and go (autoscaling, crashes) cost by their time-average count (a
/// replication that reports no mean kept its configured count throughout).
fn instances_mean(c: &crate::model::ComponentModel, stats: &[KindStats]) -> f64 {
    let configured = f64::from(c.cost.instances);
    if stats.iter().any(|s| s.instances_mean.is_some()) {
        stats.iter().map(|s| s.instances_mean.unwrap_or(configured)).sum::<f64>() / stats.len() as f64
    } else {
        configured
    }
}

/// A component's monthly usage volumes, averaged over replications. The response bytes it
/// sent as the entry are internet egress, unless its kind bills its own (a CDN's edges).
fn monthly_volumes(
    i: usize,
    spec: &ComponentSpec,
    stats: &[KindStats],
    runs: &[RunFacts],
) -> [f64; crate::prices::LINES] {
    let mut total = [0.0; crate::prices::LINES];
    for (r, s) in runs.iter().zip(stats) {
        let mut u = s.usage;
        if !spec.bills_own_egress() {
            u.internet_egress_bytes += r.window_counts[i].egress_bytes;
        }
        u.inter_region_bytes += r.window_counts[i].inter_region_bytes;
        for (t, v) in total.iter_mut().zip(u.monthly(ns_to_secs(r.measured_to - r.measured_from))) {
            *t += v / runs.len() as f64;
        }
    }
    total
}

/// What the bill leaves out: calls without sizes in a design spread over several regions.
fn cost_notes(model: &Model) -> Vec<String> {
    let regions: std::collections::BTreeSet<u8> = model.placement.comp_region.iter().flatten().copied().collect();
    if regions.len() > 1 && !model.call_sizes.any() {
        vec!["calls carry no request or response sizes ([call_sizes]): inter-region transfer counts only \
              replication streams, and calls between regions are billed 0 bytes"
            .to_string()]
    } else {
        Vec::new()
    }
}

/// Outcomes and latency per user region, summed over replications.
fn regions(model: &Model, runs: &[RunFacts]) -> BTreeMap<String, ClassSummary> {
    if runs[0].regions.is_empty() {
        return BTreeMap::new();
    }
    let single = runs.len() == 1;
    model
        .users
        .regions
        .iter()
        .enumerate()
        .map(|(i, (name, share))| {
            let (o, h, reps) = merge(runs.iter().map(|r| &r.regions[i]));
            let reps = if single { Vec::new() } else { reps };
            (name.clone(), ClassSummary { share: *share, requests: requests(&o, 0), latency_s: latency(&h, &reps) })
        })
        .collect()
}

fn limits(model: &Model, runs: &[RunFacts]) -> LimitsReport {
    LimitsReport {
        max_in_flight: model.limits.max_in_flight,
        max_calls: model.limits.max_calls,
        max_events: model.limits.max_events,
        rejected_at_max_in_flight: runs.iter().map(|r| r.limits_hit.in_flight).sum(),
        refused_at_max_calls: runs.iter().map(|r| r.limits_hit.calls).sum(),
        stopped_at_max_events: runs.iter().any(|r| r.limits_hit.events),
        stopped_at_drain_end: runs.iter().any(|r| r.limits_hit.sim_time),
    }
}

fn faults(model: &Model, run: &RunFacts) -> Vec<FaultSummary> {
    model
        .faults
        .iter()
        .zip(&run.faults)
        .map(|(f, st)| {
            let after = |t: Option<u64>| match (t, st.started_at) {
                (Some(t), Some(s)) => Some(ns_to_secs(t.saturating_sub(s))),
                _ => None,
            };
            FaultSummary {
                kind: f.kind.name().to_string(),
                target: f.target_name.clone(),
                at_s: ns_to_secs(f.at),
                detected_after_s: after(st.detected_at),
                recovered_after_s: after(st.recovered_at),
                requests_failed: st.failed,
                errors_during: st.errors_during,
                requests_lost: st.lost,
                served_stale: st.stale,
                backend_reads_extra: st.backend_reads_extra,
            }
        })
        .collect()
}

/// The time series of the first replication (a run's own story, not an average).
fn windows(model: &Model, run: &RunFacts) -> Vec<Window> {
    run.windows
        .iter()
        .map(|w| {
            let width = ns_to_secs(w.width);
            let mut utilization = BTreeMap::new();
            let mut queue_mean = BTreeMap::new();
            for (c, (u, q)) in model.components.iter().zip(&w.comps) {
                utilization.insert(c.name.clone(), u.0);
                queue_mean.insert(c.name.clone(), q.0);
            }
            let mut series: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
            for (comp, name, value) in &w.series {
                let c = model.components[*comp as usize].name.clone();
                series.entry(name.clone()).or_default().insert(c, value.0);
            }
            Window {
                t_s: ns_to_secs(w.start),
                arrivals_per_s: w.arrivals as f64 / width,
                throughput_per_s: w.completed as f64 / width,
                errors_per_s: w.errors as f64 / width,
                latency_s_p99: (w.completed > 0).then(|| ns_to_secs(w.latency_p99_ns)),
                latency_s_mean: (w.completed > 0).then_some(w.latency_mean_ns.0 / 1e9),
                in_flight: w.in_flight,
                utilization,
                queue_mean,
                series,
            }
        })
        .collect()
}
