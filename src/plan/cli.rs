//! The command line of plans: `plan`, `work`, `merge`, and the `--shard`/`--part` options
//! that `sweep` and `check` take.

use super::{Merged, Part, Plan, Shard};
use crate::diag::Error;
use std::io::Write;

/// Exit code of a merge whose work needs another round: the next plan is written.
pub const EXIT_NEXT_ROUND: i32 = 6;

/// `--shard` and `--part`, on every command that runs many items.
#[derive(clap::Args, Debug, Clone, Default, PartialEq)]
pub struct ShardArgs {
    /// Run only this shard of the work: INDEX/COUNT (1-based, e.g. 2/7), or `env` to read it
    /// from the engine's variables (Kubernetes, Slurm, GitLab CI, or STAGESIM_SHARD_INDEX and
    /// STAGESIM_SHARD_COUNT). Prints or writes a part for `stagesim merge` instead of the result.
    #[arg(long, value_name = "I/N|env")]
    pub shard: Option<String>,
    /// Where to write this shard's part (default: standard output).
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub part: Option<String>,
}

/// `stagesim plan`: the first round's plan of a command, as JSON on standard output.
#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    #[command(subcommand)]
    pub of: PlanOf,
}

#[derive(clap::Subcommand, Debug)]
pub enum PlanOf {
    /// Plan a sweep (the options of `stagesim sweep`).
    Sweep(crate::cli_more::SweepArgs),
    /// Plan a check of scenario files (the options of `stagesim check`).
    Check(crate::check::cli::CheckArgs),
}

/// `stagesim work`: run one shard of a plan file.
#[derive(clap::Args, Debug)]
pub struct WorkArgs {
    /// A plan written by `stagesim plan` (or by a merge, for the next round).
    pub plan: String,
    #[command(flatten)]
    pub shard: ShardArgs,
}

/// `stagesim merge`: combine the parts of a plan and judge them once.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Every part of one plan (one per shard).
    #[arg(required = true)]
    pub parts: Vec<String>,
    /// Where to write the next round's plan when the work needs one (a check whose
    /// thresholds are still inconclusive); the merge then exits with 6.
    #[arg(long, value_name = "FILE")]
    pub next_plan: Option<String>,
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// With `--shard`: plans (by `make`), runs this shard and returns what to print (the part,
/// or nothing when `--part` wrote it). Without: `None`, the command runs whole.
pub fn sharded(a: &ShardArgs, make: impl FnOnce() -> Result<Plan, Error>) -> Result<Option<String>, Error> {
    let Some(text) = &a.shard else { return Ok(None) };
    let shard = Shard::parse(text, &env_var)?;
    let plan = make()?;
    run_and_write(&plan, shard, a.part.as_deref()).map(Some)
}

fn run_and_write(plan: &Plan, shard: Shard, part: Option<&str>) -> Result<String, Error> {
    let p = super::run_shard(plan, shard)?;
    // Compact: a part is for machines, and histograms make it long.
    let json = serde_json::to_string(&p).expect("a part serializes") + "\n";
    match part {
        Some(path) => crate::output_file::write(path, &json).map(|_| String::new()),
        None => Ok(json),
    }
}

pub fn plan(a: &PlanArgs) -> Result<String, Error> {
    let (shard, plan) = match &a.of {
        PlanOf::Sweep(s) => (&s.shard, super::sources::sweep_plan(s)?),
        PlanOf::Check(c) => (&c.shard, super::sources::check_plan(c)?),
    };
    if shard.shard.is_some() {
        return Err(Error::Usage("`plan` writes the whole plan: give --shard to `stagesim work PLAN`".into()));
    }
    Ok(plan.to_json())
}

pub fn work(a: &WorkArgs) -> Result<String, Error> {
    let text = a.shard.shard.as_deref().ok_or_else(|| {
        Error::Usage("work needs --shard I/N (or --shard env): which shard of the plan to run".into())
    })?;
    let shard = Shard::parse(text, &env_var)?;
    run_and_write(&Plan::read(&a.plan)?, shard, a.shard.part.as_deref())
}

fn read_part(path: &str) -> Result<Part, Error> {
    let text = super::read_text(path, "part")?;
    let part: Part = serde_json::from_str(&text).map_err(|e| {
        Error::Usage(format!("{path}: not a stagesim part ({e}): parts are written by --shard with --part"))
    })?;
    if part.part_version != super::PART_VERSION {
        return Err(Error::Usage(format!(
            "{path}: part version {} (this stagesim reads version {}): run the shard again with this version",
            part.part_version,
            super::PART_VERSION
        )));
    }
    Ok(part)
}

/// Merges, prints and returns the exit code (the command's own, or `EXIT_NEXT_ROUND`).
pub fn merge_main(a: &MergeArgs, color: bool) -> i32 {
    let merged = a
        .parts
        .iter()
        .map(|p| read_part(p).map(|part| (p.clone(), part)))
        .collect::<Result<Vec<_>, Error>>()
        .and_then(super::merge);
    match merged {
        Ok(Merged::Done { stdout, stderr, exit_code }) => {
            let _ = std::io::stdout().lock().write_all(stdout.as_bytes());
            let _ = std::io::stderr().lock().write_all(stderr.as_bytes());
            exit_code
        }
        Ok(Merged::NextRound(next)) => {
            let Some(path) = &a.next_plan else {
                let e = Error::Usage(format!(
                    "the work needs round {} ({} more items): give --next-plan FILE to write its plan",
                    next.round,
                    next.items.len()
                ));
                return crate::color::print_error(&e, color);
            };
            if let Err(e) = crate::output_file::write(path, next.to_json()) {
                return crate::color::print_error(&e, color);
            }
            eprintln!(
                "round {} needed: {} items, plan written to {path}; run its shards and merge them",
                next.round,
                next.items.len()
            );
            EXIT_NEXT_ROUND
        }
        Err(e) => crate::color::print_error(&e, color),
    }
}
