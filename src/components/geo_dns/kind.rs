//! A geo-DNS: its part of the kind contract (`components/kind.rs`). The facts other
//! modules ask of every kind (its calls, its work, its faults, `explain`'s estimate) live
//! here; its behaviour is in `mod.rs`.

use super::{GeoDns, GeoDnsInput, GeoDnsSpec};
use crate::components::kind::{Busiest, Estimator, Kind, KindInput, KindSpec, OpRule};
use crate::components::KindStats;
use crate::model::{CompId, Cost, Model};
use crate::validate::Resolver;
use crate::engine::calls::Op;
use crate::model::Placement;
use crate::engine::calls::{CallId, Outcome};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::units::Nanos;

impl KindInput for GeoDnsInput {
    type Spec = GeoDnsSpec;

    fn validate(&self, name: &str, r: &mut Resolver) -> Option<(GeoDnsSpec, Cost)> {
        GeoDnsInput::validate(self, name, r)
    }
}

impl KindSpec for GeoDnsSpec {
    type Runtime = GeoDns;
    const OP_RULE: OpRule = OpRule::Plain;
    const CALLS_KEY: Option<&'static str> = Some("targets");
    const NODE_NAME: &'static str = "resolver";

    fn build(&self, model: &Model, id: CompId, _seed: u64) -> GeoDns {
        GeoDns::new(self, id, model)
    }

    fn downstream(&self) -> Vec<CompId> {
        self.targets.clone()
    }

    /// Users split by region: without the region shares here, spread evenly.
    fn forwards(&self, _class: usize) -> Vec<(CompId, Op, f64)> {
        self.targets.iter().map(|t| (*t, Op::Default, 1.0 / self.targets.len() as f64)).collect()
    }

    fn mean_work_s(&self, _op: Op) -> f64 {
        0.0
    }

    fn servers_and_mean_work_s(&self) -> (u32, f64) {
        (0, 0.0)
    }

    fn needs_users(&self) -> bool {
        true
    }

    fn everywhere(&self) -> bool {
        true
    }

    /// It only answers where to go.
    fn moves_call_bytes(&self) -> bool {
        false
    }

    /// The route it picks adds the legs to and from the user.
    fn user_link_ns(&self, _user_region: u8, _id: CompId, _placement: &Placement) -> Nanos {
        0
    }

    fn placement_problem(&self, users_named: bool) -> Option<(&'static str, &'static str, &'static str)> {
        (!users_named).then_some((
            "kind",
            "a geo-DNS routes users by their region, but `[users]` names no regions",
            "add `[users] regions = { us-east = 0.6, eu-west = 0.4 }`",
        ))
    }

    /// Without health checks it sends every user to a target, whatever happens to it.
    fn certain_next(&self) -> Vec<CompId> {
        if self.health.is_none() {
            self.targets.clone()
        } else {
            Vec::new()
        }
    }

    fn routes_around(&self) -> &[CompId] {
        if self.health.is_some() {
            &self.targets
        } else {
            &[]
        }
    }

    /// Spread over the targets it forwards to (every request taken to go on).
    fn explain_response(&self, l: &mut dyn Estimator, c: CompId, _op: Op) -> f64 {
        let targets = KindSpec::forwards(self, 0);
        let t = l.timeout_s(None);
        targets.iter().map(|(to, top, k)| k * l.call_s(c, *to, *top, t)).sum()
    }

    /// No resource of its own is modelled as a bottleneck.
    fn explain_estimate(&self, _l: &mut dyn Estimator, _c: CompId, _b: &mut Busiest) {}
}

impl Kind for GeoDns {
    #[inline]
    fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        GeoDns::deliver(self, ctx, id)
    }

    fn done(&mut self, _ctx: &mut Ctx, _id: CallId) {
        unreachable!("a geo-DNS schedules no work")
    }

    #[inline]
    fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        GeoDns::child_replied(self, ctx, id, outcome)
    }

    fn totals(&mut self, now: Nanos) -> Totals {
        GeoDns::totals(self, now)
    }

    fn sync(&mut self, now: Nanos) {
        GeoDns::sync(self, now)
    }

    fn reset_stats(&mut self, now: Nanos) {
        GeoDns::reset_stats(self, now)
    }

    fn stats(&self, elapsed: Nanos) -> KindStats {
        GeoDns::stats(self, elapsed)
    }

    fn start(&mut self, ctx: &mut Ctx) {
        GeoDns::start(self, ctx)
    }

    fn timer(&mut self, ctx: &mut Ctx, tag: u32) {
        GeoDns::timer(self, ctx, tag)
    }
}
