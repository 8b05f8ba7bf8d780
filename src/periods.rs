//! Shaped traffic, told period by period: one row per step of a `stages` shape, else per
//! hour (at most 24 rows), each with its peak rate, its worst P99 and when, and its busiest
//! component. Computed from the first replication's windows, like `windows`.

use crate::model::Model;
use crate::summary::Window;
use crate::traffic::shape::Factor;
use crate::traffic::Arrivals;
use crate::units::ns_to_secs;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Period {
    pub from_s: f64,
    pub to_s: f64,
    pub arrivals_per_s_peak: f64,
    /// The worst window P99 of the period (null: nothing completed in it).
    pub latency_s_p99_worst: Option<f64>,
    pub latency_s_p99_worst_at_s: Option<f64>,
    pub utilization_peak: f64,
    pub utilization_peak_component: String,
}

/// The bounds of a `stages` shape (knots of a linear piecewise factor), if the traffic has one.
fn stage_bounds(model: &Model) -> Option<Vec<f64>> {
    let Arrivals::Shaped(curve) = &model.load.arrivals else { return None };
    curve.parts.iter().flat_map(|p| &p.factors).find_map(|(f, _)| match f {
        Factor::Piecewise(p) if !p.step && p.t.len() >= 2 && p.t.len() <= 100 => Some(p.t.clone()),
        Factor::Piecewise(_) | Factor::Constant(_) | Factor::Diurnal(_) | Factor::Spike(_) | Factor::Growth { .. } => {
            None
        }
    })
}

/// Period bounds over `[0, end]` seconds: the stages' steps, else hours (merged to at most 24).
fn bounds(model: &Model) -> Option<Vec<f64>> {
    if !matches!(model.load.arrivals, Arrivals::Shaped(_)) {
        return None;
    }
    let end = ns_to_secs(model.duration);
    let mut b: Vec<f64> = match stage_bounds(model) {
        Some(t) => t.into_iter().filter(|x| *x > 0.0 && *x < end).collect(),
        None => {
            let hours = (end / 3600.0).ceil().max(1.0);
            let step = 3600.0 * (hours / 24.0).ceil();
            (1..).map(|i| f64::from(i) * step).take_while(|x| *x < end).collect()
        }
    };
    b.insert(0, 0.0);
    b.push(end);
    Some(b)
}

pub fn periods(model: &Model, windows: &[Window]) -> Vec<Period> {
    let Some(b) = bounds(model) else { return Vec::new() };
    b.windows(2)
        .filter_map(|ab| {
            let ws: Vec<&Window> = windows.iter().filter(|w| w.t_s >= ab[0] - 1e-9 && w.t_s < ab[1] - 1e-9).collect();
            if ws.is_empty() {
                return None;
            }
            let peak_rate = ws.iter().map(|w| w.arrivals_per_s).fold(0.0, f64::max);
            // A window where nothing completed has no P99 (null): it cannot be the worst.
            let worst = ws
                .iter()
                .filter(|w| w.throughput_per_s > 0.0)
                .filter_map(|w| w.latency_s_p99.map(|p| (p, w.t_s)))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let (comp, util) = ws
                .iter()
                .flat_map(|w| w.utilization.iter())
                .max_by(|a, b| a.1.total_cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(c, u)| (c.clone(), *u))
                .unwrap_or_default();
            Some(Period {
                from_s: ab[0],
                to_s: ab[1],
                arrivals_per_s_peak: peak_rate,
                latency_s_p99_worst: worst.map(|w| w.0),
                latency_s_p99_worst_at_s: worst.map(|w| w.1),
                utilization_peak: util,
                utilization_peak_component: comp,
            })
        })
        .collect()
}
