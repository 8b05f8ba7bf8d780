//! A pool of connections held for the length of a call: an app instance's pool towards its
//! database (`pool = { target = "db", size = 10 }` on a service), or a pooler's server
//! connections (`kind = "pooler"`). A call takes a free connection or waits, first come first
//! served, and gives it back when its answer comes; the next waiter then takes it.
//!
//! The wait list is bounded by whoever waits in it: a service's calls each hold a worker
//! thread (so at most `max_in_flight` per instance), a pooler's are its client connections.

use crate::calls_model::{targets, Plan};
use crate::engine::calls::{CallId, Op};
use crate::model::CompId;
use crate::units::Nanos;
use crate::validate::Resolver;
use serde::Deserialize;
use std::collections::VecDeque;

/// `pool = { target = "db", size = 10 }` under a service.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolInput {
    /// The component the connections go to; calls to it wait for a connection.
    pub target: String,
    /// Connections per service instance.
    pub size: u32,
}

impl PoolInput {
    /// The pool's (target, size); the target must be one the service calls.
    pub fn validate(&self, base: &[&str; 2], plans: &[Plan], r: &mut Resolver) -> Option<(CompId, u32)> {
        let at = |k: &'static str| [base[0], base[1], "pool", k];
        let size = r.count(&at("size"), Some(self.size), 1);
        let target = r.component(&at("target"), &self.target)?;
        if !targets(plans).any(|t| t == target) {
            r.problem(
                &at("target"),
                format!("the pool goes to `{}`, which this service never calls", self.target),
                "name a component in its `calls`, or remove `pool`",
            );
            return None;
        }
        Some((target, size))
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct ConnPoolStats {
    /// Connections handed out, and those whose caller had to wait (the pool was exhausted).
    pub acquired: u64,
    pub waited: u64,
    pub wait_ns: u128,
    /// Integral of connections in use, and of callers waiting, over time.
    pub in_use_ns: u128,
    pub waiting_ns: u128,
    pub waiting_max: u32,
}

pub struct ConnPool {
    pub size: u32,
    in_use: u32,
    waiters: VecDeque<(CallId, Op, Nanos)>,
    last: Nanos,
    pub stats: ConnPoolStats,
    /// The in-use and waiting integrals since the start, never reset (for time series).
    pub total_in_use_ns: u128,
    pub total_waiting_ns: u128,
}

impl ConnPool {
    pub fn new(size: u32, expected_waiters: u32) -> Self {
        ConnPool {
            size,
            in_use: 0,
            // Grows as waiters pile up (a pool per instance: the bound is not reserved).
            waiters: VecDeque::with_capacity((expected_waiters as usize).min(crate::engine::station::INITIAL_QUEUE)),
            last: 0,
            stats: ConnPoolStats::default(),
            total_in_use_ns: 0,
            total_waiting_ns: 0,
        }
    }

    fn advance(&mut self, now: Nanos) {
        let dt = u128::from(now.saturating_sub(self.last));
        let (in_use, waiting) = (dt * u128::from(self.in_use), dt * self.waiters.len() as u128);
        self.stats.in_use_ns += in_use;
        self.stats.waiting_ns += waiting;
        self.total_in_use_ns += in_use;
        self.total_waiting_ns += waiting;
        self.last = now;
    }

    /// A connection for `call`'s `op`: `true` if taken now, `false` if the call waits.
    #[inline]
    pub fn take(&mut self, now: Nanos, call: CallId, op: Op) -> bool {
        self.advance(now);
        if self.in_use < self.size {
            self.in_use += 1;
            self.stats.acquired += 1;
            return true;
        }
        self.waiters.push_back((call, op, now));
        self.stats.waiting_max = self.stats.waiting_max.max(self.waiters.len() as u32);
        false
    }

    /// A connection comes back; the first waiter, if any, takes it and is returned.
    #[inline]
    pub fn give_back(&mut self, now: Nanos) -> Option<(CallId, Op)> {
        self.advance(now);
        match self.waiters.pop_front() {
            Some((call, op, since)) => {
                self.stats.acquired += 1;
                self.stats.waited += 1;
                self.stats.wait_ns += u128::from(now - since);
                Some((call, op))
            }
            None => {
                self.in_use = self.in_use.saturating_sub(1);
                None
            }
        }
    }

    pub fn sync(&mut self, now: Nanos) {
        self.advance(now);
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        self.advance(now);
        self.stats = ConnPoolStats::default();
    }
}

/// Pool figures over `elapsed`, summed over pools of equal size: (utilization, mean wait in
/// seconds, acquisitions that waited, mean waiting, most waiting at once).
pub fn pool_figures(pools: &[&ConnPool], elapsed: Nanos) -> (f64, f64, u64, f64, u32) {
    let el = elapsed.max(1) as f64;
    let size: u32 = pools.iter().map(|p| p.size).sum();
    let in_use: u128 = pools.iter().map(|p| p.stats.in_use_ns).sum();
    let acquired: u64 = pools.iter().map(|p| p.stats.acquired).sum();
    let wait: u128 = pools.iter().map(|p| p.stats.wait_ns).sum();
    let waiting: u128 = pools.iter().map(|p| p.stats.waiting_ns).sum();
    (
        if size == 0 { 0.0 } else { in_use as f64 / el / f64::from(size) },
        if acquired == 0 { 0.0 } else { wait as f64 / 1e9 / acquired as f64 },
        pools.iter().map(|p| p.stats.waited).sum(),
        waiting as f64 / el,
        pools.iter().map(|p| p.stats.waiting_max).max().unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_take_returned_connections_in_order() {
        let mut p = ConnPool::new(1, 4);
        assert!(p.take(0, 1, Op::Read));
        assert!(!p.take(10, 2, Op::Write));
        assert!(!p.take(20, 3, Op::Read));
        assert_eq!(p.give_back(30), Some((2, Op::Write)));
        assert_eq!(p.give_back(40), Some((3, Op::Read)));
        assert_eq!(p.give_back(50), None);
        p.sync(100);
        assert_eq!(p.stats.in_use_ns, 50);
        assert_eq!(p.stats.wait_ns, 20 + 20);
        assert_eq!((p.stats.acquired, p.stats.waited, p.stats.waiting_max), (3, 2, 2));
        let (u, w, waited, _, _) = pool_figures(&[&p], 100);
        assert!((u - 0.5).abs() < 1e-12 && (w - 40e-9 / 3.0).abs() < 1e-15 && waited == 2);
    }
}
