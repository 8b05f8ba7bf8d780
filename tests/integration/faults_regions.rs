//! Region faults: an outage behind a health-checked geo-DNS costs the region's users only
//! the detection window, then their longer trip to the next region; a partition loses the
//! calls that cross it and nothing else.
//!
//! Counts of requests are Poisson (variance = mean): checked within 5 standard deviations
//! (fixed seeds), plus the calls the region held when it died (a few at 200/s; we allow 20).

use stagesim::runner::RunOptions;
use stagesim::summary::{Summary, Window};

fn within(what: &str, observed: u64, expected: f64, extra: f64) {
    let tol = 5.0 * expected.sqrt() + extra;
    assert!((observed as f64 - expected).abs() <= tol, "{what}: {observed}, expected {expected:.0} +- {tol:.0}");
}

fn windows(s: &Summary, from: f64, to: f64) -> Vec<&Window> {
    s.windows.iter().filter(|w| w.t_s >= from && w.t_s + s.window_s <= to).collect()
}

fn mean_latency(ws: &[&Window]) -> f64 {
    ws.iter().map(|w| w.latency_s_mean.unwrap_or(0.0)).sum::<f64>() / ws.len() as f64
}

#[test]
fn region_outage_fails_only_until_the_dns_notices_then_costs_the_longer_trip() {
    let s = crate::run_with("scenarios/time/region-outage.toml", RunOptions::default());
    let f = &s.faults[0];
    assert_eq!((f.kind.as_str(), f.target.as_str(), f.at_s), ("region_outage", "eu-west", 120.0));
    // Checks every 10 s, out after 3 failed ones: detected (3 - 1) x 10 to 3 x 10 s after.
    let detected = f.detected_after_s.expect("the geo-DNS health checks detect it");
    assert!((20.0..=30.0).contains(&detected), "detected after {detected}s");
    // Half of the 400/s are European users, every one of whom fails until then.
    within("requests failed by the outage", f.errors_during, 200.0 * detected, 20.0);
    assert_eq!(s.requests.failed, f.errors_during, "every failure is the outage's");
    // None after detection (one window of slack for replies on their way).
    let late: Vec<f64> = s
        .windows
        .iter()
        .filter(|w| w.t_s >= 120.0 + detected + s.window_s && w.errors_per_s > 0.0)
        .map(|w| w.t_s)
        .collect();
    assert!(late.is_empty(), "errors after detection at {late:?}");
    // Rerouted, the Europeans pay the transatlantic leg both ways: 2 x (40 - 0.5) ms more for
    // half the requests, so the mean rises by about 39.5 ms (the US stack's extra queueing
    // at twice the load adds a little: 5 ms of tolerance).
    let before = mean_latency(&windows(&s, 30.0, 120.0));
    let rerouted = mean_latency(&windows(&s, 120.0 + detected + s.window_s, 240.0));
    assert!((rerouted - before - 0.0395).abs() < 0.005, "mean latency {before} before, {rerouted} rerouted");
    // Back at the first passing check after the outage ends (checks fall on multiples of 10 s).
    let recovered = f.recovered_after_s.expect("it comes back");
    assert!((120.0..=130.0).contains(&recovered), "recovered after {recovered}s");
    let after = mean_latency(&windows(&s, 120.0 + recovered + s.window_s, 360.0));
    assert!((after - before).abs() < 0.002, "mean latency {before} before, {after} after");
}

#[test]
fn without_health_checks_the_dns_never_notices() {
    let path = format!("{}/scenarios/time/region-outage.toml", env!("CARGO_MANIFEST_DIR"));
    let text =
        std::fs::read_to_string(path).unwrap().replace("health_check = { interval = \"10s\", failures = 3 }\n", "");
    let model = stagesim::parse_scenario("no-checks.toml", &text).unwrap();
    let s = stagesim::runner::run(&stagesim::runner::apply(&model, &RunOptions::default()));
    let f = &s.faults[0];
    assert_eq!((f.detected_after_s, f.recovered_after_s), (None, Some(120.0)));
    // The Europeans fail for the whole outage.
    within("requests failed", f.errors_during, 200.0 * 120.0, 20.0);
}

#[test]
fn region_partition_loses_cross_region_calls_only() {
    let s = crate::run_with("scenarios/time/region-partition.toml", RunOptions::default());
    let f = &s.faults[0];
    assert_eq!((f.kind.as_str(), f.target.as_str()), ("region_partition", "us-east-eu-west"));
    assert_eq!((f.detected_after_s, f.recovered_after_s), (None, Some(60.0)));
    // Only European uploads cross: 400/s x 0.4 x 0.1 = 16/s for 60 s, each lost and timed
    // out at the app's 2 s call timeout.
    within("calls lost", f.requests_failed, 16.0 * 60.0, 0.0);
    assert_eq!(s.requests.timed_out, f.requests_failed);
    assert_eq!(s.requests.failed, 0);
    let us = &s.regions["us-east"].requests;
    assert_eq!((us.failed, us.timed_out, us.rejected), (0, 0, 0), "same-region traffic is unaffected");
    assert_eq!(s.regions["eu-west"].requests.timed_out, f.requests_failed);
    // Errors only from the partition's start to its end plus the 2 s timeout.
    for w in &s.windows {
        if w.t_s + s.window_s <= 120.0 || w.t_s >= 185.0 {
            assert_eq!(w.errors_per_s, 0.0, "t={}", w.t_s);
        }
    }
}
