//! How a service pool suffers faults: an instance crashes (and perhaps restarts), or the
//! whole pool goes down (and perhaps comes back).

use super::Service;
use crate::components::crash;
use crate::engine::membership::InstState;
use crate::engine::Ctx;
use crate::faults::{FaultKind, FaultSpec};

impl Service {
    pub fn fault(&mut self, ctx: &mut Ctx, id: u16, fault: &FaultSpec, start: bool) {
        match fault.kind {
            FaultKind::InstanceCrash { instance, .. } => {
                if start {
                    self.crash(ctx, instance as usize, id);
                } else {
                    self.restart(ctx, instance as usize, id);
                }
            }
            FaultKind::ComponentDown { .. } => {
                for inst in 0..self.pools.len() {
                    if start {
                        self.crash(ctx, inst, id);
                    } else {
                        self.restart(ctx, inst, id);
                    }
                }
            }
            // Links are the engine's; validation sends no other fault here.
            FaultKind::LinkLatency { .. }
            | FaultKind::LinkLoss { .. }
            | FaultKind::RegionOutage { .. }
            | FaultKind::RegionPartition { .. }
            | FaultKind::ReplicaLagSpike { .. }
            | FaultKind::CacheFlush
            | FaultKind::PrimaryFailover { .. } => {}
        }
    }

    /// The process in slot `inst` dies: it fails what it holds and, from now on, every call
    /// it receives. An empty slot (not provisioned) has nothing to crash.
    fn crash(&mut self, ctx: &mut Ctx, inst: usize, fault: u16) {
        if matches!(self.fleet.state[inst], InstState::Off | InstState::Down) {
            return;
        }
        self.fleet.set(ctx, inst, InstState::Down);
        ctx.members[self.id as usize].went_down(inst, fault, ctx.now, &mut ctx.faults);
        crash::fail_pool(ctx, self.id, Some(inst as u16), &mut self.pools[inst], fault);
    }

    /// A fresh process serves in slot `inst` again (its in-memory state is gone).
    fn restart(&mut self, ctx: &mut Ctx, inst: usize, fault: u16) {
        if self.fleet.state[inst] != InstState::Down || ctx.members[self.id as usize].down_by[inst] != fault {
            return;
        }
        self.fleet.set(ctx, inst, InstState::Up);
        ctx.members[self.id as usize].came_back(inst, ctx.now, &mut ctx.faults);
    }
}
