//! The terminal table of a journey: one row per stage.

use crate::journey::run::JourneySummary;
use crate::units::human_secs;
use std::fmt::Write;

fn rate(r: f64) -> String {
    if r >= 1e6 {
        format!("{:.1}M/s", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.1}k/s", r / 1e3)
    } else {
        format!("{r:.0}/s")
    }
}

fn users(u: Option<f64>) -> String {
    match u {
        Some(u) if u >= 1e6 => format!("{:.1}M", u / 1e6),
        Some(u) if u >= 1e3 => format!("{:.0}k", u / 1e3),
        Some(u) => format!("{u:.0}"),
        None => "-".into(),
    }
}

/// Stage criteria that differ from the journey's, and threshold verdicts at the check load.
fn gates(j: &JourneySummary, o: &mut String) {
    for (i, s) in j.stages.iter().enumerate() {
        if let Some(c) = &s.criteria {
            let _ = writeln!(
                o,
                "stage {} criteria: p99 <= {}, errors <= {:.2}% (its own [stages.capacity])",
                i + 1,
                human_secs(c.latency_s_p99_max),
                c.error_ratio_max * 100.0
            );
        }
    }
    if j.stages.iter().any(|s| s.criteria.is_some()) {
        let _ = writeln!(o);
    }
    for (i, s) in j.stages.iter().enumerate() {
        let Some(g) = &s.check else { continue };
        let _ = writeln!(
            o,
            "stage {} thresholds at {}: {} ({} replications)",
            i + 1,
            rate(g.rate_per_s),
            g.status.label().to_uppercase(),
            g.replications
        );
        let w = super::text::name_width(40, g.thresholds.iter().map(|t| t.name.as_str()));
        for t in &g.thresholds {
            let _ = writeln!(o, "    {:<12} {:<w$} {}", t.outcome.label(), t.name, t.message);
        }
    }
    if j.stages.iter().any(|s| s.check.is_some()) {
        let _ = writeln!(o);
    }
}

pub fn render(j: &JourneySummary) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", j.journey);
    let _ = writeln!(
        o,
        "criteria: p99 <= {}, errors <= {:.2}%  |  {} replication(s) of {} per point, seed {}\n",
        human_secs(j.criteria.latency_s_p99_max),
        j.criteria.error_ratio_max * 100.0,
        j.replications,
        human_secs(j.point_duration_s),
        j.seed
    );
    let mut header = format!("{:<3} {:<44} {:>10} {:>8} {:>10} ", "#", "stage", "capacity", "users", "usd/month");
    for r in &j.rates_per_s {
        let _ = write!(header, " {:>11}", format!("p99@{}", rate(*r)));
    }
    let _ = writeln!(o, "{header}");
    for (i, s) in j.stages.iter().enumerate() {
        let cap = s.capacity_per_s.map_or("-".into(), rate);
        let mut line = format!(
            "{:<3} {:<44} {:>10} {:>8} {:>10.0} ",
            i + 1,
            s.name.chars().take(44).collect::<String>(),
            cap,
            users(s.capacity_users),
            s.cost_usd_per_month
        );
        for p in &s.points {
            let mark = if p.meets_criteria { "" } else { "!" };
            let _ = write!(line, " {:>11}", format!("{}{}", human_secs(p.latency_s_p99), mark));
        }
        let _ = writeln!(o, "{line}");
    }
    let _ = writeln!(o, "\n! = misses the criteria at that load\n");
    let (title, rows) = super::files::bill_rows(j);
    let _ = writeln!(
        o,
        "{title}\n{:<3} {:<44} {:>18} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "#", "stage", "compute", "storage", "transfer", "requests", "total", "change"
    );
    for r in rows {
        let name: String = r[1].chars().take(44).collect();
        let _ = writeln!(
            o,
            "{:<3} {:<44} {:>18} {:>9} {:>9} {:>9} {:>9} {:>9}",
            r[0], name, r[2], r[3], r[4], r[5], r[6], r[7]
        );
    }
    let _ = writeln!(o);
    gates(j, &mut o);
    for v in &j.claims {
        let mark = if v.holds { "holds   " } else { "DISAGREE" };
        let surprise = if v.holds == v.expected_to_hold { "" } else { " (UNEXPECTED)" };
        let _ = writeln!(o, "claim {mark} stage {}: {} [{}]{surprise}", v.stage, v.says, v.check);
        if !v.note.is_empty() {
            let _ = writeln!(o, "               why: {}", v.note);
        }
    }
    if !j.claims.is_empty() {
        let _ = writeln!(o);
    }
    for (i, s) in j.stages.iter().enumerate() {
        if let Some(b) = &s.bottleneck {
            let _ = writeln!(o, "{:<3} {} Relieved by {}.", i + 1, b.sentence, b.relieved_by);
        }
    }
    o
}
