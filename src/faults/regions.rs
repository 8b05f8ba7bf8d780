//! Validation of the region faults: the regions must be in `models/regions.toml` (with a
//! did-you-mean) and host something of the scenario.

use super::{optional, FaultInput, FaultKind};
use crate::model::{CompId, ComponentModel, Placement};
use crate::regions::resolve_region;
use crate::validate::Resolver;

/// The regions components of the scenario run in, by name, for help texts.
fn used(comps: &[ComponentModel], placement: &Placement) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in placement.comp_region.iter().take(comps.len()).flatten() {
        let name = &placement.table.names[*r as usize];
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    out
}

/// Region faults need regions: a scenario without any has nothing to strike.
fn modelled(f: &FaultInput, idx: &str, placement: &Placement, r: &mut Resolver) -> bool {
    if !placement.is_modelled() {
        r.problem(
            &["faults", idx, "kind"],
            format!("a `{}` fault needs components placed in regions, and this scenario has none", f.kind),
            "give components a `region = \"eu-west\"`, or set `[scenario] region`",
        );
    }
    placement.is_modelled()
}

pub(super) fn outage(
    f: &FaultInput,
    idx: &str,
    comps: &[ComponentModel],
    placement: &Placement,
    r: &mut Resolver,
) -> Option<(CompId, FaultKind)> {
    let duration = optional(r, idx, "duration", &f.duration);
    let Some(name) = &f.region else {
        r.problem(
            &["faults", idx, "kind"],
            "a `region_outage` fault needs `region`",
            "for example `region = \"eu-west\"`",
        );
        return None;
    };
    if !modelled(f, idx, placement, r) {
        return None;
    }
    let region = resolve_region(r, &placement.table, &["faults", idx, "region"], name)?;
    if !placement.comp_region.contains(&Some(region)) {
        r.problem(
            &["faults", idx, "region"],
            format!("no component runs in `{name}`, so its outage strikes nothing"),
            format!("regions with components: {}", used(comps, placement).join(", ")),
        );
        return None;
    }
    Some((0, FaultKind::RegionOutage { region, duration: duration? }))
}

pub(super) fn partition(
    f: &FaultInput,
    idx: &str,
    comps: &[ComponentModel],
    placement: &Placement,
    r: &mut Resolver,
) -> Option<(CompId, FaultKind)> {
    let duration = optional(r, idx, "duration", &f.duration);
    let Some([a, b]) = &f.between else {
        r.problem(
            &["faults", idx, "kind"],
            "a `region_partition` fault needs `between`",
            "for example `between = [\"us-east\", \"eu-west\"]`",
        );
        return None;
    };
    if !modelled(f, idx, placement, r) {
        return None;
    }
    let t = &placement.table;
    let ids = (
        resolve_region(r, t, &["faults", idx, "between", "0"], a),
        resolve_region(r, t, &["faults", idx, "between", "1"], b),
    );
    let (ra, rb) = (ids.0?, ids.1?);
    if ra == rb {
        r.problem(&["faults", idx, "between"], "a partition separates two different regions", "name two regions");
        return None;
    }
    let users = |x: u8| placement.user_region.contains(&Some(x));
    for (i, (region, name)) in [(ra, a), (rb, b)].into_iter().enumerate() {
        if !placement.comp_region.contains(&Some(region)) && !users(region) {
            let k = i.to_string();
            r.problem(
                &["faults", idx, "between", k.as_str()],
                format!("neither a component nor a user is in `{name}`, so a partition from it changes nothing"),
                format!("regions with components: {}", used(comps, placement).join(", ")),
            );
            return None;
        }
    }
    Some((0, FaultKind::RegionPartition { a: ra, b: rb, duration: duration? }))
}
