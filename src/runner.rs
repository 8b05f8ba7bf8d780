//! Runs a model: replications in parallel (rayon), each a single-threaded simulation with its
//! own seed, gathered in replication order so the summary does not depend on scheduling.

use crate::engine::{RunData, Simulation};
use crate::model::Model;
use crate::rng::replication_seed;
use crate::summary::Summary;
use rayon::prelude::*;

/// Options a caller may override without editing the scenario.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub seed: Option<u64>,
    pub duration_ns: Option<u64>,
    pub replications: Option<u32>,
}

pub fn apply(model: &Model, opts: &RunOptions) -> Model {
    let mut m = model.clone();
    if let Some(s) = opts.seed {
        m.seed = s;
    }
    if let Some(d) = opts.duration_ns {
        m.duration = d;
        m.warmup = m.warmup.min(d / 2);
    }
    if let Some(r) = opts.replications {
        m.replications = r.max(1);
    }
    m
}

/// One replication, single-threaded.
pub fn run_once(model: &Model, replication: u32) -> RunData {
    Simulation::new(model, replication_seed(model.seed, replication)).run()
}

/// All replications of a model, summarised.
pub fn run(model: &Model) -> Summary {
    let runs: Vec<RunData> = (0..model.replications).into_par_iter().map(|r| run_once(model, r)).collect();
    Summary::build(model, &runs)
}
