//! JSON Schemas (draft-07) for the input files and the JSON outputs, derived from the serde
//! types with `schemars`, so a key added to an input struct or an output field shows up here
//! without anyone editing a schema by hand.
//!
//! Inputs: `ScenarioFile` and the journey file, where the components are a union tagged by
//! `kind` (one branch per entry of the kind table, `components::input_schemas`), faults a
//! union tagged by their `kind` (`faults::FAULT_KEYS`), and unit strings carry the patterns
//! of `patterns`. TOML has no null, so the `null` schemars allows for `Option` is removed.
//! Every object denies unknown keys, as the loader does.
//!
//! Draft-07 rather than 2020-12: Taplo (Even Better TOML) and most editors implement draft-07.

mod inputs;
pub mod outputs;
pub mod patterns;

pub use inputs::{Component, Components, Distribution, Duration, DurationOrAuto, Fault, Growth, Rate, RateOrZero};
pub use inputs::{Size, Stage, Thresholds, Throughput};

use schemars::generate::SchemaSettings;
use schemars::SchemaGenerator;
use serde_json::Value;

/// The schemas `stagesim schema NAME` prints, with the file each is committed as under
/// `models/schema/`.
pub const NAMES: &[&str] = &[
    "scenario",
    "journey",
    "summary",
    "check",
    "journey-summary",
    "sweep",
    "explain",
    "challenge",
    "challenge-verdict",
    "space",
    "optimize",
];

/// A generator for input files: draft-07, as the deserializer sees the types.
pub fn input_generator() -> SchemaGenerator {
    SchemaSettings::draft07().into_generator()
}

/// A generator for JSON outputs: as the serializer writes them.
pub fn output_generator() -> SchemaGenerator {
    SchemaSettings::draft07().for_serialize().into_generator()
}

/// The schema named `name` (one of `NAMES`), as a JSON value.
pub fn by_name(name: &str) -> Option<Value> {
    Some(match name {
        "scenario" => inputs::scenario(),
        "journey" => inputs::journey(),
        "summary" => outputs::summary(),
        "check" => outputs::check(),
        "journey-summary" => outputs::journey_summary(),
        "sweep" => outputs::sweep(),
        "explain" => outputs::explain(),
        "challenge" => inputs::challenge(),
        "challenge-verdict" => outputs::challenge_verdict(),
        "space" => inputs::space(),
        "optimize" => outputs::optimize(),
        _ => return None,
    })
}

/// The schema as `stagesim schema` prints it and `models/schema/` holds it.
pub fn render(name: &str) -> Option<String> {
    by_name(name).map(|v| serde_json::to_string_pretty(&v).expect("a schema serializes") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_has_a_schema() {
        for name in NAMES {
            assert!(by_name(name).is_some(), "{name}");
        }
        assert!(by_name("nope").is_none());
    }

    #[test]
    fn the_kind_tables_list_every_kind_in_order() {
        let mut g = input_generator();
        let names: Vec<&str> = crate::components::input_schemas(&mut g).iter().map(|(k, _)| *k).collect();
        assert_eq!(names, crate::components::KINDS);
        let docs: Vec<&str> = crate::components::kind_docs().iter().map(|(k, _)| *k).collect();
        assert_eq!(docs, crate::components::KINDS);
    }
}
