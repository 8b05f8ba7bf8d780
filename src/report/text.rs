//! The default, human-readable rendering of a run summary.

use crate::summary::{Latency, Summary};
use crate::units::human_secs;
use std::fmt::Write;

fn lat(l: &Latency) -> String {
    let mut s = format!(
        "mean {}  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
        human_secs(l.mean),
        human_secs(l.p50),
        human_secs(l.p90),
        human_secs(l.p99),
        human_secs(l.p999),
        human_secs(l.max)
    );
    if let Some(ci) = &l.p99_ci95 {
        let _ = write!(s, "  (p99 95% CI {}..{})", human_secs(ci.low), human_secs(ci.high));
    }
    if !l.too_few_samples.is_empty() {
        let _ = write!(s, "  [too few samples for {}]", l.too_few_samples.join(", "));
    }
    s
}

/// A name column's width: `min`, or the longest name (in characters) if longer, so a long
/// component or class name pushes the columns right instead of out of line.
pub fn name_width<'a>(min: usize, names: impl IntoIterator<Item = &'a str>) -> usize {
    names.into_iter().map(|n| n.chars().count()).fold(min, usize::max)
}

pub fn render(s: &Summary) -> String {
    let mut o = String::new();
    let r = &s.requests;
    let _ = writeln!(o, "{}", s.scenario);
    let _ = writeln!(o, "{}", header(s));
    if s.partial {
        let _ = writeln!(
            o,
            "PARTIAL: a limit stopped the run ({}) at {} simulated: every figure below covers only the {} measured{}",
            s.stop_reason,
            human_secs(s.simulated_s),
            human_secs(s.measured_s),
            if s.measured_s == 0.0 { " (it stopped during warm-up: nothing was measured)" } else { "" }
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "requests   arrived {}  completed {}  failed {}  rejected {}  timed out {}  in flight {}  errors {:.3}%",
        r.arrived,
        r.completed,
        r.failed,
        r.rejected,
        r.timed_out,
        r.in_flight,
        r.error_ratio * 100.0
    );
    let _ = writeln!(o, "throughput {:.1}/s", s.throughput_per_s);
    let _ = writeln!(o, "latency    {}", lat(&s.latency_s));
    if s.classes.len() > 1 {
        let w = name_width(14, s.classes.keys().map(String::as_str));
        let _ = writeln!(o, "\n{:<w$} share  completed  latency", "class");
        for (name, c) in &s.classes {
            let _ = writeln!(o, "{:<w$} {:>5.2}  {:>9}  {}", name, c.share, c.requests.completed, lat(&c.latency_s));
        }
    }
    if !s.regions.is_empty() {
        let w = name_width(14, s.regions.keys().map(String::as_str));
        let _ = writeln!(o, "\n{:<w$} share  completed  latency", "user region");
        for (name, c) in &s.regions {
            let _ = writeln!(o, "{:<w$} {:>5.2}  {:>9}  {}", name, c.share, c.requests.completed, lat(&c.latency_s));
        }
    }
    components(&mut o, s);
    let _ = writeln!(
        o,
        "\ncost       {:.2} USD/month  {:.4} USD per million requests",
        s.cost.usd_per_month, s.cost.usd_per_million_requests
    );
    let b = &s.cost.bill;
    let _ = writeln!(
        o,
        "bill       compute {:.2}  storage {:.2}  transfer {:.2}  requests {:.2} USD/month",
        b.compute_usd_per_month, b.storage_usd_per_month, b.transfer_usd_per_month, b.requests_usd_per_month
    );
    if s.cost.compute_on_demand_usd_per_month > b.compute_usd_per_month {
        let _ = writeln!(
            o,
            "           compute at on-demand prices {:.2}: the pricing options save {:.2}",
            s.cost.compute_on_demand_usd_per_month,
            s.cost.compute_on_demand_usd_per_month - b.compute_usd_per_month
        );
    }
    if s.cost.inter_region_bytes > 0 {
        let _ = writeln!(o, "           {} bytes crossed regions", s.cost.inter_region_bytes);
    }
    for n in &s.cost.notes {
        let _ = writeln!(o, "note: {n}");
    }
    if !s.faults.is_empty() {
        let w = name_width(15, s.faults.iter().map(|f| f.target.as_str()));
        let _ = writeln!(
            o,
            "\n{:<17} {:<w$} {:>9} {:>9} {:>10} {:>8} {:>8} {:>7} {:>7} {:>11}",
            "fault", "target", "at", "detected", "recovered", "failed", "errors", "lost", "stale", "extra reads"
        );
        let shown = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("+{}", human_secs(x)));
        for f in &s.faults {
            let _ = writeln!(
                o,
                "{:<17} {:<w$} {:>9} {:>9} {:>10} {:>8} {:>8} {:>7} {:>7} {:>11}",
                f.kind,
                f.target,
                human_secs(f.at_s),
                shown(f.detected_after_s),
                shown(f.recovered_after_s),
                f.requests_failed,
                f.errors_during,
                f.requests_lost,
                f.served_stale,
                f.backend_reads_extra
            );
        }
    }
    limits(&mut o, s);
    render_periods(&mut o, s);
    if let Some(b) = &s.bottleneck {
        let _ = writeln!(o, "\nbottleneck {} Relieved by {}.", b.sentence, b.relieved_by);
    }
    for w in &s.warnings {
        let _ = writeln!(o, "WARNING    {}", w.message);
    }
    o
}

/// One row per stage (shaped traffic) or hour: peak rate, worst P99 and when, peak utilization.
fn render_periods(o: &mut String, s: &Summary) {
    if s.periods.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n{:<19} {:>11} {:>10} {:>9}  peak utilization", "period", "peak rate/s", "worst p99", "at");
    for p in &s.periods {
        let span = format!("{}-{}", human_secs(p.from_s), human_secs(p.to_s));
        let (p99, at) = match (p.latency_s_p99_worst, p.latency_s_p99_worst_at_s) {
            (Some(v), Some(t)) => (human_secs(v), human_secs(t)),
            _ => ("-".to_string(), "-".to_string()),
        };
        let _ = writeln!(
            o,
            "{:<19} {:>11.1} {:>10} {:>9}  {:.1}% {}",
            span,
            p.arrivals_per_s_peak,
            p99,
            at,
            p.utilization_peak * 100.0,
            p.utilization_peak_component
        );
    }
}

/// What was simulated and measured, said per replication when there are several.
fn header(s: &Summary) -> String {
    let time = if s.replications > 1 {
        let each = s.measured_s / f64::from(s.replications);
        format!(
            "simulated {} per replication  measured {} per replication ({} in all)",
            human_secs(s.simulated_s),
            human_secs(each),
            human_secs(s.measured_s)
        )
    } else {
        format!("simulated {}  measured {}", human_secs(s.simulated_s), human_secs(s.measured_s))
    };
    format!("seed {}  replications {}  {time}  events {}  ended: {}", s.seed, s.replications, s.events, s.stop_reason)
}

/// The component table: utilization is the busiest node's, named when there are several;
/// queues are per node.
fn components(o: &mut String, s: &Summary) {
    let w = name_width(14, s.components.keys().map(String::as_str));
    let k = name_width(14, s.components.values().map(|c| c.kind.as_str()));
    let b = name_width(14, s.components.values().filter(|c| c.nodes.len() > 1).map(|c| c.busiest_node.as_str()));
    let _ = writeln!(
        o,
        "\n{:<w$} {:<k$} {:>7} {:>6} {:<b$} {:>6} {:>10} {:>10} {:>9} {:>10} {:>9} {:>10}",
        "component",
        "kind",
        "servers",
        "util",
        "busiest node",
        "mean",
        "node queue",
        "queue max",
        "wait",
        "rate/s",
        "p99",
        "usd/month"
    );
    for (name, c) in &s.components {
        let busiest = if c.nodes.len() > 1 { c.busiest_node.as_str() } else { "" };
        let _ = writeln!(
            o,
            "{:<w$} {:<k$} {:>7} {:>5.1}% {:<b$} {:>5.1}% {:>10.2} {:>10} {:>9} {:>10.1} {:>9} {:>10.2}",
            name,
            c.kind,
            c.servers,
            c.utilization * 100.0,
            busiest,
            c.utilization_mean * 100.0,
            c.node_queue_mean,
            c.node_queue_max,
            human_secs(c.wait_s_mean),
            c.throughput_per_s,
            human_secs(c.latency_s.p99),
            c.cost_usd_per_month
        );
    }
    // A node far busier than its component's average: sticky or weighted balancing, a hot
    // shard, a replica taking the reads.
    for (name, c) in &s.components {
        if c.nodes.len() > 1 && c.utilization >= 0.8 && c.utilization > 1.2 * c.utilization_mean {
            let _ = writeln!(
                o,
                "hot spot: {name} {}: {:.1}% while its {} nodes average {:.1}%",
                c.busiest_node,
                c.utilization * 100.0,
                c.nodes.len(),
                c.utilization_mean * 100.0
            );
        }
    }
}

/// The limits that were hit, and only those.
fn limits(o: &mut String, s: &Summary) {
    let l = &s.limits;
    let mut hit = Vec::new();
    if l.rejected_at_max_in_flight > 0 {
        hit.push(format!("{} arrivals rejected at max_in_flight = {}", l.rejected_at_max_in_flight, l.max_in_flight));
    }
    if l.refused_at_max_calls > 0 {
        hit.push(format!("{} calls refused at max_calls = {}", l.refused_at_max_calls, l.max_calls));
    }
    if l.stopped_at_max_events {
        hit.push(format!("stopped at max_events = {}", l.max_events));
    }
    if l.stopped_at_drain_end {
        hit.push("stopped at the end of the drain with requests in flight".to_string());
    }
    if !hit.is_empty() {
        let _ = writeln!(o, "LIMITS HIT: {}", hit.join("; "));
    }
}
