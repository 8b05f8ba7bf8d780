//! Test access to a `Ctx` without a `Simulation`: the primitives `components::testkit` needs
//! to drive one component with events (send it a request, take the next event, settle a
//! reply or a timeout the way the event loop does).

#![cfg(test)]

use super::calls::{CallId, Op, Request, NO_INSTANCE, NO_PARENT};
use super::event::Event;
use super::Ctx;
use crate::model::CompId;
use crate::units::Nanos;

impl Ctx {
    /// A user's request (class, key, user) whose root call reaches `comp` now, without a
    /// link; `None` when an arena is full.
    pub(crate) fn test_request(&mut self, comp: CompId, op: Op, class: u8, key: u64, user: u32) -> Option<CallId> {
        let request = Request {
            class,
            measured: true,
            resolved: false,
            arrived_at: self.now,
            key,
            user,
            region: 0,
            root: NO_PARENT,
            background: false,
        };
        let req = self.requests.insert(request)?;
        let id = self.new_call(req, NO_PARENT, comp, op, NO_INSTANCE)?;
        self.requests.get_mut(req).root = id;
        self.schedule(0, Event::Deliver(id));
        Some(id)
    }

    /// When the next event is due.
    pub(crate) fn test_peek(&self) -> Option<Nanos> {
        self.next_time()
    }

    /// The next event in (time, sequence) order, with the clock moved to it.
    pub(crate) fn test_next(&mut self) -> Option<(Nanos, Event)> {
        let (t, event) = self.pop()?;
        self.now = t;
        if let Event::Wake(..) | Event::Think(_) = event {
            self.timers -= 1;
        }
        if let Event::Timeout(..) = event {
            self.queued_timeouts -= 1;
        }
        Some((t, event))
    }

    /// A reply reached its caller, who has seen it: frees the call, and the request with its
    /// root call. Returns the caller to hand it to (`None`: a root call, or nobody waits).
    pub(crate) fn test_replied(&mut self, id: CallId) -> Option<CallId> {
        let call = *self.calls.get(id);
        if call.parent != NO_PARENT && !call.abandoned {
            self.child = id;
            return Some(call.parent);
        }
        self.free_call(id);
        if call.abandoned {
            self.orphan_replied(call.req);
        }
        if call.parent == NO_PARENT {
            if self.requests.get(call.req).background {
                self.background_live -= 1;
            }
            self.release_request(call.req);
        }
        None
    }

    /// Frees a child call after its caller's `child_replied` has run.
    pub(crate) fn test_free(&mut self, id: CallId) {
        self.free_call(id);
    }

    /// A caller stops waiting for `id` (its timeout, stamp as in the event): marks it
    /// abandoned and returns its caller, to be told `TimedOut` (`None`: stale, or a root).
    pub(crate) fn test_abandon(&mut self, id: CallId, stamp: u32) -> Option<CallId> {
        let call = *self.calls.get(id);
        if call.stamp != stamp || call.abandoned {
            return None;
        }
        self.calls.get_mut(id).abandoned = true;
        self.deadlines.disarm(id);
        self.orphaned(call.req);
        if call.parent == NO_PARENT {
            self.requests.get_mut(call.req).resolved = true;
            return None;
        }
        self.child = id;
        Some(call.parent)
    }

    /// Pending component timers (`Wake`).
    pub(crate) fn test_timers(&self) -> u32 {
        self.timers
    }
}
