//! Schemas of the JSON outputs, derived from the serialized types: `run --format json`
//! (`Summary`), `check --format json` (`check::Report`), `journey --format json` and the
//! report's summary.json (`JourneySummary`), `sweep --format json`, `explain --format json`.
//! Each output carries `schema_version`; a field whose meaning changes bumps it.

use serde_json::{json, Value};

fn output<T: schemars::JsonSchema>(title: &str) -> Value {
    let mut v = super::output_generator().into_root_schema_for::<T>().to_value();
    v["title"] = json!(title);
    v
}

pub fn summary() -> Value {
    output::<crate::summary::Summary>("stagesim run summary")
}

pub fn check() -> Value {
    output::<crate::check::Report>("stagesim check report")
}

pub fn journey_summary() -> Value {
    output::<crate::journey::run::JourneySummary>("stagesim journey summary")
}

pub fn sweep() -> Value {
    output::<crate::sweep::Sweep>("stagesim sweep")
}

pub fn explain() -> Value {
    output::<crate::explain::Explanation>("stagesim explain")
}

pub fn challenge_verdict() -> Value {
    output::<crate::challenge::Verdict>("stagesim challenge verdict")
}

pub fn optimize() -> Value {
    output::<crate::optimize::Optimization>("stagesim optimize")
}
