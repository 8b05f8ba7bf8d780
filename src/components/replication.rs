//! Asynchronous replication from a primary to its read replicas, and what readers see.
//!
//! Each write committed on the primary reaches each replica after a lag drawn from
//! `replication_lag`, in order per key: the time a key's latest value is visible on a replica
//! is `max(previous visible time, commit + lag)`, so a later write never shows before an
//! earlier one. With `lag_growth`, a replica that is behind on its own work applies writes
//! later too: the lag of a write grows by the time the replica needs to clear the queries
//! waiting on it when the write commits, `waiting x mean query time / cores`.
//!
//! Faults: a `replica_lag_spike` adds `extra_lag` to every write's lag while it lasts. For a
//! `primary_failover`, each replica also keeps the visible times of the writes it has not
//! applied yet (a min-heap, only when a failover is scheduled): those still pending on the
//! promoted replica when the primary dies are the writes the failover loses. A replica that
//! left (promoted) receives no more writes.
//!
//! State is one visible time per key per replica (8 bytes each), plus, per user, the time
//! of that user's last write and when it becomes visible on each replica: bounded by
//! `keys x replicas` and `users x replicas`, both checked against `MAX_KEY_STATE`.

use crate::dist::Dist;
use crate::engine::metrics::{new_histogram, record};
use crate::rng::SimRng;
use crate::units::{secs_to_ns, Nanos};
use hdrhistogram::Histogram;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadYourWrites {
    /// Reads go to replicas whatever the user wrote.
    #[default]
    None,
    /// A user's reads go to the primary for `primary_window` after that user's write.
    PrimaryWindow,
    /// A user reads only from replicas that applied that user's last write, else the primary.
    Session,
}

pub struct Replication {
    lag: Dist,
    growth: bool,
    replicas: usize,
    keys: u64,
    users: u64,
    /// `visible[key * replicas + r]`: when the key's latest write shows on replica r.
    visible: Vec<Nanos>,
    /// Per user: commit time of the user's last write (0: none yet).
    user_commit: Vec<Nanos>,
    /// `user_visible[user * replicas + r]`: when the user's last write shows on replica r.
    user_visible: Vec<Nanos>,
    lag_hist: Histogram<u64>,
    /// Added to every write's lag (a lag spike in progress).
    pub extra_lag: Nanos,
    /// The latest visible time of the writes committed since `shows_max` was last reset.
    pub shows_max: Nanos,
    /// Replicas still receiving writes.
    live: Vec<bool>,
    /// Per replica, visible times of writes not yet applied (failover tracking only).
    pending: Vec<BinaryHeap<Reverse<Nanos>>>,
    /// Writes a full `pending` heap could not track (reported; see `MAX_PENDING`).
    pub pending_untracked: u64,
}

/// Writes in flight to one replica that a failover can count as lost (8 bytes each).
pub const MAX_PENDING: usize = 1 << 20;

impl Replication {
    /// `pending`: keep each replica's unapplied writes (a failover is scheduled).
    pub fn new(lag: Dist, growth: bool, replicas: u32, keys: u64, users: Option<u64>, pending: bool) -> Self {
        let replicas = replicas as usize;
        let (keys, users_n) = (keys.max(1), users.unwrap_or(0));
        Replication {
            lag,
            growth,
            replicas,
            keys,
            users: users_n,
            visible: vec![0; keys as usize * replicas],
            user_commit: vec![0; users_n as usize],
            user_visible: vec![0; users_n as usize * replicas],
            lag_hist: new_histogram(),
            extra_lag: 0,
            shows_max: 0,
            live: vec![true; replicas],
            pending: if pending { (0..replicas).map(|_| BinaryHeap::new()).collect() } else { Vec::new() },
            pending_untracked: 0,
        }
    }

    /// Replica `r` receives no more writes (promoted to primary).
    pub fn leave(&mut self, r: usize) {
        self.live[r] = false;
        if let Some(h) = self.pending.get_mut(r) {
            h.clear();
        }
    }

    /// Writes committed and not yet visible on replica `r` at `now` (0 without tracking).
    pub fn pending_on(&mut self, r: usize, now: Nanos) -> u64 {
        let Some(h) = self.pending.get_mut(r) else { return 0 };
        while h.peek().is_some_and(|Reverse(t)| *t <= now) {
            h.pop();
        }
        h.len() as u64
    }

    pub fn tracks_users(&self) -> bool {
        self.users > 0
    }

    /// A write to `key` by `user` committed on the primary at `now`. `backlog_s[r]` is the
    /// time replica r needs to clear its waiting queries (used with `lag_growth`).
    pub fn commit(&mut self, key: u64, user: u32, now: Nanos, backlog_s: impl Fn(usize) -> f64, rng: &mut SimRng) {
        let k = (key % self.keys) as usize;
        let u = self.user_index(user);
        if let Some(u) = u {
            self.user_commit[u] = now;
        }
        for r in 0..self.replicas {
            if !self.live[r] {
                continue;
            }
            let mut lag = self.lag.sample(rng).saturating_add(self.extra_lag);
            if self.growth {
                lag = lag.saturating_add(secs_to_ns(backlog_s(r)));
            }
            let slot = &mut self.visible[k * self.replicas + r];
            let shows = (*slot).max(now.saturating_add(lag));
            *slot = shows;
            self.shows_max = self.shows_max.max(shows);
            if !self.pending.is_empty() {
                self.track(r, now, shows);
            }
            record(&mut self.lag_hist, shows - now);
            if let Some(u) = u {
                self.user_visible[u * self.replicas + r] = shows;
            }
        }
    }

    #[cold]
    fn track(&mut self, r: usize, now: Nanos, shows: Nanos) {
        self.pending_on(r, now);
        let h = &mut self.pending[r];
        if h.len() < MAX_PENDING {
            h.push(Reverse(shows));
        } else {
            self.pending_untracked += 1;
        }
    }

    fn user_index(&self, user: u32) -> Option<usize> {
        (self.users > 0).then(|| (u64::from(user) % self.users) as usize)
    }

    /// Whether replica `r` shows the latest write to `key` at `now`.
    #[inline]
    pub fn fresh(&self, key: u64, r: usize, now: Nanos) -> bool {
        self.visible[(key % self.keys) as usize * self.replicas + r] <= now
    }

    /// Whether replica `r` shows `user`'s last write at `now` (true with no user tracking).
    #[inline]
    pub fn shows_users_write(&self, user: u32, r: usize, now: Nanos) -> bool {
        match self.user_index(user) {
            Some(u) => self.user_visible[u * self.replicas + r] <= now,
            None => true,
        }
    }

    /// When `user` last wrote (0: never, or users not tracked).
    #[inline]
    pub fn last_write_of(&self, user: u32) -> Nanos {
        self.user_index(user).map_or(0, |u| self.user_commit[u])
    }

    pub fn reset_stats(&mut self) {
        self.lag_hist.reset();
    }

    /// The lag of writes to replicas (visible minus commit): (p50, p99) in seconds.
    pub fn lag_s(&self) -> (f64, f64) {
        lag_quantiles_s(&self.lag_hist)
    }
}

/// (p50, p99) of a lag histogram in seconds; zeros when nothing was replicated.
pub fn lag_quantiles_s(h: &Histogram<u64>) -> (f64, f64) {
    if h.is_empty() {
        return (0.0, 0.0);
    }
    let q = |p: f64| h.value_at_quantile(p) as f64 / 1e9;
    (q(0.5), q(0.99))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    #[test]
    fn writes_show_in_order_per_key() {
        let mut rng = stream(1, "test");
        let lag = Dist::parse("uniform(min = 0ms, max = 100ms)").unwrap();
        let mut r = Replication::new(lag, false, 2, 4, Some(3), false);
        r.commit(1, 2, 1_000_000, |_| 0.0, &mut rng);
        let first = [r.visible[2], r.visible[3]];
        r.commit(1, 0, 1_000_001, |_| 0.0, &mut rng);
        for (i, f) in first.iter().enumerate() {
            assert!(r.visible[2 + i] >= *f, "a later write never shows before an earlier one");
        }
        assert!(!r.fresh(1, 0, 1_000_000));
        assert!(r.fresh(1, 0, 200_000_000) && r.fresh(0, 1, 0));
        assert!(!r.shows_users_write(2, 0, 1_000_000) && r.shows_users_write(2, 0, 200_000_000));
        assert!(r.shows_users_write(1, 0, 0), "user 1 never wrote");
        assert_eq!(r.last_write_of(0), 1_000_001);
    }

    #[test]
    fn lag_grows_with_the_replica_backlog() {
        let mut rng = stream(1, "test");
        let mut r = Replication::new(Dist::parse("10ms").unwrap(), true, 1, 1, None, false);
        r.commit(0, 0, 0, |_| 0.5, &mut rng);
        assert_eq!(r.visible[0], 510_000_000);
        assert!(!r.tracks_users());
    }

    #[test]
    fn pending_writes_are_those_not_yet_visible() {
        let mut rng = stream(1, "test");
        let mut r = Replication::new(Dist::parse("10ms").unwrap(), false, 2, 100, None, true);
        r.extra_lag = 90_000_000;
        for k in 0..5 {
            r.commit(k, 0, k * 1_000_000, |_| 0.0, &mut rng);
        }
        // Visible at 100 ms + k ms: two still pending at 102.5 ms.
        assert_eq!(r.pending_on(0, 102_500_000), 2);
        assert_eq!(r.shows_max, 104_000_000);
        r.leave(1);
        r.commit(7, 0, 200_000_000, |_| 0.0, &mut rng);
        assert_eq!((r.pending_on(1, 0), r.pending_on(0, 200_000_000)), (0, 1));
        assert!(r.fresh(7, 1, 0), "a replica that left receives nothing");
    }
}
