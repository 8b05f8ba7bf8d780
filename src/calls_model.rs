//! Validated call plans: for each request class, the steps a handler performs downstream.

use crate::engine::calls::Op;
use crate::model::CompId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub comp: CompId,
    pub op: Op,
}

/// Steps in order; the targets of one step are called in parallel.
pub type Plan = Vec<Vec<Target>>;

/// All targets of a set of class plans.
pub fn targets(plans: &[Plan]) -> impl Iterator<Item = CompId> + '_ {
    plans.iter().flatten().flatten().map(|t| t.comp)
}
