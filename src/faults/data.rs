//! Validation of the faults aimed at a component's data: a replica lag spike, a cache flush,
//! a primary failover. The kinds that accept them (`ComponentSpec::accepts_fault`) have
//! replicas or keys; `target` explains the rest.

use super::{optional, target, FaultInput, FaultKind};
use crate::model::{CompId, ComponentModel};
use crate::validate::Resolver;

/// The duration under `key`, required and above zero.
fn required(f: &FaultInput, idx: &str, key: &'static str, example: &str, r: &mut Resolver) -> Option<u64> {
    let value = match key {
        "lag" => &f.lag,
        _ => &f.promotion,
    };
    if value.is_none() {
        r.problem(
            &["faults", idx, "kind"],
            format!("a `{}` fault needs `{key}`", f.kind),
            format!("for example `{key} = \"{example}\"`"),
        );
        return None;
    }
    optional(r, idx, key, value).flatten()
}

pub(super) fn lag_spike(
    f: &FaultInput,
    idx: &str,
    comps: &[ComponentModel],
    r: &mut Resolver,
) -> Option<(CompId, FaultKind)> {
    let lag = required(f, idx, "lag", "30s", r);
    let duration = optional(r, idx, "duration", &f.duration);
    let id = target(f, idx, comps, r, &FaultKind::ReplicaLagSpike { lag: 1, duration: None })?;
    Some((id, FaultKind::ReplicaLagSpike { lag: lag?, duration: duration? }))
}

pub(super) fn flush(
    f: &FaultInput,
    idx: &str,
    comps: &[ComponentModel],
    r: &mut Resolver,
) -> Option<(CompId, FaultKind)> {
    let id = target(f, idx, comps, r, &FaultKind::CacheFlush)?;
    Some((id, FaultKind::CacheFlush))
}

pub(super) fn failover(
    f: &FaultInput,
    idx: &str,
    comps: &[ComponentModel],
    r: &mut Resolver,
) -> Option<(CompId, FaultKind)> {
    let promotion = required(f, idx, "promotion", "30s", r);
    let id = target(f, idx, comps, r, &FaultKind::PrimaryFailover { promotion: 1 })?;
    Some((id, FaultKind::PrimaryFailover { promotion: promotion? }))
}
