//! The integration test crate: one binary, one module per concern.
//!
//! Statistical tests use fixed seeds (so they cannot flake) and state their tolerances;
//! they are meant for `cargo test --release`, which is the project's test command.

mod answers;
mod autoscale;
mod bill;
mod bounds;
mod cache;
mod capped;
mod challenge;
mod check;
mod check_journey;
mod ci_outputs;
mod data_validation;
mod day;
mod faults;
mod faults_data;
mod faults_regions;
mod faults_validation;
mod flow_cdn;
mod flow_fanout;
mod flow_gateway;
mod flow_queue;
mod flow_regions;
mod flow_resilience;
mod flow_support;
mod golden;
mod inputs;
mod invariants;
mod journeys;
mod k6;
mod limits;
mod memory;
mod mutation;
mod optimize;
mod orphans;
mod plan;
mod pooling;
mod queueing;
mod replicas;
mod report;
mod scale_validation;
mod schema;
mod scratch;
mod serve;
mod sessions;
mod shards;
mod swarm;
mod time_validation;
mod timers;
mod traffic;
mod validation;
mod writes;
mod xregion;

use stagesim::runner::{apply, run, RunOptions};
use stagesim::summary::Summary;

/// Loads a shipped scenario by path relative to the crate root.
pub fn scenario(path: &str) -> stagesim::model::Model {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    stagesim::load_scenario(&full).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn run_with(path: &str, opts: RunOptions) -> Summary {
    run(&apply(&scenario(path), &opts))
}
