//! Requests outlived by their calls. When a caller stops waiting for a call (its timeout, or
//! a crash of the caller), the call and its subtree run on, and keep reading their request
//! (class, key, user). The caller may then answer, up to the root, before they end: the
//! request's slot must not be handed to a new request until the last of those orphaned calls
//! has replied, or they would read, and a queue's consumer would even retire, someone
//! else's request.
//!
//! Only abandoned calls can outlive their request's root, so only they are counted, on the
//! slow paths that abandon them and drop their replies; a run without timeouts or crashes
//! never touches this.

use super::calls::ReqId;
use super::Ctx;

/// The root has answered and the slot waits for the orphaned calls to end.
const RELEASED: u32 = 1 << 31;

impl Ctx {
    /// A call of `req` was abandoned: its reply, when it comes, is dropped.
    pub(super) fn orphaned(&mut self, req: ReqId) {
        let i = req as usize;
        if i >= self.orphans.len() {
            // Grows with the request arena's high-water mark, then stays.
            let len = (i + 1).max(self.orphans.len() * 2);
            self.orphans.resize(len, 0);
        }
        self.orphans[i] += 1;
    }

    /// An abandoned call of `req` replied (and was dropped): the last one frees a released
    /// request.
    pub(super) fn orphan_replied(&mut self, req: ReqId) {
        let n = &mut self.orphans[req as usize];
        *n -= 1;
        if *n == RELEASED {
            *n = 0;
            self.zombies -= 1;
            self.requests.remove(req);
        }
    }

    /// The request is over for whoever held it (its root answered, or its background work
    /// retired): its slot is freed now, or once its orphaned calls have replied.
    #[inline]
    pub(super) fn release_request(&mut self, req: ReqId) {
        match self.orphans.get_mut(req as usize) {
            Some(n) if *n != 0 => {
                *n |= RELEASED;
                self.zombies += 1;
            }
            _ => self.requests.remove(req),
        }
    }
}
