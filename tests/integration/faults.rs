//! Faults on a schedule: a crash behind a balancer costs what its health checks allow and
//! nothing after detection; without health checks only what the instance held; without a
//! balancer, its share until it restarts; a database outage fails every request while it
//! lasts; link faults add latency or lose calls.
//!
//! Bounds: requests sent to a dead instance are Poisson (variance = mean), so counts are
//! checked against their expectation within 5 standard deviations (fixed seeds), plus the
//! calls the instance held when it crashed (at 300/s and ~7 ms each, about one per instance;
//! we allow 20).

use stagesim::runner::{apply, run, RunOptions};
use stagesim::summary::Summary;

const CRASH: &str = "scenarios/time/crash-behind-balancer.toml";

fn run_text(name: &str, text: &str) -> Summary {
    let model = stagesim::parse_scenario(name, text).unwrap_or_else(|e| panic!("{e}"));
    run(&apply(&model, &RunOptions::default()))
}

fn crash_text() -> String {
    std::fs::read_to_string(format!("{}/{CRASH}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn within(what: &str, observed: u64, expected: f64, extra: f64) {
    let tol = 5.0 * expected.sqrt() + extra;
    assert!((observed as f64 - expected).abs() <= tol, "{what}: {observed}, expected {expected:.0} +- {tol:.0}");
}

#[test]
fn crash_errors_stay_within_the_detection_window() {
    let s = crate::run_with(CRASH, RunOptions::default());
    let f = &s.faults[0];
    assert_eq!((f.kind.as_str(), f.target.as_str(), f.at_s), ("instance_crash", "app", 120.0));
    // Checks every 5 s, removal after 3 failures: detection within (3 - 1) x 5 to 3 x 5 s.
    let detected = f.detected_after_s.expect("the balancer detects the crash");
    assert!((10.0..=15.0).contains(&detected), "detected after {detected}s");
    // Round robin sends exactly a third of the 300/s to the dead instance until then.
    within("calls failed by the crash", f.requests_failed, 300.0 / 3.0 * detected, 20.0);
    // Every failed request is the crash's, and none fails after detection.
    assert_eq!(s.requests.failed, f.requests_failed);
    assert_eq!(f.errors_during, f.requests_failed);
    let after: Vec<_> = s.windows.iter().filter(|w| w.t_s >= 120.0 + detected && w.errors_per_s > 0.0).collect();
    assert!(after.is_empty(), "errors after detection at t = {:?}", after.iter().map(|w| w.t_s).collect::<Vec<_>>());
    // Restarted after a minute, back in rotation at the next successful check.
    let recovered = f.recovered_after_s.expect("it comes back");
    assert!((60.0..=65.0).contains(&recovered), "recovered after {recovered}s");
    // The windows show the crash: errors at a third of the rate while undetected.
    let during: Vec<_> =
        s.windows.iter().filter(|w| w.t_s >= 120.0 && w.t_s + s.window_s <= 120.0 + detected).collect();
    assert!(!during.is_empty());
    for w in during {
        assert!(
            (w.errors_per_s - 100.0).abs() < 5.0 * (100.0 / s.window_s).sqrt() + 5.0,
            "{}: {}",
            w.t_s,
            w.errors_per_s
        );
    }
}

#[test]
fn without_health_checks_only_held_calls_fail() {
    let text = crash_text().replace("health_check = { interval = \"5s\", failures = 3 }\n", "");
    let s = run_text("no-health-checks.toml", &text);
    let f = &s.faults[0];
    assert_eq!(f.detected_after_s, Some(0.0), "an ideal registry notices at once");
    assert!(f.requests_failed <= 20, "{} calls failed", f.requests_failed);
    assert_eq!(f.recovered_after_s, Some(60.0));
}

#[test]
fn without_a_balancer_the_dead_instance_keeps_its_share_until_restart() {
    // Callers reach the instances directly (round robin, like DNS): nobody takes the dead
    // one out, so a third of the calls fail for the whole minute.
    let text = crash_text()
        .replace("[components.lb]\nkind = \"load_balancer\"\npolicy = \"round_robin\"\nbackends = \"app\"\ninstance_type = \"alb\"\nhealth_check = { interval = \"5s\", failures = 3 }\n", "");
    let s = run_text("direct.toml", &text);
    let f = &s.faults[0];
    assert_eq!(f.detected_after_s, None);
    assert_eq!(f.recovered_after_s, Some(60.0));
    within("calls failed", f.requests_failed, 300.0 / 3.0 * 60.0, 20.0);
}

#[test]
fn database_down_fails_every_request_while_it_lasts() {
    let s = crate::run_with("scenarios/time/database-down.toml", RunOptions::default());
    let f = &s.faults[0];
    assert_eq!((f.kind.as_str(), f.detected_after_s, f.recovered_after_s), ("component_down", None, Some(30.0)));
    within("requests failed", f.requests_failed, 200.0 * 30.0, 20.0);
    assert_eq!(s.requests.failed, f.requests_failed);
    for w in &s.windows {
        let inside = w.t_s >= 120.0 && w.t_s + s.window_s <= 150.0;
        let outside = w.t_s + s.window_s <= 120.0 || w.t_s >= 150.0 + s.window_s;
        if inside {
            assert_eq!(w.throughput_per_s, 0.0, "t={}: nothing completes without the database", w.t_s);
        }
        if outside {
            assert_eq!(w.errors_per_s, 0.0, "t={}", w.t_s);
        }
    }
}

#[test]
fn link_faults_add_latency_then_lose_calls() {
    let s = crate::run_with("scenarios/time/link-faults.toml", RunOptions::default());
    let (lat, loss) = (&s.faults[0], &s.faults[1]);
    assert_eq!((lat.kind.as_str(), lat.target.as_str(), lat.requests_failed), ("link_latency", "app-db", 0));
    // 50 ms more each way: the median request takes 100 ms longer during the fault.
    let p99 = |from: f64, to: f64| {
        let ws: Vec<f64> = s
            .windows
            .iter()
            .filter(|w| w.t_s >= from && w.t_s + s.window_s <= to)
            .map(|w| w.latency_s_p99.unwrap_or(0.0))
            .collect();
        ws.iter().sum::<f64>() / ws.len() as f64
    };
    let (before, during) = (p99(30.0, 120.0), p99(125.0, 180.0));
    assert!((during - before - 0.100).abs() < 0.010, "P99 {before} before, {during} during");
    // 5% of 200/s for 60 s are lost and time out at the app's 2 s call timeout.
    let n: f64 = 200.0 * 60.0;
    let se = (n * 0.05 * 0.95).sqrt();
    assert!((loss.requests_failed as f64 - 0.05 * n).abs() < 5.0 * se, "{} lost", loss.requests_failed);
    assert_eq!(s.requests.timed_out, loss.requests_failed);
    assert_eq!(s.requests.failed, 0);
}

#[test]
fn time_features_are_deterministic_whatever_the_thread_count() {
    // Faults, health checks, sticky sessions and a shaped load, over several replications.
    let opts = RunOptions { replications: Some(3), duration_ns: Some(180_000_000_000), ..Default::default() };
    let json = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            [
                "scenarios/time/sticky-sessions.toml",
                "scenarios/time/autoscale-spike.toml",
                "scenarios/time/region-outage.toml",
                "scenarios/time/primary-failover.toml",
            ]
            .map(|p| serde_json::to_string(&crate::run_with(p, opts.clone())).unwrap())
        })
    };
    let one = json(1);
    assert_eq!(one, json(2));
    assert_eq!(one, json(3));
}
