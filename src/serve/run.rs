//! A run for the playground: the same replications and `Summary::build` as `stagesim run`,
//! cancellable. The engine's window hook (the one progress and interrupts use) also reads a
//! per-run flag, so a run that a newer design superseded stops at its next window boundary
//! and its numbers are discarded, never shown.

use crate::engine::{RunData, Simulation};
use crate::model::Model;
use crate::rng::replication_seed;
use crate::summary::Summary;
use rayon::prelude::*;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

thread_local! {
    /// The cancel flag of the replication this thread is running (rayon threads are reused,
    /// so each replication sets and clears it).
    static CANCEL: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// The window hook: progress and signals as on the command line, and this run's flag.
fn hook(width_ns: u64) -> bool {
    let signalled = crate::progress::window_closed(width_ns);
    signalled || CANCEL.with(|c| c.borrow().as_ref().is_some_and(|f| f.load(Ordering::Relaxed)))
}

fn replication(model: &Model, r: u32, cancel: &Arc<AtomicBool>) -> RunData {
    CANCEL.with(|c| *c.borrow_mut() = Some(cancel.clone()));
    let data = Simulation::new(model, replication_seed(model.seed, r)).with_window_hook(hook).run();
    CANCEL.with(|c| *c.borrow_mut() = None);
    data
}

/// All replications of `model`, summarised exactly as `runner::run` does; `None` when
/// `cancel` was raised (or a signal arrived) before the run finished.
pub fn run_cancellable(model: &Model, cancel: &Arc<AtomicBool>) -> Option<Summary> {
    let stopped = || cancel.load(Ordering::Relaxed) || crate::progress::stop_requested();
    let mut model = model.clone();
    if model.warmup_auto {
        // `runner::detect_warmup`, with the cancellable hook.
        let mut pilot = model.clone();
        pilot.warmup = 0;
        let run = replication(&pilot, 0, cancel);
        if stopped() {
            return None;
        }
        let rows: Vec<_> = run.windows.rows.iter().filter(|w| w.start < model.duration).collect();
        let ys: Vec<f64> = rows.iter().map(|w| w.latency_mean_ns).collect();
        model.warmup = rows.get(crate::runner::mser_truncation(&ys)).map_or(0, |w| w.start);
    }
    let runs: Vec<RunData> = (0..model.replications).into_par_iter().map(|r| replication(&model, r, cancel)).collect();
    if stopped() {
        return None;
    }
    Some(Summary::build(&model, &runs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_summary_as_the_command_line_and_a_raised_flag_stops_it() {
        let mut m = crate::load_scenario("scenarios/queueing/mm1.toml").unwrap();
        m.duration = m.duration.min(30_000_000_000);
        m.warmup = m.warmup.min(m.duration / 2);
        let flag = Arc::new(AtomicBool::new(false));
        let ours = serde_json::to_string(&run_cancellable(&m, &flag).unwrap()).unwrap();
        assert_eq!(ours, serde_json::to_string(&crate::runner::run(&m)).unwrap());
        flag.store(true, Ordering::Relaxed);
        assert!(run_cancellable(&m, &flag).is_none());
    }
}
