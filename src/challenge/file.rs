//! The challenge file: TOML, unknown keys refused, every problem at its line and column.
//!
//! ```toml
//! [challenge]
//! name = "URL shortener"
//! brief = "10k redirects/s, P99 under 50 ms, under $2,000/month"
//! starting_design = "start.toml"
//! duration = "20s"
//! warmup = "5s"
//!
//! [[cases]]
//! name = "normal day"
//! teaches = "a cache in front of the database"
//! load = { rate = "10k/s" }            # merged into the candidate's design
//! [cases.thresholds]
//! latency = ["p(99) < 50ms"]
//!
//! [[hints]]
//! kind = "database"
//! node = "replica"
//! text = "The read replica is saturated: ..."
//!
//! [[references]]
//! design = "good.toml"
//! expect = "pass"
//! ```

use super::{Case, Challenge, Hint, Reference};
use crate::check::evaluate::Outcome;
use crate::check::thresholds;
use crate::diag::{diagnostic_at, Diagnostic, Error};
use crate::load::span_of;
use crate::units::parse_duration;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

/// Scenario sections a case may merge into the candidate's design: the world around the
/// design (traffic, faults, data), never its components.
pub const CASE_SECTIONS: &[&str] = &["load", "faults", "keys", "users", "requests", "scenario", "sizes", "limits"];

/// Causes a hint may name (`analysis::Cause`, as serialized).
const CAUSES: &[&str] = &[
    "cpu_utilization",
    "thread_exhaustion",
    "connection_exhaustion",
    "read_load",
    "write_load",
    "workers_behind",
    "latency_floor",
    "not_saturated",
];
const CRITERIA: &[&str] = &["latency", "errors", "throughput", "cost", "components", "classes"];

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ChallengeFile {
    /// The challenge: its name, brief, starting design and how long each case runs.
    challenge: ChallengeSection,
    /// The hidden cases, each the candidate's design with a load and faults, and criteria.
    // Read per case from the spanned tree, so errors keep their positions.
    #[serde(rename = "cases")]
    #[schemars(with = "Vec<CaseInput>")]
    _cases: Vec<serde::de::IgnoredAny>,
    /// Hints shown for a failing case whose bottleneck matches.
    #[serde(default)]
    hints: Vec<HintInput>,
    /// Reference designs and the verdicts they must get (the tests hold them to it).
    #[serde(default)]
    references: Vec<ReferenceInput>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ChallengeSection {
    /// The challenge's name.
    name: String,
    /// What the candidate is asked to build: load, latency and cost targets.
    brief: String,
    /// The design the candidate starts from, relative to the challenge file.
    starting_design: String,
    /// Seed of every case's traffic (default 1).
    seed: Option<u64>,
    /// Simulated time of every case (default "20s"); a case's `scenario.duration` overrides it.
    #[schemars(with = "Option<crate::schema::Duration>", extend("default" = "20s"))]
    duration: Option<String>,
    /// Warm-up left out of every case's statistics (default: a quarter of `duration`).
    #[schemars(with = "Option<crate::schema::Duration>")]
    warmup: Option<String>,
    /// Replications per case (default 1: the point estimate, as `run` judges; more: the 95%
    /// interval, as `check` judges).
    #[schemars(extend("default" = 1))]
    replications: Option<u32>,
    /// Components every graded design must have, by name: the ones the cases' faults strike
    /// (a design cannot dodge a crash by renaming its service).
    #[serde(default)]
    keep: Vec<String>,
}

/// A case: the candidate's design extended with these scenario sections, and its criteria.
#[allow(dead_code)] // The schema's shape; the loader reads cases from the spanned tree.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct CaseInput {
    /// The case's name ("normal day", "10x spike", "cache flush").
    name: String,
    /// What happens in the case, shown with the verdict.
    #[serde(default)]
    description: String,
    /// The mechanism the case teaches ("a cache in front of the database").
    #[serde(default)]
    teaches: String,
    /// Criteria, in the syntax of `[thresholds]` (latency, errors, throughput, cost,
    /// components, classes).
    #[schemars(with = "crate::schema::Thresholds")]
    thresholds: serde::de::IgnoredAny,
    /// Merged into the design's `[load]`.
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    load: Option<toml::Table>,
    /// Replace the design's faults.
    #[schemars(with = "Option<Vec<crate::schema::Fault>>")]
    faults: Option<Vec<toml::Value>>,
    /// Merged into the design's `[keys]` (a hot key: a steeper Zipf exponent).
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    keys: Option<toml::Table>,
    /// Merged into the design's `[users]`.
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    users: Option<toml::Table>,
    /// Merged into the design's `[requests]` (the class mix).
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    requests: Option<toml::Table>,
    /// Merged into the design's `[scenario]` (duration, warm-up).
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    scenario: Option<toml::Table>,
    /// Merged into the design's `[sizes]`.
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    sizes: Option<toml::Table>,
    /// Merged into the design's `[limits]`.
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    limits: Option<toml::Table>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct HintInput {
    /// The bottleneck's component kind ("database", "service", "cache", "queue"...).
    kind: Option<String>,
    /// Prefix of the bottleneck's node ("replica", "primary", "busiest shard").
    node: Option<String>,
    /// The bottleneck's cause.
    #[schemars(extend("enum" = CAUSES))]
    cause: Option<String>,
    /// Only for the case of this name.
    case: Option<String>,
    /// Only when a criterion of this family failed.
    #[schemars(extend("enum" = CRITERIA))]
    criterion: Option<String>,
    /// The hint.
    text: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReferenceInput {
    /// A reference design, relative to the challenge file.
    design: String,
    /// The whole verdict it must get.
    #[schemars(extend("enum" = ["pass", "fail"]))]
    expect: String,
    /// Per case name, the verdict it must get.
    #[serde(default)]
    #[schemars(extend("additionalProperties" = {"enum": ["pass", "fail"]}))]
    cases: BTreeMap<String, String>,
}

/// The challenge file's JSON Schema.
pub fn file_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    g.root_schema_for::<ChallengeFile>()
}

struct Cx<'a> {
    file: &'a str,
    text: &'a str,
    root: Spanned<DeValue<'a>>,
    diags: Vec<Diagnostic>,
}

impl Cx<'_> {
    fn problem(&mut self, path: &[&str], message: &str, help: &str) {
        let span = span_of(&self.root, path);
        self.diags.push(diagnostic_at(self.file, self.text, span, &path.join("."), message, help));
    }
}

/// Reads and validates a challenge file (and reads its starting design).
pub fn load(path: &str) -> Result<Challenge, Error> {
    let text = crate::load::read_input(path, "challenge")?;
    parse(path, &text)
}

/// Validates challenge text; `file` names it in diagnostics and anchors relative paths.
pub fn parse(file: &str, text: &str) -> Result<Challenge, Error> {
    let table = DeTable::parse(text).map_err(|e| Error::Invalid(vec![toml_diag(file, text, &e)]))?;
    let root = Spanned::new(table.span(), DeValue::Table(table.get_ref().clone()));
    let f = ChallengeFile::deserialize(ValueDeserializer::from(root.clone()))
        .map_err(|e| Error::Invalid(vec![toml_diag(file, text, &e)]))?;
    let mut cx = Cx { file, text, root, diags: Vec::new() };
    let c = &f.challenge;
    let duration_ns = duration(&mut cx, &["challenge", "duration"], &c.duration, 20_000_000_000);
    let warmup_ns = duration(&mut cx, &["challenge", "warmup"], &c.warmup, duration_ns / 4);
    if warmup_ns >= duration_ns {
        cx.problem(
            &["challenge", "warmup"],
            "`warmup` must be shorter than `duration`",
            "e.g. duration \"20s\", warmup \"5s\"",
        );
    }
    let replications = match crate::runner::check_replications(c.replications.unwrap_or(1), "`replications`") {
        Ok(n) => n,
        Err(e) => {
            cx.problem(&["challenge", "replications"], &e, "1 judges the point estimate; 2 to 30 an interval");
            1
        }
    };
    let dir = std::path::Path::new(file).parent().map(|p| p.to_path_buf()).unwrap_or_default();
    let design_path = dir.join(&c.starting_design).to_string_lossy().into_owned();
    let starting_design = match crate::load::read_input(&design_path, "scenario") {
        Ok(t) => t,
        Err(e) => {
            cx.problem(&["challenge", "starting_design"], &e.to_string(), "the path is relative to the challenge file");
            String::new()
        }
    };
    let cases = cases(&mut cx);
    let names: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
    let hints = hints(&mut cx, &f.hints, &names);
    let references = references(&mut cx, &f.references, &names, &dir);
    if !cx.diags.is_empty() {
        return Err(Error::Invalid(cx.diags));
    }
    Ok(Challenge {
        file: file.to_string(),
        name: c.name.clone(),
        brief: c.brief.clone(),
        starting_design_file: design_path,
        starting_design,
        seed: c.seed.unwrap_or(1),
        duration_ns,
        warmup_ns,
        replications,
        keep: c.keep.clone(),
        cases,
        hints,
        references,
        text: text.to_string(),
    })
}

fn toml_diag(file: &str, text: &str, e: &toml::de::Error) -> Diagnostic {
    let help = "fix the challenge file at this position; unknown keys are errors (see `stagesim schema challenge`)";
    diagnostic_at(file, text, e.span().unwrap_or(0..0), "", e.message().trim(), help)
}

fn duration(cx: &mut Cx, path: &[&str], text: &Option<String>, default: u64) -> u64 {
    match text.as_deref().map(parse_duration) {
        None => default,
        Some(Ok(d)) if d > 0 => d,
        Some(Ok(_)) => {
            cx.problem(path, "must be greater than zero", "e.g. \"20s\"");
            default
        }
        Some(Err(e)) => {
            cx.problem(path, &e, "write a number and a unit, e.g. \"20s\"");
            default
        }
    }
}

fn cases(cx: &mut Cx) -> Vec<Case> {
    let items: Vec<Spanned<DeValue>> = match cx.root.get_ref() {
        DeValue::Table(t) => match t.get("cases").map(|v| v.get_ref()) {
            Some(DeValue::Array(a)) => a.iter().cloned().collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    if items.is_empty() {
        cx.problem(
            &["cases"],
            "a challenge needs at least one case",
            "add [[cases]] with a name and [cases.thresholds]",
        );
    }
    let mut out: Vec<Case> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let idx = i.to_string();
        if let Err(e) = CaseInput::deserialize(ValueDeserializer::from(item.clone())) {
            let help = format!(
                "a case takes name, description, teaches, thresholds and the scenario sections {}",
                CASE_SECTIONS.join(", ")
            );
            let d = diagnostic_at(
                cx.file,
                cx.text,
                e.span().unwrap_or(item.span()),
                &format!("cases.{i}"),
                e.message().trim(),
                &help,
            );
            cx.diags.push(d);
            continue;
        }
        let DeValue::Table(t) = item.get_ref() else { continue };
        let raw = toml::Table::deserialize(ValueDeserializer::from(item.clone())).unwrap_or_default();
        let text_of = |k: &str| raw.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let name = text_of("name");
        if out.iter().any(|c| c.name == name) {
            cx.problem(
                &["cases", &idx, "name"],
                &format!("two cases are named `{name}`"),
                "give every case its own name",
            );
        }
        let overrides: toml::Table = raw
            .iter()
            .filter(|(k, _)| CASE_SECTIONS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let criteria = match t.get("thresholds") {
            Some(section) => match thresholds::parse(section, &["cases", &idx, "thresholds"], cx.text) {
                Ok(set) if set.is_empty() => {
                    cx.problem(
                        &["cases", &idx, "thresholds"],
                        "a case needs at least one criterion",
                        "e.g. latency = [\"p(99) < 50ms\"]",
                    );
                    Vec::new()
                }
                Ok(set) => set.thresholds,
                Err(problems) => {
                    for p in problems {
                        let path: Vec<&str> = p.path.iter().map(String::as_str).collect();
                        let span = p.span.clone().unwrap_or_else(|| span_of(&cx.root, &path));
                        cx.diags.push(diagnostic_at(cx.file, cx.text, span, &path.join("."), &p.message, &p.help));
                    }
                    Vec::new()
                }
            },
            None => Vec::new(),
        };
        out.push(Case { name, description: text_of("description"), teaches: text_of("teaches"), overrides, criteria });
    }
    out
}

fn hints(cx: &mut Cx, inputs: &[HintInput], cases: &[String]) -> Vec<Hint> {
    let mut out = Vec::new();
    for (i, h) in inputs.iter().enumerate() {
        let idx = i.to_string();
        if let Some(k) = h.kind.as_deref().filter(|k| !crate::components::KINDS.contains(k)) {
            let help = format!("kinds: {}", crate::components::KINDS.join(", "));
            cx.problem(&["hints", &idx, "kind"], &format!("unknown kind `{k}`"), &help);
        }
        if let Some(c) = h.cause.as_deref().filter(|c| !CAUSES.contains(c)) {
            cx.problem(
                &["hints", &idx, "cause"],
                &format!("unknown cause `{c}`"),
                &format!("causes: {}", CAUSES.join(", ")),
            );
        }
        if let Some(c) = h.criterion.as_deref().filter(|c| !CRITERIA.contains(c)) {
            let help = format!("criteria: {}", CRITERIA.join(", "));
            cx.problem(&["hints", &idx, "criterion"], &format!("unknown criterion `{c}`"), &help);
        }
        if let Some(c) = h.case.as_deref().filter(|c| !cases.iter().any(|n| n == c)) {
            cx.problem(
                &["hints", &idx, "case"],
                &format!("there is no case `{c}`"),
                &format!("cases: {}", cases.join(", ")),
            );
        }
        out.push(Hint {
            kind: h.kind.clone(),
            node: h.node.clone(),
            cause: h.cause.clone(),
            case: h.case.clone(),
            criterion: h.criterion.clone(),
            text: h.text.clone(),
        });
    }
    out
}

fn outcome(cx: &mut Cx, path: &[&str], text: &str) -> Outcome {
    match text {
        "pass" => Outcome::Pass,
        "fail" => Outcome::Fail,
        other => {
            cx.problem(path, &format!("unknown verdict `{other}`"), "write \"pass\" or \"fail\"");
            Outcome::Fail
        }
    }
}

fn references(cx: &mut Cx, inputs: &[ReferenceInput], cases: &[String], dir: &std::path::Path) -> Vec<Reference> {
    let mut out = Vec::new();
    for (i, r) in inputs.iter().enumerate() {
        let idx = i.to_string();
        let path = dir.join(&r.design).to_string_lossy().into_owned();
        if !std::path::Path::new(&path).is_file() {
            cx.problem(
                &["references", &idx, "design"],
                &format!("no file `{path}`"),
                "the path is relative to the challenge file",
            );
        }
        let expect = outcome(cx, &["references", &idx, "expect"], &r.expect);
        let mut per_case = Vec::new();
        for (name, v) in &r.cases {
            if !cases.iter().any(|n| n == name) {
                let help = format!("cases: {}", cases.join(", "));
                cx.problem(&["references", &idx, "cases", name], &format!("there is no case `{name}`"), &help);
            }
            per_case.push((name.clone(), outcome(cx, &["references", &idx, "cases", name], v)));
        }
        out.push(Reference { design: r.design.clone(), path, expect, cases: per_case });
    }
    out
}
