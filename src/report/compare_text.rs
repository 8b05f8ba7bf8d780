//! Text rendering of `stagesim compare`: one column per design, then each design against
//! the first with the paired interval.

use crate::compare::{Comparison, Difference};
use crate::units::human_secs;
use std::fmt::Write;

fn shown(metric: &str, v: f64) -> String {
    match metric {
        "latency_s_p50" | "latency_s_p99" => human_secs(v),
        "error_ratio" => format!("{:.3}%", v * 100.0),
        "throughput_per_s" => format!("{v:.1}/s"),
        "cost_usd_per_month" => format!("{v:.2} USD"),
        _ => format!("{v}"),
    }
}

fn signed(metric: &str, v: f64) -> String {
    if v < 0.0 {
        format!("-{}", shown(metric, -v))
    } else {
        format!("+{}", shown(metric, v))
    }
}

fn difference(d: &Difference) -> String {
    let ci = d
        .difference_ci95
        .as_ref()
        .map_or(String::new(), |c| format!(" [{} .. {}]", signed(&d.metric, c.low), signed(&d.metric, c.high)));
    let verdict = match d.significant {
        Some(true) => "significant",
        Some(false) => "not significant",
        None => "one replication: no interval",
    };
    format!("{}{ci} {verdict}", signed(&d.metric, d.difference))
}

/// Formats one design's value in a row.
type Cell = Box<dyn Fn(&crate::compare::Design) -> String>;

pub fn render(c: &Comparison) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} designs on the same traffic ({:.1}/s), {} paired replications\n",
        c.designs.len(),
        c.rate_per_s,
        c.replications
    );
    let _ = write!(o, "{:<12}", "");
    for (i, d) in c.designs.iter().enumerate() {
        let _ = write!(o, " {:>24}", format!("{}: {}", (b'A' + (i % 26) as u8) as char, short(&d.file)));
    }
    let _ = writeln!(o);
    let rows: [(&str, Cell); 7] = [
        ("p50", Box::new(|d| human_secs(d.latency_s_p50))),
        ("p99", Box::new(|d| human_secs(d.latency_s_p99))),
        ("errors", Box::new(|d| format!("{:.3}%", d.error_ratio * 100.0))),
        ("throughput", Box::new(|d| format!("{:.1}/s", d.throughput_per_s))),
        ("busiest", Box::new(|d| d.busiest.clone())),
        ("utilization", Box::new(|d| format!("{:.1}%", d.busiest_utilization * 100.0))),
        ("usd/month", Box::new(|d| format!("{:.2}", d.cost_usd_per_month))),
    ];
    for (name, f) in &rows {
        let _ = write!(o, "{name:<12}");
        for d in &c.designs {
            let _ = write!(o, " {:>24}", f(d));
        }
        let _ = writeln!(o);
    }
    for (i, diffs) in c.against_first.iter().enumerate() {
        let _ = writeln!(o, "\n{} against A (paired differences, 95% interval):", (b'B' + (i % 25) as u8) as char);
        for d in diffs {
            let _ = writeln!(o, "  {:<20} {}", d.metric, difference(d));
        }
    }
    for (i, d) in c.designs.iter().enumerate() {
        let letter = (b'A' + (i % 26) as u8) as char;
        match &d.bottleneck {
            Some(b) => {
                let _ = writeln!(o, "\n{letter} bottleneck: {} Relieved by {}.", b.sentence, b.relieved_by);
            }
            None => {
                let _ = writeln!(o, "\n{letter}: no errors and nothing above 80%.");
            }
        }
    }
    o
}

fn short(file: &str) -> String {
    let name = std::path::Path::new(file).file_name().map_or(file.to_string(), |n| n.to_string_lossy().into_owned());
    if name.chars().count() > 20 {
        format!("{}...", name.chars().take(17).collect::<String>())
    } else {
        name
    }
}
