//! A CDN: its part of the kind contract (`components/kind.rs`). The facts other
//! modules ask of every kind (its calls, its work, its faults, `explain`'s estimate) live
//! here; its behaviour is in `mod.rs`.

use super::{Cdn, CdnInput, CdnSpec};
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

impl KindInput for CdnInput {
    type Spec = CdnSpec;

    fn validate(&self, name: &str, r: &mut Resolver) -> Option<(CdnSpec, Cost)> {
        CdnInput::validate(self, name, r)
    }
}

impl KindSpec for CdnSpec {
    type Runtime = Cdn;
    const OP_RULE: OpRule = OpRule::Plain;
    const CALLS_KEY: Option<&'static str> = Some("origin");
    const NODE_NAME: &'static str = "edges";

    fn build(&self, model: &Model, id: CompId, seed: u64) -> Cdn {
        Cdn::new(self, &model.components[id as usize].name, seed, &model.placement)
    }

    fn downstream(&self) -> Vec<CompId> {
        CdnSpec::downstream(self)
    }

    /// An upper bound: every request is taken to miss the edge.
    fn forwards(&self, class: usize) -> Vec<(CompId, Op, f64)> {
        vec![(self.origins[class].0, self.origins[class].1, 1.0)]
    }

    fn mean_work_s(&self, _op: Op) -> f64 {
        self.edge_time.mean_secs()
    }

    fn servers_and_mean_work_s(&self) -> (u32, f64) {
        (0, 0.0)
    }

    fn needs_keys(&self) -> bool {
        true
    }

    fn needs_users(&self) -> bool {
        true
    }

    fn everywhere(&self) -> bool {
        true
    }

    /// An edge's fetches are billed by the CDN.
    fn moves_call_bytes(&self) -> bool {
        false
    }

    fn bills_own_egress(&self) -> bool {
        true
    }

    fn user_link_ns(&self, user_region: u8, _id: CompId, placement: &Placement) -> Nanos {
        CdnSpec::user_link_ns(self, user_region, placement)
    }

    fn placement_problem(&self, users_named: bool) -> Option<(&'static str, &'static str, &'static str)> {
        (self.regions.is_some() && !users_named).then_some((
            "regions",
            "edges in regions need users in regions",
            "add `[users] regions = { us-east = 0.6, eu-west = 0.4 }`, or remove `regions`",
        ))
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

impl Kind for Cdn {
    #[inline]
    fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        Cdn::deliver(self, ctx, id)
    }

    #[inline]
    fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        Cdn::done(self, ctx, id)
    }

    #[inline]
    fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        Cdn::child_replied(self, ctx, id, outcome)
    }

    fn totals(&mut self, now: Nanos) -> Totals {
        Cdn::totals(self, now)
    }

    fn sync(&mut self, now: Nanos) {
        Cdn::sync(self, now)
    }

    fn reset_stats(&mut self, now: Nanos) {
        Cdn::reset_stats(self, now)
    }

    fn stats(&self, elapsed: Nanos) -> KindStats {
        Cdn::stats(self, elapsed)
    }
}
