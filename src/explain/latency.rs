//! Mean response times and hold times for the estimate: a call's time at a component is its
//! wait (Erlang C on the component's servers) plus its work plus, step by step, the slowest
//! of the calls it waits on (each with its link both ways). A saturated dependency answers,
//! as far as the caller can tell, at its timeout.

use super::estimate::{mmc_wait_s, Estimate, Flow};
use crate::calls_model::Plan;
use crate::components::kind::{Busiest, Estimator};
use crate::engine::calls::Op;
use crate::model::{CompId, Model};
use crate::units::ns_to_secs;
use std::collections::HashMap;

/// What a caller waits for a call that never answers in time, without a timeout of its own.
const NO_TIMEOUT_S: f64 = 10.0;

pub struct Latencies<'a> {
    model: &'a Model,
    flows: &'a [Flow],
    hits: &'a [Option<f64>],
    memo: HashMap<(CompId, u8), f64>,
}

fn op_key(op: Op) -> u8 {
    match op {
        Op::Read => 0,
        Op::Write => 1,
        Op::Default => 2,
    }
}

impl<'a> Latencies<'a> {
    pub fn new(model: &'a Model, flows: &'a [Flow], hits: &'a [Option<f64>]) -> Self {
        Latencies { model, flows, hits, memo: HashMap::new() }
    }

    fn link_s(&self, a: CompId, b: CompId) -> f64 {
        ns_to_secs(self.model.latency.get(a, b))
    }

    /// One call from `from` to `to`, links included, capped by the caller's timeout.
    fn call_s(&mut self, from: CompId, to: CompId, op: Op, timeout_s: f64) -> f64 {
        (2.0 * self.link_s(from, to) + self.response(to, op)).min(timeout_s)
    }

    /// The time spent waiting on a plan's steps: each step waits for its slowest target.
    fn plan_s(&mut self, from: CompId, plan: &Plan, timeout_s: f64) -> f64 {
        let mut total = 0.0;
        for step in plan {
            let slowest = step.iter().map(|t| self.call_s(from, t.comp, t.op, timeout_s)).fold(0.0, f64::max);
            total += slowest;
        }
        total
    }

    /// The mean over classes (weighted by the class shares) of the time a plan waits.
    fn plans_s(&mut self, from: CompId, plans: &[Plan], timeout_s: f64) -> f64 {
        let model = self.model;
        model.classes.iter().zip(plans).map(|(cl, p)| cl.share * self.plan_s(from, p, timeout_s)).sum()
    }

    fn timeout_s(&self, own: Option<u64>) -> f64 {
        own.or(self.model.load.timeout).map_or(NO_TIMEOUT_S, ns_to_secs)
    }

    /// Mean time from a call's arrival at `c` to its reply (its own links excluded).
    pub fn response(&mut self, c: CompId, op: Op) -> f64 {
        if let Some(v) = self.memo.get(&(c, op_key(op))) {
            return *v;
        }
        // Guards a cycle (validation forbids them): an unfinished entry reads as zero.
        self.memo.insert((c, op_key(op)), 0.0);
        let v = self.compute(c, op);
        self.memo.insert((c, op_key(op)), v);
        v
    }

    fn compute(&mut self, c: CompId, op: Op) -> f64 {
        let model = self.model;
        model.components[c as usize].spec.explain_response(self, c, op)
    }

    /// The estimate of one component: its busiest resource and what holds it.
    pub fn estimate(&mut self, c: CompId) -> Estimate {
        let model = self.model;
        let mut b = Busiest::default();
        model.components[c as usize].spec.explain_estimate(self, c, &mut b);
        Estimate {
            flow: self.flows[c as usize],
            utilization: b.utilization,
            resource: b.resource,
            work_s: b.work_s,
            hold_s: b.hold_s,
            hit_ratio: self.hits[c as usize],
        }
    }
}

impl Estimator for Latencies<'_> {
    fn flow(&self, c: CompId) -> Flow {
        self.flows[c as usize]
    }

    fn hit(&self, c: CompId) -> Option<f64> {
        self.hits[c as usize]
    }

    fn response(&mut self, c: CompId, op: Op) -> f64 {
        Latencies::response(self, c, op)
    }

    fn call_s(&mut self, from: CompId, to: CompId, op: Op, timeout_s: f64) -> f64 {
        Latencies::call_s(self, from, to, op, timeout_s)
    }

    fn plans_s(&mut self, from: CompId, plans: &[Plan], timeout_s: f64) -> f64 {
        Latencies::plans_s(self, from, plans, timeout_s)
    }

    fn timeout_s(&self, own: Option<u64>) -> f64 {
        Latencies::timeout_s(self, own)
    }

    fn wait_s(&self, servers: u32, lambda: f64, s: f64) -> f64 {
        mmc_wait_s(servers, lambda, s)
    }
}
