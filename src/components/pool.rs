//! A pool of worker threads (or connections) in front of a set of cores: the structure an
//! app server instance and a database share.
//!
//! A call first takes a thread (or waits in the bounded accept queue), then a core for its
//! work. It keeps the thread while it waits on downstream calls, which is how a slow
//! database exhausts an app server's threads even when its CPU is idle.

use crate::engine::calls::CallId;
use crate::engine::station::{Acquire, Station};
use crate::units::Nanos;

pub enum Admit {
    /// Thread and core taken: the caller schedules the work.
    Run,
    Wait,
    Rejected,
}

pub struct Pool {
    pub threads: Station,
    pub cores: Station,
    /// Since the last reset: calls admitted (not rejected), those of them that had to wait
    /// (for a thread, a core or both: counted once, so `waited <= admitted`), and the most
    /// calls waiting at once for either (the node's queue, on the same basis as the time
    /// average of `threads` plus `cores` queues).
    pub admitted: u64,
    pub waited: u64,
    pub waiting_max: u32,
}

impl Pool {
    pub fn new(threads: u32, accept_queue: u32, cores: u32) -> Self {
        // Only thread holders wait for a core, so that queue is bounded by the threads.
        Pool {
            threads: Station::new(threads, accept_queue),
            cores: Station::new(cores, threads),
            admitted: 0,
            waited: 0,
            waiting_max: 0,
        }
    }

    /// Calls waiting for a thread or a core now.
    #[inline]
    pub fn waiting(&self) -> u32 {
        (self.threads.queue_len() + self.cores.queue_len()) as u32
    }

    #[inline]
    pub fn admit(&mut self, now: Nanos, call: CallId) -> Admit {
        let admit = match self.threads.acquire(now, call) {
            Acquire::Granted => self.want_core(now, call),
            Acquire::Queued => {
                self.waiting_max = self.waiting_max.max(self.waiting());
                Admit::Wait
            }
            Acquire::Rejected => return Admit::Rejected,
        };
        self.admitted += 1;
        if matches!(admit, Admit::Wait) {
            self.waited += 1;
        }
        admit
    }

    #[inline]
    fn want_core(&mut self, now: Nanos, call: CallId) -> Admit {
        match self.cores.acquire(now, call) {
            Acquire::Granted => Admit::Run,
            Acquire::Queued => {
                self.waiting_max = self.waiting_max.max(self.waiting());
                Admit::Wait
            }
            Acquire::Rejected => unreachable!("core wait list holds every thread holder"),
        }
    }

    /// The work on a core is done; returns the call that takes the core next.
    #[inline]
    pub fn work_done(&mut self, now: Nanos) -> Option<CallId> {
        self.cores.release(now)
    }

    /// The call gives its thread back; returns a waiting call that can now run on a core.
    #[inline]
    pub fn leave(&mut self, now: Nanos) -> Option<CallId> {
        let next = self.threads.release(now)?;
        match self.want_core(now, next) {
            Admit::Run => Some(next),
            Admit::Wait | Admit::Rejected => None,
        }
    }

    /// Empties both wait lists (a crash): calls waiting for a core give their thread back.
    /// Returns every call that was waiting.
    pub fn drain_waiting(&mut self, now: Nanos) -> Vec<CallId> {
        let mut out = self.threads.drain_queue(now);
        let for_core = self.cores.drain_queue(now);
        for _ in &for_core {
            // The accept queue is empty now, so this only frees the thread.
            let next = self.threads.release(now);
            debug_assert!(next.is_none());
        }
        out.extend(for_core);
        out
    }

    /// Nothing held: no thread taken, nobody waiting.
    pub fn idle(&self) -> bool {
        self.threads.busy == 0 && self.threads.queue_len() == 0
    }

    pub fn sync(&mut self, now: Nanos) {
        self.threads.sync(now);
        self.cores.sync(now);
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        self.threads.reset_stats(now);
        self.cores.reset_stats(now);
        (self.admitted, self.waited, self.waiting_max) = (0, 0, self.waiting());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_held_while_core_is_free() {
        let mut p = Pool::new(2, 1, 1);
        assert!(matches!(p.admit(0, 1), Admit::Run));
        assert!(matches!(p.admit(0, 2), Admit::Wait)); // thread, no core
        assert!(matches!(p.admit(0, 3), Admit::Wait)); // accept queue
        assert!(matches!(p.admit(0, 4), Admit::Rejected));
        assert_eq!(p.work_done(5), Some(2)); // call 1 now waits downstream, 2 runs
        assert_eq!(p.leave(6), None); // call 1 leaves; 3 gets a thread but the core is busy
        assert_eq!(p.work_done(7), Some(3));
        // Calls 2 and 3 waited (3 twice: a thread, then a core), counted once each.
        assert_eq!((p.admitted, p.waited, p.waiting_max), (3, 2, 2));
    }
}
