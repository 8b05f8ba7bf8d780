//! stagesim: a discrete-event simulator of a web system's scaling journey.
//!
//! Pipeline: TOML text -> `input` (serde mirror) -> `validate` -> `model::Model` (engine
//! types) -> `engine` (one run) -> `summary::Summary` (serializable) -> `report` (renderers).
//! See ARCHITECTURE.md for the codemap and invariants.

pub mod analysis;
pub mod bill;
pub mod budget;
pub mod calls_model;
pub mod catalog;
pub mod challenge;
pub mod check;
pub mod cli;
pub mod cli_more;
pub mod color;
pub mod compare;
pub mod components;
pub mod diag;
pub mod dist;
pub mod docs;
pub mod engine;
pub mod explain;
pub mod faults;
pub mod init;
pub mod input;
pub mod journey;
pub mod journey_cli;
pub mod load;
pub mod model;
pub mod optimize;
pub mod output_file;
pub mod overrides;
pub mod periods;
pub mod plan;
pub mod prices;
pub mod progress;
pub mod regions;
pub mod report;
pub mod rng;
pub mod run_cmd;
pub mod runner;
pub mod schema;
pub mod serve;
pub mod shell;
pub mod sizes;
pub mod stats;
pub mod steady;
pub mod summary;
pub mod sweep;
pub mod traffic;
pub mod units;
pub mod validate;
pub mod validate_cmd;

pub use diag::Error;
pub use load::{load_scenario, parse_scenario};
pub use runner::run;
pub use summary::Summary;
