//! Counters and latency histograms collected during a run.
//!
//! Latency is recorded in nanoseconds in HDR histograms with two significant digits (at most
//! 1% relative error) from 1 ns to one hour; longer values saturate at the top bucket.

use super::latency_counts::LatencyCounts;
use crate::units::Nanos;
use hdrhistogram::Histogram;

pub const HIST_MAX_NS: u64 = 3_600_000_000_000;

pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIST_MAX_NS, 2).expect("static histogram bounds are valid")
}

/// For time-series windows: 1 µs resolution (still at most 1% relative error above it). It is
/// reset and scanned once per window, and starting at 1 µs rather than 1 ns makes that about
/// four times cheaper, which matters when a window holds only a few hundred requests.
pub fn new_window_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1_000, HIST_MAX_NS, 2).expect("static histogram bounds are valid")
}

/// How requests ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Outcomes {
    pub arrived: u64,
    pub completed: u64,
    pub failed: u64,
    pub rejected: u64,
    pub timed_out: u64,
}

impl Outcomes {
    pub fn resolved(&self) -> u64 {
        self.completed + self.failed + self.rejected + self.timed_out
    }
    pub fn add(&mut self, o: &Outcomes) {
        self.arrived += o.arrived;
        self.completed += o.completed;
        self.failed += o.failed;
        self.rejected += o.rejected;
        self.timed_out += o.timed_out;
    }
}

pub struct ClassMetrics {
    pub outcomes: Outcomes,
    /// Latency of completed requests (filled from `counts` when the run ends).
    pub latency: Histogram<u64>,
    counts: LatencyCounts<0>,
}

impl ClassMetrics {
    pub fn new() -> Self {
        ClassMetrics { outcomes: Outcomes::default(), latency: new_histogram(), counts: LatencyCounts::new() }
    }

    #[inline(always)]
    pub fn record(&mut self, ns: Nanos) {
        self.counts.record(ns);
    }

    /// Moves what the run recorded into `latency`.
    pub fn seal(&mut self) {
        self.counts.drain_into(&mut self.latency);
    }
}

impl Default for ClassMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// What every component sees regardless of kind: calls in, replies out and their latency.
/// A component's counts over the measured window (taken when it closes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WindowCounts {
    pub received: u64,
    pub ok: u64,
    pub errors: u64,
    pub egress_bytes: u64,
    pub inter_region_bytes: u64,
}

pub struct CompMetrics {
    pub received: u64,
    pub ok: u64,
    pub errors: u64,
    /// Latency of successful replies (filled from `counts` when the run ends).
    pub latency: Histogram<u64>,
    counts: LatencyCounts<0>,
    /// Response bytes this component sent to users (as the entry), by the scenario's `[sizes]`.
    pub egress_bytes: u64,
    /// Bytes this component sent to another region (`[call_sizes]`, see `engine::transfer`).
    pub inter_region_bytes: u64,
}

impl CompMetrics {
    pub fn window_counts(&self) -> WindowCounts {
        WindowCounts {
            received: self.received,
            ok: self.ok,
            errors: self.errors,
            egress_bytes: self.egress_bytes,
            inter_region_bytes: self.inter_region_bytes,
        }
    }

    pub fn new() -> Self {
        CompMetrics {
            received: 0,
            ok: 0,
            errors: 0,
            latency: new_histogram(),
            counts: LatencyCounts::new(),
            egress_bytes: 0,
            inter_region_bytes: 0,
        }
    }

    pub fn reset(&mut self) {
        self.received = 0;
        self.ok = 0;
        self.errors = 0;
        self.egress_bytes = 0;
        self.inter_region_bytes = 0;
        self.latency.reset();
        self.counts.reset();
    }

    #[inline(always)]
    pub fn record(&mut self, ns: Nanos) {
        self.counts.record(ns);
    }

    /// Moves what the run recorded into `latency`.
    pub fn seal(&mut self) {
        self.counts.drain_into(&mut self.latency);
    }
}

impl Default for CompMetrics {
    fn default() -> Self {
        Self::new()
    }
}

#[inline]
pub fn record(h: &mut Histogram<u64>, ns: Nanos) {
    h.saturating_record(ns.clamp(1, HIST_MAX_NS));
}

/// Limits that were reached during a run; each is a reported outcome, not a crash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LimitsHit {
    /// Arrivals rejected because `max_in_flight` requests were already in the system.
    pub in_flight: u64,
    /// Calls refused because `max_calls` hops were alive.
    pub calls: u64,
    /// The run stopped at `max_events`.
    pub events: bool,
    /// The run stopped at the end of the drain period with requests still in flight.
    pub sim_time: bool,
}
