//! Replication from a primary to its read replicas in other regions (`replica_of`): the log
//! the primary writes into when a write commits, and the remote replica reads when a query
//! starts.
//!
//! Why a registry in `Ctx` rather than slots in the primary's `Replication`: the primary and
//! its remote replica are two components of the one `Vec` the engine dispatches to, and a
//! handler only holds its own component. The primary must write (on commit) what the replica
//! reads (on every read), so the state lives beside them, in `Ctx::remote_repl`, which is
//! `None` unless some database has `replica_of`: a scenario without remote replicas pays one
//! `bool` test per committed write on a primary (`Database::feeds_remote`), nothing else.
//!
//! One slot per remote replica. A write committed on the primary at `t` becomes visible on
//! the replica at `max(previous visible time of the key, t + floor + lag)`, the rule of
//! `replication.rs` (in order per key) with a floor: `floor` is the one-way latency from the
//! primary to the replica (the region table's RTT/2, or a `[[links]]` entry between them),
//! the time the change stream needs to cross; `lag` is the replica's own apply delay
//! (`replication_lag`), grown with `lag_growth` by the time its waiting queries need
//! (`backlog_s`, which the replica keeps current). The slot also keeps, per user, the commit
//! time of that user's last write and when it shows on the replica (read-your-writes).
//!
//! State: per slot 8 bytes per key and 16 per user, allocated up front and checked against
//! `MAX_KEY_STATE` at validation (`DatabaseSpec::check_scale`); the held lists of a pause
//! are bounded by the key and user counts (an entry is pushed only when a key or user first
//! becomes held).
//!
//! Partition hook: `pause(replica, now)` stops the stream to a replica (a region partition
//! between the primary and it): writes committed meanwhile are held, invisible on the replica
//! (reads of their keys are stale), and `resume(replica, now)` ships them, each visible at
//! `now + floor + lag`. Writes already sent when the pause starts still arrive. The lag
//! histogram counts a held key once, from the start of the pause to its visible time.

use crate::components::ComponentSpec;
use crate::dist::Dist;
use crate::engine::metrics::{new_histogram, record};
use crate::model::{CompId, Model};
use crate::rng::{stream, SimRng};
use crate::units::{secs_to_ns, Nanos};
use hdrhistogram::Histogram;

/// A key or user whose latest write the partition holds back.
const HELD: Nanos = Nanos::MAX;

/// What one remote replica receives from its primary.
pub struct Slot {
    pub primary: CompId,
    pub replica: CompId,
    floor: Nanos,
    lag: Dist,
    growth: bool,
    rng: SimRng,
    keys: u64,
    users: u64,
    /// When the latest write of each key shows on the replica.
    visible: Vec<Nanos>,
    /// Per user: commit time of the user's last write (0: none yet).
    user_commit: Vec<Nanos>,
    /// Per user: when the user's last write shows on the replica.
    user_visible: Vec<Nanos>,
    /// Time the replica needs to clear its waiting queries (kept by the replica).
    pub backlog_s: f64,
    paused_at: Option<Nanos>,
    held_keys: Vec<u32>,
    held_users: Vec<u32>,
    lag_hist: Histogram<u64>,
    /// Bytes the stream carries per write (the primary's `[call_sizes]` write request), and
    /// what it carried over the measured period: inter-region transfer on the bill.
    write_bytes: u64,
    pub shipped_bytes: u64,
}

/// The slots of every remote replica of the scenario.
pub struct RemoteLog {
    slots: Vec<Slot>,
}

impl RemoteLog {
    /// The log of a scenario's remote replicas; `None` when it has none.
    pub fn build(model: &Model, seed: u64) -> Option<Box<RemoteLog>> {
        let mut slots = Vec::new();
        for (i, c) in model.components.iter().enumerate() {
            let ComponentSpec::Database(d) = &c.spec else { continue };
            let Some(remote) = &d.remote else { continue };
            let replica = i as CompId;
            let primary = remote.primary;
            let lag = remote.lag.clone().unwrap_or_else(|| default_lag(model, primary));
            let users = if model.draws_users { model.users.count } else { 0 };
            let rng = stream(seed, &format!("replication:{}", c.name));
            let floor = model.latency.get(primary, replica);
            let mut slot = Slot::new(primary, replica, floor, lag, remote.lag_growth, rng, model.keys.count(), users);
            slot.write_bytes = model.call_sizes.of(primary as usize, crate::engine::calls::Op::Write).0;
            slots.push(slot);
        }
        (!slots.is_empty()).then(|| Box::new(RemoteLog { slots }))
    }

    /// The slot of a remote replica (an index the replica learns with `slot_of`).
    #[inline]
    pub fn slot(&self, i: usize) -> &Slot {
        &self.slots[i]
    }

    #[inline]
    pub fn slot_mut(&mut self, i: usize) -> &mut Slot {
        &mut self.slots[i]
    }

    /// Which slot serves `replica` (slots follow component order).
    pub fn slot_of(model: &Model, replica: CompId) -> usize {
        model.components[..replica as usize]
            .iter()
            .filter(|c| matches!(&c.spec, ComponentSpec::Database(d) if d.remote.is_some()))
            .count()
    }

    /// A write to `key` by `user` committed on `primary` at `now`: every remote replica of
    /// that primary will show it.
    pub fn commit(&mut self, primary: CompId, key: u64, user: u32, now: Nanos) {
        for s in self.slots.iter_mut().filter(|s| s.primary == primary) {
            s.commit(key, user, now);
        }
    }

    /// Measurement starts (end of warm-up).
    pub fn reset_stats(&mut self) {
        self.slots.iter_mut().for_each(Slot::reset_stats);
    }

    /// Hands each remote replica what its slot measured, when the run ends.
    pub fn hand_over(&self, comps: &mut [super::Component]) {
        for c in comps.iter_mut() {
            if let super::Component::Database(d) = c {
                d.collect_remote(self);
            }
        }
    }

    /// The partition hook: the stream from its primary to `replica` stops at `now`.
    pub fn pause(&mut self, replica: CompId, now: Nanos) {
        for s in self.slots.iter_mut().filter(|s| s.replica == replica) {
            s.paused_at.get_or_insert(now);
        }
    }

    /// The partition hook: the stream to `replica` resumes at `now`, shipping what it held.
    pub fn resume(&mut self, replica: CompId, now: Nanos) {
        for s in self.slots.iter_mut().filter(|s| s.replica == replica) {
            s.resume(now);
        }
    }

    /// After a partition starts or heals: every stream that `cut(primary, replica)` says
    /// crosses a partition is paused, every other resumes (a no-op when it was flowing).
    pub fn follow_partitions(&mut self, now: Nanos, cut: impl Fn(CompId, CompId) -> bool) {
        for s in self.slots.iter_mut() {
            if cut(s.primary, s.replica) {
                s.paused_at.get_or_insert(now);
            } else {
                s.resume(now);
            }
        }
    }
}

/// The primary's `replication_lag` when it has local replicas, else the default.
fn default_lag(model: &Model, primary: CompId) -> Dist {
    let spec = &model.components[primary as usize].spec;
    let local = if let ComponentSpec::Database(p) = spec { p.replicas.as_ref() } else { None };
    local.map(|r| r.lag.clone()).unwrap_or_else(|| {
        Dist::parse(super::database::DEFAULT_REPLICATION_LAG).expect("the default replication lag parses")
    })
}

impl Slot {
    #[allow(clippy::too_many_arguments)]
    fn new(
        primary: CompId,
        replica: CompId,
        floor: Nanos,
        lag: Dist,
        growth: bool,
        rng: SimRng,
        keys: u64,
        users: u64,
    ) -> Slot {
        let keys = keys.max(1);
        Slot {
            primary,
            replica,
            floor,
            lag,
            growth,
            rng,
            keys,
            users,
            visible: vec![0; keys as usize],
            user_commit: vec![0; users as usize],
            user_visible: vec![0; users as usize],
            backlog_s: 0.0,
            paused_at: None,
            held_keys: Vec::new(),
            held_users: Vec::new(),
            lag_hist: new_histogram(),
            write_bytes: 0,
            shipped_bytes: 0,
        }
    }

    fn user_index(&self, user: u32) -> Option<usize> {
        (self.users > 0).then(|| (u64::from(user) % self.users) as usize)
    }

    fn delay(&mut self) -> Nanos {
        let mut lag = self.floor.saturating_add(self.lag.sample(&mut self.rng));
        if self.growth {
            lag = lag.saturating_add(secs_to_ns(self.backlog_s));
        }
        lag
    }

    fn commit(&mut self, key: u64, user: u32, now: Nanos) {
        // A write held by a partition still crosses when the stream resumes.
        self.shipped_bytes += self.write_bytes;
        let k = (key % self.keys) as usize;
        let u = self.user_index(user);
        if let Some(u) = u {
            self.user_commit[u] = now;
        }
        if self.paused_at.is_some() {
            if self.visible[k] != HELD {
                self.visible[k] = HELD;
                self.held_keys.push(k as u32);
            }
            if let Some(u) = u.filter(|u| self.user_visible[*u] != HELD) {
                self.user_visible[u] = HELD;
                self.held_users.push(u as u32);
            }
            return;
        }
        let shows = self.visible[k].max(now.saturating_add(self.delay()));
        self.visible[k] = shows;
        record(&mut self.lag_hist, shows - now);
        if let Some(u) = u {
            self.user_visible[u] = shows;
        }
    }

    fn resume(&mut self, now: Nanos) {
        let Some(since) = self.paused_at.take() else { return };
        for i in 0..self.held_keys.len() {
            let shows = now.saturating_add(self.delay());
            self.visible[self.held_keys[i] as usize] = shows;
            record(&mut self.lag_hist, shows - since);
        }
        for i in 0..self.held_users.len() {
            // A user's last write shows when its key does: by the end of the catch-up.
            let shows = now.saturating_add(self.delay());
            self.user_visible[self.held_users[i] as usize] = shows;
        }
        self.held_keys.clear();
        self.held_users.clear();
    }

    /// Whether the replica shows the latest write to `key` at `now`.
    #[inline]
    pub fn fresh(&self, key: u64, now: Nanos) -> bool {
        self.visible[(key % self.keys) as usize] <= now
    }

    /// Whether the replica shows `user`'s last write at `now` (true with no user tracking).
    #[inline]
    pub fn shows_users_write(&self, user: u32, now: Nanos) -> bool {
        self.user_index(user).is_none_or(|u| self.user_visible[u] <= now)
    }

    /// When `user` last wrote on the primary (0: never, or users not tracked).
    #[inline]
    pub fn last_write_of(&self, user: u32) -> Nanos {
        self.user_index(user).map_or(0, |u| self.user_commit[u])
    }

    pub fn reset_stats(&mut self) {
        self.lag_hist.reset();
        self.shipped_bytes = 0;
    }

    /// Commit to visible on the replica: (p50, p99) in seconds.
    pub fn lag_s(&self) -> (f64, f64) {
        super::replication::lag_quantiles_s(&self.lag_hist)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(floor_ms: u64, lag: &str) -> Slot {
        let lag = Dist::parse(lag).unwrap();
        Slot::new(0, 1, floor_ms * 1_000_000, lag, false, stream(1, "test"), 4, 3)
    }

    #[test]
    fn a_write_shows_after_the_floor_plus_the_lag_in_order_per_key() {
        let mut s = slot(40, "uniform(min = 0ms, max = 100ms)");
        s.commit(1, 2, 1_000_000);
        let first = s.visible[1];
        assert!((41_000_000..=141_000_000).contains(&first), "{first}");
        s.commit(1, 0, 1_000_001);
        assert!(s.visible[1] >= first, "a later write never shows before an earlier one");
        assert!(!s.fresh(1, 40_999_999) && s.fresh(1, 250_000_000) && s.fresh(0, 0));
        assert!(!s.shows_users_write(2, 40_000_000) && s.shows_users_write(2, 250_000_000));
        assert_eq!(s.last_write_of(0), 1_000_001);
        assert!(s.lag_s().0 >= 0.040);
    }

    #[test]
    fn a_pause_holds_writes_until_resume() {
        let mut s = slot(40, "10ms");
        s.paused_at = Some(0);
        s.commit(3, 1, 5_000_000);
        s.commit(3, 1, 6_000_000);
        assert_eq!(s.held_keys, vec![3], "a key is held once");
        assert!(!s.fresh(3, 10_000_000_000) && !s.shows_users_write(1, 10_000_000_000));
        s.resume(1_000_000_000);
        assert!(!s.fresh(3, 1_049_999_999) && s.fresh(3, 1_050_000_000));
        assert!(s.shows_users_write(1, 1_050_000_000));
        assert!((s.lag_s().0 - 1.05).abs() < 0.01, "counted from the pause: {}", s.lag_s().0);
        s.commit(2, 0, 2_000_000_000);
        assert!(s.fresh(2, 2_050_000_000), "flows again");
    }
}
