//! Bounds that hold on every summary: probabilities, utilizations and ratios in [0, 1], no
//! time-average queue above its maximum, no NaN; on overloaded designs (the probes in
//! `tests/fixtures/overload/`) and on every shipped scenario. Plus the measured window,
//! partial runs and the busiest node.

use crate::run_with;
use serde_json::Value;
use stagesim::runner::RunOptions;
use std::process::Command;

const PROBES: [&str; 5] = [
    "tests/fixtures/overload/crash-under-load.toml",
    "tests/fixtures/overload/overloaded-shards.toml",
    "tests/fixtures/overload/pegged-replicas.toml",
    "tests/fixtures/overload/waiting-workers.toml",
    "tests/fixtures/overload/component-down.toml",
];

/// Fields that may be null: an infinite cost per request (nothing completed), a window in
/// which nothing completed, a fault nothing detected or that never recovered.
/// Also the bottleneck (null when nothing is wrong) and its node (null for a one-node component).
const NULLABLE: [&str; 7] = [
    "usd_per_million_requests",
    "latency_s_p99",
    "latency_s_mean",
    "detected_after_s",
    "recovered_after_s",
    "bottleneck",
    "node",
];

/// Every violation in a serialized summary, as `path: what`.
fn violations(v: &Value, path: &str, out: &mut Vec<String>) {
    let name = path.rsplit('.').next().unwrap_or("");
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                violations(x, &format!("{path}.{k}"), out);
            }
            if let (Some(mean), Some(max)) =
                (m.get("queue_mean").and_then(Value::as_f64), m.get("queue_max").and_then(Value::as_f64))
            {
                if mean > max + 1e-9 {
                    out.push(format!("{path}: queue_mean {mean} above queue_max {max}"));
                }
            }
            let (mean, max) =
                (m.get("node_queue_mean").and_then(Value::as_f64), m.get("node_queue_max").and_then(Value::as_f64));
            if let (Some(mean), Some(max)) = (mean, max) {
                if mean > max + 1e-9 {
                    out.push(format!("{path}: node_queue_mean {mean} above node_queue_max {max}"));
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                violations(x, &format!("{path}[{i}]"), out);
            }
        }
        // serde_json writes NaN and infinities as null.
        Value::Null if !NULLABLE.iter().any(|n| name.starts_with(n)) => out.push(format!("{path}: null (NaN?)")),
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            // Also the per-component maps of the time series (`windows[i].utilization.app`).
            let parent = path.rsplit('.').nth(1).unwrap_or("");
            let bounded = [name, parent]
                .iter()
                .any(|n| n.ends_with("probability") || n.ends_with("utilization") || n.ends_with("_ratio"));
            if bounded && !(0.0..=1.0).contains(&x) {
                out.push(format!("{path}: {x} outside [0, 1]"));
            }
        }
        _ => {}
    }
}

fn check_bounds(label: &str, s: &stagesim::Summary) {
    let v = serde_json::to_value(s).unwrap();
    let mut out = Vec::new();
    violations(&v, "", &mut out);
    assert!(out.is_empty(), "{label}:\n{}", out.join("\n"));
    for (name, c) in &s.components {
        assert!(!c.nodes.is_empty(), "{label}/{name}: no nodes");
        let busiest = c.nodes.iter().find(|n| n.name == c.busiest_node).expect("the busiest node is a node");
        assert_eq!(busiest.utilization, c.utilization, "{label}/{name}");
        assert!(c.nodes.iter().all(|n| n.utilization <= c.utilization), "{label}/{name}");
    }
}

#[test]
fn overload_probes_stay_within_bounds() {
    for path in PROBES {
        check_bounds(path, &run_with(path, RunOptions::default()));
        let two = RunOptions { replications: Some(2), duration_ns: Some(15_000_000_000), ..Default::default() };
        check_bounds(path, &run_with(path, two));
    }
}

#[test]
fn shipped_scenarios_stay_within_bounds() {
    for path in crate::invariants::shipped() {
        check_bounds(&path, &run_with(&path, RunOptions { duration_ns: Some(20_000_000_000), ..Default::default() }));
    }
}

/// The issue's case: reads pegging a replica while the primary idles. The component's
/// utilization is the replica's, named; the all-server average is kept beside it.
#[test]
fn a_pegged_replica_is_the_databases_utilization() {
    let s = run_with(PROBES[2], RunOptions::default());
    let db = &s.components["db"];
    assert!(db.utilization > 0.99, "{}", db.utilization);
    assert!(db.busiest_node.starts_with("replica "), "{}", db.busiest_node);
    assert!(db.utilization_mean < 0.8, "{}", db.utilization_mean);
    let text = stagesim::report::text::render(&s);
    assert!(text.contains(&format!("hot spot: db {}", db.busiest_node)), "{text}");
}

fn bin(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stagesim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("the binary runs");
    let (o, e) = (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
    assert!(!e.contains("panicked"), "{e}");
    (out.status.code(), o, e)
}

/// `components.db.utilization < 0.7` fails where a replica is pegged, and says which node.
#[test]
fn a_utilization_threshold_fails_on_the_pegged_replica() {
    let dir = std::env::temp_dir().join(format!("stagesim-bounds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(format!("{}/{}", env!("CARGO_MANIFEST_DIR"), PROBES[2])).unwrap();
    let file = dir.join("pegged.toml");
    std::fs::write(&file, text + "\n[thresholds.components.db]\nutilization = \"< 0.7\"\n").unwrap();
    let (code, out, _) = bin(&["check", file.to_str().unwrap(), "--duration", "15s", "--replications", "2"]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("busiest node: db replica"), "{out}");
}

/// A run the event limit stops during warm-up: the time it reached, nothing measured,
/// partial, exit 5, even with a failing threshold.
#[test]
fn a_run_stopped_by_a_limit_says_so() {
    let dir = std::env::temp_dir().join(format!("stagesim-partial-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(format!("{}/{}", env!("CARGO_MANIFEST_DIR"), PROBES[2])).unwrap();
    let file = dir.join("limited.toml");
    // The event budget refuses a limit the run could not get past, so the limit sits just above
    // the budget's lower bound and a long warm-up holds the point the run reaches.
    let text = text.replace("warmup = \"5s\"", "warmup = \"30s\"");
    let limited = text + "\n[limits]\nmax_events = 480000\n\n[thresholds]\nthroughput = \"rate > 1000000/s\"\n";
    std::fs::write(&file, limited).unwrap();
    let f = file.to_str().unwrap();
    let (code, out, _) = bin(&["run", f, "--format", "json"]);
    assert_eq!(code, Some(5));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["partial"].as_bool(), v["stop_reason"].as_str()), (Some(true), Some("event_limit")));
    assert!(v["simulated_s"].as_f64().unwrap() < 30.0, "the time reached, not the duration");
    assert_eq!(v["measured_s"].as_f64(), Some(0.0));
    let mut bad = Vec::new();
    violations(&v, "", &mut bad);
    assert!(bad.is_empty(), "{bad:?}");
    let (code, out, _) = bin(&["run", f]);
    assert_eq!(code, Some(5));
    assert!(out.contains("PARTIAL: a limit stopped the run (event_limit)"), "{out}");
    let (code, out, _) = bin(&["check", f, "--replications", "2"]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, Some(5), "partial wins over the failed threshold:\n{out}");
    assert!(out.contains("PARTIAL"), "{out}");
}

/// Rates and utilizations cover warm-up end to the duration, not the drain after it.
#[test]
fn the_drain_does_not_dilute_rates() {
    let text = r#"
[scenario]
name = "backlog at the end"
duration = "20s"
warmup = "2s"
drain = "2m"
seed = 4

[load]
rate = "1100/s"

[components.app]
kind = "service"
cores = 1
max_in_flight = 100000
queue = 100000
service_time = "exp(mean = 1ms)"
"#;
    let m = stagesim::parse_scenario("backlog.toml", text).unwrap();
    let s = stagesim::run(&m);
    assert!(s.simulated_s > 21.0, "the backlog drains after the duration: {}", s.simulated_s);
    assert_eq!(s.measured_s, 18.0);
    let app = &s.components["app"];
    // Overloaded: busy the whole window (the drain would have diluted it otherwise).
    assert!(app.utilization > 0.99 && app.utilization <= 1.0, "{}", app.utilization);
    assert!((app.throughput_per_s - 1000.0).abs() < 30.0, "served at capacity: {}", app.throughput_per_s);
    assert!(s.throughput_per_s > 1050.0, "window arrivals count when they complete in the drain");
}

/// A window in which every request failed has no P99.
#[test]
fn a_window_with_nothing_completed_has_no_p99() {
    let text = r#"
[scenario]
name = "all time out"
duration = "10s"
seed = 4

[load]
rate = "200/s"
timeout = "1ms"

[components.app]
kind = "service"
cores = 8
service_time = "20ms"
"#;
    let s = stagesim::run(&stagesim::parse_scenario("late.toml", text).unwrap());
    assert_eq!(s.requests.completed, 0);
    assert!(s.windows.iter().all(|w| w.latency_s_p99.is_none() && w.latency_s_mean.is_none()));
}
