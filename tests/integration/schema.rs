//! The key reference cannot drift: the committed JSON Schemas and REFERENCE.md equal what
//! `stagesim schema` and `stagesim docs` print (refresh both with `STAGESIM_BLESS=1`), every
//! shipped scenario and journey validates against its schema with a real validator while a
//! misspelt key or kind fails it, the unit patterns accept exactly what the parsers accept,
//! real outputs of every JSON command validate against theirs, and every field a kind reports
//! is in that kind's table.

use clap::Parser;
use serde_json::{json, Value};
use stagesim::cli::{execute, Cli};
use stagesim::schema::{self, patterns};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bless() -> bool {
    std::env::var_os("STAGESIM_BLESS").is_some() || std::env::var_os("UPDATE_GOLDEN").is_some()
}

/// Compares a committed file with what the code generates, or rewrites it when blessing.
fn matches_committed(rel: &str, generated: &str) {
    let path = root().join(rel);
    if bless() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let committed =
        std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing {rel}: run with STAGESIM_BLESS=1"));
    assert!(
        committed == generated,
        "{rel} differs from the code's output: run with STAGESIM_BLESS=1 and review the diff"
    );
}

#[test]
fn schema_committed_schemas_equal_the_command_output() {
    for name in schema::NAMES {
        let printed = execute(Cli::parse_from(["stagesim", "schema", name])).unwrap();
        matches_committed(&format!("models/schema/{name}.schema.json"), &printed);
    }
}

#[test]
fn schema_reference_page_equals_stagesim_docs() {
    let printed = execute(Cli::parse_from(["stagesim", "docs"])).unwrap();
    matches_committed("REFERENCE.md", &printed);
    let one = execute(Cli::parse_from(["stagesim", "docs", "queue"])).unwrap();
    assert!(one.starts_with("## `queue`") && printed.contains(&one), "one kind's section is the page's");
}

fn validator(name: &str) -> jsonschema::Validator {
    let s = schema::by_name(name).unwrap();
    jsonschema::validator_for(&s).unwrap_or_else(|e| panic!("the {name} schema is not a valid schema: {e}"))
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            toml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

fn as_json(path: &Path) -> (String, Value) {
    let text = std::fs::read_to_string(path).unwrap();
    let v: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (text, serde_json::to_value(v).unwrap())
}

#[test]
fn schema_every_shipped_scenario_and_journey_validates_and_names_its_schema() {
    let (scenario, journey, challenge) = (validator("scenario"), validator("journey"), validator("challenge"));
    let mut files = Vec::new();
    toml_files(&root().join("scenarios"), &mut files);
    files.sort();
    assert!(files.len() > 40, "found {} files", files.len());
    for path in files {
        let rel = path.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/");
        let (text, doc) = as_json(&path);
        let is_journey = doc.get("journey").is_some();
        let is_challenge = doc.get("challenge").is_some();
        let name = match (is_journey, is_challenge) {
            (true, _) => "journey",
            (_, true) => "challenge",
            _ => "scenario",
        };
        let up = "../".repeat(rel.matches('/').count());
        let directive = format!("#:schema {up}models/schema/{name}.schema.json");
        assert_eq!(text.lines().next(), Some(directive.as_str()), "{rel} must start with the schema directive");
        let v = match name {
            "journey" => &journey,
            "challenge" => &challenge,
            _ => &scenario,
        };
        let problems = errors(v, &doc);
        assert!(problems.is_empty(), "{rel}: {problems:#?}");
    }
}

fn stage3() -> Value {
    as_json(&root().join("scenarios/recipeshare/03-load-balancer.toml")).1
}

/// What a mistake is, and how to make it in a scenario.
type Mutation = (&'static str, fn(&mut Value));

#[test]
fn schema_a_misspelt_key_or_kind_fails() {
    let v = validator("scenario");
    assert!(errors(&v, &stage3()).is_empty());
    let mutations: [Mutation; 6] = [
        ("a misspelt key in a component", |d| d["components"]["app"]["instancs"] = json!(3)),
        ("a misspelt kind", |d| d["components"]["app"]["kind"] = json!("servce")),
        ("a key of another kind", |d| d["components"]["app"]["hit_ratio"] = json!(0.5)),
        ("a misspelt section", |d| d["laod"] = json!({})),
        ("a misspelt duration unit", |d| d["scenario"]["duration"] = json!("10 minutes")),
        ("a misspelt distribution", |d| d["components"]["app"]["service_time"] = json!("lognormal(mean = 6ms)")),
    ];
    for (what, mutate) in mutations {
        let mut doc = stage3();
        mutate(&mut doc);
        assert!(!errors(&v, &doc).is_empty(), "{what} passed the schema");
    }
    let mut doc = stage3();
    doc["faults"] = json!([{ "at": "1m", "kind": "instance_crash", "target": "app", "loss": 0.5 }]);
    assert!(!errors(&v, &doc).is_empty(), "a key another fault kind takes passed");
    doc["faults"] = json!([{ "at": "1m", "kind": "instance_crash", "target": "app" }]);
    assert!(errors(&v, &doc).is_empty(), "{:?}", errors(&v, &doc));

    let j = validator("journey");
    let (_, journey) = as_json(&root().join("scenarios/recipeshare/journey.toml"));
    let mut bad = journey.clone();
    bad["stages"][3]["components"]["cache"]["capacty"] = json!(5);
    assert!(!errors(&j, &bad).is_empty(), "a misspelt key in a stage's component passed");
    let mut bad = journey;
    bad["stages"][1]["fiel"] = json!("x.toml");
    assert!(!errors(&j, &bad).is_empty(), "a misspelt stage key passed");
}

/// Strings, and whether each parser should take them (checked against the parser too).
const DURATIONS: &[&str] = &[
    "250ms", "2m", "1.5h", "10us", "10µs", "1d", "3 days", "2w", " 5 s ", "1_000ms", "1e3ms", ".5s", "5.s", "0s",
    "+1s", "5", "5parsecs", "-1s", "ms", "5 e", "1e", "auto", "5ms5", "1,5s", "", "1h30m", "2m30s", "1d 12h",
];
const RATES: &[&str] = &[
    "800/s",
    "5M/day",
    "1.2k/min",
    "1_000/s",
    "10 k / s",
    "3/mo",
    "2/hour",
    "0.5/s",
    "1e3/s",
    "0/s",
    "0.0/min",
    "800",
    "-5/s",
    "10/fortnight",
    "10x/s",
    "/s",
    "k/s",
    "0k/s",
    "-0/s",
    "10k rps",
    "600 rpm",
    "1200 req/s",
    "5 qps",
];
const SIZES: &[&str] = &["64KiB", "1.5MB", "512B", "512", "10 GB", "0B", "2TiB", "3 furlongs", "-1B", "1kb", "MB"];
const GROWTHS: &[&str] = &["10%/week", "-2%/day", "5 % / month", "1%/y", "10/week", "10%", "10%/fortnight", "x%/day"];
const THROUGHPUTS: &[&str] = &["90MB/s", "1GB/min", "10KiB/ms", "500/s", "90MB", "90MB/h", "fast/s"];
const DISTRIBUTIONS: &[&str] = &[
    "5ms",
    "constant(5ms)",
    "const(value = 5ms)",
    "exp(mean = 2ms)",
    "exponential(mean=2ms)",
    "lognormal(mean = 6ms, cv = 1.0)",
    "lognormal(cv = 1.0, mean = 6ms)",
    "gamma(mean = 4ms, cv = 0.5)",
    "uniform(min = 1ms, max = 3ms)",
    "uniform(max = 3ms, min = 0ms)",
    "weibull(mean = 4ms, shape = 1.5)",
    "weibull(scale = 4ms, shape = 1.5)",
    "pareto(shape = 3, mean = 4ms)",
    " exp( mean = 2ms , ) ",
    "exp(mean = 0ms)",
    "exp(rate = 3)",
    "exp(5ms)",
    "lognormal(mean = 2ms, cv = 1, skew = 2)",
    "lognormal(mean = 2ms)",
    "lognormal(mean = 2ms, cv = 0)",
    "zipf(s = 1)",
    "exp(mean = 2ms",
    "weibull(mean = 4ms, scale = 4ms, shape = 2)",
    "exp(mean = 2 ms)",
];

fn agrees(pattern: &str, cases: &[&str], parses: impl Fn(&str) -> bool) {
    let v = jsonschema::validator_for(&json!({ "type": "string", "pattern": pattern })).unwrap();
    for case in cases {
        assert_eq!(v.is_valid(&json!(case)), parses(case), "pattern and parser disagree on {case:?}");
    }
}

#[test]
fn schema_unit_patterns_accept_exactly_what_the_parsers_accept() {
    use stagesim::units::*;
    agrees(&patterns::duration(), DURATIONS, |s| parse_duration(s).is_ok());
    agrees(&patterns::rate(), RATES, |s| parse_rate(s).is_ok());
    agrees(&patterns::rate_or_zero(), RATES, |s| parse_rate_or_zero(s).is_ok());
    agrees(&patterns::size(), SIZES, |s| parse_size(s).is_ok());
    agrees(&patterns::growth(), GROWTHS, |s| parse_growth(s).is_ok());
    agrees(&patterns::throughput(), THROUGHPUTS, |s| stagesim::components::object_storage::parse_throughput(s).is_ok());
    agrees(&patterns::distribution(), DISTRIBUTIONS, |s| stagesim::dist::Dist::parse(s).is_ok());
}

fn run_cli(args: &[&str]) -> Value {
    let out = execute(Cli::parse_from(args.iter().copied())).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    serde_json::from_str(&out).unwrap()
}

fn valid(name: &str, doc: &Value) {
    let problems = errors(&validator(name), doc);
    assert!(problems.is_empty(), "{name}: {problems:#?}");
    assert!(doc["schema_version"].as_u64().is_some_and(|v| v >= 1), "{name} has no schema_version");
}

#[test]
fn schema_real_outputs_of_every_json_command_validate() {
    let stage3 = format!("{}/scenarios/recipeshare/03-load-balancer.toml", env!("CARGO_MANIFEST_DIR"));
    let f = stage3.as_str();
    valid("summary", &run_cli(&["stagesim", "run", f, "--duration", "20s", "--replications", "2", "--format", "json"]));
    valid("explain", &run_cli(&["stagesim", "explain", f, "--format", "json"]));
    let sweep = ["stagesim", "sweep", f, "--key", "components.app.instances", "--from", "2", "--to", "3"];
    valid("sweep", &run_cli(&[&sweep[..], &["--format", "json"]].concat()));
    let capacity = format!("{}/scenarios/ci/capacity.toml", env!("CARGO_MANIFEST_DIR"));
    let check = ["stagesim", "check", &capacity, "--duration", "30s", "--replications", "2", "--max-replications", "2"];
    valid("check", &run_cli(&[&check[..], &["--format", "json"]].concat()));

    let dir = std::env::temp_dir().join(format!("stagesim-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let journey = dir.join("journey.toml");
    let text = format!(
        "[journey]\nname = \"two stages\"\nduration = \"10s\"\nreplications = 1\n[load]\nrates = [\"200/s\", \"400/s\"]\n\
         [[stages]]\nfile = \"{stage3}\"\n[[stages]]\nname = \"four app servers\"\n[stages.components.app]\ninstances = 4\n"
    );
    std::fs::write(&journey, text).unwrap();
    let j = journey.to_string_lossy().into_owned();
    let out = dir.join("report").to_string_lossy().into_owned();
    valid("journey-summary", &run_cli(&["stagesim", "journey", &j, "--out", &out, "--format", "json", "--quiet"]));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether `field` is one of `metrics`, where `{i}` or `{target}` stands for any part.
fn listed(field: &str, metrics: &[&str]) -> bool {
    metrics.iter().any(|m| match m.split_once('{') {
        None => *m == field,
        Some((head, rest)) => {
            let tail = rest.split_once('}').map_or("", |(_, t)| t);
            field.len() > head.len() + tail.len() && field.starts_with(head) && field.ends_with(tail)
        }
    })
}

#[test]
fn schema_every_field_a_kind_reports_is_in_its_table() {
    use stagesim::runner::{apply, run, RunOptions};
    let common: Vec<String> = schema::by_name("summary").unwrap()["definitions"]["ComponentSummary"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let docs = stagesim::components::kind_docs();
    let mut files = Vec::new();
    for dir in ["scenarios/catalog", "scenarios/time", "scenarios/recipeshare", "scenarios/ci"] {
        toml_files(&root().join(dir), &mut files);
    }
    files.retain(|p| !p.ends_with("journey.toml"));
    let mut seen = std::collections::BTreeSet::new();
    for path in files {
        let model = stagesim::load_scenario(&path.to_string_lossy()).unwrap();
        let s = run(&apply(&model, &RunOptions { duration_ns: Some(20_000_000_000), ..Default::default() }));
        let v = serde_json::to_value(&s).unwrap();
        for (name, comp) in v["components"].as_object().unwrap() {
            let kind = comp["kind"].as_str().unwrap();
            let (_, d) = docs.iter().find(|(k, _)| *k == kind).unwrap();
            let metrics: Vec<&str> = d.metrics.iter().flat_map(|g| g.iter().map(|(m, _)| *m)).collect();
            for field in comp.as_object().unwrap().keys() {
                if !common.contains(field) {
                    assert!(
                        listed(field, &metrics),
                        "{}: `{name}` ({kind}) reports `{field}`, missing from its DOCS",
                        path.display()
                    );
                    seen.insert(format!("{kind}.{field}"));
                }
            }
        }
    }
    assert!(seen.len() > 60, "only {} kind-specific fields seen", seen.len());
}
