//! Resilience on every call: a retry storm when a dependency slows down, a circuit breaker
//! that caps it and fails fast, and a bulkhead that keeps a slow dependency from taking the
//! threads calls to a healthy one need.

use crate::flow_support::{edit, extra, rejects, run_text};
use stagesim::Summary;

/// 300/s into an app whose calls to `dep` time out after 100 ms and are retried 3 times.
/// `dep` has 4 servers with exp(mean = 12 ms): 333/s, utilization 0.9 before any retry.
const STORM: &str = r#"[scenario]
name = "retry storm"
duration = "2m"
warmup = "30s"

[load]
rate = "300/s"

[components.app]
kind = "service"
cores = 64
max_in_flight = 100000
queue = 100000
service_time = "0.1ms"
calls = ["dep"]
timeout = "100ms"
retries = 3
backoff = "10ms"
backoff_max = "100ms"

[components.dep]
kind = "service"
cores = 4
max_in_flight = 100000
queue = 100000
service_time = "exp(mean = 12ms)"
"#;

/// Calls reaching the dependency per request that arrived.
fn amplification(s: &Summary) -> f64 {
    s.components["dep"].received as f64 / s.requests.arrived as f64
}

#[test]
fn retries_turn_a_slow_dependency_into_a_storm() {
    let healthy = run_text(&STORM.replace("exp(mean = 12ms)", "exp(mean = 2ms)"), Some(21));
    let no_retries = run_text(&edit(STORM, "retries = 3", "retries = 0"), Some(21));
    let storm = run_text(STORM, Some(21));
    // Healthy, nothing fails and nothing is retried.
    assert_eq!(healthy.requests.completed, healthy.requests.arrived);
    assert!((amplification(&healthy) - 1.0).abs() < 0.01);
    // Slow without retries: a few percent time out, the dependency sees the offered load.
    assert!((amplification(&no_retries) - 1.0).abs() < 0.01);
    assert!(no_retries.requests.error_ratio < 0.15 && no_retries.requests.error_ratio > 0.01);
    // Slow with 3 retries: timeouts add load, which adds timeouts; the dependency saturates,
    // every attempt times out, and the load it sees grows by the retry factor 1 + 3.
    let dep = &storm.components["dep"];
    assert!(dep.utilization > 0.99, "dependency utilization {}", dep.utilization);
    assert!(amplification(&storm) > 3.9, "load amplification {}", amplification(&storm));
    assert!(storm.requests.completed < storm.requests.arrived / 100, "goodput collapses");
    assert!(extra(&storm, "app", "retries") > 2.9 * storm.requests.arrived as f64);
}

#[test]
fn a_circuit_breaker_caps_the_storm_and_fails_fast() {
    let breaker = edit(
        STORM,
        "retries = 3",
        "retries = 3\nbreaker = { failure_ratio = 0.5, window = 20, reset_timeout = \"1s\" }",
    );
    let storm = run_text(STORM, Some(21));
    let s = run_text(&breaker, Some(21));
    // The breaker opens whenever half the calls fail, so the dependency is offered about
    // what users send, and keeps up: most requests succeed.
    assert!(amplification(&s) < 1.1, "amplification with a breaker {}", amplification(&s));
    assert!(amplification(&s) < 0.3 * amplification(&storm));
    assert!(s.components["dep"].utilization < 0.95);
    assert!(s.requests.completed as f64 > 0.8 * s.requests.arrived as f64);
    assert!(extra(&s, "app", "breaker_opens") >= 1.0);
    assert!(extra(&s, "app", "breaker_open_s") > 0.0);
    // Calls refused while open end at once as rejections, and are counted (a refused retry
    // leaves the request with the failure it retried, so rejections are at most the refusals).
    let refused = extra(&s, "app", "breaker_rejections");
    let rejected = s.requests.rejected as f64;
    assert!(refused > 100.0);
    assert!(rejected <= refused * 1.01 && rejected > 0.5 * refused, "{rejected} rejected, {refused} refused");
}

/// 30% of the traffic needs a report that takes 2 s; 70% a search (2 ms). The app has 40
/// threads per instance, held while it waits: 30/s x 2 s = 60 threads wanted by reports.
const BULKHEAD: &str = r#"[scenario]
name = "bulkhead"
duration = "2m"
warmup = "20s"

[load]
rate = "100/s"

[requests]
report = 0.3
search = 0.7

[components.app]
kind = "service"
cores = 8
max_in_flight = 40
queue = 10000
service_time = "exp(mean = 1ms)"
calls = { report = ["reports"], search = ["index"] }
timeout = "10s"

[components.reports]
kind = "service"
cores = 1000
max_in_flight = 1000
service_time = "2s"

[components.index]
kind = "service"
cores = 16
service_time = "exp(mean = 2ms)"
"#;

#[test]
fn a_bulkhead_isolates_a_slow_dependency() {
    let shared = run_text(BULKHEAD, Some(31));
    let isolated = run_text(&edit(BULKHEAD, "timeout = \"10s\"", "timeout = \"10s\"\nbulkhead = 10"), Some(31));
    // The searches alone: no reports class, no reports service.
    let (head, rest) = BULKHEAD.split_once("[components.reports]").unwrap();
    let index = &rest[rest.find("[components.index]").unwrap()..];
    let alone = (head.to_string() + index)
        .replace("report = 0.3\nsearch = 0.7", "search = 1.0")
        .replace("rate = \"100/s\"", "rate = \"70/s\"")
        .replace("report = [\"reports\"], ", "");
    let alone = run_text(&alone, Some(31));
    let p99 = |s: &Summary| s.classes["search"].latency_s.p99;
    // Without a bulkhead, reports hold every thread and searches queue behind them.
    assert!(p99(&shared) > 1.0, "search P99 without a bulkhead {}", p99(&shared));
    // With one, at most 10 threads wait on reports; searches keep their latency.
    assert!(p99(&isolated) < 1.2 * p99(&alone), "search P99 {} vs {} alone", p99(&isolated), p99(&alone));
    assert_eq!(isolated.classes["search"].requests.rejected, 0);
    let refused = extra(&isolated, "app", "bulkhead_rejections");
    assert!(refused > 1000.0 && refused <= isolated.classes["report"].requests.rejected as f64 + 50.0);
    // The price: reports beyond the bulkhead fail fast instead of waiting.
    assert!(isolated.classes["report"].requests.rejected > isolated.classes["report"].requests.completed);
}

#[test]
fn resilience_keys_are_validated() {
    rejects(
        &edit(STORM, "retries = 3", "retries = 50"),
        "components.app.retries",
        "retries = 50",
        11,
        "at most 20",
        "2 or 3",
    );
    rejects(
        &edit(STORM, "backoff_max = \"100ms\"", "backoff_max = \"1ms\""),
        "components.app.backoff_max",
        "backoff_max",
        15,
        "must not be below `backoff`",
        "1s",
    );
    rejects(
        &edit(STORM, "retries = 3", "retries = 3\nbreaker = { failure_ratio = 1.5 }"),
        "components.app.breaker.failure_ratio",
        "breaker = ",
        29,
        "in (0, 1]",
        "0.5",
    );
    rejects(
        &edit(STORM, "retries = 3", "retries = 3\nbreaker = { window = 20, min_calls = 30 }"),
        "components.app.breaker.min_calls",
        "breaker = ",
        38,
        "from 1 to the `window`",
        "leave it out",
    );
    rejects(
        &edit(STORM, "retries = 3", "retries = 3\nbreaker = { windw = 20 }"),
        "components.app.breaker.windw",
        "breaker = ",
        13,
        "unknown field `windw`",
        "`window`",
    );
    rejects(
        &edit(STORM, "retries = 3", "retries = 3\nbulkhead = 0"),
        "components.app.bulkhead",
        "bulkhead = 0",
        12,
        "at least 1",
        "calls one instance",
    );
    rejects(
        &edit(STORM, "retries = 3\n", ""),
        "components.app.backoff",
        "backoff = ",
        11,
        "needs `retries`",
        "retries = 3",
    );
}
