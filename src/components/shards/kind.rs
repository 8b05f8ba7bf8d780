//! A sharded store: its part of the kind contract (`components/kind.rs`). The facts other
//! modules ask of every kind (its calls, its work, its faults, `explain`'s estimate) live
//! here; its behaviour is in `mod.rs`.

use super::{Shards, ShardsInput, ShardsSpec};
use crate::components::kind::{Busiest, Estimator, Kind, KindInput, KindSpec, OpRule};
use crate::components::KindStats;
use crate::model::{CompId, Cost, Model};
use crate::validate::Resolver;
use crate::engine::calls::Op;
use crate::engine::calls::{CallId, Outcome};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::units::Nanos;

impl KindInput for ShardsInput {
    type Spec = ShardsSpec;

    fn validate(&self, name: &str, r: &mut Resolver) -> Option<(ShardsSpec, Cost)> {
        ShardsInput::validate(self, name, r)
    }
}

impl KindSpec for ShardsSpec {
    type Runtime = Shards;
    const OP_RULE: OpRule = OpRule::ReadWrite;
    const CALLS_KEY: Option<&'static str> = None;
    const NODE_NAME: &'static str = "servers";

    fn build(&self, model: &Model, id: CompId, seed: u64) -> Shards {
        Shards::new(self, &model.components[id as usize].name, seed, model.keys)
    }

    fn downstream(&self) -> Vec<CompId> {
        Vec::new()
    }

    fn forwards(&self, _class: usize) -> Vec<(CompId, Op, f64)> {
        Vec::new()
    }

    fn mean_work_s(&self, op: Op) -> f64 {
        match op {
            Op::Write => self.server.times.write.mean_secs(),
            Op::Read | Op::Default => self.server.times.read.mean_secs(),
        }
    }

    fn servers_and_mean_work_s(&self) -> (u32, f64) {
        (self.shards * self.server.cores, self.server.times.read.mean_secs())
    }

    fn needs_keys(&self) -> bool {
        true
    }

    fn explain_response(&self, l: &mut dyn Estimator, c: CompId, op: Op) -> f64 {
        let f = l.flow(c);
        let (rt, wt) = (self.server.times.read.mean_secs(), self.server.times.write.mean_secs());
        let n = f64::from(self.shards.max(1));
        let lambda = f.total() / n;
        let mean = if f.total() > 0.0 { ((f.reads + f.other) * rt + f.writes * wt) / f.total() } else { rt };
        let own = if op == Op::Write { wt } else { rt };
        own + l.wait_s(self.server.cores, lambda, mean)
    }

    fn explain_estimate(&self, l: &mut dyn Estimator, c: CompId, b: &mut Busiest) {
        let f = l.flow(c);
        let (rt, wt) = (self.server.times.read.mean_secs(), self.server.times.write.mean_secs());
        let per = ((f.reads + f.other) * rt + f.writes * wt) / f64::from(self.shards.max(1));
        b.work_s = if f.total() > 0.0 { per * f64::from(self.shards.max(1)) / f.total() } else { rt };
        b.consider("busiest shard", per / f64::from(self.server.cores.max(1)));
    }
}

impl Kind for Shards {
    #[inline]
    fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        Shards::deliver(self, ctx, id)
    }

    #[inline]
    fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        Shards::done(self, ctx, id)
    }

    fn child_replied(&mut self, _ctx: &mut Ctx, _id: CallId, _outcome: Outcome) {
        unreachable!("shards make no downstream calls")
    }

    fn totals(&mut self, now: Nanos) -> Totals {
        Shards::totals(self, now)
    }

    fn sync(&mut self, now: Nanos) {
        Shards::sync(self, now)
    }

    fn reset_stats(&mut self, now: Nanos) {
        Shards::reset_stats(self, now)
    }

    fn stats(&self, elapsed: Nanos) -> KindStats {
        Shards::stats(self, elapsed)
    }
}
