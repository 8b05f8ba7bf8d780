//! The faults of a replicated database's data path.
//!
//! `replica_lag_spike`: while it lasts every committed write reaches the replicas `lag`
//! later (replication falls behind, as when a replica replays a long migration or its disk
//! stalls). Reads served stale meanwhile count against it; it has recovered when the last
//! write committed during it shows on every replica (the replicas have caught up), which may
//! be after the run ends.
//!
//! `primary_failover`: the primary dies at the fault's start. What it held fails; writes sent
//! until the promotion fail at once (the failover window), while reads go on at the replicas
//! (a read-your-writes rule that would send a read to the primary sends it to a replica: there
//! is no primary). The replica to promote is chosen when the primary dies: the one with the
//! fewest writes not yet applied (what managed failovers pick, the highest log position). The
//! writes committed on the old primary and not yet visible on it are lost: acknowledged to
//! their callers, gone from the new primary (`requests_lost`). At the end of `promotion` it
//! takes writes; the database then runs with one replica fewer (no replacement is modelled)
//! and, with none left, the new primary serves reads too. Detection is part of `promotion`,
//! so none is reported.

use super::{Database, NO_PRIMARY};
use crate::components::crash;
use crate::engine::calls::{CallId, Outcome};
use crate::engine::membership::NO_FAULT;
use crate::engine::Ctx;
use crate::units::Nanos;

/// A failover in progress: the node to promote.
#[derive(Clone, Copy, Debug)]
pub struct Failover {
    promote: usize,
    fault: u16,
}

impl Database {
    pub(super) fn lag_spike(&mut self, ctx: &mut Ctx, fault: u16, lag: Nanos, start: bool) {
        let Some(repl) = self.repl.as_mut() else { return };
        if start {
            repl.extra_lag = repl.extra_lag.saturating_add(lag);
            repl.shows_max = 0;
            self.spike = fault;
        } else {
            repl.extra_lag = repl.extra_lag.saturating_sub(lag);
            let caught_up = repl.shows_max.max(ctx.now);
            ctx.faults[fault as usize].recovered_at = Some(caught_up);
            if self.spike == fault {
                self.spike = NO_FAULT;
            }
        }
    }

    /// The primary dies: choose the replica to promote, count the writes it lacks.
    pub(super) fn primary_dies(&mut self, ctx: &mut Ctx, fault: u16) {
        let (Some(repl), false) = (self.repl.as_mut(), self.primary == NO_PRIMARY || self.readers.is_empty()) else {
            return;
        };
        let now = ctx.now;
        let best = self.readers.iter().map(|n| (repl.pending_on(*n as usize - 1, now), *n as usize)).min();
        let Some((lost, promote)) = best else { return };
        ctx.faults[fault as usize].lost += lost;
        let old = std::mem::replace(&mut self.primary, NO_PRIMARY);
        self.failover = Some(Failover { promote, fault });
        crash::fail_pool(ctx, self.id, Some(old as u16), &mut self.nodes[old].pool, fault);
    }

    /// The promotion is over: the chosen replica takes writes.
    pub(super) fn promote(&mut self, ctx: &mut Ctx, fault: u16) {
        let Some(f) = self.failover.take() else { return };
        self.primary = f.promote;
        self.readers.retain(|n| *n as usize != f.promote);
        if let Some(repl) = self.repl.as_mut() {
            repl.leave(f.promote - 1);
        }
        ctx.faults[fault as usize].recovered_at = Some(ctx.now);
    }

    /// A write while no node is primary fails at once (the client's connection is refused).
    #[cold]
    pub(super) fn refuse_write(&mut self, ctx: &mut Ctx, id: CallId) {
        if !ctx.calls.get(id).abandoned {
            crash::count(ctx, self.failover.map_or(NO_FAULT, |f| f.fault));
        }
        ctx.reply(id, Outcome::Failed);
    }

    /// Per window: the share of replica reads that were stale.
    pub fn series(&mut self, out: &mut Vec<(&'static str, f64)>) {
        if self.repl.is_none() {
            return;
        }
        let (r0, s0) = self.series_prev;
        self.series_prev = (self.replica_reads, self.stale_reads);
        let reads = self.replica_reads - r0;
        if reads > 0 {
            out.push(("stale_read_ratio", (self.stale_reads - s0) as f64 / reads as f64));
        }
    }
}
