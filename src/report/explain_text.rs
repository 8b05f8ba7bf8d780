//! Text rendering of `stagesim explain`: the estimate beside the simulation, per component.

use crate::explain::Explanation;
use crate::units::human_secs;
use std::fmt::Write;

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.1}")
    } else {
        "unbounded".into()
    }
}

fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |u| format!("{:.1}%", u * 100.0))
}

pub fn render(e: &Explanation) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} at {:.1} requests/s\n", e.scenario, e.rate_per_s);
    let w = super::text::name_width(14, e.rows.iter().map(|r| r.component.as_str()));
    let k = super::text::name_width(14, e.rows.iter().map(|r| r.kind.as_str()));
    let _ = writeln!(
        o,
        "{:<w$} {:<k$} {:>11} {:>9} {:>9} {:>12} {:>24} {:>24} {:>14}",
        "component", "kind", "offered/s", "work", "held", "ceiling/s", "estimate", "simulation", "saturates at/s"
    );
    for r in &e.rows {
        let est = format!("{:.1}% {}", r.predicted_utilization * 100.0, r.predicted_resource);
        let sim = match &r.measured_node {
            Some(n) => format!("{} {n}", pct(r.measured_utilization)),
            None => pct(r.measured_utilization),
        };
        let _ = writeln!(
            o,
            "{:<w$} {:<k$} {:>11.1} {:>9} {:>9} {:>12} {:>24} {:>24} {:>14}",
            r.component,
            r.kind,
            r.offered_per_s,
            human_secs(r.mean_work_s),
            if r.hold_s > 0.0 { human_secs(r.hold_s) } else { "-".into() },
            num(r.ceiling_per_s),
            est,
            sim,
            num(r.saturates_at_rate_per_s)
        );
    }
    for r in e.rows.iter().filter(|r| r.predicted_hit_ratio.is_some()) {
        let _ = writeln!(
            o,
            "\ncache `{}`: hit ratio {} estimated (from its capacity and the key popularity), {} simulated.",
            r.component,
            pct(r.predicted_hit_ratio),
            pct(r.measured_hit_ratio)
        );
    }
    if let Some(first) = &e.first_to_saturate {
        let _ = writeln!(
            o,
            "\nBy the estimate, `{first}` saturates first: the design tops out near {:.0} requests/s.",
            e.predicted_capacity_per_s
        );
    }
    if let Some(m) = &e.first_to_saturate_measured {
        let agree = if e.first_to_saturate.as_deref() == Some(m.as_str()) { "agrees" } else { "disagrees" };
        let _ = writeln!(o, "The simulation {agree}: its bottleneck is `{m}`.");
    }
    for r in e.rows.iter().filter_map(|r| r.note.as_ref().map(|n| (r, n))) {
        let _ = writeln!(o, "`{}`: {}", r.0.component, r.1);
    }
    for w in &e.warnings {
        let _ = writeln!(o, "WARNING {w}");
    }
    if let Some(p99) = e.measured_latency_s_p99 {
        let _ = writeln!(o, "Measured P99 at this load: {}.", human_secs(p99));
    }
    o
}
