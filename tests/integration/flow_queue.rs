//! `kind = "queue"`: the worker pool against Erlang C, a burst absorbed by the queue and
//! drained afterwards (compared with the same work done synchronously), retries and the
//! dead-letter queue, the capacity bound, and the validation of its keys.

use crate::flow_support::{edit, extra, rejects, run_text};
use crate::queueing::erlang_c;
use stagesim::stats::mean_sd;

/// Poisson arrivals straight into a queue whose 4 workers take exp(mean = 1 ms) per message:
/// with an instant acknowledgement, messages see an M/M/4 queue at utilization 0.8.
const MMC: &str = r#"[scenario]
name = "queue as M/M/4"
duration = "2m"
warmup = "10s"

[load]
rate = "3200/s"

[components.jobs]
kind = "queue"
ack_time = "0ms"
workers = 4
work_time = "exp(mean = 1ms)"
"#;

#[test]
fn worker_pool_matches_erlang_c() {
    let (c, lambda, mu) = (4, 3200.0, 1000.0);
    let pw = erlang_c(c, lambda / mu);
    let wq = pw / (f64::from(c) * mu - lambda);
    let runs: Vec<_> = (0..10).map(|i| run_text(MMC, Some(200 + i))).collect();
    // Within 3 standard errors across the 10 replications plus 1% of theory (the warm-up
    // bias left after 10 s at utilization 0.8), as in the queueing tests.
    let check = |what: &str, values: Vec<f64>, theory: f64| {
        let (mean, sd) = mean_sd(&values);
        let tol = 3.0 * sd / (values.len() as f64).sqrt() + 0.01 * theory;
        assert!((mean - theory).abs() <= tol, "{what}: simulated {mean:.6}, theory {theory:.6}, tol {tol:.6}");
    };
    check("P(wait)", runs.iter().map(|s| s.components["jobs"].wait_probability).collect(), pw);
    check("mean wait", runs.iter().map(|s| s.components["jobs"].wait_s_mean).collect(), wq);
    check("mean depth (Lq)", runs.iter().map(|s| s.components["jobs"].node_queue_mean).collect(), lambda * wq);
    check("worker utilization", runs.iter().map(|s| extra(s, "jobs", "worker_utilization")).collect(), 0.8);
    for s in &runs {
        let q = &s.components["jobs"];
        // The utilization law for the workers: U = attempts/s x work per attempt / workers.
        let law = extra(s, "jobs", "attempts_per_s") * extra(s, "jobs", "work_s_mean") / 4.0;
        assert!((q.utilization - law).abs() < 0.005, "U={} vs XS/c={law}", q.utilization);
        // Every message is processed once the run drains, and none is left (those processed
        // after warm-up include the few waiting when it ended).
        let (processed, enqueued) = (extra(s, "jobs", "processed"), extra(s, "jobs", "enqueued"));
        assert!(processed >= enqueued && processed - enqueued < 100.0, "{processed} vs {enqueued}");
        assert_eq!(extra(s, "jobs", "depth_at_end"), 0.0);
        // The producers' latency is the acknowledgement alone (zero here), not the work.
        assert!(s.latency_s.max < 1e-6, "the ack is instant: {}", s.latency_s.max);
    }
}

/// 200 uploads/s for a minute into workers that manage 160/s, then two minutes to drain.
const BURST: &str = r#"[scenario]
name = "burst into a queue"
duration = "60s"
drain = "2m"

[load]
rate = "200/s"

[components.api]
kind = "service"
cores = 4
service_time = "exp(mean = 1ms)"
calls = ["jobs"]

[components.jobs]
kind = "queue"
ack_time = "exp(mean = 2ms)"
workers = 8
work_time = "exp(mean = 50ms)"
"#;

/// The same work done synchronously: the api waits for a pool of 8 workers.
const BURST_SYNC: &str = r#"[scenario]
name = "burst done synchronously"
duration = "60s"
drain = "2m"

[load]
rate = "200/s"

[components.api]
kind = "service"
cores = 4
max_in_flight = 100000
queue = 100000
service_time = "exp(mean = 1ms)"
calls = ["jobs"]

[components.jobs]
kind = "service"
cores = 8
max_in_flight = 8
queue = 100000
service_time = "exp(mean = 50ms)"
"#;

#[test]
fn a_queue_keeps_the_p99_flat_while_workers_fall_behind_and_drains_afterwards() {
    let s = run_text(BURST, Some(1));
    let depth: Vec<(f64, f64)> = s.windows.iter().map(|w| (w.t_s, w.queue_mean["jobs"])).collect();
    let at = |t: f64| depth.iter().find(|(s, _)| (*s - t).abs() < 0.5).map_or(0.0, |d| d.1);
    // Offered 200/s against 160/s: the backlog grows by about 40 messages a second.
    assert!(at(20.0) > 400.0 && at(55.0) > 1600.0, "depth at 20 s {}, at 55 s {}", at(20.0), at(55.0));
    assert!(at(55.0) > at(20.0) * 2.0, "the depth keeps growing during the burst");
    // ~2400 messages at 160/s drain in ~15 s: the depth falls once arrivals stop, and the run
    // ends (drained) when the last message is done, long before the drain period runs out.
    assert!(at(65.0) < at(60.0) && at(70.0) < at(65.0), "the queue drains: {:?}", &depth[58..]);
    assert!(s.simulated_s > 65.0 && s.simulated_s < 90.0, "ended at {}", s.simulated_s);
    assert_eq!(extra(&s, "jobs", "depth_at_end"), 0.0);
    assert_eq!(extra(&s, "jobs", "processed"), extra(&s, "jobs", "enqueued"));
    assert!(extra(&s, "jobs", "depth_max") > 2000.0);
    assert!(extra(&s, "jobs", "consumer_lag_s_max") > 10.0, "the oldest message waited the backlog");
    assert_eq!(s.stop_reason, "drained");
    // Users never wait for the work: the P99 stays at the scale of the ack (~2 ms mean).
    assert!(s.latency_s.p99 < 0.015, "user P99 {}", s.latency_s.p99);
    let sync = run_text(BURST_SYNC, Some(1));
    assert!(sync.latency_s.p99 > 5.0, "synchronously, users wait for the backlog: {}", sync.latency_s.p99);
    assert!(sync.latency_s.p99 > 300.0 * s.latency_s.p99);
}

/// A worker whose downstream call always times out: every message fails.
const FAILING: &str = r#"[scenario]
name = "failing consumer"
duration = "20s"
drain = "1m"

[load]
rate = "10/s"

[components.jobs]
kind = "queue"
ack_time = "1ms"
workers = 4
work_time = "1ms"
calls = ["slow"]
timeout = "10ms"
max_retries = 2
backoff = "100ms"

[components.slow]
kind = "service"
cores = 64
service_time = "50ms"
"#;

#[test]
fn failing_messages_are_retried_then_dead_lettered_and_never_lost() {
    let s = run_text(FAILING, Some(3));
    let n = extra(&s, "jobs", "enqueued");
    assert!(n > 150.0);
    assert_eq!(extra(&s, "jobs", "processed"), 0.0);
    assert_eq!(extra(&s, "jobs", "dead_lettered"), n, "each message ends in the dead-letter queue");
    assert_eq!(extra(&s, "jobs", "retries"), 2.0 * n, "two retries per message");
    assert_eq!(extra(&s, "jobs", "failed_attempts"), 3.0 * n);
    assert_eq!(s.components["slow"].received as f64, 3.0 * n, "each attempt reaches the dependency");
    assert_eq!(extra(&s, "jobs", "depth_at_end"), 0.0);
    // Producers were acknowledged: the failures are the consumer's, not the users'.
    assert_eq!(s.requests.completed, s.requests.arrived);
}

#[test]
fn a_full_queue_rejects_and_counts() {
    let text = edit(BURST, "workers = 8", "workers = 8\ncapacity = 100");
    let s = run_text(&text, Some(1));
    let dropped = extra(&s, "jobs", "dropped_full");
    assert!(dropped > 1000.0, "dropped {dropped}");
    assert_eq!(s.requests.rejected as f64, dropped, "a dropped message is a rejected upload");
    assert!(extra(&s, "jobs", "depth_max") <= 100.0);
    let r = &s.requests;
    assert_eq!(r.arrived, r.completed + r.rejected + r.failed + r.timed_out + r.in_flight);
}

#[test]
fn queue_keys_are_validated() {
    rejects(
        &edit(MMC, "workers = 4", "workers = 0"),
        "components.jobs.workers",
        "workers = 0",
        11,
        "`workers` must be at least 1",
        "1 or more",
    );
    rejects(
        &edit(MMC, "workers = 4", "workers = 4\ncapacity = \"lots\""),
        "components.jobs.capacity",
        "capacity = \"lots\"",
        12,
        "number or \"unbounded\"",
        "",
    );
    rejects(
        &edit(MMC, "workers = 4", "workers = 4\ncapacity = 0"),
        "components.jobs.capacity",
        "capacity = 0",
        12,
        "at least 1",
        "\"unbounded\"",
    );
    rejects(
        &edit(MMC, "workers = 4", "workers = 4\nbackoff = \"2s\"\nbackoff_max = \"1s\""),
        "components.jobs.backoff_max",
        "backoff_max",
        15,
        "must not be below `backoff`",
        "raise it",
    );
    rejects(
        &edit(MMC, "workers = 4", "wrokers = 4"),
        "components.jobs.wrokers",
        "wrokers = 4",
        1,
        "unknown field `wrokers`",
        "`workers`",
    );
    rejects(
        &edit(MMC, "exp(mean = 1ms)", "exp(mean = -1ms)"),
        "components.jobs.work_time",
        "work_time",
        13,
        "invalid distribution",
        "exp(mean = 2ms)",
    );
}
