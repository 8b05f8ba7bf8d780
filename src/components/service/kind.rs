//! A service: its part of the kind contract (`components/kind.rs`). The facts other
//! modules ask of every kind (its calls, its work, its faults, `explain`'s estimate) live
//! here; its behaviour is in `mod.rs`.

use super::{Service, ServiceInput, ServiceSpec};
use crate::calls_model::Plan;
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

impl KindInput for ServiceInput {
    type Spec = ServiceSpec;

    fn validate(&self, name: &str, r: &mut Resolver) -> Option<(ServiceSpec, Cost)> {
        ServiceInput::validate(self, name, r)
    }
}

impl KindSpec for ServiceSpec {
    type Runtime = Service;
    const OP_RULE: OpRule = OpRule::Plain;
    const CALLS_KEY: Option<&'static str> = Some("calls");
    const NODE_NAME: &'static str = "servers";

    fn build(&self, model: &Model, id: CompId, seed: u64) -> Service {
        let struck = model.faults.iter().any(|f| f.target == id && KindSpec::accepts_fault(self, &f.kind));
        Service::new(self, id, &model.components[id as usize].name, seed, struck)
    }

    fn downstream(&self) -> Vec<CompId> {
        Service::downstream(self)
    }

    fn forwards(&self, class: usize) -> Vec<(CompId, Op, f64)> {
        self.plans[class].iter().flatten().map(|t| (t.comp, t.op, 1.0)).collect()
    }

    fn mean_work_s(&self, _op: Op) -> f64 {
        self.service_time.mean_secs()
    }

    fn servers_and_mean_work_s(&self) -> (u32, f64) {
        (self.instances * self.cores, self.service_time.mean_secs())
    }

    fn plans(&self) -> Option<&[Plan]> {
        Some(&self.plans)
    }

    fn instances(&self) -> u32 {
        self.instances
    }

    fn max_instances(&self) -> u32 {
        ServiceSpec::max_instances(self)
    }

    fn sessions_in_memory(&self) -> bool {
        self.session_store.is_none()
    }

    fn accepts_fault(&self, f: &FaultKind) -> bool {
        matches!(f, FaultKind::InstanceCrash { .. } | FaultKind::ComponentDown { .. })
    }

    fn explain_response(&self, l: &mut dyn Estimator, c: CompId, _op: Op) -> f64 {
        let st = self.service_time.mean_secs();
        let own = l.station_s(self.cores, l.flow(c).total() / f64::from(self.instances.max(1)), st);
        own + l.plans_s(c, &self.plans, l.timeout_s(self.call_timeout))
    }

    fn explain_estimate(&self, l: &mut dyn Estimator, c: CompId, b: &mut Busiest) {
        let st = self.service_time.mean_secs();
        let per = l.flow(c).total() / f64::from(self.instances.max(1));
        b.work_s = st;
        b.hold_s = l.response(c, Op::Default);
        b.consider("cores", per * st / f64::from(self.cores.max(1)));
        let u = per * b.hold_s / f64::from(self.max_in_flight.max(1));
        b.consider("threads", u);
    }
}

impl Kind for Service {
    #[inline]
    fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        Service::deliver(self, ctx, id)
    }

    #[inline]
    fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        Service::done(self, ctx, id)
    }

    #[inline]
    fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        Service::child_replied(self, ctx, id, outcome)
    }

    fn totals(&mut self, now: Nanos) -> Totals {
        Service::totals(self, now)
    }

    fn sync(&mut self, now: Nanos) {
        Service::sync(self, now)
    }

    fn reset_stats(&mut self, now: Nanos) {
        Service::reset_stats(self, now)
    }

    fn stats(&self, elapsed: Nanos) -> KindStats {
        Service::stats(self, elapsed)
    }

    fn start(&mut self, ctx: &mut Ctx) {
        Service::start(self, ctx)
    }

    fn timer(&mut self, ctx: &mut Ctx, tag: u32) {
        Service::timer(self, ctx, tag)
    }

    fn fault(&mut self, ctx: &mut Ctx, id: u16, fault: &FaultSpec, start: bool) {
        Service::fault(self, ctx, id, fault, start)
    }

    fn series(&mut self, now: Nanos, _width: Nanos, out: &mut Vec<(&'static str, f64)>) {
        Service::series(self, now, out)
    }
}
