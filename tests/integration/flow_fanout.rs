//! Services calling services: a parallel fan-out answers when its slowest branch does.

use crate::flow_support::{edit, run_text};
use stagesim::stats::mean_sd;

/// `front` calls `a` (10 ms) and `b` (30 ms) in parallel; no queueing anywhere.
const FANOUT: &str = r#"[scenario]
name = "fan-out"
duration = "1m"
warmup = "5s"

[load]
rate = "100/s"

[components.front]
kind = "service"
cores = 1000
max_in_flight = 1000
service_time = "1ms"
calls = [["a", "b"]]

[components.a]
kind = "service"
cores = 1000
max_in_flight = 1000
service_time = "10ms"

[components.b]
kind = "service"
cores = 1000
max_in_flight = 1000
service_time = "30ms"
"#;

#[test]
fn a_fan_out_takes_as_long_as_its_slowest_branch() {
    let parallel = run_text(FANOUT, Some(1));
    // 1 ms of the front's own work, then max(10 ms, 30 ms): every request takes exactly 31 ms.
    assert!((parallel.latency_s.p50 - 0.031).abs() < 0.0005, "{:?}", parallel.latency_s);
    assert!((parallel.latency_s.max - 0.031).abs() < 0.0005);
    // The same calls in sequence add up instead: 1 + 10 + 30 ms.
    let sequence = run_text(&edit(FANOUT, "calls = [[\"a\", \"b\"]]", "calls = [\"a\", \"b\"]"), Some(1));
    assert!((sequence.latency_s.mean - 0.041).abs() < 0.0005, "{}", sequence.latency_s.mean);
}

#[test]
fn the_mean_of_a_fan_out_is_the_mean_of_the_maximum() {
    // Two branches with exp(mean = 10 ms) each and no queueing: E[max] = 10 ms x (1 + 1/2).
    let text = FANOUT
        .replace("service_time = \"10ms\"", "service_time = \"exp(mean = 10ms)\"")
        .replace("service_time = \"30ms\"", "service_time = \"exp(mean = 10ms)\"");
    let means: Vec<f64> = (0..8).map(|i| run_text(&text, Some(60 + i)).latency_s.mean).collect();
    let (mean, sd) = mean_sd(&means);
    let theory = 0.001 + 0.015;
    // 3 standard errors over 8 replications (each ~5,500 requests), plus 0.5% for the
    // histogram's bucket width (2 significant digits); no queues, so no warm-up bias.
    let tol = 3.0 * sd / 8f64.sqrt() + 0.005 * theory;
    assert!((mean - theory).abs() < tol, "mean {mean} vs {theory} (tol {tol})");
    // And clearly not the sum (21 ms) nor a single branch (11 ms).
    assert!(mean > 0.0145 && mean < 0.0175);
}
