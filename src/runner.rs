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

/// The most replications a run, check or journey may ask for: each one is a full simulation,
/// so more is never needed for an interval and would only hide a typo (or allocate for one).
pub const MAX_REPLICATIONS: u32 = 10_000;

/// A replication count from the command line or a file: 1 to `MAX_REPLICATIONS`.
pub fn check_replications(n: u32, what: &str) -> Result<u32, String> {
    match n {
        0 => Err(format!("{what} must be at least 1 (0 replications would simulate nothing)")),
        n if n > MAX_REPLICATIONS => Err(format!(
            "{what} is {n}, above the maximum of {MAX_REPLICATIONS}: use fewer (10 to 30 give a useful interval)"
        )),
        n => Ok(n),
    }
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
    Simulation::new(model, replication_seed(model.seed, replication))
        .with_window_hook(crate::progress::window_closed)
        .run()
}

/// MSER-5: the truncation point minimising the standard error of the remaining mean,
/// searched over the first half of a series of batch means (the windows).
pub fn mser_truncation(ys: &[f64]) -> usize {
    let n = ys.len();
    let mut best = (f64::INFINITY, 0);
    for d in 0..n / 2 {
        let tail = &ys[d..];
        let m = tail.iter().sum::<f64>() / tail.len() as f64;
        let sse: f64 = tail.iter().map(|y| (y - m).powi(2)).sum();
        let score = sse / (tail.len() as f64).powi(2);
        if score < best.0 {
            best = (score, d);
        }
    }
    best.1
}

/// Picks the warm-up from a pilot run of replication 0: MSER-5 over its windows' mean
/// latency (the windows are the batches).
pub fn detect_warmup(model: &Model) -> u64 {
    let mut pilot = model.clone();
    pilot.warmup = 0;
    let run = run_once(&pilot, 0);
    let rows: Vec<_> = run.windows.rows.iter().filter(|w| w.start < model.duration).collect();
    let ys: Vec<f64> = rows.iter().map(|w| w.latency_mean_ns).collect();
    let d = mser_truncation(&ys);
    rows.get(d).map_or(0, |w| w.start)
}

/// All replications of a model, summarised.
pub fn run(model: &Model) -> Summary {
    if model.warmup_auto {
        return run_fixed(&with_detected_warmup(model));
    }
    run_fixed(model)
}

fn with_detected_warmup(model: &Model) -> Model {
    let mut m = model.clone();
    m.warmup = detect_warmup(model);
    m.warmup_auto = true;
    m
}

/// All replications summarised together (exactly what `run` returns), and each one on its
/// own, in replication order: what judging thresholds across replications needs.
pub fn run_and_each(model: &Model) -> (Summary, Vec<Summary>) {
    let fixed;
    let model = if model.warmup_auto {
        fixed = with_detected_warmup(model);
        &fixed
    } else {
        model
    };
    let runs: Vec<RunData> = (0..model.replications).into_par_iter().map(|r| run_once(model, r)).collect();
    let each = runs.iter().map(|r| Summary::build(model, std::slice::from_ref(r))).collect();
    (Summary::build(model, &runs), each)
}

/// `run` for the command line: `work` (all replications of `model`) with a progress bar over
/// their simulated time, and `Error::Interrupted` (no result) when a signal stopped it.
pub fn with_progress<T>(file: &str, model: &Model, work: impl FnOnce(&Model) -> T) -> Result<T, crate::diag::Error> {
    use crate::units::human_secs;
    let pilot = if model.warmup_auto { model.duration } else { 0 };
    let total = u64::from(model.replications).saturating_mul(model.duration).saturating_add(pilot);
    let what = format!("{file}: {} replication(s)", model.replications);
    let progress = crate::progress::Progress::simulated("run", total, &what);
    let summary = work(model);
    let done = human_secs(progress.simulated_ns().min(total) as f64 / 1e9);
    let left = format!("{file}: {done} of {} simulated", human_secs(total as f64 / 1e9));
    match crate::progress::interrupted(vec![left], 1) {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

fn run_fixed(model: &Model) -> Summary {
    let runs: Vec<RunData> = (0..model.replications).into_par_iter().map(|r| run_once(model, r)).collect();
    Summary::build(model, &runs)
}

#[cfg(test)]
mod tests {
    use super::mser_truncation;

    #[test]
    fn mser_cuts_an_initial_transient() {
        // Ten high values, then noise around 1: the cut lands at the end of the transient.
        let mut ys: Vec<f64> = (0..10).map(|i| 10.0 - i as f64 * 0.5).collect();
        ys.extend((0..90).map(|i| 1.0 + if i % 2 == 0 { 0.05 } else { -0.05 }));
        let d = mser_truncation(&ys);
        assert!((9..=11).contains(&d), "{d}");
        assert_eq!(mser_truncation(&[1.0; 50]), 0);
    }
}
