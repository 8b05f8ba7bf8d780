//! `stagesim check`: capacity regression gates for CI.
//!
//! A check runs each scenario in batches of replications, judges its `[thresholds]` with
//! confidence intervals (`evaluate`), runs more replications while a threshold is
//! inconclusive (up to a bound), measures the key metrics, and compares them with a committed
//! baseline (`baseline`). The result is a serializable `Report`; the renderers (`text`,
//! `junit`, `openmetrics`, `annotations`) only format it.
//!
//! Exit codes: 0 every threshold passed and nothing regressed (inconclusive thresholds are
//! reported but pass unless `strict`), 1 a threshold failed or a metric regressed, 2 usage
//! error, 3 invalid scenario or baseline, 4 I/O error, 5 a limit stopped a replication (its
//! figures are partial: this wins over 1).

pub mod annotations;
pub mod baseline;
pub mod cli;
pub mod evaluate;
pub mod expr;
pub mod journey;
pub mod junit;
pub mod openmetrics;
pub mod plan;
pub mod text;
pub mod thresholds;

use crate::diag::{diagnostic_at, did_you_mean, Error};
use crate::load::parse_scenario_checked_with;
use crate::model::Model;
use crate::runner::{apply, run_once, RunOptions};
use crate::summary::Summary;
use baseline::{Baseline, BaselineEntry, BaselineReport, BaselineStatus};
use evaluate::{Estimate, MetricEstimate, Missing, Outcome, ThresholdVerdict};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thresholds::{MetricKey, Threshold, ThresholdSet};

pub const CHECK_SCHEMA_VERSION: u32 = 1;
/// Exit code of a check whose gate failed (a threshold, a regression, or with `strict`, an
/// inconclusive threshold).
pub const EXIT_GATE_FAILED: i32 = 1;

/// How a check runs; the command line fills it.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub seed: Option<u64>,
    pub duration_ns: Option<u64>,
    /// Replications of the first batch (at least 2: one replication has no interval).
    pub replications: u32,
    /// Batches double the replications while a threshold is inconclusive, up to this.
    pub max_replications: u32,
    /// Relative change a regression must exceed (0.05 for 5%).
    pub tolerance: f64,
    pub baseline: Option<String>,
    pub update_baseline: bool,
    /// Inconclusive thresholds fail the gate.
    pub strict: bool,
    /// `--load` and `--set`, applied to every scenario (and to every journey stage with the key).
    pub overrides: crate::overrides::Overrides,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            seed: None,
            duration_ns: None,
            replications: 5,
            max_replications: 30,
            tolerance: 0.05,
            baseline: None,
            update_baseline: false,
            strict: false,
            overrides: Default::default(),
        }
    }
}

/// The verdict of a whole check: what every renderer formats.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    pub schema_version: u32,
    pub stagesim_version: String,
    pub status: Outcome,
    pub exit_code: i32,
    pub strict: bool,
    pub tolerance: f64,
    pub replications: u32,
    pub max_replications: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    pub counts: Counts,
    pub scenarios: Vec<ScenarioReport>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Counts {
    pub thresholds: usize,
    pub passed: usize,
    pub failed: usize,
    pub inconclusive: usize,
    pub regressions: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScenarioReport {
    /// The scenario file as given (forward slashes, no leading `./`); for a journey stage,
    /// the journey file.
    pub file: String,
    /// The scenario's name; for a journey stage, the journey's.
    pub scenario: String,
    /// The journey stage this report judges, if it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<StageRef>,
    pub seed: u64,
    /// Simulated duration of each replication (a `--duration` override shows here).
    pub duration_s: f64,
    pub replications: u32,
    /// Replications after each batch: more than one entry means an inconclusive threshold
    /// asked for more.
    pub batches: Vec<u32>,
    pub status: Outcome,
    pub thresholds: Vec<ThresholdVerdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineReport>,
    /// Key metrics and every thresholded metric, by id.
    pub metrics: BTreeMap<String, MetricEstimate>,
    /// Every numeric field of every component, for exporters.
    pub components: BTreeMap<String, BTreeMap<String, Estimate>>,
    /// The architecture as a Mermaid flowchart, for the GitHub job summary. Not part of the
    /// JSON report (its shape is a contract; the diagram is presentation).
    #[serde(skip)]
    pub mermaid: String,
    /// A limit stopped at least one replication (`stop_reason`): its figures are partial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<String>,
}

/// A journey stage, as a check report names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StageRef {
    /// 1-based, in the journey's order.
    pub index: usize,
    pub name: String,
    /// The journey's check load, at which the stage ran.
    pub rate_per_s: f64,
}

impl ScenarioReport {
    /// A unique name: the file as given, and for a journey stage `FILE#INDEX NAME` (JUnit's
    /// classname). The key in a baseline file is `baseline::key`, relative to that file.
    pub fn baseline_key(&self) -> String {
        match &self.stage {
            Some(st) => format!("{}#{} {}", self.file, st.index, st.name),
            None => self.file.clone(),
        }
    }

    /// A title for people: the file, and the stage if it is one.
    pub fn title(&self) -> String {
        match &self.stage {
            Some(st) => format!("{} stage {}: {}", self.file, st.index, st.name),
            None => self.file.clone(),
        }
    }
}

/// Runs a check. Returns the report and, with `update_baseline`, the baseline to write.
pub fn check(files: &[String], opts: &CheckOptions) -> Result<(Report, Option<Baseline>), Error> {
    validate_options(files, opts)?;
    check_planned(files, &plan::plan(files, &opts.overrides)?, opts)
}

/// Runs a check of `files`, whose `plan` is known: refuses first what could only pass by
/// accident (`plan::nothing_to_judge`, `plan::no_entry_anywhere`).
pub fn check_planned(
    files: &[String],
    planned: &[plan::Planned],
    opts: &CheckOptions,
) -> Result<(Report, Option<Baseline>), Error> {
    Ok(check_planned_with(files, planned, opts, &Simulate)?.expect("simulating gives every batch"))
}

/// Where a check's replications come from: simulated here (`Simulate`), or read from a
/// plan's results, which may not hold a batch yet (`None`: another round is needed).
pub trait Replicator: Sync {
    /// Replications `from..to` of `model` (the scenario `file`, as `scenario_key` names it),
    /// each summarised on its own, in replication order.
    fn replicate(&self, file: &str, model: &Model, from: u32, to: u32) -> Option<Vec<Summary>>;
}

/// Replications simulated on this machine.
pub struct Simulate;

impl Replicator for Simulate {
    fn replicate(&self, _file: &str, model: &Model, from: u32, to: u32) -> Option<Vec<Summary>> {
        Some(replicate(model, from, to))
    }
}

/// `check_planned` with replications from `source`: `None` when a batch is not there yet
/// (every scenario is still judged, so the source learns every batch the next round needs).
pub fn check_planned_with(
    files: &[String],
    planned: &[plan::Planned],
    opts: &CheckOptions,
    source: &dyn Replicator,
) -> Result<Option<(Report, Option<Baseline>)>, Error> {
    validate_options(files, opts)?;
    plan::nothing_to_judge(planned, opts)?;
    let existing = match &opts.baseline {
        Some(path) if opts.update_baseline => Some(baseline::read_for_update(path)?),
        Some(path) => Some(baseline::read(path)?),
        None => None,
    };
    if let (Some(path), Some(b), false) = (&opts.baseline, &existing, opts.update_baseline) {
        plan::no_entry_anywhere(path, b, planned)?;
    }
    let mut scenarios = Vec::new();
    let mut pending = false;
    for file in files {
        if journey::is_journey(file)? {
            scenarios.extend(journey::check_journey(file, opts)?);
        } else {
            let title = scenario_key(file);
            crate::progress::item_started(&title);
            let Some(s) = check_scenario(file, opts, source)? else {
                pending = true;
                continue;
            };
            crate::progress::item_done(&title, &format!("{} ({} replications)", s.status.label(), s.replications));
            scenarios.push(s);
        }
    }
    if pending {
        return Ok(None);
    }
    let mut written = None;
    if let (Some(path), Some(mut b)) = (&opts.baseline, existing) {
        for s in &mut scenarios {
            let key = baseline::key(path, &s.file, s.stage.as_ref().map(|st| (st.index, st.name.as_str())));
            let report = if opts.update_baseline {
                b.scenarios.insert(key.clone(), entry(s));
                BaselineReport {
                    file: path.clone(),
                    key,
                    status: BaselineStatus::Written,
                    tolerance: opts.tolerance,
                    baseline_version: Some(env!("CARGO_PKG_VERSION").to_string()),
                    duration_mismatch_s: None,
                    comparisons: Vec::new(),
                    new_metrics: Vec::new(),
                    dropped_metrics: Vec::new(),
                }
            } else {
                match b.scenarios.get(&key) {
                    Some(e) => baseline::compare(path, &key, e, &s.metrics, s.duration_s, opts.tolerance),
                    None => no_entry(path, &key, opts.tolerance),
                }
            };
            s.baseline = Some(report);
            s.status = scenario_status(s);
            let missing = s.baseline.as_ref().is_some_and(|b| b.status == BaselineStatus::NoEntry);
            if missing && opts.strict {
                s.status = Outcome::Fail;
            }
        }
        if opts.update_baseline {
            written = Some(b);
        }
    }
    Ok(Some((report(scenarios, opts), written)))
}

/// A plan of a check runs scenario files only: a journey's stages are built from several
/// files and its capacity rounds are not planned yet.
pub fn plan_refuses_journeys(files: &[String]) -> Result<(), Error> {
    for f in files {
        if journey::is_journey(f)? {
            return Err(Error::Usage(format!(
                "{f}: a journey cannot be checked in shards yet: check it without --shard (or plan the scenario files only)"
            )));
        }
    }
    Ok(())
}

fn validate_options(files: &[String], opts: &CheckOptions) -> Result<(), Error> {
    if files.is_empty() {
        return Err(Error::Usage("check needs at least one scenario or journey file".into()));
    }
    if opts.replications < 2 {
        return Err(Error::Usage(
            "--replications must be at least 2: one replication has no confidence interval".into(),
        ));
    }
    let max = crate::runner::MAX_REPLICATIONS;
    if opts.max_replications > max {
        return Err(Error::Usage(format!(
            "--max-replications is {}, above the maximum of {max}: 30 is the default and usually enough",
            opts.max_replications
        )));
    }
    if opts.max_replications < opts.replications {
        return Err(Error::Usage(format!(
            "--max-replications ({}) must be at least --replications ({})",
            opts.max_replications, opts.replications
        )));
    }
    if !(opts.tolerance.is_finite() && opts.tolerance >= 0.0) {
        return Err(Error::Usage("--tolerance must be zero or more, such as 5%".into()));
    }
    if opts.update_baseline && opts.baseline.is_none() {
        return Err(Error::Usage("--update-baseline needs --baseline FILE".into()));
    }
    let mut keys: Vec<String> = files.iter().map(|f| scenario_key(f)).collect();
    keys.sort();
    if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::Usage(format!("`{}` is given twice", w[0])));
    }
    Ok(())
}

/// A scenario file as baselines and reports name it: forward slashes, no leading `./`.
pub fn scenario_key(file: &str) -> String {
    let mut k = file.replace('\\', "/");
    while let Some(rest) = k.strip_prefix("./") {
        k = rest.to_string();
    }
    k
}

fn no_entry(path: &str, key: &str, tolerance: f64) -> BaselineReport {
    BaselineReport {
        file: path.to_string(),
        key: key.to_string(),
        status: BaselineStatus::NoEntry,
        tolerance,
        baseline_version: None,
        duration_mismatch_s: None,
        comparisons: Vec::new(),
        new_metrics: Vec::new(),
        dropped_metrics: Vec::new(),
    }
}

fn entry(s: &ScenarioReport) -> BaselineEntry {
    BaselineEntry {
        scenario: s.stage.as_ref().map_or(s.scenario.clone(), |st| st.name.clone()),
        stagesim_version: env!("CARGO_PKG_VERSION").to_string(),
        seed: s.seed,
        duration_s: s.duration_s,
        replications: s.replications,
        metrics: s.metrics.clone(),
    }
}

fn check_scenario(file: &str, opts: &CheckOptions, source: &dyn Replicator) -> Result<Option<ScenarioReport>, Error> {
    let text = crate::load::read_input(file, "scenario")?;
    let (model, set) = parse_scenario_checked_with(file, &text, &opts.overrides)?;
    let model = apply(&model, &RunOptions { seed: opts.seed, duration_ns: opts.duration_ns, replications: None });
    crate::budget::check_override(&model, "--duration")?;
    let missing = |m: Vec<Missing>| missing_fields(file, &text, &set, m);
    judge_model_with(&scenario_key(file), &model, &set.thresholds, opts, &missing, source)
}

/// The model a check runs for a scenario file (its seed and duration overridden).
pub fn scenario_model(file: &str, opts: &CheckOptions) -> Result<Model, Error> {
    let text = crate::load::read_input(file, "scenario")?;
    let model = parse_scenario_checked_with(file, &text, &opts.overrides)?.0;
    Ok(apply(&model, &RunOptions { seed: opts.seed, duration_ns: opts.duration_ns, replications: None }))
}

/// Runs `model` in batches and judges `thresholds` on it: the machinery shared by scenario
/// files and journey stages. `missing` turns thresholds on fields the summary lacks into
/// diagnostics at their place.
pub fn judge_model(
    file: &str,
    model: &Model,
    thresholds: &[Threshold],
    opts: &CheckOptions,
    missing: &dyn Fn(Vec<Missing>) -> Error,
) -> Result<ScenarioReport, Error> {
    Ok(judge_model_with(file, model, thresholds, opts, missing, &Simulate)?.expect("simulating gives every batch"))
}

/// `judge_model` with replications from `source`; `None` when a batch is not there yet.
pub fn judge_model_with(
    file: &str,
    model: &Model,
    thresholds: &[Threshold],
    opts: &CheckOptions,
    missing: &dyn Fn(Vec<Missing>) -> Error,
    source: &dyn Replicator,
) -> Result<Option<ScenarioReport>, Error> {
    // A run of a simulated millisecond gives the summary's shape: a misspelt field fails in
    // a second rather than after the whole check.
    let probe = apply(model, &RunOptions { duration_ns: Some(1_000_000), ..Default::default() });
    evaluate::evaluate(thresholds, &replicate(&probe, 0, 1)).map_err(missing)?;
    let mut n = opts.replications;
    let Some(mut reps) = source.replicate(file, model, 0, n) else { return Ok(None) };
    let mut batches = Vec::new();
    let verdicts = loop {
        let verdicts = evaluate::evaluate(thresholds, &reps).map_err(missing)?;
        batches.push(n);
        if n >= opts.max_replications || verdicts.iter().all(|v| v.outcome != Outcome::Inconclusive) {
            break verdicts;
        }
        let next = n.saturating_mul(2).min(opts.max_replications);
        let Some(more) = source.replicate(file, model, n, next) else { return Ok(None) };
        reps.extend(more);
        n = next;
    };
    let metrics = evaluate::measure(&measured(thresholds), &reps)
        .map_err(|(m, known)| Error::Usage(format!("{file}: {m} (known: {})", known.join(", "))))?;
    let mut s = ScenarioReport {
        file: file.to_string(),
        scenario: model.name.clone(),
        stage: None,
        seed: model.seed,
        duration_s: crate::units::ns_to_secs(model.duration),
        replications: n,
        batches,
        status: Outcome::Pass,
        thresholds: verdicts,
        baseline: None,
        metrics,
        components: evaluate::component_fields(&reps),
        mermaid: crate::report::graph::mermaid(model),
        partial: reps.iter().find(|r| r.partial).map(|r| r.stop_reason.clone()),
    };
    s.status = scenario_status(&s);
    Ok(Some(s))
}

/// Replications `from..to` of a model, each summarised on its own, in replication order
/// whatever the thread count.
pub fn replicate(model: &Model, from: u32, to: u32) -> Vec<Summary> {
    (from..to)
        .into_par_iter()
        .map(|r| {
            let run = run_once(model, r);
            Summary::build(model, std::slice::from_ref(&run))
        })
        .collect()
}

/// The key metrics, then every thresholded metric (its bad direction from its comparison).
fn measured(thresholds: &[Threshold]) -> Vec<(MetricKey, bool)> {
    let mut out: Vec<(MetricKey, bool)> = MetricKey::key_metrics()
        .into_iter()
        .map(|m| {
            let worse = m.higher_is_worse();
            (m, worse)
        })
        .collect();
    out.extend(thresholds.iter().map(|t| (t.metric.clone(), t.cmp.higher_is_worse())));
    out
}

fn missing_fields(file: &str, text: &str, set: &ThresholdSet, missing: Vec<Missing>) -> Error {
    Error::Invalid(missing.iter().map(|m| missing_diag(file, text, &set.thresholds[m.threshold], m, "")).collect())
}

/// A threshold on a field the summary does not have, at the threshold's place.
pub fn missing_diag(file: &str, text: &str, t: &Threshold, m: &Missing, prefix: &str) -> crate::diag::Diagnostic {
    let asked = t.key.rsplit('.').find(|p| p.parse::<usize>().is_err()).unwrap_or("");
    let help = match did_you_mean(asked, m.known.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`? Numeric fields: {}", m.known.join(", ")),
        None => format!("numeric fields: {}", m.known.join(", ")),
    };
    diagnostic_at(
        file,
        text,
        t.span.clone(),
        &t.key,
        &format!("{prefix}threshold `{}`: {}", t.name(), m.message),
        &help,
    )
}

fn scenario_status(s: &ScenarioReport) -> Outcome {
    let regressions = s.baseline.as_ref().map_or(0, |b| b.regressions());
    if regressions > 0 || s.thresholds.iter().any(|t| t.outcome == Outcome::Fail) {
        Outcome::Fail
    } else if s.thresholds.iter().any(|t| t.outcome == Outcome::Inconclusive) {
        Outcome::Inconclusive
    } else {
        Outcome::Pass
    }
}

fn report(scenarios: Vec<ScenarioReport>, opts: &CheckOptions) -> Report {
    let mut counts = Counts::default();
    for s in &scenarios {
        for t in &s.thresholds {
            counts.thresholds += 1;
            match t.outcome {
                Outcome::Pass => counts.passed += 1,
                Outcome::Fail => counts.failed += 1,
                Outcome::Inconclusive => counts.inconclusive += 1,
            }
        }
        counts.regressions += s.baseline.as_ref().map_or(0, |b| b.regressions());
    }
    let status = if scenarios.iter().any(|s| s.status == Outcome::Fail) {
        Outcome::Fail
    } else if scenarios.iter().any(|s| s.status == Outcome::Inconclusive) {
        Outcome::Inconclusive
    } else {
        Outcome::Pass
    };
    // `--update-baseline` records; it does not judge.
    let failed = !opts.update_baseline && (status == Outcome::Fail || (status == Outcome::Inconclusive && opts.strict));
    let partial = scenarios.iter().any(|s| s.partial.is_some());
    Report {
        schema_version: CHECK_SCHEMA_VERSION,
        stagesim_version: env!("CARGO_PKG_VERSION").to_string(),
        status,
        exit_code: if partial {
            crate::cli::EXIT_PARTIAL
        } else if failed {
            EXIT_GATE_FAILED
        } else {
            0
        },
        strict: opts.strict,
        tolerance: opts.tolerance,
        replications: opts.replications,
        max_replications: opts.max_replications,
        baseline: opts.baseline.clone(),
        counts,
        scenarios,
    }
}
