//! An API gateway: its part of the kind contract (`components/kind.rs`). The facts other
//! modules ask of every kind (its calls, its work, its faults, `explain`'s estimate) live
//! here; its behaviour is in `mod.rs`.

use super::{Gateway, GatewayInput, GatewaySpec};
use crate::components::kind::{Busiest, Estimator, Kind, KindInput, KindSpec, OpRule};
use crate::components::KindStats;
use crate::model::{CompId, Cost, Model};
use crate::validate::Resolver;
use crate::engine::calls::Op;
use crate::engine::calls::{CallId, Outcome};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::units::Nanos;

impl KindInput for GatewayInput {
    type Spec = GatewaySpec;

    fn validate(&self, name: &str, r: &mut Resolver) -> Option<(GatewaySpec, Cost)> {
        GatewayInput::validate(self, name, r)
    }
}

impl KindSpec for GatewaySpec {
    type Runtime = Gateway;
    const OP_RULE: OpRule = OpRule::Plain;
    const CALLS_KEY: Option<&'static str> = Some("backends");
    const NODE_NAME: &'static str = "auth servers";

    fn build(&self, model: &Model, id: CompId, seed: u64) -> Gateway {
        Gateway::new(self, &model.components[id as usize].name, seed, model)
    }

    fn downstream(&self) -> Vec<CompId> {
        vec![self.backend]
    }

    fn forwards(&self, _class: usize) -> Vec<(CompId, Op, f64)> {
        vec![(self.backend, Op::Default, 1.0)]
    }

    fn mean_work_s(&self, _op: Op) -> f64 {
        self.auth.as_ref().map_or(0.0, |(_, _, d)| d.mean_secs())
    }

    fn servers_and_mean_work_s(&self) -> (u32, f64) {
        match &self.auth {
            Some((servers, _, d)) => (*servers, d.mean_secs()),
            None => (0, 0.0),
        }
    }

    fn needs_users(&self) -> bool {
        self.per_client.is_some()
    }

    fn explain_response(&self, l: &mut dyn Estimator, c: CompId, _op: Op) -> f64 {
        let f = l.flow(c);
        let own = self.auth.as_ref().map_or(0.0, |(n, _, d)| l.station_s(*n, f.total(), d.mean_secs()));
        own + l.call_s(c, self.backend, Op::Default, l.timeout_s(None))
    }

    fn explain_estimate(&self, l: &mut dyn Estimator, c: CompId, b: &mut Busiest) {
        if let Some((n, _, d)) = &self.auth {
            b.work_s = d.mean_secs();
            let u = l.flow(c).total() * b.work_s / f64::from((*n).max(1));
            b.consider("authentication", u);
        }
    }
}

impl Kind for Gateway {
    #[inline]
    fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        Gateway::deliver(self, ctx, id)
    }

    #[inline]
    fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        Gateway::done(self, ctx, id)
    }

    #[inline]
    fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        Gateway::child_replied(self, ctx, id, outcome)
    }

    fn totals(&mut self, now: Nanos) -> Totals {
        Gateway::totals(self, now)
    }

    fn sync(&mut self, now: Nanos) {
        Gateway::sync(self, now)
    }

    fn reset_stats(&mut self, now: Nanos) {
        Gateway::reset_stats(self, now)
    }

    fn stats(&self, elapsed: Nanos) -> KindStats {
        Gateway::stats(self, elapsed)
    }
}
