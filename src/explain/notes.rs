//! Why the estimate and the simulation differ, where they differ by more than 15 points:
//! a fault, a cold cache, a saturated dependency, or saturation itself.

use super::{Row, AGREEMENT};
use crate::components::ComponentSpec;
use crate::model::{CompId, Model};
use crate::summary::Summary;

/// Caches whose misses reach `id` (directly or through a pooler or another cache).
fn caches_in_front(model: &Model, id: CompId, depth: u32) -> Vec<CompId> {
    if depth > 8 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, c) in model.components.iter().enumerate() {
        let i = i as CompId;
        let feeds = c.spec.misses_to() == Some(id);
        if feeds {
            if matches!(c.spec, ComponentSpec::Cache(_)) {
                out.push(i);
            }
            out.extend(caches_in_front(model, i, depth + 1));
        }
    }
    out
}

pub fn note(model: &Model, s: &Summary, rows: &[Row], i: usize) -> Option<String> {
    let r = &rows[i];
    let measured = r.measured_utilization?;
    let predicted = r.predicted_utilization;
    if (measured - predicted.min(1.0)).abs() <= AGREEMENT {
        return None;
    }
    let gap = format!("estimate {:.0}%, simulation {:.0}%", predicted * 100.0, measured * 100.0);
    if let Some(f) = s.faults.first() {
        return Some(format!(
            "{gap}: a fault ({} of `{}` at {}) changes the load the simulation saw; the estimate assumes none.",
            f.kind,
            f.target,
            crate::units::human_secs(f.at_s)
        ));
    }
    let id = i as CompId;
    let cold = |c: CompId| {
        let name = &model.components[c as usize].name;
        s.warnings.iter().any(|w| w.kind == "cache_filling" && w.component.as_deref() == Some(name))
    };
    let mut caches = caches_in_front(model, id, 0);
    if matches!(model.components[i].spec, ComponentSpec::Cache(_)) {
        caches.push(id);
    }
    if let Some(c) = caches.into_iter().find(|c| cold(*c)) {
        let row = &rows[c as usize];
        return Some(format!(
            "{gap}: cache `{}` is still cold in the simulation (hit ratio {:.0}% against {:.0}% once full).",
            row.component,
            row.measured_hit_ratio.unwrap_or(0.0) * 100.0,
            row.predicted_hit_ratio.unwrap_or(0.0) * 100.0
        ));
    }
    if predicted >= 1.0 || measured >= 0.95 {
        let dep = model.components[i]
            .spec
            .downstream()
            .into_iter()
            .map(|t| &rows[t as usize])
            .find(|t| t.predicted_utilization >= 1.0 || t.measured_utilization.is_some_and(|u| u >= 0.95));
        return Some(match dep {
            Some(d) => format!(
                "{gap}: it waits on `{}`, which is saturated, so what it holds is held for the calls' timeouts.",
                d.component
            ),
            None => format!(
                "{gap}: at saturation the estimate is the offered load, while the simulation can be busy at most all the time and queues or rejects the rest."
            ),
        });
    }
    Some(format!(
        "{gap}: the estimate's assumptions (exponential waits, even balancing, no retries or timeouts) miss something here."
    ))
}
