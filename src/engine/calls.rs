//! The arena of in-flight calls and requests.
//!
//! A *request* is what a user sends; a *call* is one hop of it to one component. Calls form a
//! tree through `parent`, which is how a handler waits on downstream calls in sequence or in
//! parallel. Slots are recycled through a free list, so steady state allocates nothing.

use crate::units::Nanos;

pub type CallId = u32;
pub type ReqId = u32;
pub const NO_PARENT: CallId = u32::MAX;
pub const NO_INSTANCE: u16 = u16::MAX;

/// What a read or write a call asks of a data component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Default,
    Read,
    Write,
}

/// How a call ended, from the caller's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// A bounded queue or a limit turned it away (HTTP 503 / 429).
    Rejected,
    /// A caller stopped waiting (HTTP 504).
    TimedOut,
    /// A downstream failure (HTTP 500/502).
    Failed,
}

#[derive(Clone, Copy, Debug)]
pub struct Call {
    pub req: ReqId,
    pub parent: CallId,
    pub comp: u16,
    pub instance: u16,
    pub op: Op,
    pub outcome: Outcome,
    /// The caller stopped waiting: the reply, when it comes, is dropped.
    pub abandoned: bool,
    /// The component has answered (the reply may still be on its way).
    pub replied: bool,
    /// Index of the current step of the handler's plan.
    pub step: u8,
    /// Downstream calls of the current step still outstanding.
    pub pending: u16,
    /// A stamp that tells a timeout event whether this slot still holds the same call.
    pub stamp: u32,
    pub arrived_at: Nanos,
    /// When the call started waiting for a server (for wait-time statistics).
    pub queued_at: Nanos,
    /// Which try of the caller this call is (0 = first): set by a caller that retries.
    pub attempt: u8,
}

#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub class: u8,
    /// Counted in the statistics (arrived after warm-up).
    pub measured: bool,
    /// Outcome already decided (timed out at the client); the tree may still be running.
    pub resolved: bool,
    pub arrived_at: Nanos,
    /// The data key it touches (0 = most popular under Zipf).
    pub key: u64,
    pub user: u32,
    /// Index into the scenario's user regions.
    pub region: u8,
    pub root: CallId,
    /// Work a component started on its own (a queue's consumer), not a user's request: it is
    /// never counted among the requests and is retired by the component that spawned it.
    pub background: bool,
}

/// A slab of `T` with a free list; ids are indices.
pub struct Slab<T> {
    items: Vec<T>,
    free: Vec<u32>,
    live: usize,
    peak: usize,
    limit: usize,
}

impl<T: Copy> Slab<T> {
    pub fn with_limit(limit: usize) -> Self {
        let initial = limit.min(4096);
        Slab { items: Vec::with_capacity(initial), free: Vec::with_capacity(initial), live: 0, peak: 0, limit }
    }

    /// Stores `item`, or returns `None` when the slab is at its limit.
    #[inline]
    pub fn insert(&mut self, item: T) -> Option<u32> {
        if self.live >= self.limit {
            return None;
        }
        self.live += 1;
        self.peak = self.peak.max(self.live);
        if let Some(id) = self.free.pop() {
            self.items[id as usize] = item;
            Some(id)
        } else {
            self.items.push(item);
            Some((self.items.len() - 1) as u32)
        }
    }

    #[inline]
    pub fn remove(&mut self, id: u32) {
        self.live -= 1;
        self.free.push(id);
    }

    #[inline]
    pub fn get(&self, id: u32) -> &T {
        &self.items[id as usize]
    }

    #[inline]
    pub fn get_mut(&mut self, id: u32) -> &mut T {
        &mut self.items[id as usize]
    }

    pub fn live(&self) -> usize {
        self.live
    }

    /// The most items ever live at once.
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// Every slot, free ones included (their contents are stale): for rare scans such as
    /// finding the calls a crashed instance held. The caller tells live items apart.
    pub fn slots(&self) -> impl Iterator<Item = (u32, &T)> {
        self.items.iter().enumerate().map(|(i, t)| (i as u32, t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slab_recycles_and_enforces_limit() {
        let mut s: Slab<u64> = Slab::with_limit(2);
        let a = s.insert(1).unwrap();
        let b = s.insert(2).unwrap();
        assert!(s.insert(3).is_none());
        s.remove(a);
        let c = s.insert(4).unwrap();
        assert_eq!(c, a);
        assert_eq!(*s.get(b), 2);
        assert_eq!(*s.get(c), 4);
        assert_eq!(s.live(), 2);
    }
}
