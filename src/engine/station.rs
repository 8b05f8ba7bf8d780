//! A station: a pool of identical servers (cores, threads, connections) with a bounded FIFO
//! wait list, and the time integrals its statistics come from.
//!
//! Every component kind builds on stations, so queueing behaviour and its bookkeeping
//! (utilization, queue length, waits, rejections) are written once.

use super::calls::CallId;
use super::windows::Totals;
use crate::units::Nanos;
use std::collections::VecDeque;

pub enum Acquire {
    Granted,
    Queued,
    Rejected,
}

/// Statistics integrated over time since the last reset.
#[derive(Clone, Copy, Debug, Default)]
pub struct StationStats {
    /// Integral of busy servers over time, in server-nanoseconds.
    pub busy_ns: u128,
    /// Integral of queue length over time, in call-nanoseconds.
    pub queue_ns: u128,
    pub queue_max: u32,
    pub granted: u64,
    /// Granted after waiting in the queue (the rest were served at once).
    pub waited: u64,
    pub rejected: u64,
    /// Sum of the waits of granted calls that had to queue, and of all granted calls.
    pub wait_ns: u128,
    pub since: Nanos,
}

/// Wait-list slots reserved per station before it fills.
pub const INITIAL_QUEUE: usize = 64;

pub struct Station {
    pub servers: u32,
    pub busy: u32,
    queue: VecDeque<(CallId, Nanos)>,
    queue_cap: u32,
    last: Nanos,
    pub stats: StationStats,
    /// Integrals since the start of the run, never reset: time series take differences.
    pub total_busy_ns: u128,
    pub total_queue_ns: u128,
}

impl Station {
    pub fn new(servers: u32, queue_cap: u32) -> Self {
        Station {
            servers,
            busy: 0,
            // A modest start that grows as the wait list fills (doubling, so only while a
            // run warms up): reserving the bound up front costs 16 bytes x `queue` per
            // instance of address space (10,000 instances with `queue = 100000`: 16 GB).
            queue: VecDeque::with_capacity((queue_cap as usize).min(INITIAL_QUEUE)),
            queue_cap,
            last: 0,
            stats: StationStats::default(),
            total_busy_ns: 0,
            total_queue_ns: 0,
        }
    }

    #[inline]
    fn advance(&mut self, now: Nanos) {
        let dt = u128::from(now.saturating_sub(self.last));
        let busy = dt * u128::from(self.busy);
        let queued = dt * self.queue.len() as u128;
        self.stats.busy_ns += busy;
        self.stats.queue_ns += queued;
        self.total_busy_ns += busy;
        self.total_queue_ns += queued;
        self.last = now;
    }

    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }

    /// Occupied plus waiting: what a least-connections balancer would see.
    pub fn load(&self) -> u32 {
        self.busy + self.queue.len() as u32
    }

    /// Takes a server for `call`, queues it, or rejects it when the wait list is full.
    #[inline]
    pub fn acquire(&mut self, now: Nanos, call: CallId) -> Acquire {
        self.advance(now);
        if self.busy < self.servers {
            self.busy += 1;
            self.stats.granted += 1;
            Acquire::Granted
        } else if (self.queue.len() as u32) < self.queue_cap {
            self.queue.push_back((call, now));
            self.stats.queue_max = self.stats.queue_max.max(self.queue.len() as u32);
            Acquire::Queued
        } else {
            self.stats.rejected += 1;
            Acquire::Rejected
        }
    }

    /// Frees a server; if a call was waiting, it takes the server and is returned.
    #[inline]
    pub fn release(&mut self, now: Nanos) -> Option<CallId> {
        self.advance(now);
        match self.queue.pop_front() {
            Some((call, since)) => {
                self.stats.granted += 1;
                self.stats.waited += 1;
                self.stats.wait_ns += u128::from(now - since);
                Some(call)
            }
            None => {
                self.busy -= 1;
                None
            }
        }
    }

    /// Empties the wait list (a crash): returns the calls that were waiting.
    pub fn drain_queue(&mut self, now: Nanos) -> Vec<CallId> {
        self.advance(now);
        self.queue.drain(..).map(|(c, _)| c).collect()
    }

    /// Brings the integrals up to `now` (before reading them).
    pub fn sync(&mut self, now: Nanos) {
        self.advance(now);
    }

    /// The never-reset integrals up to `now`, for the time series.
    pub fn totals(&mut self, now: Nanos) -> Totals {
        self.advance(now);
        Totals {
            busy_ns: self.total_busy_ns,
            queue_ns: self.total_queue_ns,
            servers: self.servers,
            ..Totals::default()
        }
    }

    /// Starts a fresh measurement period at `now` (end of warm-up).
    pub fn reset_stats(&mut self, now: Nanos) {
        self.advance(now);
        // What already waits is part of the measured period: its maximum starts there.
        self.stats = StationStats { since: now, queue_max: self.queue.len() as u32, ..StationStats::default() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_grant_reject_and_integrals() {
        let mut s = Station::new(1, 1);
        assert!(matches!(s.acquire(0, 1), Acquire::Granted));
        assert!(matches!(s.acquire(10, 2), Acquire::Queued));
        assert!(matches!(s.acquire(10, 3), Acquire::Rejected));
        assert_eq!(s.release(30), Some(2));
        assert_eq!(s.release(50), None);
        s.sync(100);
        assert_eq!(s.stats.busy_ns, 50);
        assert_eq!(s.stats.queue_ns, 20);
        assert_eq!(s.stats.wait_ns, 20);
        assert_eq!((s.stats.granted, s.stats.rejected, s.stats.queue_max), (2, 1, 1));
    }
}
