//! Text rendering of `stagesim explain`.

use crate::explain::Explanation;
use std::fmt::Write;

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.1}")
    } else {
        "unbounded".into()
    }
}

pub fn render(e: &Explanation) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} at {:.1} requests/s\n", e.scenario, e.rate_per_s);
    let w = super::text::name_width(14, e.rows.iter().map(|r| r.component.as_str()));
    let k = super::text::name_width(14, e.rows.iter().map(|r| r.kind.as_str()));
    let _ = writeln!(
        o,
        "{:<w$} {:<k$} {:>7} {:>11} {:>10} {:>12} {:>10} {:>10} {:>14}",
        "component", "kind", "servers", "offered/s", "work", "ceiling/s", "util est", "util sim", "saturates at/s"
    );
    for r in &e.rows {
        let _ = writeln!(
            o,
            "{:<w$} {:<k$} {:>7} {:>11.1} {:>10} {:>12} {:>9.1}% {:>10} {:>14}",
            r.component,
            r.kind,
            r.servers,
            r.offered_per_s,
            crate::units::human_secs(r.mean_work_s),
            num(r.ceiling_per_s),
            r.utilization_predicted * 100.0,
            r.utilization_measured.map_or("-".into(), |u| format!("{:.1}%", u * 100.0)),
            num(r.saturates_at_rate_per_s)
        );
    }
    for r in &e.rows {
        if let (Some(node), Some(u)) = (&r.busiest_node_measured, r.utilization_measured) {
            let _ = writeln!(
                o,
                "util sim of {}: its busiest node, {} {node}, at {:.1}%",
                r.component,
                r.component,
                u * 100.0
            );
        }
    }
    if let Some(first) = &e.first_to_saturate {
        let _ = writeln!(
            o,
            "\n`{first}` saturates first: the estimate says the design tops out near {:.0} requests/s.",
            e.predicted_capacity_per_s
        );
    }
    if let Some(p99) = e.measured_latency_s_p99 {
        let _ = writeln!(o, "Measured P99 at this load: {}.", crate::units::human_secs(p99));
    }
    o
}
