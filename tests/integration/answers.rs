//! Answers that point the right way (issue 13): `run` names the bottleneck and warns when a
//! run is not in steady state, `explain`'s analytic estimate agrees with the simulation,
//! `compare` pairs designs on the same traffic, sweeps take units and give intervals.

use crate::{run_with, scenario};
use stagesim::analysis::Cause;
use stagesim::runner::{run, RunOptions};

const URL: &str = "scenarios/catalog/url-shortener.toml";

fn opts(duration: &str) -> RunOptions {
    RunOptions { duration_ns: Some(stagesim::units::parse_duration(duration).unwrap()), ..RunOptions::default() }
}

fn cli(args: &[&str]) -> Result<String, stagesim::Error> {
    use clap::Parser;
    let argv = std::iter::once("stagesim").chain(args.iter().copied());
    stagesim::cli::execute(stagesim::cli::Cli::try_parse_from(argv).expect("arguments parse"))
}

fn path(p: &str) -> String {
    format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))
}

/// The shipped URL shortener overloads its one read replica: `run` says so, naming the
/// replica, though the database's averaged utilization is far below 100%.
#[test]
fn url_shortener_names_the_pegged_replica() {
    let s = run_with(URL, opts("30s"));
    assert!(s.requests.error_ratio > 0.1, "the replica cannot keep up: {:?}", s.requests);
    let db = &s.components["db"];
    assert!(db.extra["replica_1_utilization"] > 0.97, "{:?}", db.extra);
    let b = s.bottleneck.as_ref().expect("errors occur: a bottleneck is named");
    assert_eq!(
        (b.component.as_str(), b.node.as_deref(), b.cause),
        ("db", Some("replica 1"), Cause::ReadLoad),
        "{}",
        b.sentence
    );
    assert!(b.relieved_by.contains("another read replica"), "{}", b.relieved_by);
    assert!(!b.relieved_by.contains("a cache for popular reads"), "it has one: {}", b.relieved_by);
    let text = stagesim::report::text::render(&s);
    assert!(text.contains("bottleneck `db` (database, replica 1) saturates first"), "{text}");
}

/// A run with room everywhere and no errors names no bottleneck and lists no limits.
#[test]
fn a_healthy_run_names_nothing() {
    let s = run_with("scenarios/catalog/read-replicas.toml", opts("40s"));
    assert_eq!(s.requests.error_ratio, 0.0);
    assert!(s.bottleneck.is_none(), "{:?}", s.bottleneck);
    let text = stagesim::report::text::render(&s);
    assert!(!text.contains("LIMITS HIT") && !text.contains("bottleneck"), "{text}");
}

/// A cache far larger than what a minute of reads can fill is still filling at the end:
/// warned. The shipped cache catalog, full after its warm-up, is not.
#[test]
fn a_cold_cache_is_warned_about_and_a_warm_one_is_not() {
    let mut cold = scenario(URL);
    cold.load.rate_per_s = 3000.0;
    let text = std::fs::read_to_string(path(URL)).unwrap().replace("capacity = 50_000", "capacity = 800_000");
    let mut big = stagesim::parse_scenario("big-cache.toml", &text).unwrap();
    big.load.rate_per_s = 3000.0;
    let s = run(&big);
    let w: Vec<_> = s.warnings.iter().filter(|w| w.kind == "cache_filling").collect();
    assert_eq!(w.len(), 1, "{:?}", s.warnings);
    assert!(w[0].message.contains("still filling"), "{}", w[0].message);
    assert!(stagesim::report::text::render(&s).contains("WARNING    cache `cache` is still filling"));
    // `explain` says why its steady-state estimate and this cold run differ.
    let e = stagesim::explain::explain(&big, Some(&s));
    let db = e.rows.iter().find(|r| r.component == "db").unwrap();
    assert!(db.note.as_deref().is_some_and(|n| n.contains("still cold")), "{:?}", db.note);
    cold.load.rate_per_s = 3000.0;
    let warm = run(&cold);
    assert!(warm.warnings.is_empty(), "the 50k-key cache fills within the warm-up: {:?}", warm.warnings);
    let catalog = run_with("scenarios/catalog/cache.toml", opts("2m"));
    assert!(catalog.warnings.is_empty(), "{:?}", catalog.warnings);
}

/// Queue workers that cannot keep up: the backlog grows to the end (warned); the shipped
/// queue catalog settles (not warned).
#[test]
fn a_growing_queue_is_warned_about() {
    let text = std::fs::read_to_string(path("scenarios/catalog/queue.toml")).unwrap();
    let mut m = stagesim::parse_scenario("queue.toml", &text).unwrap();
    let settled = run(&stagesim::runner::apply(&m, &opts("60s")));
    assert!(!settled.warnings.iter().any(|w| w.kind == "queue_growing"), "{:?}", settled.warnings);
    m.load.rate_per_s *= 3.0;
    let s = run(&stagesim::runner::apply(&m, &opts("60s")));
    assert!(s.warnings.iter().any(|w| w.kind == "queue_growing"), "{:?}", s.warnings);
}

/// `explain`'s analytic estimate and the simulation agree within 15 points on designs in
/// steady state with caches, replicas and queue workers, and name the same component first.
#[test]
fn explain_agrees_with_the_simulation_in_steady_state() {
    let designs: [(&str, Option<f64>, &str); 4] = [
        ("scenarios/catalog/cache.toml", None, "2m"),
        ("scenarios/catalog/queue.toml", None, "2m"),
        ("scenarios/catalog/read-replicas.toml", None, "1m"),
        (URL, Some(4000.0), "40s"),
    ];
    for (file, rate, duration) in designs {
        let mut m = stagesim::runner::apply(&scenario(file), &opts(duration));
        if let Some(r) = rate {
            m.load.rate_per_s = r;
        }
        let s = run(&m);
        assert!(s.warnings.is_empty(), "{file}: {:?}", s.warnings);
        let e = stagesim::explain::explain(&m, Some(&s));
        for r in &e.rows {
            let measured = r.measured_utilization.unwrap();
            assert!(
                (r.predicted_utilization - measured).abs() <= 0.15,
                "{file}: `{}` estimate {:.3} ({}) vs simulation {measured:.3}",
                r.component,
                r.predicted_utilization,
                r.predicted_resource
            );
            assert!(r.note.is_none(), "{file}: {:?}", r.note);
        }
        assert_eq!(e.first_to_saturate, e.first_to_saturate_measured, "{file}");
    }
}

/// Where the estimate and the simulation differ, `explain` says why: here the workers wait
/// on a saturated store.
#[test]
fn explain_says_why_it_differs() {
    let text = r#"
[scenario]
name = "queue workers waiting on a slow store"
duration = "20s"
warmup = "5s"
[load]
rate = "800/s"
timeout = "3s"
[components.api]
kind = "service"
instance_type = "c5.xlarge"
instances = 2
service_time = "exp(mean = 1ms)"
calls = ["jobs"]
[components.jobs]
kind = "queue"
capacity = 200_000
workers = 16
work_time = "exp(mean = 2ms)"
calls = ["store.write", "store.write", "store.write", "store.write", "store.write"]
timeout = "2s"
[components.store]
kind = "database"
instance_type = "db.r5.large"
connections = 40
read_time = "exp(mean = 2ms)"
write_time = "exp(mean = 8ms)"
"#;
    let m = stagesim::parse_scenario("probe.toml", text).unwrap();
    let s = run(&m);
    let e = stagesim::explain::explain(&m, Some(&s));
    let jobs = e.rows.iter().find(|r| r.component == "jobs").unwrap();
    assert!(jobs.measured_utilization.unwrap() > 0.95);
    assert!(jobs.predicted_utilization >= 1.0, "workers held while they wait: {}", jobs.predicted_utilization);
    assert_eq!(e.first_to_saturate.as_deref(), Some("store"));
    assert_eq!(e.first_to_saturate_measured.as_deref(), Some("store"));
    // Busy while they wait: the estimate (capped at 100%) and the simulation agree.
    assert!((jobs.predicted_utilization.min(1.0) - jobs.measured_utilization.unwrap()).abs() <= 0.15);
}

/// Two designs on the same traffic: a second replica relieves the pegged one, and the paired
/// interval says the difference is significant.
#[test]
fn compare_pairs_designs_on_the_same_traffic() {
    let two = std::fs::read_to_string(path(URL)).unwrap().replace("replicas = 1", "replicas = 2");
    let dir = std::env::temp_dir().join(format!("stagesim-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let b = dir.join("two-replicas.toml");
    std::fs::write(&b, two.replace("duration = \"60s\"", "duration = \"20s\"")).unwrap();
    let a = dir.join("one-replica.toml");
    std::fs::write(&a, std::fs::read_to_string(path(URL)).unwrap().replace("duration = \"60s\"", "duration = \"20s\""))
        .unwrap();
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let json = cli(&["compare", a, b, "--replications", "3", "--format", "json"]).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["designs"].as_array().unwrap().len(), 2);
    assert_eq!(v["designs"][0]["bottleneck"]["node"], "replica 1");
    let errors = v["against_first"][0].as_array().unwrap().iter().find(|d| d["metric"] == "error_ratio").unwrap();
    assert!(errors["difference"].as_f64().unwrap() < -0.05, "{errors}");
    assert_eq!(errors["significant"], true, "{errors}");
    assert!(errors["difference_ci95"]["high"].as_f64().unwrap() < 0.0);
    let text = cli(&["compare", a, b, "--replications", "2"]).unwrap();
    assert!(text.contains("B against A") && text.contains("significant"), "{text}");
    // Different traffic is refused, naming the difference; --load makes the rates equal.
    std::fs::write(dir.join("faster.toml"), two.replace("rate = \"10k/s\"", "rate = \"12k/s\"")).unwrap();
    let faster = dir.join("faster.toml");
    let e = cli(&["compare", a, faster.to_str().unwrap()]).unwrap_err().to_string();
    assert!(e.contains("`load.rate`") && e.contains("\"10k/s\" vs \"12k/s\""), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

const SMALL: &str = r#"
[scenario]
name = "one service"
duration = "20s"
warmup = "2s"
seed = 3
[load]
rate = "500/s"
[components.app]
kind = "service"
cores = 1
service_time = "exp(mean = 1ms)"
"#;

/// `sweep --key load.rate` with rates, replications and intervals: the P99 bends as the
/// load nears the single core's 1000/s, and the chart is written.
#[test]
fn load_sweeps_take_units_and_give_intervals() {
    let dir = std::env::temp_dir().join(format!("stagesim-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("small.toml");
    std::fs::write(&file, SMALL).unwrap();
    let out = dir.join("out");
    let f = file.to_str().unwrap();
    let args = [
        "sweep",
        f,
        "--key",
        "load.rate",
        "--from",
        "300/s",
        "--to",
        "950/s",
        "--step",
        "50/s",
        "--replications",
        "3",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ];
    let v: serde_json::Value = serde_json::from_str(&cli(&args).unwrap()).unwrap();
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 14);
    assert_eq!(points[0]["value_text"], "300/s");
    assert!(points.iter().all(|p| p["latency_s_p99_ci95"]["low"].is_number()));
    let knee = v["knee"].as_f64().expect("a bend near saturation");
    assert!((600.0..=900.0).contains(&knee), "{knee}");
    let svg = std::fs::read_to_string(out.join("hockey-stick.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("P99 latency"));
    // Log-spaced; durations; a flat curve has no knee.
    let log = cli(&[
        "sweep",
        f,
        "--key",
        "load.rate",
        "--from",
        "10/s",
        "--to",
        "100/s",
        "--log",
        "--points",
        "3",
        "--format",
        "json",
    ])
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&log).unwrap();
    let rates: Vec<f64> = v["points"].as_array().unwrap().iter().map(|p| p["value"].as_f64().unwrap()).collect();
    assert!((rates[1] - 31.62).abs() < 1e-9, "{rates:?}");
    assert!(v["knee"].is_null(), "P99 barely moves at 1-10% load");
    let e = cli(&["sweep", f, "--key", "load.rate", "--from", "300", "--to", "900"]).unwrap_err().to_string();
    assert!(e.contains("with units"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `run --out` writes the summary and the time-series charts; shaped traffic gets a row
/// per stage.
#[test]
fn run_out_writes_charts_and_stages_get_rows() {
    let dir = std::env::temp_dir().join(format!("stagesim-run-out-{}", std::process::id()));
    let text = cli(&["run", &path("scenarios/time/stages.toml"), "--out", dir.to_str().unwrap()]).unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("utilization app"));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let periods = v["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 5, "one per stage");
    // The fourth stage holds 1000/s.
    assert!((periods[3]["arrivals_per_s_peak"].as_f64().unwrap() - 1000.0).abs() < 150.0);
    assert!(text.contains("period") && text.contains("peak rate/s"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
