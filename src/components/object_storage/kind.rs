//! Object storage: its part of the kind contract (`components/kind.rs`). The facts other
//! modules ask of every kind (its calls, its work, its faults, `explain`'s estimate) live
//! here; its behaviour is in `mod.rs`.

use super::{ObjectStorage, ObjectStorageInput, ObjectStorageSpec};
use crate::components::kind::{Busiest, Estimator, Kind, KindInput, KindSpec, OpRule};
use crate::components::KindStats;
use crate::model::{CompId, Cost, Model};
use crate::validate::Resolver;
use crate::engine::calls::Op;
use crate::engine::calls::{CallId, Outcome};
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::units::Nanos;

impl KindInput for ObjectStorageInput {
    type Spec = ObjectStorageSpec;

    fn validate(&self, name: &str, r: &mut Resolver) -> Option<(ObjectStorageSpec, Cost)> {
        ObjectStorageInput::validate(self, name, r)
    }
}

impl KindSpec for ObjectStorageSpec {
    type Runtime = ObjectStorage;
    const OP_RULE: OpRule = OpRule::ReadWrite;
    const CALLS_KEY: Option<&'static str> = None;
    const NODE_NAME: &'static str = "store";

    fn build(&self, model: &Model, id: CompId, seed: u64) -> ObjectStorage {
        ObjectStorage::new(self, &model.components[id as usize].name, seed)
    }

    fn downstream(&self) -> Vec<CompId> {
        Vec::new()
    }

    fn forwards(&self, _class: usize) -> Vec<(CompId, Op, f64)> {
        Vec::new()
    }

    fn mean_work_s(&self, _op: Op) -> f64 {
        self.first_byte_time.mean_secs()
    }

    fn servers_and_mean_work_s(&self) -> (u32, f64) {
        (0, self.first_byte_time.mean_secs())
    }

    fn explain_response(&self, _l: &mut dyn Estimator, _c: CompId, op: Op) -> f64 {
        match op {
            Op::Write => self.write_time.mean_secs(),
            Op::Read | Op::Default => self.first_byte_time.mean_secs(),
        }
    }

    /// No resource of its own is modelled as a bottleneck.
    fn explain_estimate(&self, _l: &mut dyn Estimator, _c: CompId, _b: &mut Busiest) {}
}

impl Kind for ObjectStorage {
    #[inline]
    fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        ObjectStorage::deliver(self, ctx, id)
    }

    #[inline]
    fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        ObjectStorage::done(self, ctx, id)
    }

    fn child_replied(&mut self, _ctx: &mut Ctx, _id: CallId, _outcome: Outcome) {
        unreachable!("object storage makes no downstream calls")
    }

    fn totals(&mut self, now: Nanos) -> Totals {
        ObjectStorage::totals(self, now)
    }

    fn sync(&mut self, now: Nanos) {
        ObjectStorage::sync(self, now)
    }

    fn reset_stats(&mut self, now: Nanos) {
        ObjectStorage::reset_stats(self, now)
    }

    fn stats(&self, elapsed: Nanos) -> KindStats {
        ObjectStorage::stats(self, elapsed)
    }
}
