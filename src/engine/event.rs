//! The events of a run: small and `Copy`, so the heap moves them by value.

use super::calls::CallId;
use crate::model::CompId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The next user request arrives from the traffic source.
    Arrival,
    /// A call reaches its component (after the link latency).
    Deliver(CallId),
    /// A component finished the work it scheduled for a call.
    Done(CallId),
    /// A call's reply reaches its caller (after the link latency).
    Reply(CallId),
    /// A caller's patience for a call runs out; the stamp tells a recycled slot apart (a
    /// timeout kept in the heap: a duration no deadline FIFO takes).
    Timeout(CallId, u32),
    /// A call's deadline from its FIFO (`deadlines`) is due: the call is live, never stale.
    Deadline(CallId),
    /// A timer a component set for itself (a retry backoff, a delayed reply); the token is
    /// the component's own (an index into its slab of pending work).
    Wake(u16, u32),
    /// A closed-model user (by id) sends its next request.
    Think(u32),
    /// A component's own timer (autoscaling, warm-up, health checks); the tag is the kind's.
    Timer(CompId, u32),
    /// A scheduled fault (index into `Model::faults`) starts (`true`) or ends (`false`).
    Fault(u16, bool),
    /// A crashed instance held this call: its caller sees it fail now (stamp as for Timeout).
    Abort(CallId, u32),
}

#[cfg(test)]
mod tests {
    #[test]
    fn events_stay_small() {
        assert!(std::mem::size_of::<super::Event>() <= 12);
    }
}
