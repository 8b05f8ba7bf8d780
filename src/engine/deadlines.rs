//! Call deadlines (timeouts) out of the heap.
//!
//! A timeout is a constant per caller (a component's `timeout`, the client's `[load] timeout`),
//! so the deadlines armed with one duration come due in the order they were armed: one FIFO per
//! distinct duration holds them in order. The FIFOs are doubly linked lists threaded through
//! an array indexed by call id (parallel to the call slab), so a call that replies, fails or is
//! abandoned unlinks its deadline in O(1) instead of leaving a stale event in the heap. Pending
//! deadlines therefore never exceed live calls.
//!
//! Each entry carries the sequence number the heap would have given it (taken from the heap's
//! counter), and the event loop merges the FIFO heads with the heap by (time, sequence): the
//! order of every event that does something is exactly the order a heap holding the deadlines
//! would give.

use super::calls::CallId;
use crate::units::Nanos;

const NIL: u32 = u32::MAX;
const UNLINKED: u16 = u16::MAX;
/// Distinct durations given a FIFO of their own; a deadline with a duration beyond them (a
/// jittered retry's backoff added to its timeout) goes to the heap as before.
const MAX_FIFOS: usize = 32;

#[derive(Clone, Copy, Debug)]
struct Node {
    time: Nanos,
    seq: u64,
    prev: u32,
    next: u32,
    /// The FIFO it is linked in, or `UNLINKED`.
    fifo: u16,
}

const EMPTY: Node = Node { time: 0, seq: 0, prev: NIL, next: NIL, fifo: UNLINKED };

#[derive(Clone, Copy, Debug)]
struct Fifo {
    delay: Nanos,
    head: u32,
    tail: u32,
}

/// The pending deadlines of calls, one FIFO per distinct duration.
pub struct Deadlines {
    fifos: Vec<Fifo>,
    nodes: Vec<Node>,
    len: usize,
    /// The earliest head's (time, sequence, call), kept so the event loop reads it in O(1);
    /// `NONE` in the sequence when no deadline is pending.
    first: (Nanos, u64, CallId),
}

const NONE: (Nanos, u64, CallId) = (u64::MAX, u64::MAX, NIL);

impl Deadlines {
    pub fn new() -> Self {
        Deadlines { fifos: Vec::new(), nodes: Vec::new(), len: 0, first: NONE }
    }

    /// Deadlines pending now.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The FIFO for `delay`, created on first use; `None` once `MAX_FIFOS` are taken (the
    /// deadline then goes to the heap).
    #[inline]
    pub fn fifo_for(&mut self, delay: Nanos) -> Option<u16> {
        if let Some(i) = self.fifos.iter().position(|f| f.delay == delay) {
            return Some(i as u16);
        }
        if self.fifos.len() >= MAX_FIFOS {
            return None;
        }
        self.fifos.push(Fifo { delay, head: NIL, tail: NIL });
        Some((self.fifos.len() - 1) as u16)
    }

    /// Arms `id`'s deadline in FIFO `fifo` (from `fifo_for`), its duration after `now`, with
    /// sequence `seq`. A call has one deadline at a time.
    #[inline]
    pub fn arm(&mut self, fifo: u16, id: CallId, now: Nanos, seq: u64) {
        let f = fifo as usize;
        let delay = self.fifos[f].delay;
        let i = id as usize;
        if i >= self.nodes.len() {
            self.nodes.resize((i + 1).max(self.nodes.len() * 2).max(64), EMPTY);
        }
        debug_assert_eq!(self.nodes[i].fifo, UNLINKED, "a call has one deadline at a time");
        let tail = self.fifos[f].tail;
        let time = now.saturating_add(delay);
        self.nodes[i] = Node { time, seq, prev: tail, next: NIL, fifo: f as u16 };
        if tail == NIL {
            self.fifos[f].head = id;
            if (time, seq) < (self.first.0, self.first.1) {
                self.first = (time, seq, id);
            }
        } else {
            debug_assert!(self.nodes[tail as usize].time <= time, "deadlines of one duration come in order");
            self.nodes[tail as usize].next = id;
        }
        self.fifos[f].tail = id;
        self.len += 1;
    }

    /// Removes `id`'s deadline, if it has one, in O(1).
    #[inline]
    pub fn disarm(&mut self, id: CallId) {
        let Some(node) = self.nodes.get(id as usize).copied() else { return };
        if node.fifo == UNLINKED {
            return;
        }
        let f = &mut self.fifos[node.fifo as usize];
        if node.prev == NIL {
            f.head = node.next;
        } else {
            self.nodes[node.prev as usize].next = node.next;
        }
        if node.next == NIL {
            f.tail = node.prev;
        } else {
            self.nodes[node.next as usize].prev = node.prev;
        }
        self.nodes[id as usize] = EMPTY;
        self.len -= 1;
        if node.prev == NIL {
            self.refresh_first();
        }
    }

    /// Finds the earliest head again (a head left): one look per FIFO, and FIFOs are few.
    #[inline]
    fn refresh_first(&mut self) {
        self.first = NONE;
        for f in &self.fifos {
            if f.head != NIL {
                let n = &self.nodes[f.head as usize];
                if (n.time, n.seq) < (self.first.0, self.first.1) {
                    self.first = (n.time, n.seq, f.head);
                }
            }
        }
    }

    /// The earliest pending deadline's (time, sequence).
    #[inline]
    pub fn first_key(&self) -> Option<(Nanos, u64)> {
        (self.first.1 != u64::MAX).then_some((self.first.0, self.first.1))
    }

    /// The earliest pending deadline by (time, sequence): its time, sequence and call.
    #[inline]
    pub fn first(&self) -> Option<(Nanos, u64, CallId)> {
        (self.first.1 != u64::MAX).then_some(self.first)
    }
}

impl Default for Deadlines {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::heap::EventHeap;
    use crate::rng::stream;
    use rand::Rng;

    /// Arms through `fifo_for`, as the engine does; false when no FIFO takes the duration.
    fn arm(d: &mut Deadlines, id: CallId, now: Nanos, delay: Nanos, seq: u64) -> bool {
        let Some(f) = d.fifo_for(delay) else { return false };
        d.arm(f, id, now, seq);
        true
    }

    #[test]
    fn disarm_unlinks_head_middle_and_tail() {
        let mut d = Deadlines::new();
        for id in 0..5 {
            assert!(arm(&mut d, id, id as u64, 10, id as u64));
        }
        d.disarm(2);
        d.disarm(0);
        d.disarm(4);
        d.disarm(4); // twice is harmless
        assert_eq!(d.len(), 2);
        assert_eq!(d.first(), Some((11, 1, 1)));
        d.disarm(1);
        assert_eq!(d.first(), Some((13, 3, 3)));
        d.disarm(3);
        assert_eq!(d.first(), None);
        assert_eq!(d.len(), 0);
        // A recycled slot arms again.
        assert!(arm(&mut d, 2, 20, 10, 9));
        assert_eq!(d.first(), Some((30, 9, 2)));
    }

    #[test]
    fn earliest_head_wins_and_ties_break_by_sequence() {
        let mut d = Deadlines::new();
        assert!(arm(&mut d, 0, 0, 30, 0)); // due 30, seq 0
        assert!(arm(&mut d, 1, 10, 20, 1)); // due 30, seq 1
        assert!(arm(&mut d, 2, 10, 15, 2)); // due 25
        assert_eq!(d.first(), Some((25, 2, 2)));
        d.disarm(2);
        assert_eq!(d.first(), Some((30, 0, 0)));
        d.disarm(0);
        assert_eq!(d.first(), Some((30, 1, 1)));
    }

    #[test]
    fn durations_beyond_the_fifos_are_refused() {
        let mut d = Deadlines::new();
        for id in 0..MAX_FIFOS as u32 {
            assert!(arm(&mut d, id, 0, 1 + u64::from(id), u64::from(id)));
        }
        assert!(!arm(&mut d, 1000, 0, 1000, 1000));
        assert!(arm(&mut d, 1000, 0, 1, 1000), "a known duration still fits");
    }

    /// The merge of the FIFOs with a heap pops exactly what one heap holding every deadline
    /// pops, in the same order, with cancelled deadlines simply absent.
    #[test]
    fn merged_with_a_heap_gives_the_heap_order() {
        let mut rng = stream(7, "deadlines-test");
        let mut d = Deadlines::new();
        let mut heap: EventHeap<u32> = EventHeap::with_capacity(64);
        let mut reference: EventHeap<u32> = EventHeap::with_capacity(64);
        let mut cancelled = vec![false; 4_000];
        let (mut now, mut seq) = (0u64, 0u64);
        let durations = [5u64, 7, 12];
        let mut popped = 0;
        for id in 0..4_000u32 {
            now += rng.next_u64() % 3; // few distinct times: many ties
            if rng.next_u64().is_multiple_of(2) {
                let delay = durations[(rng.next_u64() % 3) as usize];
                assert!(arm(&mut d, id, now, delay, seq));
                reference.push_seq(now + delay, seq, id);
                seq += 1;
            } else {
                let delay = 1 + rng.next_u64() % 9;
                heap.push_seq(now + delay, seq, id + 100_000);
                reference.push_seq(now + delay, seq, id + 100_000);
                seq += 1;
            }
            if rng.next_u64().is_multiple_of(3) {
                let victim = (rng.next_u64() % u64::from(id + 1)) as u32;
                d.disarm(victim);
                cancelled[victim as usize] = true;
            }
            // Pop everything due by `now`, from both sides, and compare with the reference.
            loop {
                let fifo = d.first();
                let top = heap.peek_key();
                let next = match (fifo, top) {
                    (Some((t, s, _)), Some((ht, hs))) => (t, s).min((ht, hs)),
                    (Some((t, s, _)), None) => (t, s),
                    (None, Some(k)) => k,
                    (None, None) => break,
                };
                if next.0 > now {
                    break;
                }
                let got = match fifo {
                    Some((t, s, id)) if (t, s) == next => {
                        d.disarm(id);
                        (t, id)
                    }
                    _ => heap.pop().unwrap(),
                };
                let want = loop {
                    let (t, e) = reference.pop().unwrap();
                    if e >= 100_000 || !cancelled[e as usize] {
                        break (t, e);
                    }
                };
                assert_eq!(got, want);
                popped += 1;
            }
        }
        assert!(popped > 1_000);
    }
}
