//! Autoscaling with the article's policy (min 2, max 20, up at 70% CPU, down at 30%,
//! cooldowns 3 and 10 minutes, warm-up 2 minutes) through a tenfold viral spike: capacity
//! follows the spike, P99 recovers once the new instances are warm, scale-in is gradual, and
//! the cost lies between static fleets sized for the trough and for the peak.

use crate::run_with;
use stagesim::summary::{Summary, Window};

const PATH: &str = "scenarios/time/autoscale-spike.toml";

/// The scenario's run, shared by the tests below (it simulates 12 million requests).
fn summary() -> &'static Summary {
    static RUN: std::sync::OnceLock<Summary> = std::sync::OnceLock::new();
    RUN.get_or_init(|| run_with(PATH, Default::default()))
}

fn series(w: &Window, name: &str) -> f64 {
    w.series.get(name).and_then(|m| m.get("app")).copied().unwrap_or(f64::NAN)
}

fn between(s: &Summary, from_min: f64, to_min: f64) -> impl Iterator<Item = &Window> {
    s.windows.iter().filter(move |w| w.t_s >= from_min * 60.0 && w.t_s + s.window_s <= to_min * 60.0)
}

#[test]
fn capacity_follows_a_tenfold_spike() {
    let s = summary();
    // Before the spike: the minimum, two instances at about 37% CPU.
    for w in between(s, 0.0, 20.0) {
        assert_eq!(series(w, "instances"), 2.0, "t={}s", w.t_s);
    }
    // During the hold, 3000/s need ceil(3000 / (400/s per instance x 0.7)) = 11 instances.
    let hold: Vec<&Window> = between(s, 40.0, 70.0).collect();
    for w in &hold {
        let n = series(w, "instances_serving");
        assert!((11.0..=20.0).contains(&n), "t={}s: {n} instances serving", w.t_s);
        assert!(w.utilization["app"] <= 0.75, "t={}s: utilization {}", w.t_s, w.utilization["app"]);
    }
    // Warm-up: right after a scale-up, instances are paid for but do not serve yet.
    let warming = s.windows.iter().filter(|w| series(w, "instances") > series(w, "instances_serving") + 0.5).count();
    assert!(warming >= 4, "only {warming} windows show instances warming up");
    // Scale-in is one instance at a time, at least 10 minutes apart.
    let mut last_drop: Option<f64> = None;
    for pair in s.windows.windows(2) {
        let (a, b) = (series(&pair[0], "instances"), series(&pair[1], "instances"));
        if b < a - 0.01 && pair[1].t_s > 70.0 * 60.0 {
            assert!(a - b <= 1.0 + 1e-9, "t={}s: dropped {} instances", pair[1].t_s, a - b);
            if let Some(t) = last_drop {
                assert!(pair[1].t_s - t >= 600.0 - s.window_s, "scale-ins {}s apart", pair[1].t_s - t);
            }
            last_drop = Some(pair[1].t_s);
        }
    }
    assert!(last_drop.is_some(), "it never scaled in after the spike");
}

#[test]
fn p99_recovers_once_new_instances_are_warm() {
    let s = summary();
    let p99 = |from: f64, to: f64| between(s, from, to).map(|w| w.latency_s_p99.unwrap_or(0.0)).fold(0.0, f64::max);
    let errors = |from: f64, to: f64| between(s, from, to).map(|w| w.errors_per_s).sum::<f64>();
    // While CPU-driven scaling catches up (about 3 minutes per step plus 2 of warm-up) the
    // pool saturates: queues fill, P99 reaches seconds and the accept queues overflow.
    assert!(p99(22.0, 29.0) > 1.0, "the spike should hurt before capacity arrives: {}", p99(22.0, 29.0));
    assert!(errors(22.0, 29.0) > 0.0);
    // Once the last scale-up (about 31 minutes) is warm, latency is back to its level before
    // the spike (24 ms) within a margin, and nothing fails.
    let before = p99(0.0, 20.0);
    assert!(p99(35.0, 150.0) < 2.0 * before, "P99 after recovery {} vs {before} before", p99(35.0, 150.0));
    assert_eq!(errors(35.0, 150.0), 0.0);
}

#[test]
fn cost_lies_between_trough_and_peak_sized_fleets() {
    let s = summary();
    let app = &s.components["app"];
    let hourly = 0.096; // m5.large in models/instances.toml
    let month = |n: f64| n * hourly * stagesim::summary::HOURS_PER_MONTH;
    let peak = app.extra["instances_peak"];
    assert!((11.0..=20.0).contains(&peak), "peak {peak}");
    let cost = app.cost_usd_per_month;
    assert!(cost > month(2.0) && cost < month(peak), "{cost} not between {} and {}", month(2.0), month(peak));
    // It is exactly the time-average instance count at the hourly price.
    assert!((cost - month(app.extra["instances"])).abs() < 1e-6 * cost);
    // And the summary's total includes it.
    let others: f64 = s.components.iter().filter(|(n, _)| *n != "app").map(|(_, c)| c.cost_usd_per_month).sum();
    assert!((s.cost.usd_per_month - others - cost).abs() < 1e-6 * cost);
}
