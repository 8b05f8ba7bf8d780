//! Mean response times and hold times for the estimate: a call's time at a component is its
//! wait (Erlang C on the component's servers) plus its work plus, step by step, the slowest
//! of the calls it waits on (each with its link both ways). A saturated dependency answers,
//! as far as the caller can tell, at its timeout.

use super::estimate::{mmc_wait_s, Estimate, Flow};
use crate::calls_model::Plan;
use crate::components::cache::WritePolicy;
use crate::components::ComponentSpec;
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

    fn station(c: u32, lambda: f64, s: f64) -> f64 {
        s + mmc_wait_s(c, lambda, s)
    }

    fn compute(&mut self, c: CompId, op: Op) -> f64 {
        let model = self.model;
        let f = self.flows[c as usize];
        match &model.components[c as usize].spec {
            ComponentSpec::Service(s) => {
                let st = s.service_time.mean_secs();
                let own = Self::station(s.cores, f.total() / f64::from(s.instances.max(1)), st);
                own + self.plans_s(c, &s.plans, self.timeout_s(s.call_timeout))
            }
            ComponentSpec::Queue(s) => s.ack_time.mean_secs(),
            ComponentSpec::Database(d) => {
                let (rt, wt) = (d.read_time.mean_secs(), d.write_time.mean_secs());
                let node = |reads: f64, writes: f64, own: f64| {
                    let lambda = reads + writes;
                    let mean = if lambda > 0.0 { (reads * rt + writes * wt) / lambda } else { own };
                    own + mmc_wait_s(d.cores, lambda, mean)
                };
                match (&d.replicas, op) {
                    (Some(r), Op::Read | Op::Default) => node(f.reads / f64::from(r.count.max(1)), 0.0, rt),
                    (Some(_), Op::Write) => node(0.0, f.writes, wt),
                    (None, Op::Write) => node(f.reads + f.other, f.writes, wt),
                    (None, Op::Read | Op::Default) => node(f.reads + f.other, f.writes, rt),
                }
            }
            ComponentSpec::Shards(s) => {
                let (rt, wt) = (s.server.times.read.mean_secs(), s.server.times.write.mean_secs());
                let n = f64::from(s.shards.max(1));
                let lambda = f.total() / n;
                let mean = if f.total() > 0.0 { ((f.reads + f.other) * rt + f.writes * wt) / f.total() } else { rt };
                let own = if op == Op::Write { wt } else { rt };
                own + mmc_wait_s(s.server.cores, lambda, mean)
            }
            ComponentSpec::Cache(s) => {
                let ht = s.hit_time.mean_secs();
                let op_s = Self::station(s.servers, cache_ops(f, self.hits[c as usize], s.write_policy), ht);
                let timeout = self.timeout_s(None);
                match op {
                    Op::Read | Op::Default => {
                        let h = self.hits[c as usize].unwrap_or(0.0);
                        op_s + (1.0 - h) * (self.call_s(c, s.backend, Op::Read, timeout) + op_s)
                    }
                    Op::Write => match s.write_policy {
                        WritePolicy::Invalidate => 2.0 * op_s + self.call_s(c, s.backend, Op::Write, timeout),
                        WritePolicy::WriteThrough => op_s + self.call_s(c, s.backend, Op::Write, timeout),
                        WritePolicy::WriteBehind => op_s,
                        WritePolicy::WriteAround => self.call_s(c, s.backend, Op::Write, timeout),
                    },
                }
            }
            ComponentSpec::LoadBalancer(s) => {
                let own = s.station.as_ref().map_or(0.0, |(n, _, d)| Self::station(*n, f.total(), d.mean_secs()));
                own + self.call_s(c, s.backend, Op::Default, self.timeout_s(None))
            }
            ComponentSpec::Gateway(s) => {
                let own = s.auth.as_ref().map_or(0.0, |(n, _, d)| Self::station(*n, f.total(), d.mean_secs()));
                own + self.call_s(c, s.backend, Op::Default, self.timeout_s(None))
            }
            ComponentSpec::Pooler(s) => self.call_s(c, s.backend, op, self.timeout_s(None)),
            ComponentSpec::Cdn(_) | ComponentSpec::GeoDns(_) => {
                let targets = model.components[c as usize].spec.forwards(0);
                let t = self.timeout_s(None);
                targets.iter().map(|(to, top, k)| k * self.call_s(c, *to, *top, t)).sum()
            }
            ComponentSpec::ObjectStorage(s) => match op {
                Op::Write => s.write_time.mean_secs(),
                Op::Read | Op::Default => s.first_byte_time.mean_secs(),
            },
        }
    }

    /// The estimate of one component: its busiest resource and what holds it.
    pub fn estimate(&mut self, c: CompId) -> Estimate {
        let model = self.model;
        let f = self.flows[c as usize];
        let mut e = Estimate { flow: f, hit_ratio: self.hits[c as usize], ..Estimate::default() };
        match &model.components[c as usize].spec {
            ComponentSpec::Service(s) => {
                let st = s.service_time.mean_secs();
                let per = f.total() / f64::from(s.instances.max(1));
                e.work_s = st;
                e.hold_s = self.response(c, Op::Default);
                consider(&mut e, "cores", per * st / f64::from(s.cores.max(1)));
                let u = per * e.hold_s / f64::from(s.max_in_flight.max(1));
                consider(&mut e, "threads", u);
            }
            ComponentSpec::Queue(s) => {
                e.work_s = s.work_time.mean_secs();
                let t = self.timeout_s(s.call_timeout);
                e.hold_s = e.work_s + self.plans_s(c, &s.plans, t);
                let u = f.total() * e.hold_s / f64::from(s.workers.max(1));
                consider(&mut e, "workers", u);
            }
            ComponentSpec::Database(d) => {
                let (rt, wt) = (d.read_time.mean_secs(), d.write_time.mean_secs());
                let cores = f64::from(d.cores.max(1));
                e.work_s = if f.total() > 0.0 { ((f.reads + f.other) * rt + f.writes * wt) / f.total() } else { rt };
                match &d.replicas {
                    Some(r) => {
                        consider(&mut e, "primary", f.writes * wt / cores);
                        let each = (f.reads + f.other) / f64::from(r.count.max(1)) * rt / cores;
                        for i in 1..=r.count {
                            consider(&mut e, &format!("replica {i}"), each);
                        }
                    }
                    None => consider(&mut e, "cores", ((f.reads + f.other) * rt + f.writes * wt) / cores),
                }
                e.hold_s = self.response(c, Op::Read);
            }
            ComponentSpec::Shards(s) => {
                let (rt, wt) = (s.server.times.read.mean_secs(), s.server.times.write.mean_secs());
                let per = ((f.reads + f.other) * rt + f.writes * wt) / f64::from(s.shards.max(1));
                e.work_s = if f.total() > 0.0 { per * f64::from(s.shards.max(1)) / f.total() } else { rt };
                consider(&mut e, "busiest shard", per / f64::from(s.server.cores.max(1)));
            }
            ComponentSpec::Cache(s) => {
                let ht = s.hit_time.mean_secs();
                e.work_s = ht;
                let ops = cache_ops(f, self.hits[c as usize], s.write_policy);
                consider(&mut e, "servers", ops * ht / f64::from(s.servers.max(1)));
            }
            ComponentSpec::Pooler(s) => {
                e.hold_s = self.response(c, Op::Read);
                let held = f.total() * e.hold_s;
                consider(&mut e, "server connections", held / f64::from(s.server_connections.max(1)));
            }
            ComponentSpec::LoadBalancer(s) => {
                if let Some((n, _, d)) = &s.station {
                    e.work_s = d.mean_secs();
                    let u = f.total() * e.work_s / f64::from((*n).max(1));
                    consider(&mut e, "cores", u);
                }
            }
            ComponentSpec::Gateway(s) => {
                if let Some((n, _, d)) = &s.auth {
                    e.work_s = d.mean_secs();
                    let u = f.total() * e.work_s / f64::from((*n).max(1));
                    consider(&mut e, "authentication", u);
                }
            }
            ComponentSpec::Cdn(_) | ComponentSpec::GeoDns(_) | ComponentSpec::ObjectStorage(_) => {}
        }
        e
    }
}

/// Keeps the busiest resource.
fn consider(e: &mut Estimate, name: &str, u: f64) {
    if u > e.utilization || e.resource.is_empty() {
        e.utilization = u;
        e.resource = name.to_string();
    }
}

/// Cache operations per second: a lookup per read (and a store per miss), deletes or
/// stores per write by policy.
fn cache_ops(f: Flow, hit: Option<f64>, policy: WritePolicy) -> f64 {
    let h = hit.unwrap_or(0.0);
    let per_write = match policy {
        WritePolicy::Invalidate => 2.0,
        WritePolicy::WriteThrough | WritePolicy::WriteBehind => 1.0,
        WritePolicy::WriteAround => 0.0,
    };
    (f.reads + f.other) * (2.0 - h) + f.writes * per_write
}
