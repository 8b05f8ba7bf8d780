//! Text rendering of `stagesim sweep`.

use crate::stats::Ci;
use crate::sweep::Sweep;
use crate::units::human_secs;
use std::fmt::Write;

fn ci_secs(c: &Option<Ci>) -> String {
    c.as_ref().map_or(String::new(), |c| format!("{}..{}", human_secs(c.low), human_secs(c.high)))
}

fn ci_pct(c: &Option<Ci>) -> String {
    c.as_ref().map_or(String::new(), |c| format!("{:.2}..{:.2}%", c.low * 100.0, c.high * 100.0))
}

pub fn render(s: &Sweep) -> String {
    let mut o = String::new();
    let reps = if s.replications > 1 {
        format!(", {} replications per point (95% intervals)", s.replications)
    } else {
        String::new()
    };
    let _ = writeln!(o, "{}: sweeping {}{reps}\n", s.scenario, s.key);
    let _ = writeln!(
        o,
        "{:>10} {:>10} {:>17} {:>10} {:>8} {:>15} {:>11} {:>11}  busiest",
        "value", "p99", "p99 95% CI", "mean", "errors", "errors 95% CI", "rate/s", "usd/month"
    );
    for p in &s.points {
        let knee = if s.knee == Some(p.value) { "  <- knee" } else { "" };
        let _ = writeln!(
            o,
            "{:>10} {:>10} {:>17} {:>10} {:>7.2}% {:>15} {:>11.1} {:>11.0}  {} {:.0}%{knee}",
            p.value_text,
            human_secs(p.latency_s_p99),
            ci_secs(&p.latency_s_p99_ci95),
            human_secs(p.latency_s_mean),
            p.error_ratio * 100.0,
            ci_pct(&p.error_ratio_ci95),
            p.throughput_per_s,
            p.cost_usd_per_month,
            p.busiest,
            p.busiest_utilization * 100.0
        );
    }
    if s.knee.is_none() {
        let _ = writeln!(o, "\nno knee: the P99 does not bend (it changes less than twofold, or too evenly)");
    }
    o
}
