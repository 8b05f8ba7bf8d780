//! `scenarios/time/day-with-spike-and-crash.toml`: a simulated day whose time series (the
//! JSON windows) show the mid-day crash, its detection, the viral spike, the scale-out that
//! follows it and the scale-in after.

use crate::run_with;
use stagesim::summary::{Summary, Window};

const HOUR: f64 = 3_600.0;

fn day() -> &'static Summary {
    static RUN: std::sync::OnceLock<Summary> = std::sync::OnceLock::new();
    RUN.get_or_init(|| run_with("scenarios/time/day-with-spike-and-crash.toml", Default::default()))
}

fn app(w: &Window, series: &str) -> f64 {
    w.series[series]["app"]
}

/// Windows lying wholly within [from, to) seconds.
fn within(s: &Summary, from: f64, to: f64) -> Vec<&Window> {
    s.windows.iter().filter(|w| w.t_s >= from && w.t_s + s.window_s <= to).collect()
}

/// The window containing time `t`.
fn at(s: &Summary, t: f64) -> &Window {
    s.windows.iter().find(|w| w.t_s <= t && t < w.t_s + s.window_s).expect("a window")
}

#[test]
fn the_crash_and_its_detection_show_in_the_windows() {
    let s = day();
    let crash = 12.0 * HOUR;
    let f = &s.faults[0];
    assert_eq!((f.kind.as_str(), f.at_s), ("instance_crash", crash));
    // Checks every 10 s, 3 failures: detected 20 to 30 s after the crash.
    let detected = crash + f.detected_after_s.expect("detected");
    assert!((crash + 20.0..=crash + 30.0).contains(&detected), "detected at {detected}");
    // The errors of the crash are in the windows from the crash to its detection...
    let first = at(s, crash).t_s;
    let last_end = at(s, detected).t_s + s.window_s;
    let errors: f64 = within(s, first, last_end).iter().map(|w| w.errors_per_s * s.window_s).sum();
    assert!(errors > 0.0 && (errors - f.requests_failed as f64).abs() < 1.0, "{errors} vs {}", f.requests_failed);
    // ...and none from detection until the spike (at 13:00).
    for w in within(s, last_end, 13.0 * HOUR) {
        assert_eq!(w.errors_per_s, 0.0, "errors at {:.2}h", w.t_s / HOUR);
    }
    // The crashed instance stops serving (still paid for), and serves again after its
    // restart five minutes later.
    let down = within(s, last_end, crash + 5.0 * 60.0);
    assert!(!down.is_empty() && down.iter().all(|w| app(w, "instances_serving") == 1.0 && app(w, "instances") == 2.0));
    let back = crash + f.recovered_after_s.expect("recovered");
    assert!((crash + 300.0..=crash + 310.0).contains(&back));
    assert!(within(s, back, 13.0 * HOUR).iter().all(|w| app(w, "instances_serving") == 2.0));
}

#[test]
fn the_spike_and_the_scale_out_show_in_the_windows() {
    let s = day();
    let mean = |ws: &[&Window], f: &dyn Fn(&Window) -> f64| ws.iter().map(|w| f(w)).sum::<f64>() / ws.len() as f64;
    let before = within(s, 12.5 * HOUR, 13.0 * HOUR);
    let hold = within(s, 13.0 * HOUR + 600.0, 13.0 * HOUR + 2_400.0);
    // Tenfold traffic at the spike's plateau (the day's own curve rises a little meanwhile).
    let ratio = mean(&hold, &|w| w.arrivals_per_s) / mean(&before, &|w| w.arrivals_per_s);
    assert!((9.0..=12.0).contains(&ratio), "spike ratio {ratio}");
    // The pool is at its minimum all day until the spike, then scales out...
    for w in within(s, 0.0, 13.0 * HOUR) {
        assert_eq!(app(w, "instances"), 2.0, "at {:.2}h", w.t_s / HOUR);
    }
    let peak = hold.iter().map(|w| app(w, "instances")).fold(0.0, f64::max);
    assert!(peak >= 7.0, "scaled out to {peak} instances");
    // ...and, once the new instances are warm (by 13:20), serves the spike at P99 within
    // twice the quiet hour's, after seconds while capacity caught up.
    let catching_up = within(s, 13.0 * HOUR, 13.0 * HOUR + 900.0);
    assert!(catching_up.iter().any(|w| w.latency_s_p99.is_some_and(|p| p > 1.0)), "the spike should hurt at first");
    let quiet_p99 = mean(&before, &|w| w.latency_s_p99.unwrap_or(0.0));
    for w in within(s, 13.0 * HOUR + 1_200.0, 13.0 * HOUR + 2_400.0) {
        assert!(app(w, "instances_serving") >= 7.0);
        let p99 = w.latency_s_p99.expect("requests completed");
        assert!(p99 < 2.0 * quiet_p99, "P99 {p99} at {:.2}h", w.t_s / HOUR);
    }
    // Back to the minimum within a few hours, one instance every 10 minutes at most.
    for w in within(s, 17.0 * HOUR, 24.0 * HOUR) {
        assert_eq!(app(w, "instances"), 2.0, "at {:.2}h", w.t_s / HOUR);
    }
    let app_summary = &s.components["app"];
    assert_eq!(app_summary.extra["instances_peak"], peak.ceil());
    assert!(app_summary.extra["instances"] > 2.0 && app_summary.extra["instances"] < 3.0);
}

#[test]
fn a_day_is_a_thousand_windows() {
    let s = day();
    assert!(s.windows.len() <= 1_001, "{} windows", s.windows.len());
    assert!((s.window_s - 86.46).abs() < 1e-9, "{}", s.window_s);
    // Every series is present in every window.
    for w in &s.windows {
        for name in ["instances", "instances_serving"] {
            assert!(w.series[name].contains_key("app"));
        }
        assert!(w.utilization.contains_key("db") && w.queue_mean.contains_key("app"));
    }
}
