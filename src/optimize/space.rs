//! The design-space file of `stagesim optimize`: a base scenario, dimensions (lists or
//! ranges over scenario keys), an objective, constraints in the `[thresholds]` syntax, and
//! replays (load overrides). Read once, checked entirely before anything runs: every value
//! of every dimension and every replay is applied to the base scenario with the `--set`
//! machinery and validated, and a mistake is placed at its line and column in this file.

use crate::check::expr::Cmp;
use crate::check::thresholds::{self, Threshold, ThresholdSet};
use crate::diag::{diagnostic_at, Diagnostic, Error, Problem};
use crate::load::span_of;
use crate::overrides::Overrides;
use serde::Deserialize;
use std::ops::Range;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

/// The most designs a space may hold (the product of its dimensions' sizes).
pub const MAX_DESIGNS: usize = 10_000;
/// The most dimensions, values per dimension and replays.
pub const MAX_DIMENSIONS: usize = 16;
pub const MAX_VALUES: usize = 1_000;
pub const MAX_REPLAYS: usize = 16;

/// Keys (last segment) where more never raises P99 or errors: more servers of a kind, more
/// connections, a larger cache. `components.X.autoscale.min`/`max` count too.
pub const MONOTONE_KEYS: &[&str] =
    &["instances", "replicas", "servers", "shards", "connections", "workers", "consumers", "capacity"];

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpaceFile {
    pub space: SpaceSection,
    #[serde(default)]
    pub dimensions: Vec<DimensionInput>,
    #[serde(default)]
    pub objective: Option<ObjectiveInput>,
    /// Thresholds (`latency = ["p(99) < 200ms"]`, `errors = ["rate < 0.1%"]`) every replay
    /// must pass, judged as `stagesim check` judges them (95% intervals over replications).
    #[serde(default)]
    #[schemars(with = "Option<crate::schema::Thresholds>")]
    pub constraints: Option<toml::Value>,
    #[serde(default)]
    pub replays: Vec<ReplayInput>,
    #[serde(default)]
    pub search: SearchInput,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpaceSection {
    /// The base scenario, relative to this file.
    pub scenario: String,
    #[serde(default)]
    pub name: Option<String>,
    /// Dotted keys and values set in every design and replay (e.g. a shorter duration for
    /// the study), as `--set`.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, serde_json::Value>")]
    pub set: toml::Table,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DimensionInput {
    /// A dotted scenario key, e.g. `components.app.instances`.
    pub key: String,
    /// The values, as TOML values (`["m5.large", "c5.xlarge"]`, `[2, 4, 8]`).
    #[serde(default)]
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    pub values: Option<Vec<toml::Value>>,
    /// A numeric range `from..=to` by `step` (default 1), instead of `values`.
    #[serde(default)]
    pub from: Option<f64>,
    #[serde(default)]
    pub to: Option<f64>,
    #[serde(default)]
    pub step: Option<f64>,
    /// Whether more of this key never raises P99 or errors (default: true for counts and
    /// capacities, see `MONOTONE_KEYS`); the search prunes by it.
    #[serde(default)]
    pub monotone: Option<bool>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveInput {
    /// `cost`: the monthly cost (the summary's `cost.usd_per_month`).
    pub minimize: String,
    /// The replay whose cost counts (default: the first).
    #[serde(default)]
    pub replay: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayInput {
    pub name: String,
    /// The offered load, as `--load`.
    #[serde(default)]
    pub load: Option<String>,
    /// Dotted keys and values, as `--set` (`"load.shape" = { kind = "spike", ... }`).
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, serde_json::Value>")]
    pub set: toml::Table,
    /// This replay's own constraints, instead of the global ones.
    #[serde(default)]
    #[schemars(with = "Option<crate::schema::Thresholds>")]
    pub constraints: Option<toml::Value>,
}

#[derive(Deserialize, schemars::JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SearchInput {
    /// `auto` (exhaustive up to `exhaustive_up_to` designs), `exhaustive` or `halving`.
    #[serde(default)]
    pub method: Option<String>,
    /// Replications per design and replay at full length (default 3).
    #[serde(default)]
    pub replications: Option<u32>,
    #[serde(default)]
    pub exhaustive_up_to: Option<usize>,
    /// Successive halving: rungs (default 3) and the factor between them (default 3).
    #[serde(default)]
    pub rungs: Option<u32>,
    #[serde(default)]
    pub eta: Option<u32>,
    /// Prune by monotonicity (default true).
    #[serde(default)]
    pub prune: Option<bool>,
    /// On a short rung, a design is dropped only when a constraint fails by more than this
    /// fraction of its limit (default 0.1): short runs are noisier.
    #[serde(default)]
    pub screen_margin: Option<f64>,
}

/// One dimension, validated.
#[derive(Clone, Debug)]
pub struct Dimension {
    pub key: String,
    /// Each value as written into the scenario (TOML text) and, when numeric, its number.
    pub values: Vec<(String, Option<f64>)>,
    pub monotone: bool,
}

/// One replay: a name, the overrides that make it, and the constraints judged on it.
#[derive(Clone, Debug)]
pub struct Replay {
    pub name: String,
    pub sets: Vec<String>,
    pub load: Option<String>,
    pub constraints: Vec<Threshold>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Exhaustive,
    Halving,
}

#[derive(Clone, Debug)]
pub struct Search {
    pub method: Method,
    pub replications: u32,
    pub rungs: u32,
    pub eta: u32,
    pub prune: bool,
    pub screen_margin: f64,
}

/// A validated design space.
#[derive(Clone, Debug)]
pub struct Space {
    pub file: String,
    pub name: String,
    pub scenario_file: String,
    pub scenario_text: String,
    /// `[space] set`: (key, TOML value) applied to every design and replay.
    pub sets: Vec<(String, String)>,
    pub dimensions: Vec<Dimension>,
    pub replays: Vec<Replay>,
    /// Index of the replay whose cost is the objective.
    pub objective_replay: usize,
    pub search: Search,
    pub designs: usize,
}

/// A constraint the monotonicity covers: latency and errors bounded above, throughput below.
pub fn is_monotone_constraint(t: &Threshold) -> bool {
    let upper = matches!(t.cmp, Cmp::Lt | Cmp::Le);
    match t.metric.family() {
        "latency" | "errors" => upper && !matches!(t.metric.scope, thresholds::Scope::Component(_)),
        "throughput" => !upper && !matches!(t.metric.scope, thresholds::Scope::Component(_)),
        _ => false,
    }
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
    root: Spanned<DeValue<'a>>,
}

impl Ctx<'_> {
    fn at(&self, path: &[&str], message: &str, help: &str) -> Diagnostic {
        let span = span_of(&self.root, path);
        diagnostic_at(self.file, self.text, span, &path.join("."), message, help)
    }
    fn span_at(&self, span: Range<usize>, key: &str, message: &str, help: &str) -> Diagnostic {
        diagnostic_at(self.file, self.text, span, key, message, help)
    }
}

/// Reads and validates a design-space file.
pub fn load(file: &str) -> Result<Space, Error> {
    let text = crate::load::read_input(file, "design space")?;
    parse(file, &text)
}

/// Validates design-space text (`file` locates the base scenario and names diagnostics).
pub fn parse(file: &str, text: &str) -> Result<Space, Error> {
    let table = DeTable::parse(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        Error::Invalid(vec![diagnostic_at(file, text, span, "", e.message().trim(), "fix the TOML syntax here")])
    })?;
    let root = Spanned::new(table.span(), DeValue::Table(table.into_inner()));
    let ctx = Ctx { file, text, root };
    let input = SpaceFile::deserialize(ValueDeserializer::from(ctx.root.clone())).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let help = "unknown keys are errors; the message lists what is allowed here";
        Error::Invalid(vec![ctx.span_at(span, "", e.message().trim(), help)])
    })?;
    let dir = std::path::Path::new(file).parent().unwrap_or(std::path::Path::new(""));
    let scenario_file = dir.join(&input.space.scenario).to_string_lossy().into_owned();
    let scenario_text = crate::load::read_input(&scenario_file, "scenario").map_err(|e| match e {
        Error::Io { source, .. } => Error::Invalid(vec![ctx.at(
            &["space", "scenario"],
            &format!("cannot read the base scenario `{scenario_file}`: {source}"),
            "the path is relative to the design-space file's directory",
        )]),
        other => other,
    })?;
    let (base, _) = crate::load::parse_scenario_checked(&scenario_file, &scenario_text)?;
    let mut diags = Vec::new();
    let dimensions = dimensions(&ctx, &input, &mut diags);
    let global = constraints(&ctx, &["constraints"], &base, &mut diags);
    let replays = replays(&ctx, &input, &global, &base, &mut diags);
    let objective_replay = objective(&ctx, &input, &replays, &mut diags);
    let search = search(&ctx, &input.search, &mut diags);
    if diags.is_empty() {
        check_values(&ctx, &scenario_file, &scenario_text, &dimensions, &replays, &mut diags);
    }
    if !diags.is_empty() {
        return Err(Error::Invalid(diags));
    }
    let designs = dimensions.iter().map(|d| d.values.len()).product();
    let search = search.expect("no diagnostics");
    let search = Search {
        method: match input.search.method.as_deref() {
            Some("exhaustive") => Method::Exhaustive,
            Some("halving") => Method::Halving,
            _ if designs <= input.search.exhaustive_up_to.unwrap_or(64) => Method::Exhaustive,
            _ => Method::Halving,
        },
        ..search
    };
    Ok(Space {
        file: file.to_string(),
        name: input.space.name.clone().unwrap_or_else(|| base.name.clone()),
        scenario_file,
        scenario_text,
        sets: input.space.set.iter().map(|(k, v)| (k.clone(), inline(v))).collect(),
        dimensions,
        replays,
        objective_replay: objective_replay.unwrap_or(0),
        search,
        designs,
    })
}

fn dimensions(ctx: &Ctx, input: &SpaceFile, diags: &mut Vec<Diagnostic>) -> Vec<Dimension> {
    let mut out: Vec<Dimension> = Vec::new();
    if input.dimensions.is_empty() {
        diags.push(ctx.at(&["space"], "the space has no dimension", "add [[dimensions]] with `key` and `values`"));
    }
    if input.dimensions.len() > MAX_DIMENSIONS {
        let msg = format!("{} dimensions, above the maximum of {MAX_DIMENSIONS}", input.dimensions.len());
        diags.push(ctx.at(&["dimensions"], &msg, "fix some keys in the base scenario instead"));
    }
    for (i, d) in input.dimensions.iter().enumerate() {
        let idx = i.to_string();
        let path = |k: &'static str| ["dimensions", idx.as_str(), k];
        if out.iter().any(|o| o.key == d.key) {
            diags.push(ctx.at(&path("key"), &format!("`{}` is already a dimension", d.key), "list each key once"));
            continue;
        }
        if d.key.split('.').any(str::is_empty) || d.key.starts_with("scenario.") {
            let msg = format!("`{}` cannot be a dimension", d.key);
            let help = "name a dotted scenario key such as components.app.instances (not scenario.*: every design shares the seed and duration)";
            diags.push(ctx.at(&path("key"), &msg, help));
            continue;
        }
        let values = match (&d.values, d.from, d.to) {
            (Some(vs), None, None) => {
                vs.iter().map(|v| (inline(v), v.as_float().or(v.as_integer().map(|i| i as f64)))).collect()
            }
            (None, Some(from), Some(to)) => match range(from, to, d.step.unwrap_or(1.0)) {
                Ok(v) => v,
                Err(e) => {
                    diags.push(ctx.at(&path("from"), &e, "write from <= to, step > 0, at most 1000 values"));
                    continue;
                }
            },
            _ => {
                let help = "write `values = [...]`, or `from`, `to` (and `step`) for a numeric range";
                diags.push(ctx.at(
                    &["dimensions", idx.as_str()],
                    "a dimension needs `values` or `from` and `to`",
                    help,
                ));
                continue;
            }
        };
        let values: Vec<(String, Option<f64>)> = values;
        if values.is_empty() || values.len() > MAX_VALUES {
            let msg = format!("{} values: a dimension needs 1 to {MAX_VALUES}", values.len());
            diags.push(ctx.at(&path("values"), &msg, "list the values to try"));
            continue;
        }
        let numeric = values.iter().all(|v| v.1.is_some());
        let segs: Vec<&str> = d.key.split('.').collect();
        let default = MONOTONE_KEYS.contains(segs.last().expect("checked"))
            || (segs.len() >= 2
                && segs[segs.len() - 2] == "autoscale"
                && matches!(*segs.last().unwrap(), "min" | "max"));
        if d.monotone == Some(true) && !numeric {
            let help = "monotonicity orders values: it needs numbers; remove `monotone` or list numbers";
            diags.push(ctx.at(&path("monotone"), "`monotone = true` on a dimension of non-numbers", help));
            continue;
        }
        out.push(Dimension { key: d.key.clone(), values, monotone: d.monotone.unwrap_or(default) && numeric });
    }
    let designs = out.iter().try_fold(1usize, |acc, d| acc.checked_mul(d.values.len()));
    if designs.is_none_or(|n| n > MAX_DESIGNS) {
        let help = "split the study, or narrow a range: successive halving still runs every design once";
        diags.push(ctx.at(&["dimensions"], &format!("the space holds more than {MAX_DESIGNS} designs"), help));
    }
    out
}

/// A value as TOML text for `--set` (strings quoted, tables inline).
fn inline(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) => {
            let parts: Vec<String> = t.iter().map(|(k, v)| format!("{k} = {}", inline(v))).collect();
            format!("{{ {} }}", parts.join(", "))
        }
        toml::Value::Array(a) => format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

fn range(from: f64, to: f64, step: f64) -> Result<Vec<(String, Option<f64>)>, String> {
    let vs = crate::sweep::values(from, to, step)?;
    let integer = [from, to, step].iter().all(|v| v.fract() == 0.0);
    Ok(vs
        .into_iter()
        .map(|v| {
            let text = if integer { format!("{}", v.round() as i64) } else { format!("{v}") };
            (text, Some(v))
        })
        .collect())
}

fn constraints(ctx: &Ctx, path: &[&str], base: &crate::model::Model, diags: &mut Vec<Diagnostic>) -> Vec<Threshold> {
    let mut cur = &ctx.root;
    for seg in path {
        let next = match cur.get_ref() {
            DeValue::Table(t) => t.get(*seg),
            DeValue::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return Vec::new(),
        }
    }
    let set = match thresholds::parse(cur, path, ctx.text) {
        Ok(s) => s,
        Err(problems) => {
            diags.extend(problems.iter().map(|p| problem(ctx, p)));
            return Vec::new();
        }
    };
    let classes: Vec<&str> = base.classes.iter().map(|c| c.name.as_str()).collect();
    let comps: Vec<&str> = base.components.iter().map(|c| c.name.as_str()).collect();
    diags.extend(set.check_names(&classes, &comps).iter().map(|p| problem(ctx, p)));
    let ThresholdSet { thresholds, .. } = set;
    thresholds
}

fn problem(ctx: &Ctx, p: &Problem) -> Diagnostic {
    let path: Vec<&str> = p.path.iter().map(String::as_str).collect();
    let span = p.span.clone().unwrap_or_else(|| span_of(&ctx.root, &path));
    ctx.span_at(span, &path.join("."), &p.message, &p.help)
}

fn replays(
    ctx: &Ctx,
    input: &SpaceFile,
    global: &[Threshold],
    base: &crate::model::Model,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Replay> {
    if input.replays.len() > MAX_REPLAYS {
        let msg = format!("{} replays, above the maximum of {MAX_REPLAYS}", input.replays.len());
        diags.push(ctx.at(&["replays"], &msg, "keep the loads that bind"));
    }
    let mut out: Vec<Replay> = Vec::new();
    let common: Vec<String> = input.space.set.iter().map(|(k, v)| format!("{k}={}", inline(v))).collect();
    for (i, r) in input.replays.iter().enumerate() {
        let idx = i.to_string();
        if out.iter().any(|o| o.name == r.name) {
            diags.push(ctx.at(
                &["replays", &idx, "name"],
                &format!("a second replay `{}`", r.name),
                "name each replay once",
            ));
        }
        let own = r.constraints.as_ref().map(|_| constraints(ctx, &["replays", &idx, "constraints"], base, diags));
        let mut sets = common.clone();
        sets.extend(r.set.iter().map(|(k, v)| format!("{k}={}", inline(v))));
        out.push(Replay {
            name: r.name.clone(),
            sets,
            load: r.load.clone(),
            constraints: own.unwrap_or_else(|| global.to_vec()),
        });
    }
    if out.is_empty() {
        out.push(Replay { name: "scenario".into(), sets: common, load: None, constraints: global.to_vec() });
    }
    if out.iter().all(|r| r.constraints.is_empty()) {
        let help = "add [constraints] with e.g. latency = [\"p(99) < 200ms\"], errors = [\"rate < 0.1%\"]";
        diags.push(ctx.at(&["space"], "the space has no constraint: the cheapest design would be the answer", help));
    }
    out
}

fn objective(ctx: &Ctx, input: &SpaceFile, replays: &[Replay], diags: &mut Vec<Diagnostic>) -> Option<usize> {
    let Some(o) = &input.objective else { return Some(0) };
    if o.minimize != "cost" {
        let msg = format!("cannot minimize `{}`", o.minimize);
        diags.push(ctx.at(&["objective", "minimize"], &msg, "write minimize = \"cost\" (the monthly cost)"));
    }
    let name = o.replay.as_ref()?;
    let found = replays.iter().position(|r| &r.name == name);
    if found.is_none() {
        let known: Vec<&str> = replays.iter().map(|r| r.name.as_str()).collect();
        let msg = format!("no replay named `{name}`");
        diags.push(ctx.at(&["objective", "replay"], &msg, &format!("the replays are: {}", known.join(", "))));
    }
    found
}

fn search(ctx: &Ctx, s: &SearchInput, diags: &mut Vec<Diagnostic>) -> Option<Search> {
    let before = diags.len();
    let mut bad = |key: &str, msg: &str, help: &str| diags.push(ctx.at(&["search", key], msg, help));
    if let Some(m) = s.method.as_deref().filter(|m| !matches!(*m, "auto" | "exhaustive" | "halving")) {
        bad("method", &format!("unknown method `{m}`"), "use auto, exhaustive or halving");
    }
    let replications = s.replications.unwrap_or(3);
    if let Err(e) = crate::runner::check_replications(replications, "search.replications") {
        bad("replications", &e, "3 to 10 give a useful interval");
    }
    let rungs = s.rungs.unwrap_or(3);
    if !(1..=6).contains(&rungs) {
        bad("rungs", "`rungs` must be 1 to 6", "3 rungs: a ninth, a third and all of the duration");
    }
    let eta = s.eta.unwrap_or(3);
    if !(2..=10).contains(&eta) {
        bad("eta", "`eta` must be 2 to 10", "3 keeps a third of the designs at each rung");
    }
    let screen_margin = s.screen_margin.unwrap_or(0.1);
    if !(0.0..=10.0).contains(&screen_margin) {
        bad("screen_margin", "`screen_margin` must be 0 to 10", "0.1 drops a design 10% past a limit");
    }
    (diags.len() == before).then_some(Search {
        method: Method::Exhaustive,
        replications,
        rungs,
        eta,
        prune: s.prune.unwrap_or(true),
        screen_margin,
    })
}

/// Applies every dimension's every value, and every replay, alone to the base scenario and
/// validates it; a problem is placed at the value in the design-space file (at the key when
/// every value fails: the key itself is wrong).
fn check_values(
    ctx: &Ctx,
    scenario: &str,
    text: &str,
    dims: &[Dimension],
    replays: &[Replay],
    diags: &mut Vec<Diagnostic>,
) {
    let problem = |load: Option<&str>, sets: &[String]| -> Option<(String, String)> {
        let o = match Overrides::new(load, sets) {
            Ok(o) => o,
            Err(e) => return Some((e.to_string(), "write a dotted key and a value".into())),
        };
        let Err(Error::Invalid(ds)) = crate::load::parse_scenario_checked_with(scenario, text, &o) else { return None };
        let first = &ds[0];
        let message = match first.message.split_once(": ") {
            Some((head, rest)) if head.starts_with("--") => rest.to_string(),
            _ => first.message.clone(),
        };
        let place = if first.file == crate::overrides::COMMAND_LINE {
            String::new()
        } else {
            format!(" (at {}:{}:{})", first.file, first.line, first.column)
        };
        Some((format!("{message}{place}"), first.help.clone()))
    };
    for (i, d) in dims.iter().enumerate() {
        let idx = i.to_string();
        let failed: Vec<(usize, String, String)> = d
            .values
            .iter()
            .enumerate()
            .filter_map(|(j, (v, _))| {
                problem(None, &[format!("{}={v}", d.key)]).map(|(m, h)| (j, format!("`{} = {v}`: {m}", d.key), h))
            })
            .collect();
        let by_key = failed.len() == d.values.len() || !ctx_has_values(ctx, &idx);
        for (j, msg, help) in failed.iter().take(if by_key { 1 } else { usize::MAX }) {
            let jdx = j.to_string();
            let path: Vec<&str> =
                if by_key { vec!["dimensions", &idx, "key"] } else { vec!["dimensions", &idx, "values", &jdx] };
            diags.push(ctx.at(&path, msg, help));
        }
    }
    for (i, r) in replays.iter().enumerate() {
        let idx = i.to_string();
        if let Some((m, h)) = problem(r.load.as_deref(), &r.sets) {
            diags.push(ctx.at(&["replays", &idx], &format!("replay `{}`: {m}", r.name), &h));
        }
    }
}

fn ctx_has_values(ctx: &Ctx, idx: &str) -> bool {
    let span = span_of(&ctx.root, &["dimensions", idx, "values"]);
    span != span_of(&ctx.root, &["dimensions", idx])
}

/// The value texts of design `id` (mixed radix, the first dimension slowest).
pub fn coords(space: &Space, mut id: usize) -> Vec<usize> {
    let mut out = vec![0; space.dimensions.len()];
    for (i, d) in space.dimensions.iter().enumerate().rev() {
        out[i] = id % d.values.len();
        id /= d.values.len();
    }
    out
}
