//! Plans, shards and merges: the work of a command that runs many simulations (a sweep, a
//! check of many files, later a design search) as a list of work items with stable ids, run
//! in shards on any number of machines and merged exactly.
//!
//! An item is one replication of one model: `(file, point, replication, replay)`. Its seed is
//! `rng::replication_seed(model.seed, replication)`, where `model.seed` is the scenario's (or
//! `--seed`): never the file's position, the point, the shard or the worker, so every point of
//! a plan sees the same arrivals, as sweeps and `compare` always did. An item's result is the
//! replication's `RunFacts`, which serialize exactly (histograms count by count), so `merge`
//! builds every summary through the same code as a single process and prints the same bytes.
//!
//! Adaptive work runs in rounds: a source whose judgement needs more replications (check's
//! doubling) makes `merge` write the plan of the next round, carrying the results so far.

pub mod cli;
mod shard;
pub mod sources;

pub use shard::Shard;

use crate::diag::Error;
use crate::summary::RunFacts;
use serde::{Deserialize, Serialize};

/// Version of the plan file; bumped when a field changes meaning or goes away.
pub const PLAN_VERSION: u32 = 1;
/// Version of a part file.
pub const PART_VERSION: u32 = 1;

/// The stable name of one work item.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ItemId {
    /// The scenario (or journey) file as given on the command line.
    pub file: String,
    /// The point within the file: a sweep's value or a design, 0-based; 0 when there is one.
    pub point: u32,
    pub replication: u32,
    /// Which traffic replay (a day, a spike, a lost region); 0 when there is one.
    pub replay: u32,
}

impl std::fmt::Display for ItemId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} point {} replication {} replay {}", self.file, self.point, self.replication, self.replay)
    }
}

/// One replication of one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkItem {
    pub id: ItemId,
    /// The replication's seed (from the model's seed and the replication only), recorded so
    /// a reader can see that every point shares it; checked when the item runs.
    pub seed: u64,
}

/// What an item measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub id: ItemId,
    pub run: RunFacts,
}

/// A file the plan reads, with a hash of its content: a shard that finds another content
/// (another checkout) refuses to run rather than merge mismatched results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub file: String,
    /// FNV-1a 64 of the file's bytes, in hex.
    pub fnv1a64: String,
}

/// Where a plan's items come from, and how `merge` judges and renders them: the command's
/// own options, so a merge prints and writes exactly what the unsharded command would.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Source {
    Sweep(sources::SweepSource),
    Check(sources::CheckSource),
}

/// A list of work items, ready to be sharded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub plan_version: u32,
    pub stagesim_version: String,
    pub source: Source,
    pub inputs: Vec<Input>,
    /// 1 for the first round; the merge of round k writes round k+1.
    pub round: u32,
    pub items: Vec<WorkItem>,
    /// Results of earlier rounds, which the final merge judges with this round's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carried: Vec<ItemResult>,
}

/// One shard's results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub part_version: u32,
    /// `Plan::id` of the plan the shard ran: parts of different plans never merge.
    pub plan_id: String,
    pub shard: Shard,
    /// The plan itself, so `merge PARTS...` needs nothing else.
    pub plan: Plan,
    /// This shard's items, in plan order.
    pub results: Vec<ItemResult>,
}

impl Plan {
    /// A stable id: FNV-1a 64 of the plan's JSON.
    pub fn id(&self) -> String {
        format!("{:016x}", fnv1a64(serde_json::to_string(self).expect("a plan serializes").as_bytes()))
    }

    /// The items shard `s` runs: every `count`-th, starting at its index (points and
    /// replications interleave, so shards take about equal work).
    pub fn items_of(&self, s: Shard) -> impl Iterator<Item = &WorkItem> {
        self.items.iter().enumerate().filter(move |(k, _)| s.owns(*k)).map(|(_, it)| it)
    }

    /// The plan as JSON (what `stagesim plan` prints).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a plan serializes") + "\n"
    }

    pub fn read(path: &str) -> Result<Plan, Error> {
        let text = read_text(path, "plan")?;
        let plan: Plan = serde_json::from_str(&text)
            .map_err(|e| Error::Usage(format!("{path}: not a stagesim plan ({e}): write one with `stagesim plan`")))?;
        if plan.plan_version != PLAN_VERSION {
            return Err(Error::Usage(format!(
                "{path}: plan version {} (this stagesim reads version {PLAN_VERSION}): plan again with this version",
                plan.plan_version
            )));
        }
        Ok(plan)
    }

    /// Refuses to run when an input file differs from the one planned.
    pub fn check_inputs(&self) -> Result<(), Error> {
        for i in &self.inputs {
            let bytes = std::fs::read(&i.file).map_err(|source| Error::Io { path: i.file.clone(), source })?;
            let h = format!("{:016x}", fnv1a64(&bytes));
            if h != i.fnv1a64 {
                return Err(Error::Usage(format!(
                    "{}: the file differs from the one planned (hash {h}, planned {}): run every shard on the same checkout",
                    i.file, i.fnv1a64
                )));
            }
        }
        Ok(())
    }
}

/// Largest plan or part file read (a part holds histograms, not requests: megabytes at most).
pub const MAX_PART_BYTES: u64 = 1 << 30;

/// A plan or part file, size-limited, as text.
pub fn read_text(path: &str, what: &str) -> Result<String, Error> {
    crate::load::read_limited(std::path::Path::new(path), path, MAX_PART_BYTES, what).map_err(|e| match e {
        crate::load::ReadError::Io(source) => Error::Io { path: path.to_string(), source },
        crate::load::ReadError::Invalid(d) => Error::Invalid(vec![*d]),
    })
}

pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// The inputs of a plan: each file with its hash.
pub fn inputs(files: &[String]) -> Result<Vec<Input>, Error> {
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).map_err(|source| Error::Io { path: f.clone(), source })?;
            Ok(Input { file: f.clone(), fnv1a64: format!("{:016x}", fnv1a64(&bytes)) })
        })
        .collect()
}

/// Runs shard `s` of `plan`: its items in parallel (rayon), results in plan order.
pub fn run_shard(plan: &Plan, s: Shard) -> Result<Part, Error> {
    plan.check_inputs()?;
    let results = sources::run_items(plan, s)?;
    Ok(Part { part_version: PART_VERSION, plan_id: plan.id(), shard: s, plan: plan.clone(), results })
}

/// What a merge gives: the command's output, or the plan of the next round.
pub enum Merged {
    Done { stdout: String, stderr: String, exit_code: i32 },
    NextRound(Box<Plan>),
}

/// Merges parts (with the files they were read from, for messages): all of one plan, every
/// shard once, every item once; then judges and renders through the command's own code.
pub fn merge(parts: Vec<(String, Part)>) -> Result<Merged, Error> {
    let plan = shard::check_parts(&parts)?;
    let mut results: Vec<ItemResult> = plan.carried.clone();
    for (_, p) in parts {
        results.extend(p.results);
    }
    shard::check_items(&plan, &results)?;
    sources::judge(&plan, results)
}
