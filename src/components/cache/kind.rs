//! A cache: its part of the kind contract (`components/kind.rs`). The facts other
//! modules ask of every kind (its calls, its work, its faults, `explain`'s estimate) live
//! here; its behaviour is in `mod.rs`.

use super::{Cache, CacheInput, CacheSpec, WritePolicy};
use crate::components::kind::{Busiest, Estimator, Flow, Kind, KindInput, KindSpec, OpRule};
use crate::components::KindStats;
use crate::model::{CompId, Cost, Model};
use crate::validate::Resolver;
use crate::components::MAX_KEY_STATE;
use crate::engine::calls::Op;
use crate::faults::{FaultKind, FaultSpec};
use crate::engine::calls::{CallId, Outcome};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::units::Nanos;

impl KindInput for CacheInput {
    type Spec = CacheSpec;

    fn validate(&self, name: &str, r: &mut Resolver) -> Option<(CacheSpec, Cost)> {
        CacheInput::validate(self, name, r)
    }
}

impl KindSpec for CacheSpec {
    type Runtime = Cache;
    const OP_RULE: OpRule = OpRule::ReadWrite;
    const CALLS_KEY: Option<&'static str> = Some("backend");
    const NODE_NAME: &'static str = "servers";

    fn build(&self, model: &Model, id: CompId, seed: u64) -> Cache {
        let flushed = model.faults.iter().any(|f| f.target == id && f.kind == FaultKind::CacheFlush);
        Cache::new(self, &model.components[id as usize].name, seed, id, model.keys, flushed)
    }

    fn downstream(&self) -> Vec<CompId> {
        vec![self.backend]
    }

    /// An upper bound again: every read misses, every write goes through.
    fn forwards(&self, _class: usize) -> Vec<(CompId, Op, f64)> {
        vec![(self.backend, Op::Read, 1.0)]
    }

    fn mean_work_s(&self, _op: Op) -> f64 {
        self.hit_time.mean_secs()
    }

    fn servers_and_mean_work_s(&self) -> (u32, f64) {
        (self.servers, self.hit_time.mean_secs())
    }

    fn needs_keys(&self) -> bool {
        self.keyed()
    }

    fn check_scale(&self, name: &str, keys: u64, _users: u64, r: &mut Resolver) {
        if self.keyed() && keys > MAX_KEY_STATE {
            r.problem(
                &["keys", "count"],
                format!("cache `{name}` keeps state for every key, and {keys} keys is more than {MAX_KEY_STATE}"),
                "model a sample of the key space (the hit ratio depends on capacity / keys), or give the cache a fixed `hit_ratio`",
            );
        }
    }

    /// A fixed `hit_ratio` keeps no keys: there is nothing to flush.
    fn accepts_fault(&self, f: &FaultKind) -> bool {
        matches!(f, FaultKind::CacheFlush) && self.keyed()
    }

    fn fault_refusal(&self, _name: &str, f: &FaultKind) -> Option<String> {
        matches!(f, FaultKind::CacheFlush).then(|| {
            "a cache with a fixed `hit_ratio` keeps no keys, so a flush empties nothing: give it a `capacity`".to_string()
        })
    }

    /// Writes go on as writes; reads only when they miss.
    fn explain_route(&self, _class: usize, op: Op, hit: Option<f64>) -> Vec<(CompId, Op, f64)> {
        match op {
            Op::Write => vec![(self.backend, Op::Write, 1.0)],
            Op::Read | Op::Default => vec![(self.backend, Op::Read, 1.0 - hit.unwrap_or(0.0))],
        }
    }

    fn misses_to(&self) -> Option<CompId> {
        Some(self.backend)
    }

    fn explain_response(&self, l: &mut dyn Estimator, c: CompId, op: Op) -> f64 {
        let ht = self.hit_time.mean_secs();
        let op_s = l.station_s(self.servers, cache_ops(l.flow(c), l.hit(c), self.write_policy), ht);
        let timeout = l.timeout_s(None);
        match op {
            Op::Read | Op::Default => {
                let h = l.hit(c).unwrap_or(0.0);
                op_s + (1.0 - h) * (l.call_s(c, self.backend, Op::Read, timeout) + op_s)
            }
            Op::Write => match self.write_policy {
                WritePolicy::Invalidate => 2.0 * op_s + l.call_s(c, self.backend, Op::Write, timeout),
                WritePolicy::WriteThrough => op_s + l.call_s(c, self.backend, Op::Write, timeout),
                WritePolicy::WriteBehind => op_s,
                WritePolicy::WriteAround => l.call_s(c, self.backend, Op::Write, timeout),
            },
        }
    }

    fn explain_estimate(&self, l: &mut dyn Estimator, c: CompId, b: &mut Busiest) {
        let ht = self.hit_time.mean_secs();
        b.work_s = ht;
        let ops = cache_ops(l.flow(c), l.hit(c), self.write_policy);
        b.consider("servers", ops * ht / f64::from(self.servers.max(1)));
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

impl Kind for Cache {
    #[inline]
    fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        Cache::deliver(self, ctx, id)
    }

    #[inline]
    fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        Cache::done(self, ctx, id)
    }

    #[inline]
    fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        Cache::child_replied(self, ctx, id, outcome)
    }

    fn totals(&mut self, now: Nanos) -> Totals {
        Cache::totals(self, now)
    }

    fn sync(&mut self, now: Nanos) {
        Cache::sync(self, now)
    }

    fn reset_stats(&mut self, now: Nanos) {
        Cache::reset_stats(self, now)
    }

    fn stats(&self, elapsed: Nanos) -> KindStats {
        Cache::stats(self, elapsed)
    }

    fn fault(&mut self, ctx: &mut Ctx, id: u16, fault: &FaultSpec, start: bool) {
        Cache::fault(self, ctx, id, fault, start)
    }

    fn series(&mut self, _now: Nanos, width: Nanos, out: &mut Vec<(&'static str, f64)>) {
        Cache::series(self, width, out)
    }
}
