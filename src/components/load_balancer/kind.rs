//! A load balancer: its part of the kind contract (`components/kind.rs`). The facts other
//! modules ask of every kind (its calls, its work, its faults, `explain`'s estimate) live
//! here; its behaviour is in `mod.rs`.

use super::{LoadBalancer, LoadBalancerInput, LoadBalancerSpec, Policy};
use crate::components::kind::{Busiest, Estimator, Kind, KindInput, KindSpec, OpRule};
use crate::components::KindStats;
use crate::model::{CompId, Cost, Model};
use crate::validate::Resolver;
use crate::engine::calls::Op;
use crate::faults::{FaultKind, FaultSpec};
use crate::engine::calls::{CallId, Outcome};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::units::Nanos;

impl KindInput for LoadBalancerInput {
    type Spec = LoadBalancerSpec;

    fn validate(&self, name: &str, r: &mut Resolver) -> Option<(LoadBalancerSpec, Cost)> {
        LoadBalancerInput::validate(self, name, r)
    }
}

impl KindSpec for LoadBalancerSpec {
    type Runtime = LoadBalancer;
    const OP_RULE: OpRule = OpRule::Plain;
    const CALLS_KEY: Option<&'static str> = Some("backends");
    const NODE_NAME: &'static str = "balancer";

    fn build(&self, model: &Model, id: CompId, seed: u64) -> LoadBalancer {
        let backend = &model.components[self.backend as usize].spec;
        let in_memory = backend.sessions_in_memory();
        let users = model.users.count;
        let slots = backend.max_instances();
        LoadBalancer::new(self, id, &model.components[id as usize].name, seed, slots, users, in_memory)
    }

    fn downstream(&self) -> Vec<CompId> {
        vec![self.backend]
    }

    fn forwards(&self, _class: usize) -> Vec<(CompId, Op, f64)> {
        vec![(self.backend, Op::Default, 1.0)]
    }

    fn mean_work_s(&self, _op: Op) -> f64 {
        self.station.as_ref().map_or(0.0, |(_, _, d)| d.mean_secs())
    }

    fn servers_and_mean_work_s(&self) -> (u32, f64) {
        match &self.station {
            Some((servers, _, d)) => (*servers, d.mean_secs()),
            None => (0, 0.0),
        }
    }

    fn needs_users(&self) -> bool {
        self.policy == Policy::Sticky
    }

    fn accepts_fault(&self, f: &FaultKind) -> bool {
        matches!(f, FaultKind::ComponentDown { .. })
    }

    /// Without work of its own or health checks, every call goes on to the backend.
    fn certain_next(&self) -> Vec<CompId> {
        if self.station.is_none() && self.health.is_none() {
            vec![self.backend]
        } else {
            Vec::new()
        }
    }

    fn explain_response(&self, l: &mut dyn Estimator, c: CompId, _op: Op) -> f64 {
        let f = l.flow(c);
        let own = self.station.as_ref().map_or(0.0, |(n, _, d)| l.station_s(*n, f.total(), d.mean_secs()));
        own + l.call_s(c, self.backend, Op::Default, l.timeout_s(None))
    }

    fn explain_estimate(&self, l: &mut dyn Estimator, c: CompId, b: &mut Busiest) {
        if let Some((n, _, d)) = &self.station {
            b.work_s = d.mean_secs();
            let u = l.flow(c).total() * b.work_s / f64::from((*n).max(1));
            b.consider("cores", u);
        }
    }
}

impl Kind for LoadBalancer {
    #[inline]
    fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        LoadBalancer::deliver(self, ctx, id)
    }

    #[inline]
    fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        LoadBalancer::done(self, ctx, id)
    }

    #[inline]
    fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        LoadBalancer::child_replied(self, ctx, id, outcome)
    }

    fn totals(&mut self, now: Nanos) -> Totals {
        LoadBalancer::totals(self, now)
    }

    fn sync(&mut self, now: Nanos) {
        LoadBalancer::sync(self, now)
    }

    fn reset_stats(&mut self, now: Nanos) {
        LoadBalancer::reset_stats(self, now)
    }

    fn stats(&self, elapsed: Nanos) -> KindStats {
        LoadBalancer::stats(self, elapsed)
    }

    fn start(&mut self, ctx: &mut Ctx) {
        LoadBalancer::start(self, ctx)
    }

    fn timer(&mut self, ctx: &mut Ctx, tag: u32) {
        LoadBalancer::timer(self, ctx, tag)
    }

    fn fault(&mut self, ctx: &mut Ctx, id: u16, fault: &FaultSpec, start: bool) {
        LoadBalancer::fault(self, ctx, id, fault, start)
    }

    fn series(&mut self, now: Nanos, width: Nanos, out: &mut Vec<(&'static str, f64)>) {
        LoadBalancer::series(self, now, width, out)
    }
}
