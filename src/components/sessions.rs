//! Sticky sessions: `policy = "sticky"` pins each user to the instance that served it first
//! (as a cookie would), so an instance can keep the user's session in memory.
//!
//! When the pinned instance leaves the rotation (it crashed and was detected, or it was
//! drained away) or comes back as a fresh process (it restarted), the session it held is
//! gone: the user's next request lands on another instance, or the same one anew, and the
//! user is logged out. Those are the `logouts` the balancer reports. When the backend keeps
//! sessions in an external store (`session_store = "..."` on the service), the pin is only
//! affinity and nobody is logged out.
//!
//! Memory: one 32-bit pin per user, allocated once, so sticky balancing needs `[users]
//! count` of at most `MAX_STICKY_USERS`.

use crate::engine::membership::Members;

pub const MAX_STICKY_USERS: u64 = 10_000_000;
const NO_PIN: u32 = u32::MAX;

pub struct Sticky {
    /// Per user: instance << 16 | the instance's incarnation (low 16 bits) when pinned.
    pins: Vec<u32>,
    /// Sessions live in the instances' memory (no external store).
    in_memory: bool,
    /// Logouts since measurement started, and since the start of the run.
    pub logouts: u64,
    pub logouts_total: u64,
}

impl Sticky {
    pub fn new(users: u64, in_memory: bool) -> Sticky {
        Sticky { pins: vec![NO_PIN; users.min(MAX_STICKY_USERS) as usize], in_memory, logouts: 0, logouts_total: 0 }
    }

    fn pin(inst: usize, m: &Members) -> u32 {
        ((inst as u32) << 16) | (m.incarnation[inst] & 0xffff)
    }

    /// The instance for `user`: its pinned one while that still holds its session, else
    /// `fresh()` (the balancer's choice), pinned from now on.
    #[inline]
    pub fn route(&mut self, user: u32, m: &Members, in_rotation: &[bool], fresh: impl FnOnce() -> usize) -> usize {
        let slot = user as usize % self.pins.len().max(1);
        let pin = self.pins[slot];
        if pin != NO_PIN {
            let inst = (pin >> 16) as usize;
            if in_rotation[inst] && pin == Self::pin(inst, m) {
                return inst;
            }
            // The instance left the rotation, or restarted: the session it held is gone.
            if self.in_memory {
                self.logouts += 1;
                self.logouts_total += 1;
            }
            if in_rotation[inst] {
                self.pins[slot] = Self::pin(inst, m);
                return inst;
            }
        }
        let inst = fresh();
        self.pins[slot] = Self::pin(inst, m);
        inst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_and_logs_out_when_the_instance_goes() {
        let mut m = Members::new(3, 3);
        let mut s = Sticky::new(10, true);
        let rot = [true, true, true];
        assert_eq!(s.route(4, &m, &rot, || 2), 2);
        assert_eq!(s.route(4, &m, &rot, || 0), 2, "stays pinned");
        // Instance 2 leaves the rotation: the user moves and is logged out once.
        assert_eq!(s.route(4, &m, &[true, true, false], || 1), 1);
        assert_eq!(s.route(4, &m, &[true, true, false], || 0), 1);
        assert_eq!(s.logouts, 1);
        // Instance 1 restarts (a new process): same instance, but the session is gone.
        m.incarnation[1] += 1;
        assert_eq!(s.route(4, &m, &rot, || 0), 1);
        assert_eq!(s.logouts, 2);
        let mut external = Sticky::new(10, false);
        external.route(4, &m, &rot, || 2);
        external.route(4, &m, &[true, true, false], || 1);
        assert_eq!(external.logouts, 0, "an external store keeps sessions");
    }
}
