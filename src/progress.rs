//! Progress on long work (`run`, `sweep`, `journey`, `check`), and the cancellation that
//! shares its hook.
//!
//! A command starts one [`Progress`]: a list of items (stages, loads, sweep points, files) or
//! an amount of simulated time. On a terminal it is an indicatif bar with the current item,
//! the elapsed time and an ETA, redrawn by a steady tick; off a terminal (CI logs) it is a
//! plain line on stderr per finished item (and, for simulated time, at most one every few
//! seconds); `--quiet` silences both. Nothing here writes to stdout.
//!
//! The library reports through free functions (`item_started`, `item_done`, `window_closed`)
//! that do nothing when no command has started a `Progress`, so library callers and tests are
//! unaffected. The engine calls `window_closed` through a hook at each window boundary (at
//! most `MAX_WINDOWS` times a run, never per event): it counts simulated time and answers
//! whether a SIGINT or SIGTERM asked the run to stop. A stopped run's numbers are never
//! shown: every command turns a stop into `Error::Interrupted` before it prints or writes.

use crate::diag::Error;
use crate::units::human_secs;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The exit code of the first SIGINT (130) or SIGTERM (143); 0 before one arrives.
static STOP: AtomicUsize = AtomicUsize::new(0);
/// Set by the first signal: a second one exits at once.
static ARMED: AtomicBool = AtomicBool::new(false);
static QUIET: AtomicBool = AtomicBool::new(false);
static CURRENT: Mutex<Option<Arc<Shared>>> = Mutex::new(None);
/// Whether the current progress counts simulated time (the engine hook locks only then).
static BY_SIM_TIME: AtomicBool = AtomicBool::new(false);

/// Seconds between plain progress lines about simulated time.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// Makes SIGINT and SIGTERM ask the work to stop at the next window boundary (the command
/// then exits 130 or 143, as shells do, leaving previous files intact); a second signal exits
/// at once. Called by the command line, never by the library.
pub fn install_signal_handlers() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for (signal, code) in [(SIGINT, 130usize), (SIGTERM, 143)] {
        // The order matters: the shutdown fires only once ARMED is set, by an earlier signal.
        let _ = signal_hook::flag::register_conditional_shutdown(signal, code as i32, &ARMED);
        let _ = signal_hook::flag::register_usize(signal, &STOP, code);
        let _ = signal_hook::flag::register(signal, &ARMED);
    }
}

/// Whether a signal asked the work to stop.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst) != 0
}

/// The error for work a signal stopped, if one did: what was not finished, and the exit code.
pub fn interrupted(unfinished: Vec<String>, total: usize) -> Option<Error> {
    let code = STOP.load(Ordering::SeqCst);
    let signal = match code {
        0 => return None,
        130 => "SIGINT",
        _ => "SIGTERM",
    };
    Some(Error::Interrupted { signal, exit_code: code as i32, unfinished, total })
}

/// `--quiet`: no bar and no plain lines.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

fn current() -> Option<Arc<Shared>> {
    CURRENT.lock().map_or(None, |c| c.clone())
}

/// The engine's hook at each window boundary: counts `width_ns` of simulated time and returns
/// whether to stop.
pub fn window_closed(width_ns: u64) -> bool {
    if BY_SIM_TIME.load(Ordering::Relaxed) {
        if let Some(s) = current() {
            s.simulated(width_ns);
        }
    }
    stop_requested()
}

/// An item of the current progress has started: it becomes the bar's current item.
pub fn item_started(label: &str) {
    if let Some(s) = current() {
        s.bar.set_message(label.to_string());
    }
}

/// An item of the current progress is done; `detail` goes on its plain line.
pub fn item_done(label: &str, detail: &str) {
    if let Some(s) = current() {
        s.done(label, detail);
    }
}

enum Mode {
    Bar,
    Lines,
    Silent,
}

struct Shared {
    bar: ProgressBar,
    mode: Mode,
    command: String,
    items: Vec<String>,
    /// Items report in their order (a sweep's rows), not as they finish.
    ordered: bool,
    state: Mutex<State>,
    started: Instant,
    /// Simulated nanoseconds counted so far, and the total (0 for an item list).
    sim_done_ns: AtomicU64,
    sim_total_ns: u64,
}

#[derive(Default)]
struct State {
    done: Vec<Option<String>>,
    /// Items reported so far (ordered: the first not yet reported).
    reported: usize,
    last_line: Option<Instant>,
}

/// The progress of one command; dropping it clears the bar.
pub struct Progress(Arc<Shared>);

impl Progress {
    /// Progress over a list of items; `ordered` reports them in that order.
    pub fn items(command: &str, items: Vec<String>, ordered: bool) -> Progress {
        let style = "{spinner} {prefix} [{bar:25}] {pos}/{len} · {elapsed} elapsed · ETA {eta}\n  {wide_msg}";
        let p = Progress::start(command, items.len() as u64, style, items, ordered, 0);
        p.line(&format!("{} item(s) to do", p.0.items.len()));
        p
    }

    /// Progress over `total_ns` of simulated time (a run, all its replications).
    pub fn simulated(command: &str, total_ns: u64, what: &str) -> Progress {
        let style = "{spinner} {prefix} [{bar:25}] {percent}% simulated · {elapsed} elapsed · ETA {eta}\n  {wide_msg}";
        let p = Progress::start(command, (total_ns / 1_000_000).max(1), style, Vec::new(), false, total_ns);
        p.0.bar.set_message(what.to_string());
        BY_SIM_TIME.store(true, Ordering::Relaxed);
        p
    }

    fn start(command: &str, len: u64, style: &str, items: Vec<String>, ordered: bool, sim_ns: u64) -> Progress {
        let mode = if QUIET.load(Ordering::Relaxed) {
            Mode::Silent
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines
        };
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
        bar.set_style(ProgressStyle::with_template(style).expect("static template").progress_chars("=> "));
        bar.set_prefix(format!("stagesim {command}"));
        if let Mode::Bar = mode {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        let shared = Shared {
            bar,
            mode,
            command: command.to_string(),
            state: Mutex::new(State { done: vec![None; items.len()], ..State::default() }),
            items,
            ordered,
            started: Instant::now(),
            sim_done_ns: AtomicU64::new(0),
            sim_total_ns: sim_ns,
        };
        let shared = Arc::new(shared);
        if let Ok(mut c) = CURRENT.lock() {
            *c = Some(shared.clone());
        }
        Progress(shared)
    }

    fn line(&self, text: &str) {
        self.0.line(text);
    }

    /// The items not done yet, in their order.
    pub fn unfinished(&self) -> Vec<String> {
        let state = self.0.state.lock().expect("progress state");
        self.0.items.iter().zip(&state.done).filter(|(_, d)| d.is_none()).map(|(i, _)| i.clone()).collect()
    }

    /// The simulated time counted so far, in nanoseconds.
    pub fn simulated_ns(&self) -> u64 {
        self.0.sim_done_ns.load(Ordering::Relaxed)
    }

    /// `Err(Interrupted)` naming the unfinished items if a signal stopped the work.
    pub fn check_interrupted(&self) -> Result<(), Error> {
        match interrupted(self.unfinished(), self.0.items.len()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        BY_SIM_TIME.store(false, Ordering::Relaxed);
        if let Ok(mut c) = CURRENT.lock() {
            *c = None;
        }
        self.0.bar.finish_and_clear();
    }
}

impl Shared {
    fn line(&self, text: &str) {
        if let Mode::Lines = self.mode {
            eprintln!("stagesim {}: {text}", self.command);
        }
    }

    fn elapsed_and_eta(&self, done: f64, total: f64) -> String {
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta = if done > 0.0 && total > done { elapsed / done * (total - done) } else { 0.0 };
        format!("{} elapsed, ETA {}", clock(elapsed), clock(eta))
    }

    fn done(&self, label: &str, detail: &str) {
        // Once a signal arrived, an item that ends may have been cut short: not done.
        if stop_requested() {
            return;
        }
        let Some(i) = self.items.iter().position(|x| x == label) else { return };
        let mut state = self.state.lock().expect("progress state");
        if state.done[i].is_some() {
            return;
        }
        state.done[i] = Some(detail.to_string());
        self.bar.inc(1);
        let total = self.items.len();
        let count = state.done.iter().filter(|d| d.is_some()).count();
        let tail = self.elapsed_and_eta(count as f64, total as f64);
        if !self.ordered {
            state.reported += 1;
            let detail = if detail.is_empty() { String::new() } else { format!(": {detail}") };
            self.line(&format!("[{count}/{total}] {label} done{detail} ({tail})"));
            return;
        }
        // Rows in order: report every finished item up to the first unfinished one.
        while state.reported < total {
            let r = state.reported;
            let Some(d) = state.done[r].clone() else { break };
            let detail = if d.is_empty() { String::new() } else { format!(": {d}") };
            self.line(&format!("[{}/{total}] {}{detail} ({tail})", r + 1, self.items[r]));
            state.reported += 1;
        }
    }

    fn simulated(&self, width_ns: u64) {
        let done = self.sim_done_ns.fetch_add(width_ns, Ordering::Relaxed) + width_ns;
        let done = done.min(self.sim_total_ns);
        self.bar.set_position(done / 1_000_000);
        if !matches!(self.mode, Mode::Lines) {
            return;
        }
        let Ok(mut state) = self.state.try_lock() else { return };
        let now = Instant::now();
        let since = state.last_line.unwrap_or(self.started);
        if now.duration_since(since) < PLAIN_EVERY {
            return;
        }
        state.last_line = Some(now);
        let (d, t) = (done as f64 / 1e9, self.sim_total_ns as f64 / 1e9);
        let pct = if t > 0.0 { d / t * 100.0 } else { 100.0 };
        self.line(&format!(
            "{pct:.0}% ({} of {} simulated; {})",
            human_secs(d),
            human_secs(t),
            self.elapsed_and_eta(d, t)
        ));
    }
}

/// Wall-clock time for people: `42s`, `3m05s`, `1h02m`.
fn clock(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_clock_for_people() {
        assert_eq!(clock(4.4), "4s");
        assert_eq!(clock(185.0), "3m05s");
        assert_eq!(clock(3720.0), "1h02m");
    }

    #[test]
    fn without_a_progress_the_hooks_do_nothing_and_nothing_stops() {
        item_started("x");
        item_done("x", "");
        assert!(!window_closed(1_000_000_000));
        assert!(interrupted(vec!["x".into()], 1).is_none());
    }
}
