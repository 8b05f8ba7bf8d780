//! What happens on the clock rather than per request: closed-model users thinking between
//! requests, and scheduled faults (components handle their own; links are the engine's).

use super::calls::{CallId, Outcome, ReqId};
use super::event::Event;
use super::{Ctx, Simulation};
use crate::faults::FaultKind;
use crate::model::CompId;
use crate::traffic::Arrivals;
use crate::units::Nanos;
use rand::Rng;

impl Simulation<'_> {
    /// Schedules what the run starts with besides the first open-model arrival.
    pub(super) fn start_timeline(&mut self) {
        for c in &mut self.comps {
            c.start(&mut self.ctx);
        }
        for (i, f) in self.model.faults.iter().enumerate() {
            // Within the run only: a fault that would end after it simply has not ended.
            self.ctx.schedule_periodic(f.at, Event::Fault(i as u16, true));
            if let Some(d) = f.kind.lasts() {
                self.ctx.schedule_periodic(f.at.saturating_add(d), Event::Fault(i as u16, false));
            }
        }
        if let Arrivals::Closed { users, .. } = self.model.load.arrivals {
            // Each user starts after one think time, so they do not all arrive at zero.
            for user in 0..users {
                self.user_done(user);
            }
        }
    }

    /// A closed-model user sends a request, unless arrivals have stopped.
    pub(super) fn on_think(&mut self, user: u32) {
        if self.ctx.now >= self.model.duration {
            return;
        }
        let draw = self.source.draw_for_user(user);
        self.admit(draw);
    }

    /// A closed-model user's request ended: it thinks, then sends the next one.
    #[cold]
    pub(super) fn user_done(&mut self, user: u32) {
        let t = self.source.think().max(1);
        // Like open-model arrivals, requests stop at the end of the run: no event after it.
        if self.ctx.now.saturating_add(t) < self.model.duration {
            self.ctx.schedule(t, Event::Think(user));
        }
    }

    /// A fault starts or ends.
    pub(super) fn on_fault(&mut self, i: u16, start: bool) {
        let f = &self.model.faults[i as usize];
        let now = self.ctx.now;
        if start {
            self.ctx.faults[i as usize].started_at = Some(now);
            self.active_faults.push(i);
        } else {
            self.active_faults.retain(|a| *a != i);
        }
        match f.kind {
            FaultKind::LinkLatency { other, .. } => {
                self.set_link_latency(f.target, other);
                self.link_fault_over(i, start);
            }
            FaultKind::LinkLoss { other, loss, .. } => {
                if start {
                    self.ctx.losses.push((f.target, other, loss, i));
                } else {
                    self.ctx.losses.retain(|l| l.3 != i);
                }
                self.ctx.refresh_lossy();
                self.link_fault_over(i, start);
            }
            FaultKind::RegionOutage { region, .. } => self.region_outage(i, region, start),
            FaultKind::RegionPartition { a, b, .. } => self.region_partition(i, a, b, start),
            FaultKind::InstanceCrash { .. }
            | FaultKind::ComponentDown { .. }
            | FaultKind::ReplicaLagSpike { .. }
            | FaultKind::CacheFlush
            | FaultKind::PrimaryFailover { .. } => {
                self.comps[f.target as usize].fault(&mut self.ctx, i, f, start);
            }
        }
    }

    fn link_fault_over(&mut self, i: u16, start: bool) {
        if !start {
            self.ctx.faults[i as usize].recovered_at = Some(self.ctx.now);
        }
    }

    /// The link's latency: its own plus every latency fault on it now.
    fn set_link_latency(&mut self, a: CompId, b: CompId) {
        let mut ns = self.model.latency.get(a, b);
        for &i in &self.active_faults {
            let f = &self.model.faults[i as usize];
            if let FaultKind::LinkLatency { other, added, .. } = f.kind {
                if (f.target, other) == (a, b) || (f.target, other) == (b, a) {
                    ns = ns.saturating_add(added);
                }
            }
        }
        self.ctx.latency.set(a, b, ns);
    }

    /// A request ended in error: it counts against every fault in progress.
    #[cold]
    pub(super) fn error_during_faults(&mut self) {
        for &i in &self.active_faults {
            self.ctx.faults[i as usize].errors_during += 1;
        }
    }
}

impl Ctx {
    /// Whether a call from `a` to `b` is lost (only asked while some link loses calls or a
    /// region fault is on): `Some(true)` when its caller learns at once (a refused
    /// connection), `Some(false)` when only its timeout tells.
    #[cold]
    #[inline(never)]
    pub(super) fn lose(&mut self, a: CompId, b: CompId, req: ReqId) -> Option<bool> {
        if let Some(at_once) = self.cut(a, b, req) {
            return Some(at_once);
        }
        let &(_, _, p, fault) = self.losses.iter().find(|l| (l.0, l.1) == (a, b) || (l.0, l.1) == (b, a))?;
        let lost = super::super::traffic::unit(self.fault_rng.next_u64()) < p;
        if lost {
            self.faults[fault as usize].failed += 1;
        }
        lost.then_some(false)
    }

    /// A lost call never arrives. Its caller notices at its timeout (the call times out) or,
    /// without one, at once: the connection fails after a one-way trip.
    #[cold]
    #[inline(never)]
    pub(super) fn lost(&mut self, id: CallId, delay: Nanos, timeout: Option<Nanos>) -> CallId {
        let call = self.calls.get_mut(id);
        call.replied = true;
        call.outcome = Outcome::Failed;
        match timeout {
            Some(t) => {
                // The timeout fires first and abandons the call; the reply then frees it.
                self.arm_timeout(id, t);
                self.schedule(t, Event::Reply(id));
            }
            None => self.schedule(delay, Event::Reply(id)),
        }
        id
    }
}
