//! Schemas of the scenario and journey files. Field types that are strings with a syntax
//! name a marker type here (`#[schemars(with = "Option<crate::schema::Duration>")]`), whose
//! schema is a pattern from `patterns`; the parts the loader reads by hand (components by
//! kind, faults by kind, thresholds, journey stages) have a hand-made schema built from the
//! same tables the loader uses.

use super::patterns;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};
use std::borrow::Cow;

macro_rules! unit_string {
    ($(#[$doc:meta])* $name:ident, $pattern:path, $description:literal) => {
        $(#[$doc])*
        pub struct $name;
        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({ "type": "string", "pattern": $pattern(), "description": $description })
            }
        }
    };
}

unit_string!(
    /// A duration string (`units::parse_duration`).
    Duration,
    patterns::duration,
    "A duration: a number and a unit (ns, us, ms, s, m or min, h, d, w), e.g. \"250ms\", \"2m\", \"1.5h\"; `_` may separate digits."
);
unit_string!(
    /// `[scenario] warmup`.
    DurationOrAuto,
    patterns::duration_or_auto,
    "A duration (\"1m\"), or \"auto\": the warm-up is detected with MSER-5 on a pilot run."
);
unit_string!(
    /// A rate greater than zero (`units::parse_rate`).
    Rate,
    patterns::rate,
    "A rate: a number, an optional multiplier (k, M, G) and a period (s, min, h, day, month), e.g. \"800/s\", \"5M/day\", \"1.2k/min\". More than zero."
);
unit_string!(
    /// A rate that may be zero (`units::parse_rate_or_zero`).
    RateOrZero,
    patterns::rate_or_zero,
    "A rate that may be zero: \"0/s\", \"500/s\", \"1.2k/min\"."
);
unit_string!(
    /// A size in bytes (`units::parse_size`).
    Size,
    patterns::size,
    "A size: a number and a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB; none means bytes), e.g. \"64KiB\", \"1.5MB\"."
);
unit_string!(
    /// Bytes per second (`object_storage::parse_throughput`).
    Throughput,
    patterns::throughput,
    "A transfer rate: a size per s, ms or min, e.g. \"90MB/s\"."
);
unit_string!(
    /// Compounding growth (`units::parse_growth`).
    Growth,
    patterns::growth,
    "Compounding growth: a percentage per day, week, month (30 days) or year (365 days), e.g. \"10%/week\", \"-2%/day\"."
);
unit_string!(
    /// A distribution of durations (`dist::Dist::parse`).
    Distribution,
    patterns::distribution,
    "A distribution of durations: a duration (a constant, \"5ms\"), or exp(mean), lognormal(mean, cv), gamma(mean, cv), uniform(min, max), weibull(mean | scale, shape), pareto(mean | scale, shape), constant(value), with arguments as `key = value`, e.g. \"lognormal(mean = 6ms, cv = 1.0)\"."
);

/// Removes `null` from a schema: TOML has none, and schemars allows it for every `Option`.
pub(super) fn strip_null(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(Value::Array(types)) = o.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types[0].clone();
                    o.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(any)) = o.get_mut("anyOf") {
                let before = any.len();
                any.retain(|s| s != &json!({ "type": "null" }));
                if any.len() == 1 && before == 2 {
                    let only = any.remove(0);
                    o.remove("anyOf");
                    o.insert("allOf".into(), json!([only]));
                }
            }
            if let Some(Value::Array(e)) = o.get_mut("enum") {
                e.retain(|x| !x.is_null());
            }
            o.values_mut().for_each(strip_null);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_null),
        _ => {}
    }
}

/// The definition name a `{"$ref": "#/definitions/NAME"}` schema points at.
fn ref_name(s: &Schema) -> String {
    let r = s.get("$ref").and_then(Value::as_str).expect("a named type is referenced");
    r.rsplit('/').next().unwrap_or(r).to_string()
}

/// The table `[components.NAME]`: one kind's keys, chosen by `kind`.
pub struct Component;

impl JsonSchema for Component {
    fn schema_name() -> Cow<'static, str> {
        "Component".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let kinds = crate::components::input_schemas(g);
        let mut branches = Vec::new();
        for (kind, schema) in &kinds {
            let name = ref_name(schema);
            let def = g.definitions_mut().get_mut(&name).and_then(Value::as_object_mut).expect("the kind's input");
            let props = def.entry("properties").or_insert_with(|| json!({}));
            props["kind"] = json!({ "const": kind, "description": format!("The component kind: `{kind}`.") });
            props["region"] = json!({
                "type": "string",
                "description": "Where the component runs (a region of models/regions.toml); default: `[scenario] region`, else the region with the most users."
            });
            branches.push(schema.clone().to_value());
        }
        let names: Vec<&str> = kinds.iter().map(|(k, _)| *k).collect();
        json_schema!({
            "description": "A component: `kind` chooses which keys it takes.",
            "type": "object",
            "required": ["kind"],
            "properties": { "kind": { "enum": names, "description": "The component kind." } },
            "anyOf": branches,
        })
    }
}

/// `[components]`: a table of components by name.
pub struct Components;

impl JsonSchema for Components {
    fn schema_name() -> Cow<'static, str> {
        "Components".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The components, by name (`[components.app]`); calls, backends and links name them.",
            "type": "object",
            "additionalProperties": g.subschema_for::<Component>(),
        })
    }
}

/// One `[[faults]]` entry: the keys its `kind` takes (`faults::FAULT_KEYS`).
pub struct Fault;

impl JsonSchema for Fault {
    fn schema_name() -> Cow<'static, str> {
        "Fault".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let all = crate::faults::FaultInput::json_schema(g);
        let props = all.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        let mut branches = Vec::new();
        for (kind, keys) in crate::faults::FAULT_KEYS {
            let mut p = Map::new();
            p.insert("at".into(), props["at"].clone());
            p.insert("kind".into(), json!({ "const": kind }));
            for k in *keys {
                p.insert((*k).into(), props[*k].clone());
            }
            branches.push(json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["at", "kind"],
                "properties": p,
            }));
        }
        let names: Vec<&str> = crate::faults::FAULT_KEYS.iter().map(|(k, _)| *k).collect();
        json_schema!({
            "description": "A scheduled fault: `kind` chooses which keys it takes.",
            "type": "object",
            "required": ["at", "kind"],
            "properties": { "kind": { "enum": names, "description": "The fault kind." } },
            "anyOf": branches,
        })
    }
}

/// `[thresholds]`, read by hand from the spanned tree (`check::thresholds`).
pub struct Thresholds;

impl JsonSchema for Thresholds {
    fn schema_name() -> Cow<'static, str> {
        "Thresholds".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let list = json!({
            "description": "One `STAT OP LIMIT` string or a list of them, k6 style: \"p(99) < 200ms\".",
            "anyOf": [
                { "type": "string", "pattern": "(<|>)" },
                { "type": "array", "items": { "type": "string", "pattern": "(<|>)" } }
            ]
        });
        let metric = |d: &str| {
            let mut m = list.clone();
            m["description"] = json!(d);
            m
        };
        let latency = metric(
            "Latency: p(50) p(90) p(95) p(99) p(99.9), avg, med, max against a duration, e.g. \"p(99) < 200ms\".",
        );
        let errors = metric("Errors: `rate` (a ratio, \"0.1%\" or 0.001) or `count`, e.g. \"rate < 0.1%\".");
        json_schema!({
            "description": "What the model promises, judged by `stagesim check` (and by `run` where it judges thresholds).",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "latency": latency,
                "errors": errors,
                "throughput": metric("Throughput: `rate` against a rate, e.g. \"rate > 790/s\"."),
                "cost": metric("Cost: monthly_usd, hourly_usd or per_million_requests_usd, e.g. \"monthly_usd < 12000\"."),
                "classes": {
                    "description": "Per request class: latency and errors.",
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": false,
                        "properties": { "latency": latency, "errors": errors }
                    }
                },
                "components": {
                    "description": "Per component: any numeric field of its JSON summary object as `OP LIMIT` (\"utilization = \\\"< 0.8\\\"\"), and `latency` k6 style.",
                    "type": "object",
                    "additionalProperties": { "type": "object", "additionalProperties": list }
                }
            }
        })
    }
}

/// The scenario file's schema.
pub fn scenario() -> Value {
    let mut v = super::input_generator().into_root_schema_for::<crate::input::ScenarioFile>().to_value();
    strip_null(&mut v);
    v["title"] = json!("stagesim scenario");
    v
}

/// The design-space file of `stagesim optimize`.
pub fn space() -> Value {
    let mut v = super::input_generator().into_root_schema_for::<crate::optimize::space::SpaceFile>().to_value();
    strip_null(&mut v);
    v["title"] = json!("stagesim design space");
    v
}

/// A journey's `[[stages]]` entry. Its scenario sections are partial (a stage overrides what
/// it names); `journey()` fills them in from the scenario schema.
pub struct Stage;

impl JsonSchema for Stage {
    fn schema_name() -> Cow<'static, str> {
        "Stage".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A stage: a scenario `file`, or (without `file`) the previous stage with the sections given here merged in key by key.",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "name": { "type": "string", "description": "The stage's name in the report (default: the scenario's name)." },
                "description": { "type": "string", "description": "What changes in this stage (default: the scenario's description)." },
                "file": { "type": "string", "description": "A scenario file, relative to the journey file; without it the stage extends the previous one." },
                "extends": { "description": "Accepted for readability; a stage without `file` always extends the previous stage." },
                "remove": { "type": "array", "items": { "type": "string" }, "description": "Components of the previous stage to remove." },
                "thresholds": g.subschema_for::<Thresholds>(),
                "capacity": crate::journey::capacity_schema(g),
            }
        })
    }
}

/// The journey file's schema: the stage's scenario sections are the scenario's own, with no
/// key required (an override names only what changes).
pub fn journey() -> Value {
    let mut g = super::input_generator();
    let mut v = crate::journey::file_schema(&mut g).to_value();
    let scenario = scenario();
    let defs = v["definitions"].as_object_mut().expect("definitions");
    for (name, def) in scenario["definitions"].as_object().expect("definitions") {
        let mut partial = def.clone();
        drop_required(&mut partial);
        defs.insert(format!("Partial{name}"), partial);
    }
    for key in crate::journey::MERGEABLE {
        let mut prop = scenario["properties"][*key].clone();
        drop_required(&mut prop);
        defs["Stage"]["properties"][*key] = prop;
    }
    strip_null(&mut v);
    v["title"] = json!("stagesim journey");
    v
}

/// The challenge file's schema: a case's scenario sections are the scenario's own, with no
/// key required (a case names only what it changes), as a journey stage's.
pub fn challenge() -> Value {
    let mut g = super::input_generator();
    let mut v = crate::challenge::file_schema(&mut g).to_value();
    let scenario = scenario();
    let defs = v["definitions"].as_object_mut().expect("definitions");
    for (name, def) in scenario["definitions"].as_object().expect("definitions") {
        let mut partial = def.clone();
        drop_required(&mut partial);
        defs.insert(format!("Partial{name}"), partial);
    }
    for key in crate::challenge::CASE_SECTIONS {
        let mut prop = scenario["properties"][*key].clone();
        drop_required(&mut prop);
        defs["CaseInput"]["properties"][*key] = prop;
    }
    strip_null(&mut v);
    v["title"] = json!("stagesim challenge");
    v
}

/// Removes `required` and points references at the partial definitions.
fn drop_required(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.remove("required");
            if let Some(Value::String(r)) = o.get_mut("$ref") {
                *r = r.replace("#/definitions/", "#/definitions/Partial");
            }
            o.values_mut().for_each(drop_required);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_required),
        _ => {}
    }
}
