//! `stagesim check journey.toml`: every stage of a journey judged at the journey's check load
//! (`[load] check_rate`, else its `rate`) against its own thresholds (layered as
//! `journey::gates` describes), with the same batches, confidence intervals and baselines as a
//! scenario file. Each stage gives one `ScenarioReport` whose `stage` names it; its baseline
//! entry is keyed `FILE#INDEX NAME`.

use super::evaluate::Missing;
use super::{judge_model, missing_diag, scenario_key, CheckOptions, ScenarioReport, StageRef};
use crate::diag::{diagnostic_at, Error};
use crate::journey::{load_journey_with, run::at_rate, Journey};
use crate::load::span_of;
use crate::runner::{apply, RunOptions};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Whether a file is a journey (it has a `[journey]` table). A file that does not parse is
/// left to the scenario loader, which reports where.
pub fn is_journey(file: &str) -> Result<bool, Error> {
    let text = crate::load::read_input(file, "scenario")?;
    Ok(DeTable::parse(&text).is_ok_and(|t| t.get_ref().contains_key("journey")))
}

/// Checks every stage of a journey, in order.
pub fn check_journey(file: &str, opts: &CheckOptions) -> Result<Vec<ScenarioReport>, Error> {
    let j = load_journey_with(file, &opts.overrides)?;
    if j.check_rate.is_none() {
        return Err(no_check_load(&j.file));
    }
    (0..j.stages.len())
        .map(|i| {
            let title = format!("{} stage {}: {}", scenario_key(&j.file), i + 1, j.stages[i].name);
            crate::progress::item_started(&title);
            let s = check_stage(&j, i, opts)?;
            crate::progress::item_done(&title, &format!("{} ({} replications)", s.status.label(), s.replications));
            Ok(s)
        })
        .collect()
}

/// Checks one stage at the check load.
pub fn check_stage(j: &Journey, i: usize, opts: &CheckOptions) -> Result<ScenarioReport, Error> {
    let rate = j.check_rate.ok_or_else(|| no_check_load(&j.file))?;
    let stage = &j.stages[i];
    let run = RunOptions { seed: opts.seed, duration_ns: opts.duration_ns, replications: None };
    let model = apply(&at_rate(j, &stage.model, rate), &run);
    let thresholds: Vec<_> = stage.thresholds.iter().map(|t| t.threshold.clone()).collect();
    let missing = |m: Vec<Missing>| missing_fields(j, i, m);
    let mut s = judge_model(&scenario_key(&j.file), &model, &thresholds, opts, &missing)?;
    s.scenario = j.name.clone();
    s.stage = Some(StageRef { index: i + 1, name: stage.name.clone(), rate_per_s: rate });
    for (v, t) in s.thresholds.iter_mut().zip(&stage.thresholds) {
        let file = scenario_key(&t.file);
        if file != s.file {
            v.file = Some(file);
        }
    }
    Ok(s)
}

/// Checks a journey's thresholds name only fields the stages' summaries have, with a run of
/// a simulated millisecond per stage: a misspelt field is an error before a long run.
pub fn probe(j: &Journey) -> Result<(), Error> {
    let opts =
        CheckOptions { duration_ns: Some(1_000_000), replications: 2, max_replications: 2, ..Default::default() };
    for (i, s) in j.stages.iter().enumerate() {
        if !s.thresholds.is_empty() {
            check_stage(j, i, &opts)?;
        }
    }
    Ok(())
}

fn missing_fields(j: &Journey, i: usize, missing: Vec<Missing>) -> Error {
    let stage = &j.stages[i];
    let prefix = format!("stage {} (`{}`): ", i + 1, stage.name);
    let diags = missing
        .iter()
        .map(|m| {
            let t = &stage.thresholds[m.threshold];
            let text = crate::load::read_input(&t.file, "scenario").unwrap_or_default();
            missing_diag(&t.file, &text, &t.threshold, m, &prefix)
        })
        .collect();
    Error::Invalid(diags)
}

/// The error for a journey without a check load, at its `[load]` section.
pub fn no_check_load(file: &str) -> Error {
    let text = crate::load::read_input(file, "journey").unwrap_or_default();
    let span = DeTable::parse(&text)
        .map(|t| span_of(&Spanned::new(t.span(), DeValue::Table(t.get_ref().clone())), &["load"]))
        .unwrap_or(0..0);
    Error::Invalid(vec![diagnostic_at(
        file,
        &text,
        span,
        "load",
        "`stagesim check` needs the journey's check load: the one load every stage is judged at",
        "add `check_rate = \"500/s\"` under [load] (a journey with a single `rate` uses that)",
    )])
}
