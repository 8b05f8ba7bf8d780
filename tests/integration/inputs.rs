//! Input limits: file sizes and encodings, command-line counts, unit ranges and the event
//! budget, each a clear error at its place with the documented exit code. The cases that
//! used to take minutes or gigabytes run the binary under a memory cap and a time guard in
//! the slow tier.

use crate::capped::run_capped;
use stagesim::diag::Error;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Writes `bytes` to a fresh file in the temporary directory; returns its path.
fn temp_file(name: &str, bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("stagesim-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

/// A shipped scenario with `from` replaced by `to`, written to a temporary file.
fn variant(shipped: &str, name: &str, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(format!("{ROOT}/{shipped}")).unwrap();
    assert!(text.contains(from), "{shipped} has no `{from}`");
    temp_file(name, text.replacen(from, to, 1).as_bytes())
}

fn exit_code(args: &[&str]) -> i32 {
    let mut all = vec!["stagesim".to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    stagesim::cli::main_with_args(all.into_iter().map(std::ffi::OsString::from))
}

/// The only diagnostic of an invalid input.
fn diagnostic(e: Error) -> stagesim::diag::Diagnostic {
    match e {
        Error::Invalid(mut d) if d.len() == 1 => d.remove(0),
        other => panic!("expected one diagnostic, got {other}"),
    }
}

#[test]
fn a_latin1_byte_in_a_scenario_is_invalid_at_its_line_and_column() {
    let text = std::fs::read(format!("{ROOT}/scenarios/queueing/mm1.toml")).unwrap();
    let mut bad = b"# Caf\xe9 M/M/1\n".to_vec();
    bad.extend(text);
    let path = temp_file("latin1.toml", &bad);
    let d = diagnostic(stagesim::load_scenario(&path).unwrap_err());
    assert_eq!((d.line, d.column), (1, 6), "{d}");
    assert!(d.message.contains("0xE9") && d.help.contains("UTF-8"), "{d}");
    assert!(d.source_line.starts_with("# Caf"), "{d}");
    assert_eq!(exit_code(&["validate", &path]), 3);
}

#[test]
fn a_latin1_byte_in_a_trace_is_invalid_in_the_trace() {
    let dir = std::path::Path::new(&temp_file("probe", b"")).parent().unwrap().to_path_buf();
    std::fs::write(dir.join("latin1.csv"), b"time,rate\n0,100\n60,200 # \xe9\n").unwrap();
    let path =
        variant("scenarios/time/replay.toml", "replay-latin1.toml", "\"traces/monday-morning.csv\"", "\"latin1.csv\"");
    let d = diagnostic(stagesim::load_scenario(&path).unwrap_err());
    assert!(d.file.ends_with("latin1.csv") && (d.line, d.column) == (3, 10), "{d}");
}

#[test]
fn a_file_over_the_limit_fails_at_once_naming_the_limit() {
    let path = temp_file("big.toml", &[b'#'; 4096]);
    let e = stagesim::load::read_limited(std::path::Path::new(&path), &path, 1024, "scenario").unwrap_err();
    let stagesim::load::ReadError::Invalid(d) = e else { panic!("expected a diagnostic") };
    assert!(d.message.contains("larger than") && d.file == path, "{d}");
    // Exactly at the limit is fine.
    let ok = temp_file("exact.toml", &[b'#'; 1024]);
    assert!(stagesim::load::read_limited(std::path::Path::new(&ok), &ok, 1024, "scenario").is_ok());
}

#[test]
fn replication_counts_are_validated() {
    let mm1 = format!("{ROOT}/scenarios/queueing/mm1.toml");
    assert_eq!(exit_code(&["run", &mm1, "--replications", "0"]), 2);
    assert_eq!(exit_code(&["run", &mm1, "--replications", "4294967295"]), 2);
    assert_eq!(exit_code(&["check", &mm1, "--max-replications", "100000"]), 2);
    let e = stagesim::runner::check_replications(10_001, "--replications").unwrap_err();
    assert!(e.contains("maximum of 10000"), "{e}");
    let path = variant("scenarios/queueing/mm1.toml", "reps.toml", "seed = 1", "seed = 1\nreplications = 20000");
    let d = diagnostic(stagesim::load_scenario(&path).unwrap_err());
    assert!(d.key == "scenario.replications" && d.line == 9, "{d}");
    assert_eq!(exit_code(&["sweep", &mm1, "--key", "load.x", "--from", "1", "--to", "inf"]), 2);
}

#[test]
fn timer_intervals_rates_and_durations_have_ranges() {
    let hc = variant("scenarios/time/crash-behind-balancer.toml", "hc.toml", "interval = \"5s\"", "interval = \"1ns\"");
    let d = diagnostic(stagesim::load_scenario(&hc).unwrap_err());
    assert!(d.key.ends_with("health_check.interval") && d.message.contains("1ms minimum"), "{d}");
    assert_eq!(d.line, 25);
    let rate = variant("scenarios/queueing/mm1.toml", "rate.toml", "\"800/s\"", "\"1.8e19/s\"");
    let d = diagnostic(stagesim::load_scenario(&rate).unwrap_err());
    assert!(d.key == "load.rate" && d.message.contains("maximum of 100M/s"), "{d}");
    let long = variant("scenarios/time/stages.toml", "long.toml", "duration = \"12m\"", "duration = \"1e9s\"");
    let d = diagnostic(stagesim::load_scenario(&long).unwrap_err());
    assert!(d.key == "scenario.duration" && d.message.contains("3650d") && d.line == 7, "{d}");
    // The longest duration validates (its traffic is over after 12 minutes).
    let max = variant("scenarios/time/stages.toml", "max.toml", "duration = \"12m\"", "duration = \"3650d\"");
    stagesim::load_scenario(&max).unwrap();
    // New spellings work in scenarios.
    let spelled = variant("scenarios/queueing/mm1.toml", "spelled.toml", "\"800/s\"", "\"48k rpm\"");
    let m = stagesim::load_scenario(&spelled).unwrap();
    assert_eq!(m.load.rate_per_s, 800.0);
}

#[test]
fn a_run_over_the_event_budget_is_refused_at_its_duration() {
    let path = variant("scenarios/queueing/mm1.toml", "budget.toml", "\"800/s\"", "\"1e6/s\"");
    let path = {
        let t = std::fs::read_to_string(&path).unwrap().replace("duration = \"10m\"", "duration = \"1h\"");
        temp_file("budget-1h.toml", t.as_bytes())
    };
    let d = diagnostic(stagesim::load_scenario(&path).unwrap_err());
    assert!(d.key == "scenario.duration" && d.line == 6, "{d}");
    assert!(d.message.contains("max_events") && d.help.contains("shorten `duration`"), "{d}");
    assert!(d.help.contains("raise `[limits] max_events`"), "{d}");
    assert_eq!(exit_code(&["validate", &path]), 3);
    // Overrides on the command line are checked too, and name the option.
    let lb = format!("{ROOT}/scenarios/recipeshare/03-load-balancer.toml");
    // `--load` is applied before validation (k6 overrides), so the budget error is exit 3 there.
    assert_eq!(exit_code(&["explain", &lb, "--load", "1e6/s"]), 3);
    let mm1 = format!("{ROOT}/scenarios/queueing/mm1.toml");
    assert_eq!(exit_code(&["run", &mm1, "--duration", "3000d"]), 2);
}

/// Every shipped scenario file, and every journey.
fn shipped() -> (Vec<String>, Vec<String>) {
    let files = crate::invariants::scenario_tomls().into_iter().map(|p| p.to_string_lossy().into_owned());
    files.partition(|f| !std::fs::read_to_string(f).unwrap().contains("[journey]"))
}

#[test]
fn no_shipped_scenario_or_journey_is_refused() {
    let (scenarios, journeys) = shipped();
    assert!(scenarios.len() > 30 && journeys.len() >= 5);
    for f in &scenarios {
        stagesim::load_scenario(f).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    for f in &journeys {
        let j = stagesim::journey::load_journey(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        // The journey's check load, if it has one, fits the budget of every stage.
        if let Some(rate) = j.check_rate {
            for s in &j.stages {
                let m = stagesim::journey::run::at_rate(&j, &s.model, rate);
                stagesim::budget::check(&m).unwrap_or_else(|b| panic!("{f} {}: {}", s.name, b.message()));
            }
        }
    }
}

#[test]
fn the_event_bound_is_below_what_shipped_scenarios_use() {
    let (scenarios, _) = shipped();
    for f in &scenarios {
        let m = stagesim::load_scenario(f).unwrap();
        let m = stagesim::runner::apply(
            &m,
            &stagesim::runner::RunOptions { duration_ns: Some(20_000_000_000), ..Default::default() },
        );
        let bound = stagesim::budget::events_lower_bound(&m);
        let used = stagesim::runner::run_once(&m, 0).events;
        assert!(bound <= used as f64, "{f}: bound {bound} > {used} events used");
    }
}

#[test]
#[ignore = "slow tier"]
fn slow_validate_costs_the_same_whatever_the_duration() {
    let max = variant("scenarios/time/stages.toml", "slow-max.toml", "duration = \"12m\"", "duration = \"3650d\"");
    let r = run_capped(&["validate", &max], 512, 20);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("ok"));
    let long = variant("scenarios/time/stages.toml", "slow-long.toml", "duration = \"12m\"", "duration = \"1e9s\"");
    let r = run_capped(&["validate", &long], 512, 20);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(r.stderr.contains("3650d"), "{}", r.stderr);
}

#[test]
#[ignore = "slow tier"]
fn slow_dev_zero_is_refused_at_once() {
    let r = run_capped(&["validate", "/dev/zero"], 256, 20);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(r.stderr.contains("/dev/zero:1:1") && r.stderr.contains("16 MiB"), "{}", r.stderr);
    let trace =
        variant("scenarios/time/replay.toml", "zero-trace.toml", "\"traces/monday-morning.csv\"", "\"/dev/zero\"");
    let r = run_capped(&["validate", &trace], 512, 20);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(r.stderr.contains("128 MiB limit for a CSV trace"), "{}", r.stderr);
    let r = run_capped(&["check", "scenarios/ci/capacity.toml", "--baseline", "/dev/zero"], 256, 20);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
}

#[test]
#[ignore = "slow tier"]
fn slow_huge_counts_and_tiny_timers_are_refused_at_once() {
    let r = run_capped(&["run", "scenarios/queueing/mm1.toml", "--replications", "4294967295"], 256, 20);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("maximum of 10000"), "{}", r.stderr);
    let hc =
        variant("scenarios/time/crash-behind-balancer.toml", "slow-hc.toml", "interval = \"5s\"", "interval = \"1ns\"");
    let r = run_capped(&["run", &hc], 256, 20);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    let fast = variant("scenarios/queueing/mm1.toml", "slow-rate.toml", "\"800/s\"", "\"1.8e19/s\"");
    let r = run_capped(&["run", &fast], 256, 20);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    let r = run_capped(&["explain", "scenarios/recipeshare/03-load-balancer.toml", "--load", "1e6/s"], 256, 20);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(r.stderr.contains("max_events"), "{}", r.stderr);
}
