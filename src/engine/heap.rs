//! The pending-event set: a 4-ary min-heap ordered by (time, insertion sequence).
//!
//! A 4-ary heap halves the depth of a binary heap and keeps a node's children in one cache
//! line, which matters once a large scenario holds a million pending events. The sequence
//! number makes the order total, so ties break by insertion order, deterministically.

use crate::units::Nanos;

#[derive(Clone, Copy, Debug)]
struct Entry<E> {
    time: Nanos,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    #[inline]
    fn before(&self, other: &Self) -> bool {
        (self.time, self.seq) < (other.time, other.seq)
    }
}

pub struct EventHeap<E> {
    items: Vec<Entry<E>>,
    next_seq: u64,
}

impl<E: Copy> EventHeap<E> {
    pub fn with_capacity(capacity: usize) -> Self {
        EventHeap { items: Vec::with_capacity(capacity), next_seq: 0 }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    #[inline]
    pub fn push(&mut self, time: Nanos, event: E) {
        let entry = Entry { time, seq: self.next_seq, event };
        self.next_seq += 1;
        self.items.push(entry);
        self.sift_up(self.items.len() - 1);
    }

    /// Hands out the next sequence number without pushing: for an event kept outside the heap
    /// (a call's deadline) that must order against the heap's events as if it were in it.
    #[inline]
    pub fn take_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq - 1
    }

    #[cfg(test)]
    pub fn push_seq(&mut self, time: Nanos, seq: u64, event: E) {
        self.items.push(Entry { time, seq, event });
        self.sift_up(self.items.len() - 1);
    }

    /// The first entry's (time, sequence).
    #[inline]
    pub fn peek_key(&self) -> Option<(Nanos, u64)> {
        self.items.first().map(|e| (e.time, e.seq))
    }

    #[inline]
    pub fn peek_time(&self) -> Option<Nanos> {
        self.items.first().map(|e| e.time)
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, E)> {
        let last = self.items.pop()?;
        if self.items.is_empty() {
            return Some((last.time, last.event));
        }
        let top = std::mem::replace(&mut self.items[0], last);
        self.sift_down(0);
        Some((top.time, top.event))
    }

    #[inline]
    fn sift_up(&mut self, mut i: usize) {
        let entry = self.items[i];
        while i > 0 {
            let parent = (i - 1) / 4;
            if !entry.before(&self.items[parent]) {
                break;
            }
            self.items[i] = self.items[parent];
            i = parent;
        }
        self.items[i] = entry;
    }

    #[inline]
    fn sift_down(&mut self, mut i: usize) {
        let n = self.items.len();
        let entry = self.items[i];
        loop {
            let first = 4 * i + 1;
            if first >= n {
                break;
            }
            let mut best = first;
            for c in first + 1..(first + 4).min(n) {
                if self.items[c].before(&self.items[best]) {
                    best = c;
                }
            }
            if !self.items[best].before(&entry) {
                break;
            }
            self.items[i] = self.items[best];
            i = best;
        }
        self.items[i] = entry;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use rand::Rng;

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut rng = stream(3, "heap-test");
        let mut heap = EventHeap::with_capacity(16);
        let mut expected = Vec::new();
        for i in 0..5_000u32 {
            // Few distinct times, so ties are frequent.
            let t = rng.next_u64() % 50;
            heap.push(t, i);
            expected.push((t, i));
            if i % 7 == 0 {
                expected.sort();
                let got = heap.pop().unwrap();
                assert_eq!(got, expected.remove(0));
            }
        }
        expected.sort();
        for want in expected {
            assert_eq!(heap.pop().unwrap(), want);
        }
        assert!(heap.is_empty());
    }
}
