//! Renderers: they format a `Summary` or a `Model` and compute no statistics.

pub mod charts;
pub mod compare_text;
pub mod explain_text;
pub mod files;
pub mod gate_text;
pub mod graph;
pub mod journey_text;
pub mod optimize_text;
pub mod run_files;
pub mod sweep_chart;
pub mod sweep_text;
pub mod text;
