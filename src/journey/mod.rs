//! Journeys: ordered stages of one system, replayed with the same traffic.
//!
//! A journey file names its stages; a stage is a scenario file, or `extends` the previous
//! stage with components added (`[stages.components.X]`), overridden (same syntax, merged key
//! by key) or removed (`remove = ["x"]`). Every stage is validated as a full scenario.

pub use crate::analysis;
pub mod claims;
pub mod gates;
pub mod merge;
pub mod run;

use crate::diag::{diagnostic_at, Diagnostic, Error};
use crate::load::{parse_scenario_checked_with, span_of};
use crate::model::Model;
use crate::overrides::{has_parent, Overrides};
use crate::units::{parse_duration, parse_rate, Nanos};
use merge::{deep_merge, remove_components};
use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::{Spanned, Table};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct JourneyFile {
    /// The journey: its name, simulated time per load point, seed.
    journey: JourneySection,
    /// The loads every stage is run at.
    load: LoadSection,
    /// What a stage must keep at a load for that load to count towards its capacity.
    #[serde(default)]
    capacity: CapacitySection,
    /// The articles' claims, judged by the numbers in the report.
    #[serde(default)]
    claims: Vec<ClaimInput>,
    /// Thresholds for every stage; a stage's file and `[stages.thresholds]` replace them key
    /// by key.
    // Read from the spanned tree (see `gates`).
    #[serde(rename = "thresholds")]
    #[schemars(with = "Option<crate::schema::Thresholds>")]
    _thresholds: Option<serde::de::IgnoredAny>,
    /// The stages, in order: each a scenario file or the previous stage with changes.
    // Read per stage from the spanned tree (see `stages`), so errors keep their positions.
    #[serde(rename = "stages")]
    #[schemars(with = "Vec<crate::schema::Stage>")]
    _stages: Vec<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct JourneySection {
    /// The journey's name in the report.
    name: String,
    /// What the journey shows, in the report.
    #[serde(default)]
    description: String,
    /// Seed of every stage's traffic (default: the first stage's).
    seed: Option<u64>,
    /// Simulated time per load point (default "1m").
    #[schemars(with = "Option<crate::schema::Duration>", extend("default" = "1m"))]
    duration: Option<String>,
    /// Time at the start of each load point left out of the statistics (default: a sixth of
    /// `duration`).
    #[schemars(with = "Option<crate::schema::Duration>")]
    warmup: Option<String>,
    /// Replications per load point (default 2).
    #[schemars(extend("default" = 2))]
    replications: Option<u32>,
}

/// The journey's traffic: one rate, a list, a log-spaced ladder, and/or a capacity search.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct LoadSection {
    /// One load for every stage.
    #[schemars(with = "Option<crate::schema::Rate>")]
    rate: Option<String>,
    /// Several loads for every stage.
    #[schemars(with = "Option<Vec<crate::schema::Rate>>")]
    rates: Option<Vec<String>>,
    /// Log-spaced loads from `from` to `to` in `steps` points.
    ladder: Option<LadderSection>,
    /// Find each stage's highest rate that meets `[capacity]`, by bisection.
    #[serde(default)]
    capacity_search: bool,
    /// Converts rates to users: users = rate * 86400 / requests_per_user_per_day / peak_to_average.
    requests_per_user_per_day: Option<f64>,
    /// Peak rate / mean rate over a day, for the conversion to users.
    peak_to_average: Option<f64>,
    /// The load `stagesim check` runs every stage at, and the journey report judges
    /// thresholds and prices every stage's whole bill at; defaults to `rate` (a ladder without
    /// either prices the bill at its highest load).
    #[schemars(with = "Option<crate::schema::Rate>")]
    check_rate: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct LadderSection {
    /// The lowest load.
    #[schemars(with = "crate::schema::Rate")]
    from: String,
    /// The highest load.
    #[schemars(with = "crate::schema::Rate")]
    to: String,
    /// Loads in the ladder, log-spaced and rounded to two figures.
    steps: u32,
}

/// What "meets its thresholds" means for capacity.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct CapacitySection {
    /// Highest acceptable P99 latency (default "1s").
    #[schemars(with = "Option<crate::schema::Duration>", extend("default" = "1s"))]
    p99: Option<String>,
    /// Largest acceptable error ratio, e.g. 0.01 (default 0.01).
    #[schemars(extend("default" = 0.01))]
    errors: Option<f64>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ClaimInput {
    /// 1-based stage number.
    stage: usize,
    /// What the article says, quoted or paraphrased.
    says: String,
    /// Where it says it.
    source: String,
    /// The claim as a comparison of the stage's numbers: `capacity`, `cost` (the whole bill at
    /// the bill load), `cost.compute`, `cost.storage`, `cost.transfer`, `cost.requests`, `p99@RATE`,
    /// `p50@RATE`, `errors@RATE`, `throughput@RATE` or `COMPONENT.FIELD@RATE` against a number
    /// or `previous` (times a factor), e.g. "cache.hit_ratio@1000/s > 0.8".
    check: String,
    /// "holds" (default) or "disagrees": a known disagreement with the article.
    #[schemars(extend("enum" = ["holds", "disagrees"], "default" = "holds"))]
    expect: Option<String>,
    /// Why the simulation disagrees, shown in the report.
    #[serde(default)]
    note: String,
}

#[derive(Clone, Debug)]
pub struct Stage {
    pub name: String,
    pub description: String,
    /// Where it came from: a file, or "extends <previous stage>".
    pub origin: String,
    pub model: Model,
    /// `[stages.capacity]`: this stage's own capacity criterion, if it overrides the journey's.
    pub capacity: Option<Criteria>,
    /// The stage's thresholds after layering (see `gates`), each with the file it is written in.
    pub thresholds: Vec<gates::StageThreshold>,
}

impl Stage {
    /// The capacity criterion of this stage: its own, else the journey's.
    pub fn criteria(&self, j: &Journey) -> Criteria {
        self.capacity.unwrap_or(j.criteria)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Criteria {
    pub p99_s: f64,
    pub error_ratio: f64,
}

#[derive(Clone, Debug)]
pub struct Journey {
    pub name: String,
    pub description: String,
    pub file: String,
    pub seed: u64,
    pub duration: Nanos,
    pub warmup: Nanos,
    pub replications: u32,
    pub rates: Vec<f64>,
    pub capacity_search: bool,
    pub criteria: Criteria,
    /// Requests per user per day and peak-to-average ratio, when the journey speaks in users.
    pub users: Option<(f64, f64)>,
    pub stages: Vec<Stage>,
    pub claims: Vec<claims::Claim>,
    /// The load `stagesim check` runs every stage at: `[load] check_rate`, else `rate`.
    pub check_rate: Option<f64>,
}

impl Journey {
    /// Daily active users that produce `rate` at the peak, if the journey speaks in users.
    pub fn users_at(&self, rate: f64) -> Option<f64> {
        self.users.map(|(rpud, peak)| rate * 86_400.0 / rpud / peak)
    }
}

/// Log-spaced rates from `from` to `to` inclusive, rounded to two significant figures so
/// that reports and claims can name them ("p99@130/s").
pub fn ladder(from: f64, to: f64, steps: u32) -> Vec<f64> {
    if steps <= 1 {
        return vec![from];
    }
    let r = (to / from).ln() / f64::from(steps - 1);
    (0..steps).map(|i| two_figures((from.ln() + r * f64::from(i)).exp())).collect()
}

fn two_figures(x: f64) -> f64 {
    let scale = 10f64.powi(x.log10().floor() as i32 - 1);
    (x / scale).round() * scale
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
    root: Spanned<DeValue<'a>>,
    diags: Vec<Diagnostic>,
    overrides: &'a Overrides,
}

impl Ctx<'_> {
    fn problem(&mut self, path: &[&str], message: &str, help: &str) {
        let span = span_of(&self.root, path);
        self.diags.push(self.overrides.locate(self.file, self.text, span, &path.join("."), message, help));
    }
}

/// Reads a journey and builds every stage's model.
pub fn load_journey(path: &str) -> Result<Journey, Error> {
    load_journey_with(path, &Overrides::default())
}

/// Reads a journey with command-line overrides: `--load` replaces the journey's load ladder
/// by that one rate (also its check load); each `--set` applies to every stage that has the
/// key's table, and is an error when no stage has it.
pub fn load_journey_with(path: &str, overrides: &Overrides) -> Result<Journey, Error> {
    let text = crate::load::read_input(path, "journey")?;
    let mut table = DeTable::parse(&text).map_err(|e| Error::Invalid(vec![toml_diag(path, &text, &e)]))?;
    if let (Some(rate), Some(DeValue::Table(load))) =
        (overrides.load_value(text.len() + 1), table.get_mut().get_mut("load").map(|v| v.get_mut()))
    {
        for k in ["rates", "ladder", "check_rate"] {
            load.remove(k);
        }
        load.insert(Spanned::new(rate.span(), "rate".into()), rate);
    }
    let root = Spanned::new(table.span(), DeValue::Table(table.get_ref().clone()));
    let file: JourneyFile = JourneyFile::deserialize(ValueDeserializer::from(root.clone()))
        .map_err(|e| Error::Invalid(vec![toml_diag(path, &text, &e)]))?;
    let mut cx = Ctx { file: path, text: &text, root, diags: Vec::new(), overrides };
    let journey = build(&mut cx, &file, table.get_ref());
    match journey {
        Some(j) if cx.diags.is_empty() => Ok(j),
        _ => Err(Error::Invalid(cx.diags)),
    }
}

fn toml_diag(file: &str, text: &str, e: &toml::de::Error) -> Diagnostic {
    let help = "fix the journey file at this position; unknown keys are errors";
    diagnostic_at(file, text, e.span().unwrap_or(0..0), "", e.message().trim(), help)
}

fn duration_or(cx: &mut Ctx, path: &[&str], text: &Option<String>, default: Nanos) -> Nanos {
    match text.as_deref().map(parse_duration) {
        None => default,
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            cx.problem(path, &e, "write a number and a unit, e.g. \"1m\"");
            default
        }
    }
}

fn rate(cx: &mut Ctx, path: &[&str], text: &str) -> f64 {
    parse_rate(text).unwrap_or_else(|e| {
        cx.problem(path, &e, "for example \"800/s\"");
        1.0
    })
}

fn build(cx: &mut Ctx, f: &JourneyFile, table: &DeTable) -> Option<Journey> {
    let j = &f.journey;
    let duration = duration_or(cx, &["journey", "duration"], &j.duration, 60_000_000_000);
    let warmup = duration_or(cx, &["journey", "warmup"], &j.warmup, duration / 6);
    if warmup >= duration {
        cx.problem(
            &["journey", "warmup"],
            "`warmup` must be shorter than `duration`",
            "for example duration \"1m\", warmup \"10s\"",
        );
    }
    let rates = rates(cx, &f.load);
    if rates.is_empty() && !f.load.capacity_search {
        cx.problem(&["load"], "the journey has no load", "give `rate`, `rates`, `ladder` or `capacity_search = true`");
    }
    let criteria = Criteria {
        p99_s: duration_or(cx, &["capacity", "p99"], &f.capacity.p99, 1_000_000_000) as f64 / 1e9,
        error_ratio: f.capacity.errors.unwrap_or(0.01),
    };
    if !(0.0..1.0).contains(&criteria.error_ratio) {
        cx.problem(&["capacity", "errors"], "`errors` is a ratio between 0 and 1", "for example 0.01 for 1%");
    }
    let users = match f.load.requests_per_user_per_day {
        Some(r) if r > 0.0 => Some((r, f.load.peak_to_average.unwrap_or(3.0).max(1.0))),
        Some(_) => {
            cx.problem(&["load", "requests_per_user_per_day"], "must be greater than zero", "for example 40");
            None
        }
        None => None,
    };
    let mut stages = stages(cx, table);
    let check_rate = gates::check_rate(cx, &f.load);
    if let Some(s) = stages.as_mut() {
        gates::apply(cx, table, s, criteria, check_rate);
    }
    let n = stages.as_ref().map_or(0, Vec::len);
    let mut parsed = Vec::new();
    for (i, c) in f.claims.iter().enumerate() {
        let idx = i.to_string();
        if c.stage == 0 || c.stage > n {
            cx.problem(
                &["claims", &idx, "stage"],
                &format!("there is no stage {}", c.stage),
                &format!("stages are numbered 1 to {n}"),
            );
            continue;
        }
        let expect_holds = match c.expect.as_deref() {
            None | Some("holds") => true,
            Some("disagrees") if !c.note.is_empty() => false,
            Some("disagrees") => {
                cx.problem(
                    &["claims", &idx, "expect"],
                    "a disagreement needs a `note` saying why",
                    "add `note = \"...\"`",
                );
                true
            }
            Some(other) => {
                cx.problem(
                    &["claims", &idx, "expect"],
                    &format!("unknown expectation `{other}`"),
                    "use \"holds\" or \"disagrees\"",
                );
                true
            }
        };
        match claims::parse(c.stage, &c.says, &c.source, &c.check, &rates) {
            Ok(claim) => parsed.push(claims::Claim { expect_holds, note: c.note.clone(), ..claim }),
            Err(e) => cx.problem(
                &["claims", &idx, "check"],
                &e,
                "for example \"capacity > previous * 1.5\" or \"cache.hit_ratio@1000/s > 0.8\"",
            ),
        }
    }
    Some(Journey {
        claims: parsed,
        name: j.name.clone(),
        description: j.description.clone(),
        file: cx.file.to_string(),
        seed: j.seed.unwrap_or(1),
        duration,
        warmup,
        replications: journey_replications(cx, j.replications),
        rates,
        capacity_search: f.load.capacity_search,
        criteria,
        users,
        stages: stages?,
        check_rate,
    })
}

fn journey_replications(cx: &mut Ctx, n: Option<u32>) -> u32 {
    match crate::runner::check_replications(n.unwrap_or(2), "`replications`") {
        Ok(n) => n,
        Err(e) => {
            cx.problem(&["journey", "replications"], &e, "2 to 30 replications give the report its intervals");
            1
        }
    }
}

fn rates(cx: &mut Ctx, load: &LoadSection) -> Vec<f64> {
    let mut out = Vec::new();
    if let Some(r) = &load.rate {
        out.push(rate(cx, &["load", "rate"], r));
    }
    for (i, r) in load.rates.iter().flatten().enumerate() {
        let i = i.to_string();
        out.push(rate(cx, &["load", "rates", &i], r));
    }
    if let Some(l) = &load.ladder {
        let from = rate(cx, &["load", "ladder", "from"], &l.from);
        let to = rate(cx, &["load", "ladder", "to"], &l.to);
        if to <= from || l.steps < 2 || l.steps > 64 {
            cx.problem(
                &["load", "ladder"],
                "a ladder needs `to` above `from` and 2 to 64 `steps`",
                "for example { from = \"10/s\", to = \"50k/s\", steps = 12 }",
            );
        } else {
            out.extend(ladder(from, to, l.steps));
        }
    }
    out.sort_by(f64::total_cmp);
    out.dedup();
    out
}

/// The journey file's JSON Schema, without the stages' scenario sections (`schema::inputs`
/// adds them from the scenario's).
pub fn file_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    g.root_schema_for::<JourneyFile>()
}

/// `[capacity]` and `[stages.capacity]`.
pub fn capacity_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    g.subschema_for::<CapacitySection>()
}

const STAGE_KEYS: &[&str] = &["name", "description", "file", "extends", "remove", "thresholds", "capacity"];
/// Sections a stage may add or override; arrays (links, faults) replace the previous stage's
/// whole, so `faults = []` clears the faults a later stage should not inherit.
pub const MERGEABLE: &[&str] = &[
    "components",
    "links",
    "requests",
    "keys",
    "users",
    "limits",
    "load",
    "scenario",
    "sizes",
    "call_sizes",
    "faults",
];

fn stages(cx: &mut Ctx, table: &DeTable) -> Option<Vec<Stage>> {
    let Some(DeValue::Array(items)) = table.get("stages").map(|v| v.get_ref()) else { return None };
    let dir = std::path::Path::new(cx.file).parent().map(|p| p.to_path_buf()).unwrap_or_default();
    let mut out: Vec<Stage> = Vec::new();
    let mut prev: Option<Table> = None;
    let sets: Vec<Vec<String>> =
        cx.overrides.set_keys().iter().map(|k| k.split('.').map(String::from).collect()).collect();
    let mut applied = vec![false; sets.len()];
    for (i, item) in items.iter().enumerate() {
        let idx = i.to_string();
        let raw = match Table::deserialize(ValueDeserializer::from(item.clone())) {
            Ok(t) => t,
            Err(e) => {
                cx.diags.push(toml_diag(cx.file, cx.text, &e));
                return None;
            }
        };
        let (mut doc, origin, file) = stage_doc(cx, &raw, &idx, &dir, prev.as_ref(), out.last())?;
        // A scenario file's `[thresholds]` are layered by `gates`, with their own positions,
        // and `extends` does not carry them to the next stage.
        doc.remove("thresholds");
        let text = toml::to_string(&doc).expect("a TOML table serializes");
        let shown = file.clone().unwrap_or_else(|| format!("{} [stage {}]", cx.file, i + 1));
        for (a, p) in applied.iter_mut().zip(&sets) {
            *a |= has_parent(&doc, p);
        }
        let stage_overrides = cx.overrides.only(|p| has_parent(&doc, p));
        match parse_scenario_checked_with(&shown, &text, &stage_overrides).map(|(m, _)| m) {
            Ok(model) => {
                let name = raw.get("name").and_then(|v| v.as_str()).map_or(model.name.clone(), str::to_string);
                let description =
                    raw.get("description").and_then(|v| v.as_str()).map_or(model.description.clone(), str::to_string);
                out.push(Stage { name, description, origin, model, capacity: None, thresholds: Vec::new() });
            }
            Err(Error::Invalid(diags)) if file.is_none() => {
                // The merged stage has no file of its own: point into the journey instead.
                for mut d in diags {
                    if d.file == crate::overrides::COMMAND_LINE {
                        d.message = format!("stage {}: {}", i + 1, d.message);
                        cx.diags.push(d);
                        continue;
                    }
                    let key: Vec<&str> = d.key.split('.').filter(|s| !s.is_empty()).collect();
                    let path: Vec<&str> = ["stages", idx.as_str()].into_iter().chain(key).collect();
                    cx.problem(&path, &format!("stage {}: {}", i + 1, d.message), &d.help);
                }
                return None;
            }
            Err(Error::Invalid(diags)) => {
                cx.diags.extend(diags);
                return None;
            }
            Err(e) => {
                cx.problem(&["stages", &idx, "file"], &e.to_string(), "check the path, relative to the journey file");
                return None;
            }
        }
        prev = Some(doc);
    }
    for (p, _) in sets.iter().zip(&applied).filter(|(_, a)| !**a) {
        let table = p[..p.len() - 1].join(".");
        cx.diags.push(cx.overrides.not_found(
            &p.join("."),
            &format!("no stage has `{table}`"),
            "a journey applies `--set` to every stage that has the key's table",
        ));
    }
    if !cx.diags.is_empty() {
        return None;
    }
    Some(out)
}

/// The merged scenario table of one stage, where it came from, and its file if it has one.
fn stage_doc(
    cx: &mut Ctx,
    raw: &Table,
    idx: &str,
    dir: &std::path::Path,
    prev: Option<&Table>,
    prev_stage: Option<&Stage>,
) -> Option<(Table, String, Option<String>)> {
    for k in raw.keys() {
        if !STAGE_KEYS.contains(&k.as_str()) && !MERGEABLE.contains(&k.as_str()) {
            let help = format!("a stage takes {} and {}", STAGE_KEYS.join(", "), MERGEABLE.join(", "));
            cx.problem(&["stages", idx, k], &format!("unknown key `{k}` in a stage"), &help);
            return None;
        }
    }
    let (mut doc, origin, file) = match raw.get("file").and_then(|v| v.as_str()) {
        Some(f) => {
            let path = dir.join(f).to_string_lossy().into_owned();
            let text = match crate::load::read_input(&path, "scenario") {
                Ok(text) => text,
                Err(Error::Invalid(d)) => {
                    cx.diags.extend(d);
                    return None;
                }
                Err(e) => {
                    cx.problem(&["stages", idx, "file"], &e.to_string(), "the path is relative to the journey file");
                    return None;
                }
            };
            let Ok(t) = toml::from_str::<Table>(&text) else {
                // Let the scenario loader report the syntax error with its position.
                return Some((Table::new(), f.to_string(), Some(path)));
            };
            (t, f.to_string(), Some(path))
        }
        None => match (prev, prev_stage) {
            (Some(p), Some(s)) => (p.clone(), format!("extends \"{}\"", s.name), None),
            _ => {
                cx.problem(&["stages", idx], "the first stage must name a `file`", "add `file = \"01-....toml\"`");
                return None;
            }
        },
    };
    let overrides: Table =
        raw.iter().filter(|(k, _)| MERGEABLE.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    if let Some(names) = raw.get("remove").and_then(|v| v.as_array()) {
        let names: Vec<String> = names.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
        for missing in remove_components(&mut doc, &names) {
            cx.problem(
                &["stages", idx, "remove"],
                &format!("there is no component `{missing}` to remove"),
                "remove only components of the previous stage",
            );
        }
    }
    deep_merge(&mut doc, &overrides);
    Some((doc, origin, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_is_log_spaced_and_inclusive() {
        let l = ladder(10.0, 10_000.0, 4);
        let want = [10.0, 100.0, 1000.0, 10_000.0];
        assert_eq!(ladder(50.0, 5000.0, 6), vec![50.0, 130.0, 320.0, 790.0, 2000.0, 5000.0]);
        for (a, b) in l.iter().zip(want) {
            assert!((a - b).abs() / b < 1e-9);
        }
    }
}
