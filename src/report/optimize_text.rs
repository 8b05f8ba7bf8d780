//! Text rendering of `stagesim optimize`.

use crate::check::evaluate::Estimate;
use crate::optimize::{DesignReport, Optimization};
use crate::units::human_secs;
use std::fmt::Write;

fn secs(e: &Estimate) -> String {
    if e.ci95_low.is_finite() && e.ci95_high.is_finite() && e.ci95_high > e.ci95_low {
        format!("{} ({}..{})", human_secs(e.mean), human_secs(e.ci95_low), human_secs(e.ci95_high))
    } else {
        human_secs(e.mean)
    }
}

fn fraction(f: f64) -> String {
    if f >= 1.0 {
        "all".into()
    } else {
        format!("1/{:.0}", 1.0 / f)
    }
}

fn design(o: &mut String, d: &DesignReport) {
    let _ = writeln!(o, "  {}", d.label);
    let _ = writeln!(
        o,
        "  cost {:.2} USD/month   P99 {} on `{}`   ({} of the length, {} replications)",
        d.cost_usd_per_month.mean,
        secs(&d.latency_s_p99),
        d.worst_replay,
        fraction(d.length),
        d.replications
    );
    for r in &d.replays {
        let _ = writeln!(
            o,
            "    replay {:<12} {:>8} runs  P99 {:<28} errors {:.3}%",
            r.replay,
            human_secs(r.duration_s),
            secs(&r.latency_s_p99),
            r.error_ratio.mean * 100.0
        );
    }
}

pub fn render(r: &Optimization) -> String {
    let mut o = String::new();
    let c = &r.designs;
    let _ = writeln!(o, "{}: {} designs, {} ({})", r.name, c.total, r.method.replace('_', " "), r.objective);
    let _ = writeln!(o, "replays: {}", r.replays.join(", "));
    if r.pruning {
        let _ = writeln!(o, "monotone: {} ({})", r.monotone_dimensions.join(", "), r.monotonicity);
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{:>5} {:>10} {:>6} {:>10} {:>7} {:>9} {:>7} {:>11}",
        "rung", "length", "reps", "candidates", "ran", "failed", "pruned", "ranked out"
    );
    for (i, g) in r.rungs.iter().enumerate() {
        let _ = writeln!(
            o,
            "{:>5} {:>10} {:>6} {:>10} {:>7} {:>9} {:>7} {:>11}",
            i,
            fraction(g.length),
            g.replications,
            g.candidates,
            g.evaluated,
            g.screened_out,
            g.pruned,
            g.ranked_out
        );
    }
    let _ = writeln!(
        o,
        "designs: {} evaluated, {} pruned by monotonicity, {} screened out, {} ranked out, {} invalid; {} at full length ({} feasible, {} inconclusive); {} runs ({:.1} full-length)",
        c.evaluated,
        c.pruned,
        c.screened_out,
        c.ranked_out,
        c.invalid,
        c.at_full_length,
        c.feasible,
        c.inconclusive,
        c.runs,
        c.full_length_runs
    );
    let _ = writeln!(o);
    match &r.winner {
        Some(w) => {
            let _ = writeln!(o, "cheapest design meeting every constraint:");
            design(&mut o, w);
            if let Some(b) = &w.bottleneck {
                let _ = writeln!(o, "  bottleneck: {} Relieved by {}.", b.sentence, b.relieved_by);
            }
        }
        None => {
            let _ = writeln!(o, "no design meets every constraint on every replay");
        }
    }
    if let Some(n) = &r.next_cheaper {
        let _ = writeln!(o, "\nnext cheaper design, and why it does not qualify:");
        design(&mut o, &n.design);
        for m in &n.misses {
            let by = m.excess_ratio.map_or(String::new(), |x| format!(" ({:+.0}% of the limit)", x * 100.0));
            let _ = writeln!(o, "    {} on `{}`: {}: {}{by}", m.outcome.label(), m.replay, m.constraint, m.message);
        }
    }
    if !r.front.is_empty() {
        let _ = writeln!(o, "\nPareto front (feasible designs, cost against P99 on the worst replay, 95% intervals):");
        let _ = writeln!(o, "{:>12} {:>32}  design", "usd/month", "p99");
        for d in &r.front {
            let _ = writeln!(o, "{:>12.2} {:>32}  {}", d.cost_usd_per_month.mean, secs(&d.latency_s_p99), d.label);
        }
    }
    o
}
