//! The key store of a cache: which keys it holds, how fresh each copy is, and which key leaves
//! when it is full. Every operation is O(1) (LRU, TTL) or O(log n) (LFU), and nothing is
//! allocated after construction: entries live in a slab sized to the capacity, and keys index
//! it through a dense table sized to the key space (keys are `0..count`).
//!
//! - LRU: an intrusive doubly linked list in recency order; a hit moves the entry to the tail,
//!   the head leaves first.
//! - TTL only: the same list in order of (re)insertion, which is also the order of expiry since
//!   every entry lives `ttl`; a full store drops the head only if it has expired, and otherwise
//!   refuses the new key (as Redis does under `noeviction`).
//! - LFU: an indexed binary min-heap on (hits, last use); counts never decay, so a key that was
//!   hot once keeps its place (the known price of plain LFU).

use crate::units::Nanos;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Eviction {
    #[default]
    Lru,
    Lfu,
    Ttl,
}

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Entry {
    key: u64,
    /// When the cached value was current at the backend (for staleness).
    version: Nanos,
    expires: Nanos,
    prev: u32,
    next: u32,
    /// LFU: uses, last use and position in the heap.
    uses: u32,
    heap_pos: u32,
    last_use: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Held and not expired: the version of the value held.
    Hit(Nanos),
    Miss,
    /// Held but past its TTL: removed now, and a miss for the caller.
    Expired,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Put {
    Inserted,
    Updated,
    /// Inserted after another key was evicted (`true`) or dropped because it expired (`false`).
    Replaced {
        evicted: bool,
    },
    /// TTL-only store full of live entries: the key is not cached.
    Refused,
}

pub struct Store {
    policy: Eviction,
    ttl: Option<Nanos>,
    capacity: u32,
    entries: Vec<Entry>,
    free: Vec<u32>,
    /// Slot + 1 per key; 0 when the key is not held.
    index: Vec<u32>,
    head: u32,
    tail: u32,
    heap: Vec<u32>,
    tick: u64,
}

impl Store {
    /// A store of `capacity` entries over keys `0..keys`.
    pub fn new(policy: Eviction, capacity: u32, ttl: Option<Nanos>, keys: u64) -> Store {
        let capacity = capacity.min(u32::try_from(keys).unwrap_or(u32::MAX - 1)).max(1);
        let heap = if policy == Eviction::Lfu { Vec::with_capacity(capacity as usize) } else { Vec::new() };
        Store {
            policy,
            ttl,
            capacity,
            entries: Vec::with_capacity(capacity as usize),
            free: Vec::new(),
            index: vec![0; keys as usize],
            head: NIL,
            tail: NIL,
            heap,
            tick: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    fn slot(&self, key: u64) -> Option<u32> {
        match self.index.get(key as usize) {
            Some(&s) if s != 0 => Some(s - 1),
            _ => None,
        }
    }

    /// Reads `key` at `now`, counting the use for the eviction policy.
    pub fn get(&mut self, key: u64, now: Nanos) -> Lookup {
        let Some(s) = self.slot(key) else { return Lookup::Miss };
        if self.entries[s as usize].expires <= now {
            self.remove_slot(s);
            return Lookup::Expired;
        }
        self.tick += 1;
        match self.policy {
            Eviction::Lru => self.move_to_tail(s),
            Eviction::Ttl => {}
            Eviction::Lfu => {
                let e = &mut self.entries[s as usize];
                e.uses = e.uses.saturating_add(1);
                e.last_use = self.tick;
                let pos = e.heap_pos as usize;
                self.sift_down(pos);
            }
        }
        Lookup::Hit(self.entries[s as usize].version)
    }

    /// Stores `key` with a value current as of `version`, (re)starting its TTL at `now`.
    pub fn put(&mut self, key: u64, version: Nanos, now: Nanos) -> Put {
        let expires = self.ttl.map_or(Nanos::MAX, |t| now.saturating_add(t));
        if let Some(s) = self.slot(key) {
            let e = &mut self.entries[s as usize];
            e.version = version;
            e.expires = expires;
            if self.policy != Eviction::Lfu {
                // LRU: a write is a use; TTL: the new expiry is the latest, so it goes last.
                self.move_to_tail(s);
            }
            return Put::Updated;
        }
        if (key as usize) >= self.index.len() {
            return Put::Refused;
        }
        let mut result = Put::Inserted;
        if self.len() as u32 >= self.capacity {
            let victim = match self.policy {
                Eviction::Lru | Eviction::Ttl => self.head,
                Eviction::Lfu => self.heap[0],
            };
            let expired = self.entries[victim as usize].expires <= now;
            if self.policy == Eviction::Ttl && !expired {
                return Put::Refused;
            }
            self.remove_slot(victim);
            result = Put::Replaced { evicted: !expired };
        }
        self.tick += 1;
        let entry = Entry { key, version, expires, prev: NIL, next: NIL, uses: 1, heap_pos: 0, last_use: self.tick };
        let s = match self.free.pop() {
            Some(s) => {
                self.entries[s as usize] = entry;
                s
            }
            None => {
                self.entries.push(entry);
                (self.entries.len() - 1) as u32
            }
        };
        self.index[key as usize] = s + 1;
        if self.policy == Eviction::Lfu {
            self.heap.push(s);
            let pos = self.heap.len() - 1;
            self.entries[s as usize].heap_pos = pos as u32;
            self.sift_up(pos);
        } else {
            self.link_tail(s);
        }
        result
    }

    /// Empties the store (a flush or a cold restart), keeping its memory.
    pub fn clear(&mut self) {
        // Slots on the free list may name keys held elsewhere now, but every key goes.
        for e in &self.entries {
            self.index[e.key as usize] = 0;
        }
        self.entries.clear();
        self.free.clear();
        self.heap.clear();
        (self.head, self.tail) = (NIL, NIL);
    }

    /// Drops `key` if held (an invalidation).
    pub fn remove(&mut self, key: u64) -> bool {
        match self.slot(key) {
            Some(s) => {
                self.remove_slot(s);
                true
            }
            None => false,
        }
    }

    fn remove_slot(&mut self, s: u32) {
        let e = self.entries[s as usize];
        self.index[e.key as usize] = 0;
        if self.policy == Eviction::Lfu {
            let pos = e.heap_pos as usize;
            let last = self.heap.pop().expect("a held entry is in the heap");
            if last != s {
                self.heap[pos] = last;
                self.entries[last as usize].heap_pos = pos as u32;
                self.sift_up(pos);
                let pos = self.entries[last as usize].heap_pos as usize;
                self.sift_down(pos);
            }
        } else {
            self.unlink(s);
        }
        self.free.push(s);
    }

    fn unlink(&mut self, s: u32) {
        let (prev, next) = (self.entries[s as usize].prev, self.entries[s as usize].next);
        match prev {
            NIL => self.head = next,
            p => self.entries[p as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.entries[n as usize].prev = prev,
        }
    }

    fn link_tail(&mut self, s: u32) {
        let tail = self.tail;
        let e = &mut self.entries[s as usize];
        e.prev = tail;
        e.next = NIL;
        match tail {
            NIL => self.head = s,
            t => self.entries[t as usize].next = s,
        }
        self.tail = s;
    }

    fn move_to_tail(&mut self, s: u32) {
        if self.tail != s {
            self.unlink(s);
            self.link_tail(s);
        }
    }

    fn less(&self, a: u32, b: u32) -> bool {
        let (a, b) = (&self.entries[a as usize], &self.entries[b as usize]);
        (a.uses, a.last_use) < (b.uses, b.last_use)
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.heap.swap(i, j);
        self.entries[self.heap[i] as usize].heap_pos = i as u32;
        self.entries[self.heap[j] as usize].heap_pos = j as u32;
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if !self.less(self.heap[i], self.heap[parent]) {
                break;
            }
            self.swap(i, parent);
            i = parent;
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut least = i;
            if l < n && self.less(self.heap[l], self.heap[least]) {
                least = l;
            }
            if r < n && self.less(self.heap[r], self.heap[least]) {
                least = r;
            }
            if least == i {
                break;
            }
            self.swap(i, least);
            i = least;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_empties_and_the_store_refills() {
        for policy in [Eviction::Lru, Eviction::Lfu, Eviction::Ttl] {
            let mut s = Store::new(policy, 3, Some(1_000), 10);
            for k in 0..5 {
                s.put(k, 0, 0);
            }
            s.remove(4);
            s.clear();
            assert!(s.is_empty());
            assert!((0..10).all(|k| s.get(k, 1) == Lookup::Miss), "{policy:?}");
            assert_eq!(s.put(7, 0, 2), Put::Inserted);
            assert_eq!(s.get(7, 3), Lookup::Hit(0));
            assert_eq!(s.len(), 1);
        }
    }

    fn held(s: &mut Store, keys: &[u64]) -> Vec<bool> {
        keys.iter().map(|k| matches!(s.get(*k, 0), Lookup::Hit(_))).collect()
    }

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut s = Store::new(Eviction::Lru, 3, None, 10);
        for k in [1, 2, 3] {
            assert_eq!(s.put(k, 0, 0), Put::Inserted);
        }
        assert_eq!(s.get(1, 0), Lookup::Hit(0)); // 2 is now the oldest
        assert_eq!(s.put(4, 0, 0), Put::Replaced { evicted: true });
        assert_eq!(held(&mut s, &[2]), [false]);
        assert_eq!(held(&mut s, &[1, 3, 4]), [true, true, true]);
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn lfu_evicts_the_least_used_then_the_oldest() {
        let mut s = Store::new(Eviction::Lfu, 3, None, 10);
        for k in [1, 2, 3] {
            s.put(k, 0, 0);
        }
        for _ in 0..3 {
            s.get(1, 0);
        }
        s.get(3, 0);
        // 2 has one use; it leaves first.
        assert_eq!(s.put(4, 0, 0), Put::Replaced { evicted: true });
        assert_eq!(held(&mut s, &[2]), [false]);
        // Now 4 (one use, newest) is the least used.
        assert_eq!(s.put(5, 0, 0), Put::Replaced { evicted: true });
        assert_eq!(held(&mut s, &[4]), [false]);
        assert!(s.remove(3));
        assert_eq!(s.len(), 2);
        assert_eq!(held(&mut s, &[1, 5]), [true, true]);
    }

    #[test]
    fn ttl_expires_and_refuses_when_full_of_live_keys() {
        let mut s = Store::new(Eviction::Ttl, 2, Some(100), 10);
        s.put(1, 0, 0);
        s.put(2, 0, 50);
        assert_eq!(s.put(3, 0, 60), Put::Refused);
        assert_eq!(s.put(3, 0, 100), Put::Replaced { evicted: false }); // 1 expired at 100
        assert_eq!(s.get(2, 149), Lookup::Hit(0));
        assert_eq!(s.get(2, 150), Lookup::Expired);
        assert_eq!(s.get(2, 151), Lookup::Miss);
        // An update restarts the TTL and moves the key behind the others.
        s.put(3, 7, 120);
        assert_eq!(s.get(3, 210), Lookup::Hit(7));
    }

    #[test]
    fn lfu_heap_stays_consistent_under_churn() {
        // Against a brute-force model: the store must always hold the same set.
        let mut s = Store::new(Eviction::Lfu, 8, None, 64);
        let mut model: Vec<(u64, u32, u64)> = Vec::new(); // (key, uses, last use)
        let mut tick = 0u64;
        let mut x = 12345u64;
        for _ in 0..20_000 {
            x = crate::rng::mix64(x);
            let key = (x % 64) * (x >> 60) / 16; // skewed towards small keys
            tick += 1;
            if let Some(m) = model.iter_mut().find(|m| m.0 == key) {
                m.1 += 1;
                m.2 = tick;
                assert!(matches!(s.get(key, 0), Lookup::Hit(_)));
            } else {
                assert_eq!(s.get(key, 0), Lookup::Miss);
                if model.len() == 8 {
                    let (i, _) = model.iter().enumerate().min_by_key(|(_, m)| (m.1, m.2)).unwrap();
                    model.swap_remove(i);
                }
                model.push((key, 1, tick));
                s.put(key, 0, 0);
            }
        }
    }
}
