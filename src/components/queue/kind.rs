//! A queue with its consumers: its part of the kind contract (`components/kind.rs`). The facts other
//! modules ask of every kind (its calls, its work, its faults, `explain`'s estimate) live
//! here; its behaviour is in `mod.rs`.

use super::{Queue, QueueInput, QueueSpec};
use crate::calls_model::Plan;
use crate::components::kind::{Busiest, Estimator, Kind, KindInput, KindSpec, OpRule};
use crate::components::KindStats;
use crate::model::{CompId, Cost, Model};
use crate::validate::Resolver;
use crate::engine::calls::Op;
use crate::engine::calls::{CallId, Outcome};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::units::Nanos;

impl KindInput for QueueInput {
    type Spec = QueueSpec;

    fn validate(&self, name: &str, r: &mut Resolver) -> Option<(QueueSpec, Cost)> {
        QueueInput::validate(self, name, r)
    }
}

impl KindSpec for QueueSpec {
    type Runtime = Queue;
    const OP_RULE: OpRule = OpRule::Plain;
    const CALLS_KEY: Option<&'static str> = Some("calls");
    const NODE_NAME: &'static str = "workers";

    fn build(&self, model: &Model, id: CompId, seed: u64) -> Queue {
        Queue::new(self, &model.components[id as usize].name, id, seed)
    }

    fn downstream(&self) -> Vec<CompId> {
        Queue::downstream(self)
    }

    /// The workers' calls, made after the ack: the load is real, only later.
    fn forwards(&self, class: usize) -> Vec<(CompId, Op, f64)> {
        self.plans[class].iter().flatten().map(|t| (t.comp, t.op, 1.0)).collect()
    }

    fn mean_work_s(&self, _op: Op) -> f64 {
        self.work_time.mean_secs()
    }

    fn servers_and_mean_work_s(&self) -> (u32, f64) {
        (self.workers, self.work_time.mean_secs())
    }

    fn plans(&self) -> Option<&[Plan]> {
        Some(&self.plans)
    }

    /// A producer waits for the ack only.
    fn explain_response(&self, _l: &mut dyn Estimator, _c: CompId, _op: Op) -> f64 {
        self.ack_time.mean_secs()
    }

    fn explain_estimate(&self, l: &mut dyn Estimator, c: CompId, b: &mut Busiest) {
        b.work_s = self.work_time.mean_secs();
        let t = l.timeout_s(self.call_timeout);
        b.hold_s = b.work_s + l.plans_s(c, &self.plans, t);
        let u = l.flow(c).total() * b.hold_s / f64::from(self.workers.max(1));
        b.consider("workers", u);
    }
}

impl Kind for Queue {
    #[inline]
    fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        Queue::deliver(self, ctx, id)
    }

    #[inline]
    fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        Queue::done(self, ctx, id)
    }

    #[inline]
    fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        Queue::child_replied(self, ctx, id, outcome)
    }

    fn totals(&mut self, now: Nanos) -> Totals {
        Queue::totals(self, now)
    }

    fn sync(&mut self, now: Nanos) {
        Queue::sync(self, now)
    }

    fn reset_stats(&mut self, now: Nanos) {
        Queue::reset_stats(self, now)
    }

    fn stats(&self, elapsed: Nanos) -> KindStats {
        Queue::stats(self, elapsed)
    }

    #[inline]
    fn wake(&mut self, ctx: &mut Ctx, token: u32) {
        Queue::wake(self, ctx, token)
    }

    fn settle(&self, s: &mut KindStats) {
        Queue::settle(self, s)
    }
}
