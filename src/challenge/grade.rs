//! Grading a design: each case is the design extended with the case's sections (as a journey
//! stage extends the previous one), validated as a whole scenario, run, and judged by
//! `check::evaluate` (the point estimate with one replication, as `run` does; the 95%
//! interval with several, as `check` does).

use super::{Case, CaseNumbers, CaseVerdict, Challenge, GradeOptions, Hint, Verdict, VERDICT_SCHEMA_VERSION};
use crate::analysis::{bottleneck, Bottleneck};
use crate::check::evaluate::{evaluate, evaluate_run, Estimate, Missing, Outcome, ThresholdVerdict};
use crate::check::thresholds::{Measure, Scope, Threshold};
use crate::diag::{diagnostic_at, Error};
use crate::journey::merge::deep_merge;
use crate::load::{parse_scenario, span_of};
use crate::model::Model;
use crate::runner::{apply, run_once, RunOptions};
use crate::summary::Summary;
use rayon::prelude::*;
use toml::de::{DeTable, DeValue};
use toml::{Spanned, Table, Value};

/// Reads a design file and grades it.
pub fn grade_file(ch: &Challenge, design: &str, opts: &GradeOptions) -> Result<Verdict, Error> {
    let text = crate::load::read_input(design, "scenario")?;
    grade(ch, design, &text, opts)
}

/// Grades design text (`design` names it in diagnostics) on every case of the challenge.
/// An invalid design, or a case the design cannot take (a fault on a component it lacks),
/// is an `Error::Invalid` with located diagnostics; a design that runs gets a `Verdict`.
pub fn grade(ch: &Challenge, design: &str, text: &str, opts: &GradeOptions) -> Result<Verdict, Error> {
    // The design alone first: its own mistakes are reported in its own file.
    parse_scenario(design, text)?;
    let mut base: Table = toml::from_str(text).map_err(|e| Error::Usage(format!("{design}: {e}")))?;
    base.remove("thresholds");
    check_keep(ch, design, text, &base)?;
    let mut cases = Vec::new();
    for (i, case) in ch.cases.iter().enumerate() {
        let (model, notes) = case_model(ch, &base, design, i, opts)?;
        crate::budget::check_override(&model, "the case's duration")?;
        let mut v = grade_case(ch, i, case, &model, opts)?;
        v.notes = notes;
        cases.push(v);
    }
    let failed = cases.iter().filter(|c| c.status == Outcome::Fail).count();
    let partial = cases.iter().any(|c| c.partial.is_some());
    let status = if failed > 0 { Outcome::Fail } else { Outcome::Pass };
    Ok(Verdict {
        schema_version: VERDICT_SCHEMA_VERSION,
        stagesim_version: env!("CARGO_PKG_VERSION").to_string(),
        challenge: ch.name.clone(),
        challenge_file: ch.file.clone(),
        design: design.to_string(),
        status,
        exit_code: if partial {
            crate::cli::EXIT_PARTIAL
        } else if failed > 0 {
            crate::check::EXIT_GATE_FAILED
        } else {
            0
        },
        passed: cases.len() - failed,
        failed,
        cases,
    })
}

/// The design extended with the challenge's run length and the case's sections, validated.
fn case_model(
    ch: &Challenge,
    base: &Table,
    design: &str,
    i: usize,
    opts: &GradeOptions,
) -> Result<(Model, Vec<String>), Error> {
    let case = &ch.cases[i];
    let mut doc = base.clone();
    let mut run = Table::new();
    run.insert("duration".into(), Value::String(format!("{}ns", ch.duration_ns)));
    run.insert("warmup".into(), Value::String(format!("{}ns", ch.warmup_ns)));
    run.insert("seed".into(), Value::Integer(ch.seed as i64));
    let mut scenario = Table::new();
    scenario.insert("scenario".into(), Value::Table(run));
    deep_merge(&mut doc, &scenario);
    deep_merge(&mut doc, &case.overrides);
    let notes = drop_absent_faults(&mut doc);
    let text = toml::to_string(&doc).expect("a TOML table serializes");
    let shown = format!("{design} [case {}: {}]", i + 1, case.name);
    let model = parse_scenario(&shown, &text).map_err(|e| case_error(ch, i, e))?;
    Ok((apply(&model, &RunOptions { seed: opts.seed, duration_ns: opts.duration_ns, replications: None }), notes))
}

/// A case's fault on a component the design does not have strikes nothing (no cache to
/// flush): it is left out and said. The components a challenge must strike are in its
/// `keep` list, checked before, so a design cannot dodge a fault by renaming.
fn drop_absent_faults(doc: &mut Table) -> Vec<String> {
    let names: Vec<String> =
        doc.get("components").and_then(Value::as_table).map(|c| c.keys().cloned().collect()).unwrap_or_default();
    let mut notes = Vec::new();
    if let Some(Value::Array(faults)) = doc.get_mut("faults") {
        faults.retain(|f| {
            let mut targets: Vec<&str> = f.get("target").and_then(Value::as_str).into_iter().collect();
            targets.extend(f.get("between").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str));
            match targets.iter().find(|t| !names.iter().any(|n| n == *t)) {
                Some(t) => {
                    let kind = f.get("kind").and_then(Value::as_str).unwrap_or("fault");
                    notes.push(format!("the design has no `{t}`: the case's {kind} of it was left out"));
                    false
                }
                None => true,
            }
        });
    }
    notes
}

/// The components the challenge strikes must be in the design.
fn check_keep(ch: &Challenge, design: &str, text: &str, base: &Table) -> Result<(), Error> {
    let has = |n: &str| base.get("components").and_then(Value::as_table).is_some_and(|c| c.contains_key(n));
    let missing: Vec<&String> = ch.keep.iter().filter(|n| !has(n)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = missing.iter().map(|n| format!("`{n}`")).collect();
    Err(Error::Invalid(vec![diagnostic_at(
        design,
        text,
        0..0,
        "components",
        &format!("the design has no {}: the challenge's cases strike it", names.join(", ")),
        &format!("keep the starting design's component names: {}", ch.keep.join(", ")),
    )]))
}

/// A case the design cannot take: reported at the case in the challenge file, since the
/// design alone was valid (typically a fault naming a component the design renamed).
fn case_error(ch: &Challenge, i: usize, e: Error) -> Error {
    let Error::Invalid(diags) = e else { return e };
    let root = match DeTable::parse(&ch.text) {
        Ok(t) => Spanned::new(t.span(), DeValue::Table(t.get_ref().clone())),
        Err(_) => return Error::Invalid(diags),
    };
    let idx = i.to_string();
    let case = &ch.cases[i];
    Error::Invalid(
        diags
            .into_iter()
            .map(|d| {
                let key: Vec<&str> = d.key.split('.').filter(|s| !s.is_empty()).collect();
                let path: Vec<&str> = ["cases", idx.as_str()].into_iter().chain(key).collect();
                let span = span_of(&root, &path);
                let message = format!("case {} (`{}`) on this design: {}", i + 1, case.name, d.message);
                let help =
                    format!("{}; the cases extend the design, so keep the starting design's component names", d.help);
                diagnostic_at(&ch.file, &ch.text, span, &path.join("."), &message, &help)
            })
            .collect(),
    )
}

fn grade_case(ch: &Challenge, i: usize, case: &Case, model: &Model, opts: &GradeOptions) -> Result<CaseVerdict, Error> {
    let n = opts.replications.unwrap_or(ch.replications).max(1);
    let runs: Vec<_> = (0..n).into_par_iter().map(|r| run_once(model, r)).collect();
    if let Some(e) = crate::progress::interrupted(Vec::new(), 0) {
        return Err(e);
    }
    let reps: Vec<Summary> = runs.iter().map(|r| Summary::build(model, std::slice::from_ref(r))).collect();
    let pooled = Summary::build(model, &runs);
    let criteria = judge(&case.criteria, &reps);
    let failed =
        |v: &ThresholdVerdict| v.outcome == Outcome::Fail || (opts.strict && v.outcome == Outcome::Inconclusive);
    let status = if criteria.iter().any(failed) { Outcome::Fail } else { Outcome::Pass };
    let neck = bottleneck(model, &pooled);
    let hints = if status == Outcome::Fail { hints(ch, case, &criteria, neck.as_ref()) } else { Vec::new() };
    let mean = |f: &dyn Fn(&Summary) -> f64| reps.iter().map(f).sum::<f64>() / reps.len() as f64;
    Ok(CaseVerdict {
        index: i + 1,
        name: case.name.clone(),
        description: case.description.clone(),
        teaches: case.teaches.clone(),
        status,
        numbers: CaseNumbers {
            throughput_per_s: mean(&|s| s.throughput_per_s),
            latency_s_p50: mean(&|s| s.latency_s.p50),
            latency_s_p99: mean(&|s| s.latency_s.p99),
            error_ratio: mean(&|s| s.requests.error_ratio),
            cost_usd_per_month: mean(&|s| s.cost.usd_per_month),
            duration_s: crate::units::ns_to_secs(model.duration),
            replications: n,
        },
        criteria,
        bottleneck: neck,
        hints,
        partial: reps.iter().find(|r| r.partial).map(|r| r.stop_reason.clone()),
        notes: Vec::new(),
    })
}

/// Judges the criteria; one on a field this design does not have (a queue's lag where the
/// design has a service) fails, saying so: the design lacks what the case measures. The
/// reference designs' tests catch a misspelt field in the challenge itself.
fn judge(criteria: &[Threshold], reps: &[Summary]) -> Vec<ThresholdVerdict> {
    let run = |ts: &[Threshold]| if reps.len() == 1 { evaluate_run(ts, reps) } else { evaluate(ts, reps) };
    let missing: Vec<Missing> = run(criteria).err().unwrap_or_default();
    let present: Vec<Threshold> = criteria
        .iter()
        .enumerate()
        .filter(|(k, _)| !missing.iter().any(|m| m.threshold == *k))
        .map(|(_, t)| t.clone())
        .collect();
    let mut judged = run(&present).unwrap_or_default().into_iter();
    criteria
        .iter()
        .enumerate()
        .filter_map(|(k, t)| match missing.iter().find(|m| m.threshold == k) {
            Some(m) => Some(absent(t, &m.message)),
            None => judged.next(),
        })
        .collect()
}

fn absent(t: &Threshold, why: &str) -> ThresholdVerdict {
    let nothing = Estimate { mean: f64::NAN, ci95_low: f64::NAN, ci95_high: f64::NAN, replications: 0 };
    crate::check::evaluate::verdict_of(t, nothing, Outcome::Fail, format!("not measured: {why}"))
}

/// The criterion family of a verdict, as hints name it.
fn family(case: &Case, v: &ThresholdVerdict) -> &'static str {
    let t = case.criteria.iter().find(|t| t.key == v.key);
    match t.map(|t| (&t.metric.scope, &t.metric.measure)) {
        Some((Scope::Component(_), _)) => "components",
        Some((Scope::Class(_), _)) => "classes",
        Some((_, Measure::Latency(_))) => "latency",
        Some((_, Measure::ErrorRate | Measure::ErrorCount)) => "errors",
        Some((_, Measure::Throughput)) => "throughput",
        Some((_, Measure::Cost(_))) => "cost",
        Some((_, Measure::Field(_))) | None => "components",
    }
}

fn matches(h: &Hint, case: &Case, failed: &[&str], neck: Option<&Bottleneck>) -> bool {
    let on_neck = h.kind.is_some() || h.node.is_some() || h.cause.is_some();
    let neck_ok = match neck {
        Some(b) => {
            h.kind.as_deref().is_none_or(|k| k == b.kind)
                && h.node.as_deref().is_none_or(|n| b.node.as_deref().is_some_and(|bn| bn.starts_with(n)))
                && h.cause.as_deref().is_none_or(|c| serde_json::to_value(b.cause).is_ok_and(|v| v == c))
        }
        None => !on_neck,
    };
    neck_ok
        && h.case.as_deref().is_none_or(|c| c == case.name)
        && h.criterion.as_deref().is_none_or(|c| failed.contains(&c))
}

/// The challenge's hints matching a failing case, else the bottleneck analysis' own.
fn hints(ch: &Challenge, case: &Case, criteria: &[ThresholdVerdict], neck: Option<&Bottleneck>) -> Vec<String> {
    let failed: Vec<&str> = criteria.iter().filter(|v| v.outcome != Outcome::Pass).map(|v| family(case, v)).collect();
    let mut out: Vec<String> =
        ch.hints.iter().filter(|h| matches(h, case, &failed, neck)).map(|h| h.text.clone()).collect();
    if out.is_empty() {
        if let Some(b) = neck {
            out.push(format!("{} Relieved by: {}.", b.sentence, b.relieved_by));
        }
    }
    out
}
