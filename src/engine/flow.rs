//! Context hooks for the flow kinds: background work a component starts on its own (a
//! queue's consumers), and what a reply to a user carries back (the network leg to the
//! user's region, the response bytes sent).

use super::calls::{CallId, Op, Outcome, Request, NO_INSTANCE, NO_PARENT};
use super::event::Event;
use super::Ctx;
use crate::model::CompId;
use crate::units::Nanos;

impl Ctx {
    /// Starts background work at `comp` (a queue's consumer): a request that is no user's,
    /// carrying `like`'s class, key, user and region, with a root call at `comp` that never
    /// replies. `None` when an arena is full.
    pub fn spawn(&mut self, comp: CompId, like: Request) -> Option<CallId> {
        let request = Request { measured: false, resolved: true, background: true, root: NO_PARENT, ..like };
        // A full request arena is the component's to report (a queue counts `start_refused`):
        // `limits_hit.in_flight` counts users' arrivals only.
        let req = self.requests.insert(request)?;
        let Some(root) = self.new_call(req, NO_PARENT, comp, Op::Default, NO_INSTANCE) else {
            self.requests.remove(req);
            return None;
        };
        self.requests.get_mut(req).root = root;
        self.background_live += 1;
        Some(root)
    }

    /// Starts work no user waits for, such as a write-behind flush: a call from `origin` to
    /// `target` carrying `key` and `user`, delivered after `delay` plus the link latency. Its
    /// request is born resolved and unmeasured, so the target does and counts the work but
    /// no user request is added or resolved. `None` when an arena is full.
    pub fn send_background(
        &mut self,
        origin: CompId,
        target: CompId,
        op: Op,
        key: u64,
        user: u32,
        delay: Nanos,
    ) -> Option<CallId> {
        let request = Request {
            class: 0,
            measured: false,
            resolved: true,
            arrived_at: self.now,
            key,
            user,
            region: 0,
            root: NO_PARENT,
            background: true,
        };
        let req = self.requests.insert(request)?;
        let Some(id) = self.new_call(req, NO_PARENT, target, op, NO_INSTANCE) else {
            self.requests.remove(req);
            return None;
        };
        self.requests.get_mut(req).root = id;
        self.background_live += 1;
        self.schedule(delay.saturating_add(self.latency.get(origin, target)), Event::Deliver(id));
        Some(id)
    }

    /// Ends background work started by `spawn`, freeing its call and request.
    pub fn retire(&mut self, root: CallId) {
        let req = self.calls.get(root).req;
        debug_assert!(self.requests.get(req).background);
        self.free_call(root);
        self.release_request(req);
        self.background_live -= 1;
    }

    /// For a reply to a user: counts the response bytes the entry sends out, and returns the
    /// latency of the way back to the user's region.
    #[inline(always)]
    pub(super) fn leaving(&mut self, id: CallId, outcome: Outcome) -> Nanos {
        if self.sizes.is_empty() && self.user_link.is_empty() {
            return 0;
        }
        self.leaving_slow(id, outcome)
    }

    #[cold]
    #[inline(never)]
    fn leaving_slow(&mut self, id: CallId, outcome: Outcome) -> Nanos {
        let call = *self.calls.get(id);
        let req = *self.requests.get(call.req);
        if outcome == Outcome::Ok && !self.sizes.is_empty() {
            self.comp_metrics[call.comp as usize].egress_bytes += self.sizes[req.class as usize];
        }
        self.user_link.get(req.region as usize).copied().unwrap_or(0)
    }

    /// One-way latency from a user region to the entry (0 when regions are not modelled).
    #[inline]
    pub fn user_link(&self, region: u8) -> Nanos {
        self.user_link.get(region as usize).copied().unwrap_or(0)
    }

    /// The response size of a request class, in bytes (0 without `[sizes]`).
    #[inline]
    pub fn size_of_class(&self, class: u8) -> u64 {
        self.sizes.get(class as usize).copied().unwrap_or(0)
    }
}
