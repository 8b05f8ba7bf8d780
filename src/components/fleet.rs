//! The instances of a service pool over time: which are warming, serving, draining, down or
//! off, mirrored into the shared membership table, with the time integrals that utilization
//! (busy over capacity) and cost (instance-seconds) need when the pool changes size.

use crate::engine::membership::InstState;
use crate::engine::Ctx;
use crate::model::CompId;
use crate::units::Nanos;

pub struct Fleet {
    comp: CompId,
    /// The service's own copy of its row of the membership table (read on every call).
    pub state: Vec<InstState>,
    cores: u32,
    counts: [u32; 5],
    /// Where calls that come without a balancer go: serving instances, and crashed ones
    /// (without a balancer's health checks, nobody takes them out of the list).
    pub targets: Vec<u16>,
    since: Nanos,
    /// Integrals of serving cores (capacity) and provisioned instances (cost), in
    /// unit-nanoseconds: since the run started, and since measurement started.
    pub capacity_ns_total: u128,
    pub instance_ns_total: u128,
    pub capacity_ns: u128,
    pub instance_ns: u128,
    /// Cores that could run work (see `runs_work`): utilization's denominator.
    pub running_ns_total: u128,
    pub running_ns: u128,
    /// Most instances provisioned at once since measurement started.
    pub peak: u32,
    /// Per instance: since when it is in its state, and its time able to run work since
    /// measurement started (see `runs_work`).
    entered: Vec<Nanos>,
    run_ns: Vec<u128>,
    measured_from: Nanos,
}

/// States in which an instance's cores count as capacity: serving, draining, and crashed (a
/// dead process still runs out the calls it held: counting its cores keeps utilization a
/// fraction of what was there).
fn runs_work(s: InstState) -> bool {
    matches!(s, InstState::Up | InstState::Draining | InstState::Down)
}

fn slot(s: InstState) -> usize {
    match s {
        InstState::Off => 0,
        InstState::Warming => 1,
        InstState::Up => 2,
        InstState::Draining => 3,
        InstState::Down => 4,
    }
}

impl Fleet {
    /// `slots` instances (the most the pool may have), the first `up` serving.
    pub fn new(comp: CompId, slots: u32, up: u32, cores: u32) -> Fleet {
        let state: Vec<InstState> = (0..slots).map(|i| if i < up { InstState::Up } else { InstState::Off }).collect();
        let mut counts = [0; 5];
        counts[slot(InstState::Off)] = slots - up;
        counts[slot(InstState::Up)] = up;
        Fleet {
            comp,
            state,
            cores,
            counts,
            targets: {
                let mut v = Vec::with_capacity(slots as usize);
                v.extend(0..up as u16);
                v
            },
            since: 0,
            capacity_ns_total: 0,
            instance_ns_total: 0,
            capacity_ns: 0,
            instance_ns: 0,
            running_ns_total: 0,
            running_ns: 0,
            peak: up,
            entered: vec![0; slots as usize],
            run_ns: vec![0; slots as usize],
            measured_from: 0,
        }
    }

    pub fn count(&self, s: InstState) -> u32 {
        self.counts[slot(s)]
    }

    /// Instances whose cores serve calls (draining ones finish what they hold).
    pub fn serving(&self) -> u32 {
        self.count(InstState::Up) + self.count(InstState::Draining)
    }

    /// Instances that cost money: all but the spare slots.
    pub fn provisioned(&self) -> u32 {
        self.state.len() as u32 - self.count(InstState::Off)
    }

    /// Brings the integrals up to `now`.
    pub fn advance(&mut self, now: Nanos) {
        let dt = u128::from(now.saturating_sub(self.since));
        let cap = dt * u128::from(self.serving() * self.cores);
        let running = dt * u128::from((self.serving() + self.count(InstState::Down)) * self.cores);
        self.running_ns_total += running;
        self.running_ns += running;
        let inst = dt * u128::from(self.provisioned());
        self.capacity_ns_total += cap;
        self.instance_ns_total += inst;
        self.capacity_ns += cap;
        self.instance_ns += inst;
        self.since = self.since.max(now);
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        self.advance(now);
        self.capacity_ns = 0;
        self.instance_ns = 0;
        self.running_ns = 0;
        self.peak = self.provisioned();
        self.measured_from = now;
        self.run_ns.iter_mut().for_each(|r| *r = 0);
    }

    /// Instance `i`'s time able to run work since measurement started, up to the last
    /// `advance`.
    pub fn run_ns(&self, i: usize) -> u128 {
        let open = if runs_work(self.state[i]) {
            u128::from(self.since.saturating_sub(self.entered[i].max(self.measured_from)))
        } else {
            0
        };
        self.run_ns[i] + open
    }

    /// Moves instance `i` to `to`, here and in the shared table.
    pub fn set(&mut self, ctx: &mut Ctx, i: usize, to: InstState) {
        let from = self.state[i];
        if from == to {
            return;
        }
        self.advance(ctx.now);
        if runs_work(from) {
            self.run_ns[i] += u128::from(ctx.now.saturating_sub(self.entered[i].max(self.measured_from)));
        }
        self.entered[i] = ctx.now;
        self.counts[slot(from)] -= 1;
        self.counts[slot(to)] += 1;
        self.state[i] = to;
        self.peak = self.peak.max(self.provisioned());
        ctx.members[self.comp as usize].set(i, to);
        let listed = |s: InstState| matches!(s, InstState::Up | InstState::Down);
        if listed(from) != listed(to) {
            self.targets.clear();
            let t = self.state.iter().enumerate().filter(|(_, s)| listed(**s)).map(|(i, _)| i as u16);
            self.targets.extend(t);
        }
    }

    /// The lowest spare slots, for new instances.
    pub fn spare(&self, n: u32) -> Vec<usize> {
        self.state.iter().enumerate().filter(|(_, s)| **s == InstState::Off).map(|(i, _)| i).take(n as usize).collect()
    }

    /// The highest serving slots, for removal (the newest instances go first).
    pub fn newest_up(&self, n: u32) -> Vec<usize> {
        let up = self.state.iter().enumerate().rev().filter(|(_, s)| **s == InstState::Up).map(|(i, _)| i);
        up.take(n as usize).collect()
    }
}
