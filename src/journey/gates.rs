//! What each stage of a journey promises: its thresholds (for `stagesim check` and the
//! journey report) and its capacity criterion.
//!
//! Thresholds come in three layers, from the most general to the most specific to the stage;
//! a later layer overrides an earlier one *key by key*, and adds the keys it alone has:
//!
//! 1. the journey's top-level `[thresholds]`: every stage;
//! 2. the `[thresholds]` of the stage's own scenario file, for a stage given by `file = ...`
//!    (what that scenario promises when checked alone); `extends` does not carry them on;
//! 3. the stage's `[stages.thresholds]` in the journey.
//!
//! A *key* is one line of a `[thresholds]` table: `latency`, `errors`,
//! `classes.browse.latency`, `components.db.utilization`. A stage that writes
//! `latency = ["p(99) < 900ms"]` replaces the whole journey-wide `latency` list and keeps its
//! `errors`. Every layer names only classes and components the stage has: a journey-wide
//! `[thresholds.components.db]` is an error in a stage without `db` (write it per stage).
//!
//! Every stage is judged at the journey's *check load*: `[load] check_rate`, else the
//! journey's fixed `rate`. A journey with thresholds and neither is an error.
//!
//! `[stages.capacity]` (`p99`, `errors`) overrides the journey's `[capacity]` for one stage,
//! key by key: a stage with a crash drill may accept `errors = 0.05`. The capacity search also
//! holds a stage to its thresholds on latency and errors (in total, per class, per component),
//! judged like the criterion on the point's pooled replications: the capacity is the highest
//! load at which the stage keeps what it promises users. Cost, throughput and component fields
//! do not limit capacity (they do not degrade with load in one direction); `check` judges them
//! at the check load.

use super::{duration_or, CapacitySection, Criteria, Ctx, Journey, LoadSection, Stage};
use crate::check::evaluate::{value, Outcome, ThresholdVerdict};
use crate::check::thresholds::{self, Measure, Threshold, ThresholdSet};
use crate::check::CheckOptions;
use crate::diag::{diagnostic_at, Problem};
use crate::load::span_of;
use crate::summary::Summary;
use crate::units::parse_rate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

/// A threshold of a stage and where it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct StageThreshold {
    pub threshold: Threshold,
    /// The file it is written in: the journey, or the stage's scenario file.
    pub file: String,
    /// Its key within its `[thresholds]` table, without a list index: the unit of overriding.
    pub key: String,
}

/// The check load: `check_rate`, else the fixed `rate` (already reported if malformed).
pub(super) fn check_rate(cx: &mut Ctx, load: &LoadSection) -> Option<f64> {
    match (&load.check_rate, &load.rate) {
        (Some(text), _) => match parse_rate(text) {
            Ok(r) => Some(r),
            Err(e) => {
                cx.problem(&["load", "check_rate"], &e, "for example \"500/s\": every stage is checked at it");
                None
            }
        },
        (None, Some(text)) => parse_rate(text).ok(),
        (None, None) => None,
    }
}

/// Fills each stage's thresholds and capacity criterion, reporting problems at their place.
pub(super) fn apply(cx: &mut Ctx, table: &DeTable, stages: &mut [Stage], criteria: Criteria, check_rate: Option<f64>) {
    let (jfile, jtext) = (cx.file.to_string(), cx.text.to_string());
    let journey = match table.get("thresholds") {
        Some(section) => section_thresholds(cx, &jfile, &jtext, section, &["thresholds"]),
        None => None,
    };
    let Some(DeValue::Array(items)) = table.get("stages").map(|v| v.get_ref()) else { return };
    let dir = std::path::Path::new(cx.file).parent().map(|p| p.to_path_buf()).unwrap_or_default();
    // Journey-wide names missing from stages: one problem each, naming every such stage.
    let mut missing: Vec<(Problem, Vec<String>)> = Vec::new();
    for (i, (stage, item)) in stages.iter_mut().zip(items.iter()).enumerate() {
        let idx = i.to_string();
        let DeValue::Table(t) = item.get_ref() else { continue };
        if let Some(c) = t.get("capacity") {
            stage.capacity = stage_capacity(cx, c, &idx, criteria);
        }
        let mut layers = Vec::new();
        if let Some(set) = &journey {
            for p in stage_names(set, stage) {
                let label = format!("stage {} (`{}`)", i + 1, stage.name);
                match missing.iter_mut().find(|(q, _)| q.path == p.path) {
                    Some((_, stages)) => stages.push(label),
                    None => missing.push((p, vec![label])),
                }
            }
            layers.push(sourced(set, &jfile, "thresholds"));
        }
        if let Some(f) = t.get("file").and_then(|v| v.get_ref().as_str()) {
            let path = lexical(&dir.join(f));
            // Unreadable or malformed files were reported when the stage was built.
            let text = crate::load::read_input(&path, "scenario").unwrap_or_default();
            if let Ok(doc) = DeTable::parse(&text) {
                if let Some(section) = doc.get_ref().get("thresholds") {
                    if let Some(set) = section_thresholds(cx, &path, &text, section, &["thresholds"]) {
                        names(cx, &path, &text, &set, stage, "");
                        layers.push(sourced(&set, &path, "thresholds"));
                    }
                }
            }
        }
        if let Some(section) = t.get("thresholds") {
            let path = ["stages", idx.as_str(), "thresholds"];
            if let Some(set) = section_thresholds(cx, &jfile, &jtext, section, &path) {
                names(cx, &jfile, &jtext, &set, stage, "");
                layers.push(sourced(&set, &jfile, &path.join(".")));
            }
        }
        stage.thresholds = layers.into_iter().fold(Vec::new(), layer);
    }
    for (mut p, stages) in missing {
        p.message = format!("{} in {}", p.message, stages.join(", "));
        p.help = format!(
            "journey-wide thresholds apply to every stage: write this one per stage, under [stages.thresholds]; {}",
            p.help
        );
        problem_diag(cx, &jfile, &jtext, &p, "");
    }
    let malformed = cx.diags.iter().any(|d| d.key == "load.check_rate");
    if check_rate.is_none() && !malformed && stages.iter().any(|s| !s.thresholds.is_empty()) {
        cx.problem(
            &["load"],
            "the journey has thresholds but no check load to judge them at",
            "add `check_rate = \"500/s\"` under [load] (or a single `rate`): every stage is judged at that load",
        );
    }
}

/// A path with `.` and `..` resolved without the file system: annotations and reports name
/// `scenarios/ci/capacity.toml`, which CI systems match against the repository's files,
/// rather than `scenarios/ci/journey/../capacity.toml`.
fn lexical(path: &std::path::Path) -> String {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.iter().collect::<std::path::PathBuf>().to_string_lossy().into_owned()
}

/// `over` replaces the thresholds of `base` whose keys it has, and adds the rest.
fn layer(base: Vec<StageThreshold>, over: Vec<StageThreshold>) -> Vec<StageThreshold> {
    let keys: BTreeSet<String> = over.iter().map(|t| t.key.clone()).collect();
    base.into_iter().filter(|t| !keys.contains(&t.key)).chain(over).collect()
}

fn sourced(set: &ThresholdSet, file: &str, section: &str) -> Vec<StageThreshold> {
    set.thresholds
        .iter()
        .map(|t| StageThreshold { threshold: t.clone(), file: file.to_string(), key: override_key(&t.key, section) })
        .collect()
}

/// `stages.1.thresholds.latency.0` under `stages.1.thresholds` -> `latency`.
fn override_key(key: &str, section: &str) -> String {
    let local = key.strip_prefix(section).and_then(|k| k.strip_prefix('.')).unwrap_or(key);
    match local.rsplit_once('.') {
        Some((head, last)) if last.parse::<usize>().is_ok() => head.to_string(),
        _ => local.to_string(),
    }
}

fn problem_diag(cx: &mut Ctx, file: &str, text: &str, p: &Problem, prefix: &str) {
    let path: Vec<&str> = p.path.iter().map(String::as_str).collect();
    let span = match &p.span {
        Some(s) => s.clone(),
        None if file == cx.file => span_of(&cx.root, &path),
        None => 0..0,
    };
    let message = format!("{prefix}{}", p.message);
    cx.diags.push(diagnostic_at(file, text, span, &path.join("."), &message, &p.help));
}

fn section_thresholds(
    cx: &mut Ctx,
    file: &str,
    text: &str,
    section: &Spanned<DeValue>,
    path: &[&str],
) -> Option<ThresholdSet> {
    match thresholds::parse(section, path, text) {
        Ok(set) => Some(set),
        Err(problems) => {
            for p in &problems {
                problem_diag(cx, file, text, p, "");
            }
            None
        }
    }
}

/// Classes and components a set names must exist in the stage.
fn names(cx: &mut Ctx, file: &str, text: &str, set: &ThresholdSet, stage: &Stage, prefix: &str) {
    for p in stage_names(set, stage) {
        problem_diag(cx, file, text, &p, prefix);
    }
}

fn stage_names(set: &ThresholdSet, stage: &Stage) -> Vec<Problem> {
    let classes: Vec<&str> = stage.model.classes.iter().map(|c| c.name.as_str()).collect();
    let components: Vec<&str> = stage.model.components.iter().map(|c| c.name.as_str()).collect();
    set.check_names(&classes, &components)
}

fn stage_capacity(cx: &mut Ctx, value: &Spanned<DeValue>, idx: &str, journey: Criteria) -> Option<Criteria> {
    let at = ["stages", idx, "capacity"];
    let help = "[stages.capacity] takes `p99` (a duration, e.g. \"500ms\") and `errors` (a ratio, e.g. 0.05); \
                a key it leaves out keeps the journey's [capacity]";
    let c = match CapacitySection::deserialize(ValueDeserializer::from(value.clone())) {
        Ok(c) => c,
        Err(e) => {
            let span = e.span().unwrap_or(value.span());
            let d = diagnostic_at(cx.file, cx.text, span, &at.join("."), e.message().trim(), help);
            cx.diags.push(d);
            return None;
        }
    };
    let default_ns = (journey.p99_s * 1e9).round() as u64;
    let p99_s = duration_or(cx, &["stages", idx, "capacity", "p99"], &c.p99, default_ns) as f64 / 1e9;
    let error_ratio = c.errors.unwrap_or(journey.error_ratio);
    if !(0.0..1.0).contains(&error_ratio) {
        cx.problem(
            &["stages", idx, "capacity", "errors"],
            "`errors` is a ratio between 0 and 1",
            "for example 0.05 for 5%",
        );
    }
    Some(Criteria { p99_s, error_ratio })
}

/// Whether a threshold limits the capacity search: latency and errors, which grow with load.
pub fn limits_capacity(t: &Threshold) -> bool {
    matches!(t.metric.measure, Measure::Latency(_) | Measure::ErrorRate | Measure::ErrorCount)
}

/// Whether a run meets the stage's capacity-limiting thresholds (see the module doc).
pub fn thresholds_hold(stage: &Stage, s: &Summary) -> bool {
    stage
        .thresholds
        .iter()
        .map(|t| &t.threshold)
        .filter(|t| limits_capacity(t))
        .all(|t| value(&t.metric, s).is_ok_and(|v| t.cmp.holds(v, t.limit)))
}

/// A stage's thresholds judged at the check load, for the journey report.
#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct StageGate {
    pub rate_per_s: f64,
    pub replications: u32,
    pub status: Outcome,
    pub thresholds: Vec<ThresholdVerdict>,
}

/// Judges stage `i`'s thresholds as `stagesim check` does with its default options (so the
/// report and a default check agree), if it has thresholds and the journey a check load. A
/// threshold on a field the summary lacks gives `None`: `stagesim journey` runs `probe` first
/// and reports it as an error.
pub fn judge(j: &Journey, i: usize) -> Option<StageGate> {
    if j.stages[i].thresholds.is_empty() {
        return None;
    }
    let r = crate::check::journey::check_stage(j, i, &CheckOptions::default()).ok()?;
    Some(StageGate {
        rate_per_s: r.stage.as_ref().map_or(0.0, |s| s.rate_per_s),
        replications: r.replications,
        status: r.status,
        thresholds: r.thresholds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_resolved_lexically() {
        assert_eq!(
            lexical(std::path::Path::new("scenarios/ci/journey/../capacity.toml")),
            "scenarios/ci/capacity.toml"
        );
        assert_eq!(lexical(std::path::Path::new("./a/./b.toml")), "a/b.toml");
        assert_eq!(lexical(std::path::Path::new("../x.toml")), "../x.toml");
    }

    #[test]
    fn override_keys_drop_the_section_and_the_index() {
        assert_eq!(override_key("stages.1.thresholds.latency.0", "stages.1.thresholds"), "latency");
        assert_eq!(override_key("thresholds.errors", "thresholds"), "errors");
        assert_eq!(override_key("thresholds.components.db.utilization", "thresholds"), "components.db.utilization");
    }
}
