//! Who is serving: per component, the state of each of its instances. The component writes
//! its own row (a service when it scales, crashes or restarts); readers such as balancers
//! read it through `Ctx` without borrowing the component. `version` changes with every
//! write, so a reader rebuilds what it derives from the table only when something changed.

use crate::units::Nanos;

/// No fault: an instance that is down for another reason, or up.
pub const NO_FAULT: u16 = u16::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstState {
    /// Not provisioned (an autoscaled pool's spare slot): no traffic, no cost.
    Off,
    /// Started, not yet ready: costs money, takes no traffic, adds no capacity.
    Warming,
    /// Serving.
    Up,
    /// Being removed: takes no new calls, finishes those it holds.
    Draining,
    /// Crashed or stopped by a fault: fails every call it receives.
    Down,
}

#[derive(Clone, Debug)]
pub struct Members {
    pub state: Vec<InstState>,
    pub version: u32,
    /// The fault (index into `Model::faults`) that took each instance down.
    pub down_by: Vec<u16>,
    /// Times each instance has (re)started: state kept in a process dies with it.
    pub incarnation: Vec<u32>,
    /// When each instance last went down.
    pub down_at: Vec<Nanos>,
    /// Who notices this pool's instances failing, and reports it to the fault.
    pub watcher: Watcher,
}

/// Who watches a pool's health (set by a balancer in front of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watcher {
    /// Nobody: callers reach instances directly and keep calling a dead one.
    Nobody,
    /// A balancer that follows instance states at once (no health checks configured):
    /// detection at the crash, recovery at the restart.
    Instant,
    /// A balancer with health checks: it reports detection and recovery itself.
    HealthChecks,
}

impl Members {
    /// A fault took instance `inst` down now.
    pub fn went_down(&mut self, inst: usize, fault: u16, now: Nanos, faults: &mut [crate::faults::FaultStats]) {
        self.set(inst, InstState::Down);
        self.down_by[inst] = fault;
        self.down_at[inst] = now;
        if self.watcher == Watcher::Instant && fault != NO_FAULT {
            faults[fault as usize].detected_at.get_or_insert(now);
        }
    }

    /// Instance `inst` serves again after a restart (a fresh process).
    pub fn came_back(&mut self, inst: usize, now: Nanos, faults: &mut [crate::faults::FaultStats]) {
        self.set(inst, InstState::Up);
        self.incarnation[inst] += 1;
        let fault = self.down_by[inst];
        if self.watcher != Watcher::HealthChecks && fault != NO_FAULT {
            faults[fault as usize].recovered_at.get_or_insert(now);
        }
    }
}

impl Members {
    /// `slots` instances, the first `up` of them serving.
    pub fn new(slots: u32, up: u32) -> Members {
        let state = (0..slots).map(|i| if i < up { InstState::Up } else { InstState::Off }).collect();
        let n = slots as usize;
        Members {
            state,
            version: 0,
            down_by: vec![NO_FAULT; n],
            incarnation: vec![0; n],
            down_at: vec![0; n],
            watcher: Watcher::Nobody,
        }
    }

    pub fn set(&mut self, inst: usize, state: InstState) {
        if self.state[inst] != state {
            self.state[inst] = state;
            self.version = self.version.wrapping_add(1);
        }
    }

    pub fn len(&self) -> usize {
        self.state.len()
    }

    pub fn is_empty(&self) -> bool {
        self.state.is_empty()
    }
}
