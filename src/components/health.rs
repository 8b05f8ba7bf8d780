//! A balancer's view of its backends' health: `health_check = { interval = "5s", failures = 3 }`.
//!
//! Every `interval` the balancer checks each instance in its list. A crashed (or stopped)
//! instance fails the check; after `failures` consecutive failures it leaves the list, and
//! until then it keeps receiving its share of the traffic (which fails). An instance that is
//! serving but not in the list (restarted, or newly warm from autoscaling) joins after one
//! successful check. Instances being drained or switched off leave at once: that is a
//! deregistration, not a health event.
//!
//! Without `health_check`, the balancer follows the instances' state at once, as an ideal
//! service registry would: a crash costs only the calls the instance held.
//!
//! The balancer reports to the fault that took an instance down: detection when it leaves
//! the list, recovery when it serves in the list again. (Without health checks, detection is
//! at the crash and recovery at the restart: see `membership::Watcher`.)

use crate::engine::membership::{InstState, Members, NO_FAULT};
use crate::faults::FaultStats;
use crate::units::Nanos;
use serde::Deserialize;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthCheckInput {
    /// Time between two checks of an instance.
    #[schemars(with = "crate::schema::Duration")]
    pub interval: String,
    /// Consecutive failed checks before an instance leaves the rotation (default 3).
    pub failures: Option<u32>,
}

#[derive(Clone, Copy, Debug)]
pub struct HealthCheckSpec {
    pub interval: Nanos,
    pub failures: u32,
}

pub struct HealthChecks {
    pub spec: HealthCheckSpec,
    listed: Vec<bool>,
    fails: Vec<u32>,
    /// Longest time from a fault taking an instance down to this balancer taking it out of
    /// the list, over the measured period: what tighter checks (`interval`, `failures`) buy.
    pub detect_ns_max: Option<Nanos>,
}

pub fn detected(faults: &mut [FaultStats], fault: u16, now: Nanos) {
    if fault != NO_FAULT {
        faults[fault as usize].detected_at.get_or_insert(now);
    }
}

/// The instance serves again after the fault that took it down.
pub fn recovered(faults: &mut [FaultStats], fault: u16, now: Nanos) {
    if fault != NO_FAULT && faults[fault as usize].started_at.is_some() {
        faults[fault as usize].recovered_at.get_or_insert(now);
    }
}

impl HealthCheckInput {
    /// Validates the keys under `base` (the `health_check` table's key path).
    pub fn validate(&self, base: &[&str; 3], r: &mut crate::validate::Resolver) -> Option<HealthCheckSpec> {
        let at = |k: &'static str| [base[0], base[1], base[2], k];
        let interval = r.interval(&at("interval"), &self.interval)?;
        let failures = r.count(&at("failures"), self.failures, 3);
        Some(HealthCheckSpec { interval, failures })
    }
}

impl HealthChecks {
    pub fn new(spec: HealthCheckSpec, slots: usize) -> HealthChecks {
        HealthChecks { spec, listed: vec![false; slots], fails: vec![0; slots], detect_ns_max: None }
    }

    /// At the start the balancer lists what serves.
    pub fn init(&mut self, m: &Members) {
        for (l, s) in self.listed.iter_mut().zip(&m.state) {
            *l = *s == InstState::Up;
        }
    }

    /// Whether instance `i` gets new calls: listed, and neither draining nor switched off.
    #[inline]
    pub fn routable(&self, i: usize, s: InstState) -> bool {
        self.listed[i] && matches!(s, InstState::Up | InstState::Down)
    }

    /// One round of checks at `now`; returns whether the list changed.
    pub fn check(&mut self, now: Nanos, m: &Members, faults: &mut [FaultStats]) -> bool {
        let mut changed = false;
        for i in 0..self.listed.len() {
            let state = m.state[i];
            let healthy = state == InstState::Up;
            if !self.listed[i] {
                if healthy {
                    self.listed[i] = true;
                    self.fails[i] = 0;
                    changed = true;
                    recovered(faults, m.down_by[i], now);
                }
                continue;
            }
            if matches!(state, InstState::Off | InstState::Draining) {
                self.listed[i] = false;
                changed = true;
            } else if healthy {
                if self.fails[i] > 0 {
                    // Restarted before the balancer gave up on it.
                    self.fails[i] = 0;
                    recovered(faults, m.down_by[i], now);
                }
            } else {
                self.fails[i] += 1;
                if self.fails[i] >= self.spec.failures {
                    self.listed[i] = false;
                    changed = true;
                    let fault = m.down_by[i];
                    if let Some(start) = faults.get(fault as usize).and_then(|f| f.started_at) {
                        let took = now.saturating_sub(start);
                        self.detect_ns_max = Some(self.detect_ns_max.map_or(took, |d| d.max(took)));
                    }
                    detected(faults, fault, now);
                }
            }
        }
        changed
    }
}
