//! A connection pooler: its part of the kind contract (`components/kind.rs`). The facts other
//! modules ask of every kind (its calls, its work, its faults, `explain`'s estimate) live
//! here; its behaviour is in `mod.rs`.

use super::{Pooler, PoolerInput, PoolerSpec};
use crate::components::kind::{Busiest, Estimator, Kind, KindInput, KindSpec, OpRule};
use crate::components::KindStats;
use crate::model::{CompId, Cost, Model};
use crate::validate::Resolver;
use crate::engine::calls::Op;
use crate::engine::calls::{CallId, Outcome};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::units::Nanos;

impl KindInput for PoolerInput {
    type Spec = PoolerSpec;

    fn validate(&self, name: &str, r: &mut Resolver) -> Option<(PoolerSpec, Cost)> {
        PoolerInput::validate(self, name, r)
    }
}

impl KindSpec for PoolerSpec {
    type Runtime = Pooler;
    const OP_RULE: OpRule = OpRule::ReadWrite;
    const CALLS_KEY: Option<&'static str> = Some("backend");
    const NODE_NAME: &'static str = "server connections";

    fn build(&self, _model: &Model, _id: CompId, _seed: u64) -> Pooler {
        Pooler::new(self)
    }

    fn downstream(&self) -> Vec<CompId> {
        vec![self.backend]
    }

    fn forwards(&self, _class: usize) -> Vec<(CompId, Op, f64)> {
        vec![(self.backend, Op::Read, 1.0)]
    }

    fn mean_work_s(&self, _op: Op) -> f64 {
        0.0
    }

    /// Its connections are held across the backend's work, which is the bottleneck.
    fn servers_and_mean_work_s(&self) -> (u32, f64) {
        (0, 0.0)
    }

    /// A pooler passes the operation on.
    fn explain_route(&self, _class: usize, op: Op, _hit: Option<f64>) -> Vec<(CompId, Op, f64)> {
        vec![(self.backend, op, 1.0)]
    }

    fn misses_to(&self) -> Option<CompId> {
        Some(self.backend)
    }

    fn explain_response(&self, l: &mut dyn Estimator, c: CompId, op: Op) -> f64 {
        l.call_s(c, self.backend, op, l.timeout_s(None))
    }

    fn explain_estimate(&self, l: &mut dyn Estimator, c: CompId, b: &mut Busiest) {
        b.hold_s = l.response(c, Op::Read);
        let held = l.flow(c).total() * b.hold_s;
        b.consider("server connections", held / f64::from(self.server_connections.max(1)));
    }
}

impl Kind for Pooler {
    #[inline]
    fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        Pooler::deliver(self, ctx, id)
    }

    #[inline]
    fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        Pooler::done(self, ctx, id)
    }

    #[inline]
    fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        Pooler::child_replied(self, ctx, id, outcome)
    }

    fn totals(&mut self, now: Nanos) -> Totals {
        Pooler::totals(self, now)
    }

    fn sync(&mut self, now: Nanos) {
        Pooler::sync(self, now)
    }

    fn reset_stats(&mut self, now: Nanos) {
        Pooler::reset_stats(self, now)
    }

    fn stats(&self, elapsed: Nanos) -> KindStats {
        Pooler::stats(self, elapsed)
    }
}
