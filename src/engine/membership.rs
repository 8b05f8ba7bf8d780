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
    /// A balancer in front reports detection and recovery of this pool's faults.
    pub balanced: bool,
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
            balanced: false,
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
