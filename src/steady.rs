//! Steady state: whether a run's measured window describes a system that settled. A cache
//! still filling, a queue still growing or a warm-up that could not be found make the
//! averages depend on the run's length; the summary says so in `warnings`.

use crate::model::Model;
use crate::summary::{Summary, Window};
use crate::units::ns_to_secs;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Warning {
    /// `cache_filling`, `queue_growing` or `warmup_not_found`.
    pub kind: String,
    pub component: Option<String>,
    pub message: String,
}

/// Fewest measured windows worth judging a trend on.
const MIN_WINDOWS: usize = 10;
/// A hit ratio that rose by more than this between the last two fifths is still rising.
const HIT_RATIO_RISE: f64 = 0.01;
/// A cache holding fewer entries than this share of its capacity is not full.
const NOT_FULL: f64 = 0.9;

/// The measured windows of the first replication (from the end of warm-up to the end of
/// the scenario's duration; the drain is not part of it).
fn measured<'a>(model: &Model, s: &'a Summary) -> Vec<&'a Window> {
    let end = ns_to_secs(model.duration);
    s.windows.iter().filter(|w| w.t_s >= s.warmup_s - 1e-9 && w.t_s + s.window_s <= end + 1e-9).collect()
}

/// Means of a series over the fifth before last and the last fifth.
fn last_fifths(ys: &[f64]) -> Option<(f64, f64)> {
    if ys.len() < MIN_WINDOWS {
        return None;
    }
    let k = ys.len() / 5;
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    Some((mean(&ys[ys.len() - 2 * k..ys.len() - k]), mean(&ys[ys.len() - k..])))
}

pub fn warnings(model: &Model, s: &Summary) -> Vec<Warning> {
    let ws = measured(model, s);
    let mut out = Vec::new();
    for (name, c) in &s.components {
        if let (Some(cap), Some(entries)) = (c.extra.get("capacity_keys"), c.extra.get("entries")) {
            let ys: Vec<f64> =
                ws.iter().filter_map(|w| w.series.get("cache_hit_ratio").and_then(|m| m.get(name))).copied().collect();
            if let Some((before, last)) = last_fifths(&ys) {
                if *entries < NOT_FULL * cap && last - before > HIT_RATIO_RISE {
                    out.push(Warning {
                        kind: "cache_filling".into(),
                        component: Some(name.clone()),
                        message: format!(
                            "cache `{name}` is still filling: {entries:.0} of {cap:.0} entries at the end, and its hit ratio still rose from {:.1}% to {:.1}% over the last windows. The numbers are those of a cold cache: run longer, warm up longer, or start it warm with a fixed `hit_ratio`.",
                            before * 100.0,
                            last * 100.0
                        ),
                    });
                }
            }
        }
        let qs: Vec<f64> = ws.iter().filter_map(|w| w.queue_mean.get(name)).copied().collect();
        if let Some((before, last)) = last_fifths(&qs) {
            // Still rising at the end, and well above the first half: a trend, not noise.
            let first_half = qs[..qs.len() / 2].iter().sum::<f64>() / (qs.len() / 2) as f64;
            if last > 10.0 && last - before > 5.0 && last > 1.2 * first_half {
                out.push(Warning {
                    kind: "queue_growing".into(),
                    component: Some(name.clone()),
                    message: format!(
                        "`{name}` ({}): its queue still grows at the end ({before:.0} then {last:.0} waiting on average). More arrives than it serves, so the averages depend on the run's length.",
                        c.kind
                    ),
                });
            }
        }
    }
    // MSER-5 searches the first half of the run: a cut near that limit found no steady part.
    if s.warmup_detected && s.warmup_s >= 0.4 * ns_to_secs(model.duration) {
        out.push(Warning {
            kind: "warmup_not_found".into(),
            component: None,
            message: format!(
                "warm-up detection found no steady state: it cut {} of {}, near its half-way limit. The latency was still trending; set `warmup` by hand or run longer.",
                crate::units::human_secs(s.warmup_s),
                crate::units::human_secs(ns_to_secs(model.duration))
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::last_fifths;

    #[test]
    fn fifths_need_enough_windows() {
        assert!(last_fifths(&[1.0; 9]).is_none());
        let ys: Vec<f64> = (0..20).map(f64::from).collect();
        // Windows 12..16 then 16..20.
        assert_eq!(last_fifths(&ys), Some((13.5, 17.5)));
    }
}
