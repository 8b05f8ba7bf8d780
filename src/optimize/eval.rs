//! Running one design on every replay at one fidelity (a duration and a replication count):
//! the design's values and the replay's overrides go through the `--set` machinery, the
//! replications run in parallel, and the constraints are judged by `check::evaluate`.
//! Every design sees the same seeds (replication r of the base scenario's seed): common
//! random numbers, as `compare` and journeys use.

use super::space::{is_monotone_constraint, Space};
use crate::analysis::Bottleneck;
use crate::check::evaluate::{evaluate_run, Estimate, Outcome, ThresholdVerdict};
use crate::check::expr::Cmp;
use crate::overrides::Overrides;
use crate::runner::{self, RunOptions};
use crate::summary::Summary;
use rayon::prelude::*;

/// How long and how often a rung runs each design.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fidelity {
    /// Each run lasts the replay's duration divided by this (1: the full length).
    pub shrink: u64,
    pub replications: u32,
}

/// One replay of one design.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ReplayEval {
    pub replay: String,
    /// The length of each run.
    pub duration_s: f64,
    pub latency_s_p99: Estimate,
    pub error_ratio: Estimate,
    pub cost_usd_per_month: Estimate,
    /// A limit stopped a run: not a full measurement, so the design does not qualify.
    pub partial: bool,
    pub constraints: Vec<ThresholdVerdict>,
    pub bottleneck: Option<Bottleneck>,
    /// Constraints naming a metric the runs do not report (a field the kind lacks): the
    /// design cannot be judged, so it does not qualify.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmeasured: Vec<String>,
    /// The dotted keys of the constraints the monotonicity covers.
    #[serde(skip)]
    pub monotone_keys: Vec<String>,
}

/// A design run at one fidelity, or why it could not be (an invalid combination of values).
#[derive(Clone, Debug)]
pub struct Eval {
    pub fidelity: Fidelity,
    pub replays: Vec<ReplayEval>,
    pub invalid: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every constraint passes on every replay (the whole 95% interval).
    Feasible,
    /// None fails, but some interval contains its limit.
    Inconclusive,
    Infeasible,
}

/// How far a verdict's estimate lies past its limit, as a fraction of the limit (positive
/// when the mean is on the wrong side; the mean, not the interval).
pub fn excess(v: &ThresholdVerdict) -> f64 {
    let (mean, limit) = (v.estimate.mean, v.limit);
    let over = match v.op {
        Cmp::Lt | Cmp::Le => mean - limit,
        Cmp::Gt | Cmp::Ge => limit - mean,
    };
    if limit == 0.0 {
        return if over > 0.0 { f64::INFINITY } else { 0.0 };
    }
    over / limit.abs()
}

/// Whether the whole interval lies more than `margin` (a fraction of the limit) past it.
fn fails_by(v: &ThresholdVerdict, margin: f64) -> bool {
    if v.outcome != Outcome::Fail {
        return false;
    }
    let e = &v.estimate;
    match v.op {
        Cmp::Lt | Cmp::Le => e.ci95_low > v.limit + margin * v.limit.abs(),
        Cmp::Gt | Cmp::Ge => e.ci95_high < v.limit - margin * v.limit.abs(),
    }
}

impl Eval {
    pub fn status(&self) -> Status {
        let verdicts = self.replays.iter().flat_map(|r| &r.constraints);
        if self.invalid.is_some() || self.replays.iter().any(|r| r.partial || !r.unmeasured.is_empty()) {
            return Status::Infeasible;
        }
        if verdicts.clone().any(|v| v.outcome == Outcome::Fail) {
            Status::Infeasible
        } else if verdicts.clone().all(|v| v.outcome == Outcome::Pass) {
            Status::Feasible
        } else {
            Status::Inconclusive
        }
    }

    /// Whether a rung drops the design: `Some(true)` when a monotone constraint failed by
    /// more than `margin` (so it prunes), `Some(false)` for another failure, else `None`.
    pub fn screened(&self, margin: f64) -> Option<bool> {
        if self.invalid.is_some() || self.replays.iter().any(|r| r.partial || !r.unmeasured.is_empty()) {
            return Some(false);
        }
        let failed: Vec<&ThresholdVerdict> =
            self.replays.iter().flat_map(|r| &r.constraints).filter(|v| fails_by(v, margin)).collect();
        if failed.is_empty() {
            return None;
        }
        Some(failed.iter().any(|v| self.monotone_ids().contains(&v.key)))
    }

    fn monotone_ids(&self) -> Vec<String> {
        self.replays.iter().flat_map(|r| &r.monotone_keys).cloned().collect()
    }

    /// The objective: the monthly cost on the objective replay.
    pub fn cost(&self, objective: usize) -> Estimate {
        self.replays.get(objective).map_or(Estimate::point(f64::NAN), |r| r.cost_usd_per_month)
    }

    /// The worst replay's P99 (by mean) and its name.
    pub fn worst_p99(&self) -> (Estimate, String) {
        self.replays
            .iter()
            .max_by(|a, b| a.latency_s_p99.mean.total_cmp(&b.latency_s_p99.mean))
            .map_or((Estimate::point(f64::NAN), String::new()), |r| (r.latency_s_p99, r.replay.clone()))
    }
}

/// The overrides that make `coords` on replay `replay`.
pub fn overrides(space: &Space, coords: &[usize], replay: usize) -> Result<Overrides, crate::diag::Error> {
    let r = &space.replays[replay];
    let mut sets: Vec<String> =
        space.dimensions.iter().zip(coords).map(|(d, i)| format!("{}={}", d.key, d.values[*i].0)).collect();
    sets.extend(r.sets.iter().cloned());
    Overrides::new(r.load.as_deref(), &sets)
}

/// Runs design `coords` on every replay at `fid`.
pub fn evaluate(space: &Space, coords: &[usize], fid: Fidelity) -> Eval {
    let mut models = Vec::new();
    for i in 0..space.replays.len() {
        let built = overrides(space, coords, i)
            .and_then(|o| crate::load::parse_scenario_checked_with(&space.scenario_file, &space.scenario_text, &o));
        match built {
            Ok((m, _)) => models.push(m),
            Err(e) => {
                let first = e.to_string().lines().next().unwrap_or("").trim_start_matches("error: ").to_string();
                return Eval { fidelity: fid, replays: Vec::new(), invalid: Some(first) };
            }
        }
    }
    let replays = models.iter().enumerate().map(|(i, m)| replay(space, i, m, fid)).collect();
    Eval { fidelity: fid, replays, invalid: None }
}

fn replay(space: &Space, i: usize, model: &crate::model::Model, fid: Fidelity) -> ReplayEval {
    let short = (fid.shrink > 1).then(|| model.duration / fid.shrink);
    let opts = RunOptions { seed: None, duration_ns: short, replications: Some(fid.replications) };
    let mut m = runner::apply(model, &opts);
    if m.warmup_auto {
        m.warmup = runner::detect_warmup(&m);
    }
    let runs: Vec<_> = (0..m.replications).into_par_iter().map(|r| runner::run_once(&m, r)).collect();
    let each: Vec<Summary> = runs.iter().map(|r| Summary::build(&m, std::slice::from_ref(r))).collect();
    let merged = Summary::build(&m, &runs);
    let r = &space.replays[i];
    let (constraints, unmeasured) = match evaluate_run(&r.constraints, &each) {
        Ok(v) => (v, Vec::new()),
        Err(missing) => (Vec::new(), missing.into_iter().map(|m| m.message).collect()),
    };
    let est = |f: fn(&Summary) -> f64| match each.as_slice() {
        [one] => Estimate::point(f(one)),
        all => Estimate::of(&all.iter().map(f).collect::<Vec<_>>()),
    };
    ReplayEval {
        replay: r.name.clone(),
        duration_s: m.duration as f64 / 1e9,
        latency_s_p99: est(|s| s.latency_s.p99),
        error_ratio: est(|s| s.requests.error_ratio),
        cost_usd_per_month: est(|s| s.cost.usd_per_month),
        partial: merged.partial,
        monotone_keys: r.constraints.iter().filter(|t| is_monotone_constraint(t)).map(|t| t.key.clone()).collect(),
        constraints,
        bottleneck: crate::analysis::bottleneck(&m, &merged),
        unmeasured,
    }
}
