//! Invariants on every shipped scenario: conservation, Little's law, the utilization law,
//! and byte-identical output whatever the thread count.

use crate::run_with;
use stagesim::runner::RunOptions;
use std::path::Path;

/// Every `.toml` file under `scenarios/` but the challenge files (which are no scenarios), sorted
/// by path: scenarios, journey stages and journeys.
pub fn scenario_tomls() -> Vec<std::path::PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "toml") && !p.ends_with("challenge.toml") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"), &mut out);
    out.sort();
    out
}

/// Every `.toml` scenario under `scenarios/` (journey files excepted), relative to the crate.
pub fn shipped() -> Vec<String> {
    let out: Vec<String> = scenario_tomls()
        .into_iter()
        .filter(|p| !p.ends_with("journey.toml"))
        .map(|p| p.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(out.len() >= 3, "scenarios found: {out:?}");
    out
}

fn short() -> RunOptions {
    RunOptions { duration_ns: Some(60_000_000_000), ..Default::default() }
}

#[test]
fn conservation_littles_law_and_utilization_on_every_scenario() {
    for path in shipped() {
        let s = run_with(&path, short());
        let r = &s.requests;
        assert_eq!(r.arrived, r.completed + r.failed + r.rejected + r.timed_out + r.in_flight, "{path}: conservation");
        assert!(r.arrived > 0, "{path}: no traffic");
        if r.error_ratio == 0.0 && r.in_flight == 0 {
            // L = lambda W, over the measured period; 2% covers requests straddling its ends.
            let little = s.throughput_per_s * s.latency_s.mean;
            let rel = (s.requests_in_system_mean - little).abs() / little;
            assert!(rel < 0.02, "{path}: Little's law L={} vs lambda*W={little}", s.requests_in_system_mean);
        }
        for (name, c) in &s.components {
            if c.service_s_mean > 0.0 && c.servers > 0 {
                // Utilization law U = X S / c, with the measured throughput and service time;
                // c is the time-average capacity where it changes (autoscaling, crashes).
                let servers = c.extra.get("servers_mean").copied().unwrap_or(f64::from(c.servers));
                let law = c.throughput_per_s * c.service_s_mean / servers;
                assert!(
                    (c.utilization_mean - law).abs() < 0.02 + 0.02 * law,
                    "{path}/{name}: U={} vs XS/c={law}",
                    c.utilization_mean
                );
            }
        }
    }
}

#[test]
fn same_seed_same_bytes_whatever_the_thread_count() {
    let path = "scenarios/queueing/tandem.toml";
    let opts = RunOptions { replications: Some(4), duration_ns: Some(20_000_000_000), ..Default::default() };
    let json = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| serde_json::to_string(&run_with(path, opts.clone())).unwrap())
    };
    let one = json(1);
    assert_eq!(one, json(2));
    assert_eq!(one, json(4));
    let other_seed = serde_json::to_string(&run_with(path, RunOptions { seed: Some(99), ..opts.clone() })).unwrap();
    assert_ne!(one, other_seed, "the seed must matter");
}

#[test]
fn adding_a_component_leaves_the_arrivals_unchanged() {
    let base = crate::scenario("scenarios/queueing/mm1.toml");
    let text = std::fs::read_to_string(format!("{}/scenarios/queueing/mm1.toml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let extended = text
        .replace("service_time = \"exp(mean = 1ms)\"", "service_time = \"exp(mean = 1ms)\"\ncalls = [\"db.read\"]")
        + "\n[components.db]\nkind = \"database\"\nconnections = 4\nread_time = \"exp(mean = 0.3ms)\"\n";
    let ext = stagesim::parse_scenario("extended.toml", &extended).unwrap();
    let opts = short();
    let a = stagesim::run(&stagesim::runner::apply(&base, &opts));
    let b = stagesim::run(&stagesim::runner::apply(&ext, &opts));
    assert_eq!(a.requests.arrived, b.requests.arrived);
    // Window by window while arrivals last (the runs may drain for different times after).
    let arrivals =
        |s: &stagesim::Summary| s.windows.iter().filter(|w| w.t_s < 60.0).map(|w| w.arrivals_per_s).collect::<Vec<_>>();
    assert_eq!(arrivals(&a), arrivals(&b));
    assert!(b.latency_s.mean > a.latency_s.mean, "the database adds latency");
}

#[test]
fn detected_warmup_is_reported_and_bounded() {
    let text = std::fs::read_to_string(format!("{}/scenarios/queueing/mm1.toml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let auto = text.replace("warmup = \"10s\"", "warmup = \"auto\"");
    let m = stagesim::parse_scenario("auto.toml", &auto).unwrap();
    let s = stagesim::run(&stagesim::runner::apply(&m, &short()));
    assert!(s.warmup_detected);
    assert!(s.warmup_s <= 30.0, "MSER searches the first half only: {}", s.warmup_s);
    // The measured window ends at the duration (60 s), not where the drain ended.
    assert!((s.measured_s + s.warmup_s - 60.0).abs() < 1e-6);
    let r = &s.requests;
    assert_eq!(r.arrived, r.completed + r.failed + r.rejected + r.timed_out + r.in_flight);
}
