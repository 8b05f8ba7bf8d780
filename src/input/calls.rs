//! The `calls` key of a handler: which downstream components it calls, per request class,
//! in sequence, with parallel groups written as inner arrays:
//!
//! ```toml
//! calls = ["db.read"]                                 # every class
//! calls = { browse = ["cache", "db.read"], upload = ["db.write", ["search", "feed"]] }
//! ```
//!
//! Hand-written visitors (rather than `#[serde(untagged)]`) keep the TOML spans, so a mistake
//! inside `calls` is still reported at its line and column.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// One step: a single call, or several made in parallel (answered when all return).
#[derive(Clone, Debug, PartialEq)]
pub enum StepInput {
    One(String),
    Parallel(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum CallsInput {
    All(Vec<StepInput>),
    PerClass(BTreeMap<String, Vec<StepInput>>),
}

impl schemars::JsonSchema for CallsInput {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Calls".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let call = serde_json::json!({ "type": "string", "description": "A component, or `name.read` / `name.write` for a kind with operations." });
        let step = serde_json::json!({ "anyOf": [call, { "type": "array", "items": call, "description": "Calls made in parallel." }] });
        let steps = serde_json::json!({ "type": "array", "items": step });
        schemars::json_schema!({
            "description": "Downstream calls in sequence: for every class (an array), or per request class (a table of arrays). An inner array is a parallel group.",
            "anyOf": [steps, { "type": "object", "additionalProperties": steps }]
        })
    }
}

impl<'de> Deserialize<'de> for StepInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StepInput;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a call such as \"db.read\", or an array of calls made in parallel")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StepInput, E> {
                Ok(StepInput::One(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StepInput, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                if out.is_empty() {
                    return Err(de::Error::custom("a parallel group needs at least one call"));
                }
                Ok(StepInput::Parallel(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for CallsInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CallsInput;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of calls, or a table of arrays keyed by request class")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CallsInput, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<StepInput>()? {
                    out.push(s);
                }
                Ok(CallsInput::All(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CallsInput, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<String, Vec<StepInput>>()? {
                    out.insert(k, v);
                }
                Ok(CallsInput::PerClass(out))
            }
        }
        d.deserialize_any(V)
    }
}
