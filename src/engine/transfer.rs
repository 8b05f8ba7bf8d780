//! Bytes that cross regions, for the bill's inter-region transfer: a call's request bytes
//! (`[call_sizes]`) are billed to the caller, which sends them, and a successful reply's
//! response bytes to the callee, as a provider bills the sender. Calls a CDN edge or a geo-DNS
//! makes are not transfers between the provider's regions (an edge's origin fetch is billed by
//! the CDN; DNS only answers where to go), so they count nothing.

use super::calls::Op;
use crate::model::{CallSizes, Model};

pub struct Transfer {
    n: usize,
    /// Per (caller, callee): whether a call between them crosses regions.
    crosses: Vec<bool>,
    sizes: CallSizes,
}

impl Transfer {
    /// `None` when no call carries bytes or none crosses regions: the hot path then tests one
    /// `Option`.
    pub fn build(model: &Model) -> Option<Box<Transfer>> {
        if !model.call_sizes.any() {
            return None;
        }
        let regions = &model.placement.comp_region;
        let n = model.components.len();
        let mut crosses = vec![false; n * n];
        for (a, ca) in model.components.iter().enumerate() {
            for (b, cb) in model.components.iter().enumerate() {
                let (Some(Some(ra)), Some(Some(rb))) = (regions.get(a), regions.get(b)) else { continue };
                crosses[a * n + b] = ra != rb && ca.spec.moves_call_bytes() && cb.spec.moves_call_bytes();
            }
        }
        crosses.iter().any(|c| *c).then(|| Box::new(Transfer { n, crosses, sizes: model.call_sizes.clone() }))
    }

    /// Bytes a call from `from` to `to`'s `op` sends across regions.
    #[inline]
    pub fn request(&self, from: u16, to: u16, op: Op) -> u64 {
        if self.crosses[from as usize * self.n + to as usize] {
            self.sizes.of(to as usize, op).0
        } else {
            0
        }
    }

    /// Bytes `to`'s reply to `from` sends back across regions.
    #[inline]
    pub fn response(&self, from: u16, to: u16, op: Op) -> u64 {
        if self.crosses[from as usize * self.n + to as usize] {
            self.sizes.of(to as usize, op).1
        } else {
            0
        }
    }
}
