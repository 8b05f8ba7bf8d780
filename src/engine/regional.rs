//! Region faults, the engine's like link faults: an outage stops every component placed in
//! a region, a partition loses every call between two regions.
//!
//! Both act where calls are sent (`Ctx::call_out_after`) and where users' requests enter
//! (`Simulation::admit`), behind the `lossy` flag the link faults already use, so a scenario
//! without faults pays one predictable branch per call. A component in a region that is out
//! keeps running the work it holds (the calls it held are aborted for their callers, as a
//! crash does): only its effects on others are cut.
//!
//! Cross-region replication (a `database` with `replica_of`) crosses the same network: when
//! a partition starts or heals, every replication stream between a primary and a replica on
//! either side of it is paused or resumed (`RemoteLog::follow_partitions`). A paused stream
//! holds its writes back, so reads at the cut-off replica go stale, and ships them when the
//! partition heals.

use super::calls::{CallId, ReqId};
use super::membership::NO_FAULT;
use super::{Ctx, Simulation};
use crate::model::CompId;
use crate::units::Nanos;

impl Simulation<'_> {
    /// `region_outage` starts or ends.
    pub(super) fn region_outage(&mut self, fault: u16, region: u8, start: bool) {
        let placed: Vec<CompId> = (0..self.comps.len() as CompId)
            .filter(|c| self.ctx.comp_region.get(*c as usize) == Some(&Some(region)))
            .collect();
        for c in placed {
            let out = &mut self.ctx.region_out[c as usize];
            if start && *out == NO_FAULT {
                *out = fault;
                crate::components::crash::fail_station(&mut self.ctx, c, None, fault);
            } else if !start && *out == fault {
                *out = NO_FAULT;
            }
        }
        self.ctx.outages = if start { self.ctx.outages + 1 } else { self.ctx.outages - 1 };
        self.ctx.refresh_lossy();
        if !start && !self.dns_watches(region) {
            // Nobody routes around it: it serves again when it comes back. (A geo-DNS with
            // health checks reports recovery itself, when the region passes a check.)
            self.ctx.faults[fault as usize].recovered_at = Some(self.ctx.now);
        }
    }

    /// Whether a geo-DNS with health checks sends users to a component in `region`.
    fn dns_watches(&self, region: u8) -> bool {
        self.model
            .components
            .iter()
            .any(|c| c.spec.routes_around().iter().any(|t| self.ctx.comp_region[*t as usize] == Some(region)))
    }

    /// `region_partition` starts or ends.
    pub(super) fn region_partition(&mut self, fault: u16, a: u8, b: u8, start: bool) {
        if start {
            self.ctx.partitions.push((a, b, fault));
        } else {
            self.ctx.partitions.retain(|p| p.2 != fault);
            self.ctx.faults[fault as usize].recovered_at = Some(self.ctx.now);
        }
        self.ctx.refresh_lossy();
        // Cross-region replication streams through the same network: a cut one holds its
        // writes back until the partition heals (`remote_replication.rs`).
        if let Some(mut log) = self.ctx.remote_repl.take() {
            let ctx = &self.ctx;
            let region = |c: CompId| ctx.comp_region.get(c as usize).copied().flatten();
            log.follow_partitions(ctx.now, |p, r| match (region(p), region(r)) {
                (Some(a), Some(b)) => ctx.partitioned(a, b).is_some(),
                _ => false,
            });
            self.ctx.remote_repl = Some(log);
        }
    }
}

impl Ctx {
    pub(super) fn refresh_lossy(&mut self) {
        self.lossy = !self.losses.is_empty() || !self.partitions.is_empty() || self.outages > 0;
    }

    /// The partition fault between regions `a` and `b` now, if any.
    pub fn partitioned(&self, a: u8, b: u8) -> Option<u16> {
        self.partitions.iter().find(|p| (p.0, p.1) == (a, b) || (p.0, p.1) == (b, a)).map(|p| p.2)
    }

    /// Where a call from `comp` starts: its region, or the user's for kinds that are
    /// everywhere (a geo-DNS answers, a CDN edge serves, in the user's region).
    fn region_of(&self, comp: CompId, req: ReqId) -> Option<u8> {
        self.comp_region.get(comp as usize).copied().flatten().or_else(|| {
            let user = self.requests.get(req).region as usize;
            self.user_region.get(user).copied().flatten()
        })
    }

    /// Whether a region fault cuts a call from `a` to `b`: `Some(true)` when it fails at once
    /// (the target's region is out: refused), `Some(false)` when it is lost (a partition).
    pub(super) fn cut(&mut self, a: CompId, b: CompId, req: ReqId) -> Option<bool> {
        let out = self.region_out[b as usize];
        if out != NO_FAULT {
            // A dead caller's own calls are its fault already: counted once, where it held them.
            if self.region_out[a as usize] == NO_FAULT {
                self.faults[out as usize].failed += 1;
            }
            return Some(true);
        }
        if self.partitions.is_empty() {
            return None;
        }
        let fault = self.partitioned(self.region_of(a, req)?, self.region_of(b, req)?)?;
        self.faults[fault as usize].failed += 1;
        Some(false)
    }

    /// A user's request to an entry that is out, or across a partition from the user: it
    /// fails like a call would (`lost`). Returns whether it was cut.
    #[cold]
    #[inline(never)]
    pub(super) fn entry_cut(&mut self, root: CallId, entry: CompId, link: Nanos, timeout: Option<Nanos>) -> bool {
        let out = self.region_out[entry as usize];
        if out != NO_FAULT {
            self.faults[out as usize].failed += 1;
            self.lost(root, link, None);
            return true;
        }
        let user = self.requests.get(self.calls.get(root).req).region as usize;
        let (Some(u), Some(e)) =
            (self.user_region.get(user).copied().flatten(), self.comp_region.get(entry as usize).copied().flatten())
        else {
            return false;
        };
        let Some(fault) = self.partitioned(u, e) else { return false };
        self.faults[fault as usize].failed += 1;
        self.lost(root, link, timeout);
        true
    }

    /// Whether a component serves: not in a region that is out, and with an instance up (a
    /// geo-DNS health check's view of a target). Also the fault that took it down, if any.
    pub fn serving(&self, comp: CompId) -> (bool, u16) {
        let out = self.region_out[comp as usize];
        if out != NO_FAULT {
            return (false, out);
        }
        let m = &self.members[comp as usize];
        if m.state.contains(&super::membership::InstState::Up) {
            return (true, NO_FAULT);
        }
        let i = m.state.iter().position(|s| *s == super::membership::InstState::Down);
        (false, i.map_or(NO_FAULT, |i| m.down_by[i]))
    }
}
