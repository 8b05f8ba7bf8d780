//! Text rendering of `stagesim sweep`.

use crate::sweep::Sweep;
use crate::units::human_secs;
use std::fmt::Write;

pub fn render(s: &Sweep) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}: sweeping {}\n", s.scenario, s.key);
    let _ = writeln!(
        o,
        "{:>10} {:>10} {:>10} {:>8} {:>11} {:>11}  busiest",
        "value", "p99", "mean", "errors", "rate/s", "usd/month"
    );
    for p in &s.points {
        let knee = if s.knee == Some(p.value) { "  <- knee" } else { "" };
        let _ = writeln!(
            o,
            "{:>10} {:>10} {:>10} {:>7.2}% {:>11.1} {:>11.0}  {} {:.0}%{knee}",
            p.value,
            human_secs(p.latency_s_p99),
            human_secs(p.latency_s_mean),
            p.error_ratio * 100.0,
            p.throughput_per_s,
            p.cost_usd_per_month,
            p.busiest,
            p.busiest_utilization * 100.0
        );
    }
    o
}
