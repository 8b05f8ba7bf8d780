//! A bounded LRU set of keys with insertion times (for a TTL): the cache of one CDN edge.
//!
//! Slots live in vectors linked into a recency list by index, and a hash map finds a key's
//! slot. The vectors grow until the capacity is reached and are then reused in place, so a
//! warm cache allocates nothing per request.

use crate::rng::mix64;
use crate::units::Nanos;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Keys are already well spread by the traffic source; one mixing round suffices.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = mix64(self.0 ^ u64::from(*b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = mix64(v);
    }
}

const NIL: u32 = u32::MAX;

pub struct Lru {
    capacity: usize,
    map: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
    keys: Vec<u64>,
    stored_at: Vec<Nanos>,
    prev: Vec<u32>,
    next: Vec<u32>,
    /// Most and least recently used slots.
    head: u32,
    tail: u32,
}

/// What a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    Hit,
    /// Present but older than the TTL: it must be fetched again.
    Stale,
    Miss,
}

impl Lru {
    pub fn new(capacity: usize) -> Self {
        let initial = capacity.min(1 << 16);
        Lru {
            capacity,
            map: HashMap::with_capacity_and_hasher(initial, BuildHasherDefault::default()),
            keys: Vec::with_capacity(initial),
            stored_at: Vec::with_capacity(initial),
            prev: Vec::with_capacity(initial),
            next: Vec::with_capacity(initial),
            head: NIL,
            tail: NIL,
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Looks `key` up at `now`; a hit becomes the most recently used.
    pub fn get(&mut self, key: u64, now: Nanos, ttl: Option<Nanos>) -> Lookup {
        let Some(&slot) = self.map.get(&key) else { return Lookup::Miss };
        if ttl.is_some_and(|t| now.saturating_sub(self.stored_at[slot as usize]) >= t) {
            return Lookup::Stale;
        }
        self.unlink(slot);
        self.push_front(slot);
        Lookup::Hit
    }

    /// Stores `key` (fetched at `now`) as the most recently used, evicting the least recently
    /// used when full. Returns whether something was evicted.
    pub fn put(&mut self, key: u64, now: Nanos) -> bool {
        if let Some(&slot) = self.map.get(&key) {
            self.stored_at[slot as usize] = now;
            self.unlink(slot);
            self.push_front(slot);
            return false;
        }
        let (slot, evicted) = if self.keys.len() < self.capacity {
            self.keys.push(key);
            self.stored_at.push(now);
            self.prev.push(NIL);
            self.next.push(NIL);
            ((self.keys.len() - 1) as u32, false)
        } else {
            let victim = self.tail;
            self.unlink(victim);
            self.map.remove(&self.keys[victim as usize]);
            self.keys[victim as usize] = key;
            self.stored_at[victim as usize] = now;
            (victim, true)
        };
        self.map.insert(key, slot);
        self.push_front(slot);
        evicted
    }

    fn unlink(&mut self, slot: u32) {
        let (p, n) = (self.prev[slot as usize], self.next[slot as usize]);
        if p == NIL {
            self.head = n;
        } else {
            self.next[p as usize] = n;
        }
        if n == NIL {
            self.tail = p;
        } else {
            self.prev[n as usize] = p;
        }
    }

    fn push_front(&mut self, slot: u32) {
        self.prev[slot as usize] = NIL;
        self.next[slot as usize] = self.head;
        if self.head != NIL {
            self.prev[self.head as usize] = slot;
        }
        self.head = slot;
        if self.tail == NIL {
            self.tail = slot;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_used() {
        let mut c = Lru::new(2);
        c.put(1, 0);
        c.put(2, 0);
        assert_eq!(c.get(1, 0, None), Lookup::Hit); // 2 is now the least recent
        assert!(c.put(3, 0));
        assert_eq!(c.get(2, 0, None), Lookup::Miss);
        assert_eq!(c.get(1, 0, None), Lookup::Hit);
        assert_eq!(c.get(3, 0, None), Lookup::Hit);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn expires_after_the_ttl_and_refreshes_on_put() {
        let mut c = Lru::new(4);
        c.put(7, 100);
        assert_eq!(c.get(7, 150, Some(100)), Lookup::Hit);
        assert_eq!(c.get(7, 200, Some(100)), Lookup::Stale);
        c.put(7, 200);
        assert_eq!(c.get(7, 250, Some(100)), Lookup::Hit);
        assert_eq!(c.len(), 1);
    }
}
