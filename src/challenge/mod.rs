//! Challenges: an interview exercise graded by simulation.
//!
//! A challenge file gives a brief, a starting design, and hidden *cases*: each case is the
//! candidate's design extended like a journey stage (`journey::merge::deep_merge`) with the
//! case's load, faults, keys or users (a normal day, a 10x spike, a cache flush, a lost
//! instance or region, a hot key), and judged against the case's `[cases.thresholds]` by the
//! same gate as `run` and `check` (`check::evaluate`), written as the same JUnit. A failing
//! case names its bottleneck (`crate::analysis`) and the challenge's hint for it.
//!
//! The library API (used by `stagesim challenge` and the playground):
//! `load(path) -> Challenge`, `grade(&Challenge, design_file, design_text, &GradeOptions)
//! -> Verdict` (serializable), `render_text`, `render_junit`.

pub mod cli;
mod file;
mod grade;
mod render;

pub use file::{file_schema, load, parse, CASE_SECTIONS};
pub use grade::{grade, grade_file};
pub use render::{render_junit, render_text};

use crate::analysis::Bottleneck;
use crate::check::evaluate::{Outcome, ThresholdVerdict};
use crate::check::thresholds::Threshold;
use serde::Serialize;

/// Version of the `Verdict` JSON.
pub const VERDICT_SCHEMA_VERSION: u32 = 1;

/// A loaded, validated challenge.
#[derive(Clone, Debug)]
pub struct Challenge {
    /// The challenge file as given.
    pub file: String,
    pub name: String,
    /// What the candidate is asked to build, shown before grading.
    pub brief: String,
    /// The starting design's path (relative paths are relative to the challenge file).
    pub starting_design_file: String,
    /// The starting design's TOML text, shown in the editor.
    pub starting_design: String,
    pub seed: u64,
    /// Simulated time and warm-up of every case, in nanoseconds (a case may override them).
    pub duration_ns: u64,
    pub warmup_ns: u64,
    /// Replications per case: 1 judges the point estimate (as `run` does), more judge the
    /// 95% interval (as `check` does).
    pub replications: u32,
    /// Components every design must have (the cases strike them by name).
    pub keep: Vec<String>,
    /// The hidden cases, in order. Not shown to the candidate until graded.
    pub cases: Vec<Case>,
    pub hints: Vec<Hint>,
    /// The shipped reference designs and the verdicts they must get.
    pub references: Vec<Reference>,
    /// The challenge file's text (criteria point into it).
    pub text: String,
}

/// One hidden case: the design extended with a load and faults, and its criteria.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub description: String,
    /// The mechanism this case teaches ("a cache in front of the database").
    pub teaches: String,
    /// Scenario sections merged into the candidate's design (load, faults, keys, ...).
    pub overrides: toml::Table,
    /// The case's criteria, parsed from `[cases.thresholds]` in the challenge file.
    pub criteria: Vec<Threshold>,
}

/// A hint shown when a failing case's bottleneck matches.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Hint {
    /// Component kind the bottleneck must be ("database"), or any.
    pub kind: Option<String>,
    /// Prefix of the bottleneck's node ("replica"), or any.
    pub node: Option<String>,
    /// The bottleneck's cause (`read_load`, `cpu_utilization`, ...), or any.
    pub cause: Option<String>,
    /// Only for this case, or any.
    pub case: Option<String>,
    /// Only when this criterion family failed (`latency`, `errors`, `cost`, `throughput`).
    pub criterion: Option<String>,
    pub text: String,
}

/// A reference design and the verdict it must get.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Reference {
    /// Path of the design, relative to the challenge file, as written.
    pub design: String,
    /// Path of the design as it can be opened.
    pub path: String,
    /// Whole verdict: pass or fail.
    pub expect: Outcome,
    /// Per case name: pass or fail (cases left out are not asserted).
    pub cases: Vec<(String, Outcome)>,
}

/// How to grade; defaults come from the challenge file.
#[derive(Clone, Debug, Default)]
pub struct GradeOptions {
    pub seed: Option<u64>,
    pub replications: Option<u32>,
    /// Overrides every case's simulated time (and scales nothing else).
    pub duration_ns: Option<u64>,
    /// Inconclusive criteria fail the case (only with several replications).
    pub strict: bool,
}

/// The verdict on a design: what every renderer (text, JSON, JUnit, the playground) shows.
#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Verdict {
    pub schema_version: u32,
    pub stagesim_version: String,
    pub challenge: String,
    /// The challenge file as given.
    pub challenge_file: String,
    /// The graded design's file as given.
    pub design: String,
    /// Pass when every case passes.
    pub status: Outcome,
    /// 0 every case passed, 1 one failed, 5 a limit stopped a run (figures partial).
    pub exit_code: i32,
    pub passed: usize,
    pub failed: usize,
    pub cases: Vec<CaseVerdict>,
}

/// One case's verdict.
#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct CaseVerdict {
    /// 1-based, in the challenge's order.
    pub index: usize,
    pub name: String,
    pub description: String,
    pub teaches: String,
    pub status: Outcome,
    /// Each criterion judged (the same verdicts `check` gives).
    pub criteria: Vec<ThresholdVerdict>,
    /// Headline numbers of the case (means over replications).
    pub numbers: CaseNumbers,
    /// The bottleneck of the case's run (busiest node, cause, what relieves it).
    pub bottleneck: Option<Bottleneck>,
    /// Hints for a failing case: the challenge's hints that match its bottleneck and failed
    /// criteria, else the bottleneck analysis' own advice.
    pub hints: Vec<String>,
    /// Why the figures are partial, if a limit stopped a run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial: Option<String>,
    /// What the case could not do to this design (a fault on a component it does not have).
    pub notes: Vec<String>,
}

/// Headline numbers of a case, means over its replications.
#[derive(Clone, Debug, Default, Serialize, PartialEq, schemars::JsonSchema)]
pub struct CaseNumbers {
    pub throughput_per_s: f64,
    pub latency_s_p50: f64,
    pub latency_s_p99: f64,
    pub error_ratio: f64,
    pub cost_usd_per_month: f64,
    pub duration_s: f64,
    pub replications: u32,
}
