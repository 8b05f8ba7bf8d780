//! Timeouts out of the heap (issues 14 and 17): a call that ends takes its timeout with it, so
//! pending timeouts never exceed live calls, and a flood of requests with a client timeout
//! runs in bounded memory to its event limit. Queues grow as they fill instead of reserving
//! their bound.

use crate::capped::run_capped;
use stagesim::parse_scenario;
use stagesim::runner::run_once;

/// The database is overloaded (utilization 1.05), so that timeouts fire while most calls
/// early in the run answer in time: both ways a deadline leaves its FIFO.
const TIMEOUTS: &str = r#"[scenario]
name = "timeouts"
duration = "20s"
seed = 5

[load]
rate = "350/s"
timeout = "300ms"

[components.app]
kind = "service"
cores = 4
service_time = "exp(mean = 2ms)"
calls = ["db"]
timeout = "150ms"

[components.db]
kind = "service"
cores = 1
max_in_flight = 1
queue = 1000
service_time = "exp(mean = 3ms)"
"#;

#[test]
fn pending_timeouts_never_exceed_live_calls() {
    let model = parse_scenario("timeouts.toml", TIMEOUTS).expect("valid");
    let run = run_once(&model, 0);
    assert!(run.total.outcomes.completed > 500, "{:?}", run.total.outcomes);
    let o = &run.total.outcomes;
    assert!(o.timed_out + o.failed > 100, "some timeouts fire: {o:?}");
    assert!(run.peak_timeouts > 0);
    assert!(
        run.peak_timeouts <= run.peak_calls,
        "pending timeouts {} exceed live calls {}",
        run.peak_timeouts,
        run.peak_calls
    );
}

#[test]
fn pending_timeouts_stay_within_live_calls_on_the_microservices_catalog() {
    let mut model = crate::scenario("scenarios/catalog/microservices.toml");
    model.duration = model.duration.min(60_000_000_000);
    let run = run_once(&model, 0);
    assert!(run.peak_timeouts > 0);
    assert!(run.peak_timeouts <= run.peak_calls, "{} > {}", run.peak_timeouts, run.peak_calls);
}

/// Writes `files` (name, text) into a fresh directory under the system's temporary one.
fn scratch(tag: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("stagesim-timers-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write");
    }
    dir
}

/// A flood that passes validation (rate and event budget) runs to its end in bounded memory:
/// on the engine before deadlines left the heap, its stale client timeouts (rate x timeout,
/// ten million at 1e6/s x 10 s) needed several hundred MiB; now pending timers never exceed
/// live calls, so 128 MiB of address space is plenty.
fn assert_bounded(file: &std::path::Path) {
    let out = run_capped(&["run", file.to_str().expect("utf-8")], 128, 600);
    assert!(!out.timed_out, "time guard fired");
    assert!(matches!(out.code, Some(0) | Some(5)), "{:?}\n{}\n{}", out.code, out.stdout, out.stderr);
    assert!(out.stdout.contains("ended:"), "{}", out.stdout);
}

/// The issue's own cases (1e8/s for a minute, one trace row at 1e9/s) are refused at once,
/// at their place, instead of growing until the machine aborts them.
fn assert_refused(file: &std::path::Path, what: &str) {
    let out = run_capped(&["run", file.to_str().expect("utf-8")], 128, 60);
    assert!(!out.timed_out, "time guard fired");
    assert_eq!(out.code, Some(3), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains(what), "{}", out.stderr);
}

fn flood(rate: &str) -> String {
    format!(
        "[scenario]\nname = \"flood\"\nduration = \"60s\"\nseed = 1\n\n[load]\nrate = \"{rate}\"\ntimeout = \"10s\"\n\n\
         [components.server]\nkind = \"service\"\ncores = 1\nmax_in_flight = 1\nqueue = 1000\n\
         service_time = \"exp(mean = 1ms)\"\n"
    )
}

fn trace_flood(rate: &str) -> (String, String) {
    let text = "[scenario]\nname = \"trace flood\"\nduration = \"60s\"\nseed = 1\n\n[load]\ntimeout = \"10s\"\n\n\
         [load.shape]\nkind = \"replay\"\nfile = \"flood.csv\"\n\n\
         [components.server]\nkind = \"service\"\ncores = 1\nmax_in_flight = 1\nqueue = 1000\n\
         service_time = \"exp(mean = 1ms)\"\n";
    (text.to_string(), format!("time_s,rate_per_s\n0,{rate}\n"))
}

#[test]
#[ignore = "slow tier"]
fn slow_a_flood_with_a_client_timeout_stays_in_bounded_memory() {
    let dir = scratch("flood", &[("flood.toml", &flood("1e6/s")), ("huge.toml", &flood("1e8/s"))]);
    assert_bounded(&dir.join("flood.toml"));
    assert_refused(&dir.join("huge.toml"), "max_events");
}

#[test]
#[ignore = "slow tier"]
fn slow_a_one_row_trace_at_1e9_per_second_stays_in_bounded_memory() {
    let (text, csv) = trace_flood("1000000");
    let dir = scratch("trace", &[("trace.toml", &text), ("flood.csv", &csv)]);
    assert_bounded(&dir.join("trace.toml"));
    let (text, csv) = trace_flood("1000000000");
    let dir = scratch("trace-huge", &[("trace.toml", &text), ("flood.csv", &csv)]);
    assert_refused(&dir.join("trace.toml"), "maximum of 100M");
}

#[test]
#[ignore = "slow tier"]
fn slow_ten_thousand_instances_with_deep_queues_fit_in_a_gib() {
    let text = "[scenario]\nname = \"wide\"\nduration = \"10s\"\nseed = 1\n\n[load]\nrate = \"1000/s\"\n\n\
        [components.lb]\nkind = \"load_balancer\"\npolicy = \"round_robin\"\nbackends = \"app\"\n\n\
        [components.app]\nkind = \"service\"\ninstance_type = \"m5.large\"\ninstances = 10000\nqueue = 100000\n\
        service_time = \"exp(mean = 5ms)\"\n";
    let dir = scratch("wide", &[("wide.toml", text)]);
    let out = run_capped(&["run", dir.join("wide.toml").to_str().expect("utf-8")], 1024, 600);
    assert!(!out.timed_out, "time guard fired");
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("ended: drained"), "{}", out.stdout);
}
