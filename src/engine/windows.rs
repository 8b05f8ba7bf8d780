//! Time series: one row per window, in memory bounded whatever the simulated duration.
//!
//! The window width is fixed before the run: the requested width, widened so that the whole
//! horizon (duration plus drain) fits in `MAX_WINDOWS` rows. A simulated week therefore uses
//! the same memory as an hour, with coarser rows.

use super::latency_counts::LatencyCounts;
use crate::units::Nanos;

pub const MAX_WINDOWS: u64 = 1_000;

/// Monotonic totals a component exposes so that per-window utilization is a difference.
#[derive(Clone, Copy, Debug, Default)]
pub struct Totals {
    pub busy_ns: u128,
    pub queue_ns: u128,
    pub servers: u32,
    /// Integral of serving servers, for components whose capacity changes over time; when
    /// non-zero, utilization is busy over capacity rather than busy over (servers x time).
    pub capacity_ns: u128,
}

#[derive(Clone, Debug)]
pub struct WindowRow {
    pub start: Nanos,
    pub width: Nanos,
    pub arrivals: u64,
    pub completed: u64,
    pub errors: u64,
    pub latency_p99_ns: u64,
    pub latency_mean_ns: f64,
    pub in_flight: u64,
    /// Per component: (utilization, mean queue length).
    pub comps: Vec<(f64, f64)>,
    /// Kind-specific values (see `Component::series`): (component, name, value).
    pub series: Vec<(u16, &'static str, f64)>,
}

pub struct Windows {
    pub width: Nanos,
    end: Nanos,
    arrivals: u64,
    completed: u64,
    latency_sum_ns: u128,
    errors: u64,
    /// From 512 ns (`metrics::new_window_histogram`'s layout): fewer buckets to scan and
    /// clear per window.
    hist: LatencyCounts<9>,
    prev: Vec<Totals>,
    pub rows: Vec<WindowRow>,
}

impl Windows {
    pub fn new(requested: Nanos, horizon: Nanos, comps: usize) -> Self {
        let width = requested.max(horizon.div_ceil(MAX_WINDOWS)).max(1);
        Windows {
            width,
            end: width,
            arrivals: 0,
            completed: 0,
            latency_sum_ns: 0,
            errors: 0,
            hist: LatencyCounts::new(),
            prev: vec![Totals::default(); comps],
            rows: Vec::with_capacity(MAX_WINDOWS as usize + 1),
        }
    }

    #[inline]
    pub fn due(&self, now: Nanos) -> bool {
        now >= self.end
    }

    pub fn next_end(&self) -> Nanos {
        self.end
    }

    #[inline]
    pub fn arrival(&mut self) {
        self.arrivals += 1;
    }

    #[inline]
    pub fn completion(&mut self, latency: Nanos) {
        self.completed += 1;
        // A running sum: the histogram's own mean would walk every bucket each window.
        self.latency_sum_ns += u128::from(latency);
        self.hist.record(latency);
    }

    #[inline]
    pub fn error(&mut self) {
        self.errors += 1;
    }

    /// Closes the current window given each component's totals at its end.
    /// Closes the current window at `end`: its regular end, or the run's end for the last,
    /// shorter window (so nothing is counted past the end of the run).
    pub fn close(&mut self, end: Nanos, totals: &[Totals], in_flight: u64, series: Vec<(u16, &'static str, f64)>) {
        let start = self.end - self.width;
        let width = end.clamp(start + 1, self.end) - start;
        let w = width as f64;
        let comps = totals
            .iter()
            .zip(&self.prev)
            .map(|(t, p)| {
                let busy = (t.busy_ns - p.busy_ns) as f64;
                let queue = (t.queue_ns - p.queue_ns) as f64;
                let cap = (t.capacity_ns - p.capacity_ns) as f64;
                let util = if t.capacity_ns > 0 {
                    if cap > 0.0 {
                        busy / cap
                    } else {
                        0.0
                    }
                } else if t.servers == 0 {
                    0.0
                } else {
                    busy / (w * f64::from(t.servers))
                };
                (util, queue / w)
            })
            .collect();
        self.rows.push(WindowRow {
            start,
            width,
            arrivals: self.arrivals,
            completed: self.completed,
            errors: self.errors,
            latency_p99_ns: if self.completed == 0 { 0 } else { self.hist.value_at_quantile(0.99) },
            latency_mean_ns: if self.completed == 0 { 0.0 } else { self.latency_sum_ns as f64 / self.completed as f64 },
            in_flight,
            comps,
            series,
        });
        self.prev.copy_from_slice(totals);
        self.arrivals = 0;
        self.completed = 0;
        self.latency_sum_ns = 0;
        self.errors = 0;
        self.hist.reset();
        self.end += self.width;
    }
}
