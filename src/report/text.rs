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
    let _ = writeln!(
        o,
        "seed {}  replications {}  simulated {}  measured {}  events {}  ended: {}",
        s.seed,
        s.replications,
        human_secs(s.simulated_s),
        human_secs(s.measured_s),
        s.events,
        s.stop_reason
    );
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
    let w = name_width(14, s.components.keys().map(String::as_str));
    let k = name_width(14, s.components.values().map(|c| c.kind.as_str()));
    let _ = writeln!(
        o,
        "\n{:<w$} {:<k$} {:>7} {:>6} {:>9} {:>9} {:>9} {:>10} {:>9} {:>10}",
        "component", "kind", "servers", "util", "queue", "queue max", "wait", "rate/s", "p99", "usd/month"
    );
    for (name, c) in &s.components {
        let _ = writeln!(
            o,
            "{:<w$} {:<k$} {:>7} {:>5.1}% {:>9.2} {:>9} {:>9} {:>10.1} {:>9} {:>10.2}",
            name,
            c.kind,
            c.servers,
            c.utilization * 100.0,
            c.queue_mean,
            c.queue_max,
            human_secs(c.wait_s_mean),
            c.throughput_per_s,
            human_secs(c.latency_s.p99),
            c.cost_usd_per_month
        );
    }
    let by_use = if s.cost.usage_usd_per_month > 0.0 {
        format!(" ({:.2} by use)", s.cost.usage_usd_per_month)
    } else {
        String::new()
    };
    let _ = writeln!(
        o,
        "\ncost       {:.2} USD/month{by_use}  {:.4} USD per million requests",
        s.cost.usd_per_month, s.cost.usd_per_million_requests
    );
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
        hit.push("stopped at the end of the drain with work pending".to_string());
    }
    if !hit.is_empty() {
        let _ = writeln!(o, "LIMITS HIT: {}", hit.join("; "));
    }
    render_periods(&mut o, s);
    if let Some(b) = &s.bottleneck {
        let _ = writeln!(o, "\nbottleneck {} Relieved by {}.", b.sentence, b.relieved_by);
    }
    for w in &s.warnings {
        let _ = writeln!(o, "WARNING    {}", w.message);
    }
    o
}

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
