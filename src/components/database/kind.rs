//! A database (primary, local replicas, or a replica in another region): its part of the kind contract (`components/kind.rs`). The facts other
//! modules ask of every kind (its calls, its work, its faults, `explain`'s estimate) live
//! here; its behaviour is in `mod.rs`.

use super::{Database, DatabaseInput, DatabaseSpec};
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

impl KindInput for DatabaseInput {
    type Spec = DatabaseSpec;

    fn validate(&self, name: &str, r: &mut Resolver) -> Option<(DatabaseSpec, Cost)> {
        DatabaseInput::validate(self, name, r)
    }

    fn replica_of(&self) -> Option<String> {
        self.replica_of.clone()
    }
}

impl KindSpec for DatabaseSpec {
    type Runtime = Database;
    const OP_RULE: OpRule = OpRule::ReadWrite;
    const CALLS_KEY: Option<&'static str> = Some("replica_of");
    const NODE_NAME: &'static str = "servers";

    fn build(&self, model: &Model, id: CompId, seed: u64) -> Database {
        Database::new(self, id, &model.components[id as usize].name, seed, model)
    }

    /// A replica in another region forwards some reads to its primary.
    fn downstream(&self) -> Vec<CompId> {
        self.remote.iter().map(|r| r.primary).collect()
    }

    fn forwards(&self, _class: usize) -> Vec<(CompId, Op, f64)> {
        Vec::new()
    }

    fn mean_work_s(&self, op: Op) -> f64 {
        match op {
            Op::Write => self.write_time.mean_secs(),
            Op::Read | Op::Default => self.read_time.mean_secs(),
        }
    }

    fn servers_and_mean_work_s(&self) -> (u32, f64) {
        (self.cores * (1 + self.replicas.as_ref().map_or(0, |x| x.count)), self.read_time.mean_secs())
    }

    fn needs_keys(&self) -> bool {
        self.replicas.is_some() || self.remote.is_some()
    }

    /// Read-your-writes is measured (and, if asked, enforced) per user.
    fn needs_users(&self) -> bool {
        self.replicas.is_some() || self.remote.is_some()
    }

    fn check_scale(&self, name: &str, keys: u64, users: u64, r: &mut Resolver) {
        DatabaseSpec::check_scale(self, name, keys, users, r)
    }

    fn accepts_fault(&self, f: &FaultKind) -> bool {
        matches!(f, FaultKind::ComponentDown { .. })
            || (matches!(f, FaultKind::ReplicaLagSpike { .. } | FaultKind::PrimaryFailover { .. })
                && self.replicas.is_some())
    }

    fn fault_refusal(&self, name: &str, f: &FaultKind) -> Option<String> {
        matches!(f, FaultKind::PrimaryFailover { .. } | FaultKind::ReplicaLagSpike { .. })
            .then(|| format!("`{name}` has no read replicas: add `replicas = 2` to it, or use `component_down`"))
    }

    fn explain_response(&self, l: &mut dyn Estimator, c: CompId, op: Op) -> f64 {
        let f = l.flow(c);
        let (rt, wt) = (self.read_time.mean_secs(), self.write_time.mean_secs());
        let node = |reads: f64, writes: f64, own: f64| {
            let lambda = reads + writes;
            let mean = if lambda > 0.0 { (reads * rt + writes * wt) / lambda } else { own };
            own + l.wait_s(self.cores, lambda, mean)
        };
        match (&self.replicas, op) {
            (Some(r), Op::Read | Op::Default) => node(f.reads / f64::from(r.count.max(1)), 0.0, rt),
            (Some(_), Op::Write) => node(0.0, f.writes, wt),
            (None, Op::Write) => node(f.reads + f.other, f.writes, wt),
            (None, Op::Read | Op::Default) => node(f.reads + f.other, f.writes, rt),
        }
    }

    fn explain_estimate(&self, l: &mut dyn Estimator, c: CompId, b: &mut Busiest) {
        let f = l.flow(c);
        let (rt, wt) = (self.read_time.mean_secs(), self.write_time.mean_secs());
        let cores = f64::from(self.cores.max(1));
        b.work_s = if f.total() > 0.0 { ((f.reads + f.other) * rt + f.writes * wt) / f.total() } else { rt };
        match &self.replicas {
            Some(r) => {
                b.consider("primary", f.writes * wt / cores);
                let each = (f.reads + f.other) / f64::from(r.count.max(1)) * rt / cores;
                for i in 1..=r.count {
                    b.consider(&format!("replica {i}"), each);
                }
            }
            None => b.consider("cores", ((f.reads + f.other) * rt + f.writes * wt) / cores),
        }
        b.hold_s = l.response(c, Op::Read);
    }
}

impl Kind for Database {
    #[inline]
    fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        Database::deliver(self, ctx, id)
    }

    #[inline]
    fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        Database::done(self, ctx, id)
    }

    #[inline]
    fn child_replied(&mut self, ctx: &mut Ctx, id: CallId, outcome: Outcome) {
        Database::child_replied(self, ctx, id, outcome)
    }

    fn totals(&mut self, now: Nanos) -> Totals {
        Database::totals(self, now)
    }

    fn sync(&mut self, now: Nanos) {
        Database::sync(self, now)
    }

    fn reset_stats(&mut self, now: Nanos) {
        Database::reset_stats(self, now)
    }

    fn stats(&self, elapsed: Nanos) -> KindStats {
        Database::stats(self, elapsed)
    }

    fn fault(&mut self, ctx: &mut Ctx, id: u16, fault: &FaultSpec, start: bool) {
        Database::fault(self, ctx, id, fault, start)
    }

    fn series(&mut self, _now: Nanos, _width: Nanos, out: &mut Vec<(&'static str, f64)>) {
        Database::series(self, out)
    }
}
