//! The commands a plan can come from: how each lists its items, builds the model of an item,
//! and judges and renders the results through the command's own code.

use super::{ItemId, ItemResult, Merged, Plan, Shard, Source, WorkItem};
use crate::check::cli::CheckArgs;
use crate::cli_more::SweepArgs;
use crate::diag::Error;
use crate::model::Model;
use crate::rng::replication_seed;
use crate::summary::{RunFacts, Summary};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// A sweep: its command-line options (what `stagesim sweep` was given).
pub type SweepSource = SweepArgs;
/// A check: its command-line options (what `stagesim check` was given).
pub type CheckSource = CheckArgs;

/// The first round's plan of a sweep.
pub fn sweep_plan(a: &SweepArgs) -> Result<Plan, Error> {
    let models = crate::cli_more::sweep_models(a)?;
    let mut items = Vec::new();
    for (p, m) in models.iter().enumerate() {
        for r in 0..m.model.replications {
            items.push(item(&a.file, p as u32, r, &m.model));
        }
    }
    new_plan(Source::Sweep(a.clone()), vec![a.file.clone()], 1, items)
}

/// The first round's plan of a check: the first batch of replications of every file.
pub fn check_plan(a: &CheckArgs) -> Result<Plan, Error> {
    let opts = crate::check::cli::options(a)?;
    crate::check::plan_refuses_journeys(&a.files)?;
    let planned = crate::check::plan::plan(&a.files, &opts.overrides)?;
    crate::check::plan::nothing_to_judge(&planned, &opts)?;
    let mut items = Vec::new();
    for f in &a.files {
        let m = crate::check::scenario_model(f, &opts)?;
        items.extend((0..opts.replications).map(|r| item(f, 0, r, &m)));
    }
    new_plan(Source::Check(a.clone()), a.files.clone(), 1, items)
}

fn item(file: &str, point: u32, replication: u32, m: &Model) -> WorkItem {
    WorkItem {
        id: ItemId { file: file.to_string(), point, replication, replay: 0 },
        seed: replication_seed(m.seed, replication),
    }
}

fn new_plan(source: Source, files: Vec<String>, round: u32, items: Vec<WorkItem>) -> Result<Plan, Error> {
    Ok(Plan {
        plan_version: super::PLAN_VERSION,
        stagesim_version: env!("CARGO_PKG_VERSION").to_string(),
        source,
        inputs: super::inputs(&files)?,
        round,
        items,
        carried: Vec::new(),
    })
}

/// The models of a plan's items, by (file, point).
fn models(plan: &Plan) -> Result<BTreeMap<(String, u32), Model>, Error> {
    let mut out = BTreeMap::new();
    match &plan.source {
        Source::Sweep(a) => {
            for (p, m) in crate::cli_more::sweep_models(a)?.into_iter().enumerate() {
                out.insert((a.file.clone(), p as u32), m.model);
            }
        }
        Source::Check(a) => {
            let opts = crate::check::cli::options(a)?;
            for f in &a.files {
                out.insert((f.clone(), 0), crate::check::scenario_model(f, &opts)?);
            }
        }
    }
    Ok(out)
}

/// Runs shard `s`'s items of `plan`, in parallel, results in plan order.
pub fn run_items(plan: &Plan, s: Shard) -> Result<Vec<ItemResult>, Error> {
    let models = models(plan)?;
    let mine: Vec<(&WorkItem, &Model)> = plan
        .items_of(s)
        .map(|it| {
            let m = models
                .get(&(it.id.file.clone(), it.id.point))
                .ok_or_else(|| Error::Usage(format!("item `{}`: no such file and point in the plan", it.id)))?;
            if replication_seed(m.seed, it.id.replication) != it.seed {
                return Err(Error::Usage(format!("item `{}`: its seed differs from the scenario's", it.id)));
            }
            Ok((it, m))
        })
        .collect::<Result<_, Error>>()?;
    let labels = mine.iter().map(|(it, _)| it.id.to_string()).collect();
    let progress = crate::progress::Progress::items("shard", labels, false);
    let results = mine
        .par_iter()
        .map(|(it, m)| {
            let label = it.id.to_string();
            crate::progress::item_started(&label);
            let run = RunFacts::of(&crate::runner::run_once(m, it.id.replication));
            crate::progress::item_done(&label, "done");
            ItemResult { id: it.id.clone(), run }
        })
        .collect();
    progress.check_interrupted()?;
    Ok(results)
}

/// Judges a complete set of results with the command's own code.
pub fn judge(plan: &Plan, results: Vec<ItemResult>) -> Result<Merged, Error> {
    let mut by_id: BTreeMap<ItemId, RunFacts> = results.into_iter().map(|r| (r.id, r.run)).collect();
    match &plan.source {
        Source::Sweep(a) => {
            let models = crate::cli_more::sweep_models(a)?;
            let mut runs = Vec::new();
            for (p, m) in models.iter().enumerate() {
                let point: Vec<RunFacts> = (0..m.model.replications)
                    .map(|r| {
                        let id = ItemId { file: a.file.clone(), point: p as u32, replication: r, replay: 0 };
                        by_id.remove(&id).ok_or_else(|| Error::Usage(format!("item `{id}` has no result")))
                    })
                    .collect::<Result<_, _>>()?;
                runs.push(point);
            }
            let stdout = crate::cli_more::sweep_finish(a, &models, runs)?;
            Ok(Merged::Done { stdout, stderr: String::new(), exit_code: 0 })
        }
        Source::Check(a) => judge_check(plan, a, by_id),
    }
}

/// Replications of a check, read from the results; a batch that is not there yet is noted
/// as work for the next round.
struct FromResults {
    files: BTreeMap<String, String>,
    results: BTreeMap<ItemId, RunFacts>,
    needed: Mutex<Vec<(String, u32, u32)>>,
}

impl crate::check::Replicator for FromResults {
    fn replicate(&self, file: &str, model: &Model, from: u32, to: u32) -> Option<Vec<Summary>> {
        let given = self.files.get(file).cloned().unwrap_or_else(|| file.to_string());
        let got: Option<Vec<Summary>> = (from..to)
            .map(|r| {
                let id = ItemId { file: given.clone(), point: 0, replication: r, replay: 0 };
                self.results.get(&id).map(|f| Summary::from_facts(model, std::slice::from_ref(f)))
            })
            .collect();
        if got.is_none() {
            self.needed.lock().expect("not poisoned").push((given, from, to));
        }
        got
    }
}

fn judge_check(plan: &Plan, a: &CheckArgs, results: BTreeMap<ItemId, RunFacts>) -> Result<Merged, Error> {
    let files = a.files.iter().map(|f| (crate::check::scenario_key(f), f.clone())).collect();
    let source = FromResults { files, results, needed: Mutex::new(Vec::new()) };
    let github =
        (std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true")).then(|| std::env::var("GITHUB_STEP_SUMMARY").ok());
    if let Some(out) = crate::check::cli::execute_with(a, github, &source)? {
        return Ok(Merged::Done { stdout: out.stdout, stderr: out.stderr, exit_code: out.exit_code });
    }
    let opts = crate::check::cli::options(a)?;
    let mut items = Vec::new();
    for (file, from, to) in source.needed.into_inner().expect("not poisoned") {
        let m = crate::check::scenario_model(&file, &opts)?;
        items.extend((from..to).map(|r| item(&file, 0, r, &m)));
    }
    let mut next = plan.clone();
    next.round += 1;
    next.items = items;
    next.carried = source.results.into_iter().map(|(id, run)| ItemResult { id, run }).collect();
    Ok(Merged::NextRound(Box::new(next)))
}
