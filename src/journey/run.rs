//! Running a journey: every stage at every load of the ladder, and a capacity search per
//! stage, all on the same traffic (same seed, same streams). Points run in parallel; results
//! are gathered in (stage, rate) order, so the output does not depend on thread count.

use super::analysis::{bottleneck, Bottleneck};
use super::{Criteria, Journey, Stage};
use crate::model::Model;
use crate::runner;
use crate::summary::{Summary, Window};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Version 2: a stage's `cost_usd_per_month` is its whole bill (instances plus usage) at the
/// bill load (`bill_rate_per_s`), with its breakdown in `bill`; version 1 counted instances only.
pub const JOURNEY_SCHEMA_VERSION: u32 = 2;

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct JourneySummary {
    pub schema_version: u32,
    pub journey: String,
    pub description: String,
    pub seed: u64,
    pub replications: u32,
    pub point_duration_s: f64,
    pub criteria: CriteriaSummary,
    pub rates_per_s: Vec<f64>,
    /// The one load every stage's bill is priced at: the check load, else the ladder's highest.
    pub bill_rate_per_s: f64,
    /// Where `bill_rate_per_s` comes from: `check load` or `highest ladder load`.
    pub bill_load: String,
    pub stages: Vec<StageSummary>,
    /// The time series of one chosen run: the last stage at the highest ladder load.
    pub timeseries: Option<TimeSeries>,
    /// The articles' claims, judged by the numbers.
    pub claims: Vec<super::claims::Verdict>,
}

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct CriteriaSummary {
    pub latency_s_p99_max: f64,
    pub error_ratio_max: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct TimeSeries {
    pub stage: String,
    pub rate_per_s: f64,
    pub window_s: f64,
    pub windows: Vec<Window>,
}

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct StageSummary {
    pub name: String,
    pub description: String,
    pub origin: String,
    pub components: BTreeMap<String, String>,
    /// Highest rate that met the criteria (capacity search), if searched.
    pub capacity_per_s: Option<f64>,
    pub capacity_users: Option<f64>,
    pub points: Vec<Point>,
    pub bottleneck: Option<Bottleneck>,
    /// The whole bill (instances plus usage) at the journey's bill load (`bill`).
    pub cost_usd_per_month: f64,
    pub bill: StageBill,
    /// At capacity (or at the highest passing ladder load).
    pub cost_usd_per_million_requests: Option<f64>,
    pub change: Option<Change>,
    /// This stage's own capacity criterion, when `[stages.capacity]` overrides the journey's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criteria: Option<CriteriaSummary>,
    /// The stage's thresholds judged at the journey's check load, if it has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<super::gates::StageGate>,
    /// The stage's architecture as a Mermaid flowchart, for `report.md`; presentation, so
    /// not in `summary.json`.
    #[serde(skip)]
    pub mermaid: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Point {
    pub rate_per_s: f64,
    pub users: Option<f64>,
    pub meets_criteria: bool,
    pub throughput_per_s: f64,
    pub error_ratio: f64,
    pub latency_s_p50: f64,
    pub latency_s_p99: f64,
    pub latency_s_p999: f64,
    pub latency_s_p99_ci95: Option<crate::stats::Ci>,
    /// The busiest node's utilization per component, and that node's name where a component
    /// has several (`replica 1`).
    pub utilization: BTreeMap<String, f64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub busiest_node: BTreeMap<String, String>,
    /// Every numeric field of every component's summary at this load (for claims and charts).
    pub components: BTreeMap<String, BTreeMap<String, f64>>,
}

/// A stage's bill at the journey's bill load, from that run's summary (`summary.cost`).
#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct StageBill {
    pub rate_per_s: f64,
    #[serde(flatten)]
    pub parts: crate::bill::Parts,
    /// The usage part (storage, transfer, requests).
    pub usage_usd_per_month: f64,
    /// Compute at on-demand prices (what the instances' pricing options save is the difference).
    pub compute_on_demand_usd_per_month: f64,
    /// Bytes that crossed regions over the measured windows (all replications).
    pub inter_region_bytes: u64,
    /// Each component's whole share of the bill, USD per month.
    pub components: BTreeMap<String, f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl StageBill {
    fn of(s: &Summary, rate: f64) -> StageBill {
        StageBill {
            rate_per_s: rate,
            parts: s.cost.bill,
            usage_usd_per_month: s.cost.usage_usd_per_month,
            compute_on_demand_usd_per_month: s.cost.compute_on_demand_usd_per_month,
            inter_region_bytes: s.cost.inter_region_bytes,
            components: s.components.iter().map(|(k, c)| (k.clone(), c.cost_usd_per_month)).collect(),
            notes: s.cost.notes.clone(),
        }
    }
}

/// The difference from the previous stage.
#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Change {
    pub from_stage: String,
    pub capacity_ratio: Option<f64>,
    /// On the whole bill at the bill load, and by part.
    pub cost_usd_per_month_delta: f64,
    pub bill_delta: crate::bill::Parts,
    /// Ratio of P99 to the previous stage's P99 at each ladder load both ran.
    pub latency_s_p99_ratio: Vec<Option<f64>>,
}

fn meets(s: &Summary, c: &Criteria) -> bool {
    s.requests.completed > 0
        && s.latency_s.p99 <= c.p99_s
        && s.requests.error_ratio <= c.error_ratio
        && !s.limits.stopped_at_drain_end
        && !s.limits.stopped_at_max_events
}

/// The stage's capacity criterion, and its thresholds on latency and errors (`gates`).
fn meets_stage(j: &Journey, stage: &Stage, s: &Summary) -> bool {
    meets(s, &stage.criteria(j)) && super::gates::thresholds_hold(stage, s)
}

/// The stage's model at one load, on the journey's traffic.
pub fn at_rate(j: &Journey, model: &Model, rate: f64) -> Model {
    let mut m = model.clone();
    m.load.rate_per_s = rate;
    m.seed = j.seed;
    m.duration = j.duration;
    m.warmup = j.warmup;
    m.warmup_auto = false;
    m.replications = j.replications;
    m
}

fn point(j: &Journey, stage: &Stage, s: &Summary, rate: f64) -> Point {
    Point {
        rate_per_s: rate,
        users: j.users_at(rate),
        meets_criteria: meets_stage(j, stage, s),
        throughput_per_s: s.throughput_per_s,
        error_ratio: s.requests.error_ratio,
        latency_s_p50: s.latency_s.p50,
        latency_s_p99: s.latency_s.p99,
        latency_s_p999: s.latency_s.p999,
        latency_s_p99_ci95: s.latency_s.p99_ci95,
        utilization: s.components.iter().map(|(k, c)| (k.clone(), c.utilization)).collect(),
        busiest_node: s
            .components
            .iter()
            .filter(|(_, c)| c.nodes.len() > 1)
            .map(|(k, c)| (k.clone(), c.busiest_node.clone()))
            .collect(),
        components: s.components.iter().map(|(k, c)| (k.clone(), numeric_fields(c))).collect(),
    }
}

/// The numeric fields of a component summary, by their JSON names (nested ones dotted).
fn numeric_fields(c: &crate::summary::ComponentSummary) -> BTreeMap<String, f64> {
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, f64>) {
        match v {
            serde_json::Value::Number(n) => {
                out.insert(prefix.to_string(), n.as_f64().unwrap_or(0.0));
            }
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&key, v, out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    walk("", &serde_json::to_value(c).expect("serializes"), &mut out);
    out
}

/// Highest rate meeting the criteria: bracket by doubling or halving, then bisect on a log
/// scale to about 1.5%. Starts from the ladder's results when there are some.
fn capacity(j: &Journey, stage: &Stage, ladder: &[(f64, bool)]) -> (Option<f64>, Option<Summary>) {
    let eval = |r: f64| {
        let s = runner::run(&at_rate(j, &stage.model, r));
        (meets_stage(j, stage, &s), s)
    };
    let mut lo = ladder.iter().rev().find(|(_, ok)| *ok).map(|(r, _)| *r);
    let mut hi = ladder.iter().find(|(r, ok)| !*ok && lo.is_none_or(|l| *r > l)).map(|(r, _)| *r);
    let mut best: Option<Summary> = None;
    let mut probe = lo.or(hi).unwrap_or(100.0);
    for _ in 0..40 {
        // A stopped search is discarded: no need to go on.
        if (lo.is_some() && hi.is_some()) || crate::progress::stop_requested() {
            break;
        }
        let (ok, s) = eval(probe);
        if ok {
            lo = Some(probe);
            best = Some(s);
            probe *= 2.0;
        } else {
            hi = Some(probe);
            probe /= 2.0;
        }
        if !(0.01..=1e8).contains(&probe) {
            break;
        }
    }
    let (Some(mut l), Some(mut h)) = (lo, hi) else { return (lo, best) };
    while h / l > 1.015 && !crate::progress::stop_requested() {
        let mid = (l * h).sqrt();
        let (ok, s) = eval(mid);
        if ok {
            l = mid;
            best = Some(s);
        } else {
            h = mid;
        }
    }
    (Some(l), best)
}

/// What a journey runs, as progress names it: each stage at each load, its capacity search,
/// its thresholds at the check load.
pub enum Step {
    Load(usize, f64),
    Capacity(usize),
    Gate(usize),
}

impl Step {
    pub fn label(&self, j: &Journey) -> String {
        let stage = |i: usize| format!("stage {} `{}`", i + 1, j.stages[i].name);
        match *self {
            Step::Load(i, r) => format!("{} at {r}/s", stage(i)),
            Step::Capacity(i) => format!("{}: capacity search", stage(i)),
            Step::Gate(i) => format!("{}: thresholds at the check load", stage(i)),
        }
    }

    /// Every step of a journey, in order.
    pub fn all(j: &Journey) -> Vec<Step> {
        let mut out: Vec<Step> = load_jobs(j).into_iter().map(|(s, r)| Step::Load(s, r)).collect();
        if j.capacity_search {
            out.extend((0..j.stages.len()).map(Step::Capacity));
        }
        out.extend((0..j.stages.len()).filter(|s| !j.stages[*s].thresholds.is_empty()).map(Step::Gate));
        out
    }

    fn started(&self, j: &Journey) {
        crate::progress::item_started(&self.label(j));
    }

    fn done(&self, j: &Journey, detail: &str) {
        crate::progress::item_done(&self.label(j), detail);
    }
}

/// The load every stage's bill is priced at, and where it comes from.
pub fn bill_load(j: &Journey) -> (f64, &'static str) {
    match j.check_rate {
        Some(r) => (r, "check load"),
        None => (j.rates.iter().copied().fold(0.0, f64::max), "highest ladder load"),
    }
}

/// The ladder rate equal to the bill load, if any (else the bill needs its own run).
fn bill_index(j: &Journey) -> Option<usize> {
    let (rate, _) = bill_load(j);
    j.rates.iter().position(|r| (r - rate).abs() <= 1e-9 * rate.max(1.0))
}

/// Every stage at every ladder load, then each stage at the bill load when no ladder load is it.
fn load_jobs(j: &Journey) -> Vec<(usize, f64)> {
    let mut jobs: Vec<(usize, f64)> = (0..j.stages.len()).flat_map(|s| j.rates.iter().map(move |r| (s, *r))).collect();
    if bill_index(j).is_none() {
        jobs.extend((0..j.stages.len()).map(|s| (s, bill_load(j).0)));
    }
    jobs
}

/// Runs the whole journey. `progress` is told each time a load point finishes.
pub fn run_journey(j: &Journey, progress: &(dyn Fn() + Sync)) -> JourneySummary {
    let jobs = load_jobs(j);
    let results: Vec<Summary> = jobs
        .par_iter()
        .map(|(s, r)| {
            Step::Load(*s, *r).started(j);
            let out = runner::run(&at_rate(j, &j.stages[*s].model, *r));
            let detail = format!("p99 {}", crate::units::human_secs(out.latency_s.p99));
            Step::Load(*s, *r).done(j, &detail);
            progress();
            out
        })
        .collect();
    let per_stage: Vec<Vec<&Summary>> =
        (0..j.stages.len()).map(|s| results.iter().skip(s * j.rates.len()).take(j.rates.len()).collect()).collect();
    let searched: Vec<(Option<f64>, Option<Summary>)> = (0..j.stages.len())
        .into_par_iter()
        .map(|s| {
            if !j.capacity_search {
                return (None, None);
            }
            let ladder: Vec<(f64, bool)> =
                j.rates.iter().zip(&per_stage[s]).map(|(r, x)| (*r, meets_stage(j, &j.stages[s], x))).collect();
            Step::Capacity(s).started(j);
            let out = capacity(j, &j.stages[s], &ladder);
            Step::Capacity(s).done(j, &out.0.map_or("none found".into(), |c| format!("{c:.0}/s")));
            progress();
            out
        })
        .collect();
    let (bill_rate, bill_source) = bill_load(j);
    let billed: Vec<&Summary> = match bill_index(j) {
        Some(k) => per_stage.iter().map(|p| p[k]).collect(),
        None => results[j.stages.len() * j.rates.len()..].iter().collect(),
    };
    let mut stages: Vec<StageSummary> = Vec::new();
    for (i, stage) in j.stages.iter().enumerate() {
        let bill = StageBill::of(billed[i], bill_rate);
        let mut summary = stage_summary(j, stage, (&per_stage[i], bill), &searched[i], stages.last());
        if !stage.thresholds.is_empty() {
            Step::Gate(i).started(j);
        }
        summary.check = super::gates::judge(j, i);
        if let Some(g) = &summary.check {
            Step::Gate(i).done(j, g.status.label());
            progress();
        }
        stages.push(summary);
    }
    let timeseries = per_stage.last().and_then(|p| p.last()).map(|s| TimeSeries {
        stage: j.stages.last().map(|s| s.name.clone()).unwrap_or_default(),
        rate_per_s: *j.rates.last().unwrap_or(&0.0),
        window_s: s.window_s,
        windows: s.windows.clone(),
    });
    JourneySummary {
        schema_version: JOURNEY_SCHEMA_VERSION,
        journey: j.name.clone(),
        description: j.description.clone(),
        seed: j.seed,
        replications: j.replications,
        point_duration_s: j.duration as f64 / 1e9,
        criteria: CriteriaSummary { latency_s_p99_max: j.criteria.p99_s, error_ratio_max: j.criteria.error_ratio },
        rates_per_s: j.rates.clone(),
        bill_rate_per_s: bill_rate,
        bill_load: bill_source.into(),
        claims: j.claims.iter().map(|c| super::claims::judge(c, &stages)).collect(),
        stages,
        timeseries,
    }
}

fn stage_summary(
    j: &Journey,
    stage: &Stage,
    (runs, bill): (&[&Summary], StageBill),
    searched: &(Option<f64>, Option<Summary>),
    prev: Option<&StageSummary>,
) -> StageSummary {
    let points: Vec<Point> = runs.iter().zip(&j.rates).map(|(s, r)| point(j, stage, s, *r)).collect();
    let first_fail = runs.iter().zip(&points).find(|(_, p)| !p.meets_criteria).map(|(s, _)| *s);
    let at_capacity =
        searched.1.as_ref().or(runs.iter().zip(&points).rev().find(|(_, p)| p.meets_criteria).map(|(s, _)| *s));
    // Diagnose at capacity: what is nearest saturation at the highest load that meets the
    // criteria is what stops the next step. Far beyond it (a ladder's next load may be three
    // times as much) everything on the path is saturated, and the first to be is lost.
    // Without a capacity search: the first load that breaks the criteria, else the highest.
    let diagnosed = if j.capacity_search { at_capacity.or(first_fail) } else { first_fail }.or(runs.last().copied());
    let cost = bill.parts.total();
    let capacity = searched.0;
    let change = prev.map(|p| Change {
        from_stage: p.name.clone(),
        capacity_ratio: capacity.zip(p.capacity_per_s).map(|(a, b)| a / b),
        cost_usd_per_month_delta: cost - p.cost_usd_per_month,
        bill_delta: crate::bill::Parts {
            compute_usd_per_month: bill.parts.compute_usd_per_month - p.bill.parts.compute_usd_per_month,
            storage_usd_per_month: bill.parts.storage_usd_per_month - p.bill.parts.storage_usd_per_month,
            transfer_usd_per_month: bill.parts.transfer_usd_per_month - p.bill.parts.transfer_usd_per_month,
            requests_usd_per_month: bill.parts.requests_usd_per_month - p.bill.parts.requests_usd_per_month,
        },
        latency_s_p99_ratio: points
            .iter()
            .zip(&p.points)
            .map(|(a, b)| {
                (b.latency_s_p99 > 0.0 && a.throughput_per_s > 0.0).then(|| a.latency_s_p99 / b.latency_s_p99)
            })
            .collect(),
    });
    StageSummary {
        name: stage.name.clone(),
        description: stage.description.clone(),
        origin: stage.origin.clone(),
        components: stage.model.components.iter().map(|c| (c.name.clone(), c.spec.kind_name().to_string())).collect(),
        capacity_per_s: capacity,
        capacity_users: capacity.and_then(|c| j.users_at(c)),
        points,
        bottleneck: diagnosed.and_then(|s| bottleneck(&stage.model, s)).map(|mut b| {
            // No load met the criteria: say so first, then why.
            if capacity == Some(0.0) {
                b.sentence = format!("Capacity is 0: no load tried meets the criteria. {}", b.sentence);
            }
            b
        }),
        cost_usd_per_month: cost,
        bill,
        cost_usd_per_million_requests: at_capacity.map(|s| s.cost.usd_per_million_requests),
        change,
        criteria: stage
            .capacity
            .map(|c| CriteriaSummary { latency_s_p99_max: c.p99_s, error_ratio_max: c.error_ratio }),
        check: None,
        mermaid: crate::report::graph::mermaid(&stage.model),
    }
}
