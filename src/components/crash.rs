//! What a crash does to the calls a process holds, shared by every kind that can crash.
//!
//! Calls waiting for a thread or a core are answered at once (`Failed`). Calls on a core or
//! waiting on downstream calls are *aborted*: their callers see the failure now, while the
//! calls themselves run out in the dead process (their timers and children are already in
//! flight) and their replies are dropped. Each counts against the fault.

use super::pool::Pool;
use crate::engine::calls::{CallId, Outcome};
use crate::engine::membership::NO_FAULT;
use crate::engine::station::Station;
use crate::engine::Ctx;
use crate::model::CompId;

/// Fails everything a crashed pool holds. `inst`: only calls to that instance.
pub fn fail_pool(ctx: &mut Ctx, comp: CompId, inst: Option<u16>, pool: &mut Pool, fault: u16) {
    for id in pool.drain_waiting(ctx.now) {
        fail_now(ctx, id, fault);
    }
    abort_held(ctx, comp, inst, fault);
}

/// `fail_pool` for a component of several pools (a primary and its replicas).
pub fn fail_pools<'a>(ctx: &mut Ctx, comp: CompId, pools: impl Iterator<Item = &'a mut Pool>, fault: u16) {
    for pool in pools {
        for id in pool.drain_waiting(ctx.now) {
            fail_now(ctx, id, fault);
        }
    }
    abort_held(ctx, comp, None, fault);
}

/// `component_down` on a kind that stops as a whole: at the start it is marked down, the
/// outage is recorded (for detection and recovery times) and `fail` answers what it held; at
/// the end it serves again, unless another fault took it down meanwhile.
pub fn whole_component(
    ctx: &mut Ctx,
    comp: CompId,
    down: &mut bool,
    fault: u16,
    start: bool,
    fail: impl FnOnce(&mut Ctx),
) {
    let m = &mut ctx.members[comp as usize];
    if start && !*down {
        *down = true;
        m.went_down(0, fault, ctx.now, &mut ctx.faults);
        fail(ctx);
    } else if !start && *down && m.down_by[0] == fault {
        *down = false;
        m.came_back(0, ctx.now, &mut ctx.faults);
    }
}

/// Fails the calls waiting in a station's queue, then aborts what the component holds.
pub fn fail_station(ctx: &mut Ctx, comp: CompId, station: Option<&mut Station>, fault: u16) {
    if let Some(st) = station {
        for id in st.drain_queue(ctx.now) {
            fail_now(ctx, id, fault);
        }
    }
    abort_held(ctx, comp, None, fault);
}

fn fail_now(ctx: &mut Ctx, id: CallId, fault: u16) {
    ctx.reply(id, Outcome::Failed);
    count(ctx, fault);
}

/// Counts a call failed by `fault`.
pub fn count(ctx: &mut Ctx, fault: u16) {
    if fault != NO_FAULT {
        ctx.faults[fault as usize].failed += 1;
    }
}

/// Aborts every live call at `comp` (and `inst`) that has not answered: a rare scan of the
/// call arena, done once per crash.
fn abort_held(ctx: &mut Ctx, comp: CompId, inst: Option<u16>, fault: u16) {
    let held: Vec<CallId> = ctx
        .calls
        .slots()
        .filter(|(_, c)| c.stamp != 0 && c.comp == comp && !c.replied && !c.abandoned)
        .filter(|(_, c)| inst.is_none_or(|i| c.instance == i))
        .map(|(id, _)| id)
        .collect();
    for id in held {
        ctx.calls.get_mut(id).outcome = Outcome::Failed;
        ctx.abort(id);
        count(ctx, fault);
    }
}
