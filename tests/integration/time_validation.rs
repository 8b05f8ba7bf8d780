//! Bad input in the time features (load shapes, traces, closed models): each mistake is
//! reported at its file, line and column with the key, what is wrong and the fix; a mistake
//! inside a CSV trace is reported at the CSV's own line.

use stagesim::diag::Diagnostic;
use stagesim::{load_scenario, Error};
use std::path::PathBuf;

const BASE: &str = r#"[scenario]
name = "time input"
duration = "1h"

[load]
rate = "100/s"

[requests]
browse = 0.9
upload = 0.1

[components.app]
kind = "service"
service_time = "1ms"
"#;

/// A scenario (and files beside it) in a fresh temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str, scenario: &str, files: &[(&str, &str)]) -> TempDir {
        let dir = std::env::temp_dir().join(format!("stagesim-time-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("s.toml"), scenario).unwrap();
        for (f, text) in files {
            std::fs::write(dir.join(f), text).unwrap();
        }
        TempDir(dir)
    }
    fn scenario(&self) -> String {
        self.0.join("s.toml").to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn only_diagnostic(name: &str, text: &str, files: &[(&str, &str)]) -> (Diagnostic, TempDir) {
    let dir = TempDir::new(name, text, files);
    let diags = match load_scenario(&dir.scenario()) {
        Err(Error::Invalid(d)) => d,
        Err(e) => panic!("{name}: expected diagnostics, got {e}"),
        Ok(_) => panic!("{name}: accepted:\n{text}"),
    };
    let shown: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    assert_eq!(diags.len(), 1, "{name}: expected one diagnostic:\n{}", shown.join("\n"));
    (diags[0].clone(), dir)
}

/// Checks the diagnostic's place (the line containing `line_has` in `in_text`, at `column`),
/// key, message and help; then that the binary exits with 3 and prints the place.
#[allow(clippy::too_many_arguments)]
fn check(
    name: &str,
    text: &str,
    files: &[(&str, &str)],
    in_file: &str,
    line_has: &str,
    column: usize,
    key: &str,
    message: &str,
    help: &str,
) {
    let (d, dir) = only_diagnostic(name, text, files);
    let source = if in_file == "s.toml" { text } else { files.iter().find(|(f, _)| *f == in_file).unwrap().1 };
    let line = source.lines().position(|l| l.contains(line_has)).expect("marker line") + 1;
    let file = dir.0.join(in_file).to_string_lossy().into_owned();
    assert_eq!((d.file.as_str(), d.line, d.column), (file.as_str(), line, column), "{name}:\n{d}");
    assert_eq!(d.key, key, "{name}:\n{d}");
    assert!(d.message.contains(message), "{name}: message should contain `{message}`:\n{d}");
    assert!(d.help.contains(help), "{name}: help should contain `{help}`:\n{d}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stagesim"))
        .args(["validate", &dir.scenario()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(&format!("{file}:{line}:{column}")), "{stderr}");
}

fn with_shape(shape: &str) -> String {
    BASE.replace("[requests]", &format!("{shape}\n\n[requests]"))
}

#[test]
fn the_base_is_valid_and_shapes_load() {
    let dir =
        TempDir::new("base", &with_shape("[load.shape]\nkind = \"diurnal\"\npeak_hour = 20\npeak_to_trough = 3"), &[]);
    load_scenario(&dir.scenario()).expect("valid");
}

#[test]
fn key_of_another_kind() {
    let text = with_shape("[load.shape]\nkind = \"diurnal\"\npeak_hour = 20\npeak_to_trough = 3\nmultiplier = 10");
    check(
        "other-kind-key",
        &text,
        &[],
        "s.toml",
        "multiplier = 10",
        14,
        "load.shape.multiplier",
        "`multiplier` is not a key of a `diurnal` shape",
        "peak_hour",
    );
}

#[test]
fn unknown_shape_kind() {
    let text = with_shape("[[load.shapes]]\nkind = \"spik\"\nstart = \"1m\"\nmultiplier = 2");
    check(
        "unknown-kind",
        &text,
        &[],
        "s.toml",
        "kind = \"spik\"",
        8,
        "load.shapes.0.kind",
        "unknown shape kind `spik`",
        "`spike`",
    );
}

#[test]
fn bad_line_in_a_trace_points_into_the_csv() {
    let text = BASE.replace("rate = \"100/s\"", "[load.shape]\nkind = \"replay\"\nfile = \"trace.csv\"");
    let csv = "time_s,rate_per_s\n0,100\n60,lots\n120,80\n";
    check(
        "bad-csv",
        &text,
        &[("trace.csv", csv)],
        "trace.csv",
        "60,lots",
        4,
        "load.shape.file",
        "lots",
        "rate per second",
    );
}

#[test]
fn unsorted_trace() {
    let text = BASE.replace("rate = \"100/s\"", "[load.shape]\nkind = \"replay\"\nfile = \"trace.csv\"");
    let csv = "0,100\n60,90\n30,80\n";
    check(
        "unsorted-csv",
        &text,
        &[("trace.csv", csv)],
        "trace.csv",
        "30,80",
        1,
        "load.shape.file",
        "not after",
        "sort the trace",
    );
}

#[test]
fn missing_trace_file() {
    let text = BASE.replace("rate = \"100/s\"", "[load.shape]\nkind = \"replay\"\nfile = \"nowhere.csv\"");
    check(
        "missing-csv",
        &text,
        &[],
        "s.toml",
        "nowhere.csv",
        8,
        "load.shape.file",
        "cannot read trace",
        "relative to the scenario file",
    );
}

#[test]
fn mix_that_does_not_sum_to_one() {
    let text = with_shape(
        "[[load.shapes]]\nkind = \"spike\"\nstart = \"1m\"\nmultiplier = 3\nmix = { browse = 0.9, upload = 0.2 }",
    );
    check("mix-sum", &text, &[], "s.toml", "mix = {", 7, "load.shapes.0.mix", "sum to 1", "browse = 0.95");
}

#[test]
fn mix_on_a_factor_that_does_not_add_traffic() {
    let text =
        with_shape("[[load.shapes]]\nkind = \"diurnal\"\npeak_hour = 20\npeak_to_trough = 2\nmix = { browse = 1.0 }");
    check(
        "mix-diurnal",
        &text,
        &[],
        "s.toml",
        "mix = {",
        7,
        "load.shapes.0.mix",
        "only a shape that adds traffic",
        "combine = \"sum\"",
    );
}

#[test]
fn rate_and_a_rate_shape_both_set_the_level() {
    let text = with_shape("[load.shape]\nkind = \"stages\"\nstages = [{ duration = \"1m\", target = \"50/s\" }]");
    check(
        "two-levels",
        &text,
        &[],
        "s.toml",
        "rate = \"100/s\"",
        8,
        "load.rate",
        "both `rate` and the `stages or replay` shape",
        "remove `rate`",
    );
}

#[test]
fn factors_without_a_level() {
    let text = BASE.replace("rate = \"100/s\"", "[load.shape]\nkind = \"spike\"\nstart = \"1m\"\nmultiplier = 2");
    check("no-level", &text, &[], "s.toml", "[load]", 1, "load", "nothing gives the level", "rate = \"800/s\"");
}

#[test]
fn growth_without_a_percent() {
    let text = with_shape("[load.shape]\nkind = \"growth\"\ngrowth = \"10/week\"");
    check(
        "growth-percent",
        &text,
        &[],
        "s.toml",
        "growth = \"10/week\"",
        10,
        "load.shape.growth",
        "percentage",
        "10%/week",
    );
}

#[test]
fn offset_for_a_region_that_does_not_exist() {
    let text =
        with_shape("[load.shape]\nkind = \"diurnal\"\npeak_hour = 20\npeak_to_trough = 3\nutc_offsets = { mars = 3 }");
    check(
        "unknown-region",
        &text,
        &[],
        "s.toml",
        "utc_offsets",
        15,
        "load.shape.utc_offsets",
        "`mars` is not a user region",
        "[users] regions",
    );
}

#[test]
fn closed_model_with_a_rate() {
    let text =
        BASE.replace("rate = \"100/s\"", "rate = \"100/s\"\nconcurrent_users = 50\nthink_time = \"exp(mean = 2s)\"");
    check(
        "closed-and-rate",
        &text,
        &[],
        "s.toml",
        "rate = \"100/s\"",
        8,
        "load.rate",
        "does not apply to a closed model",
        "remove it",
    );
}

#[test]
fn closed_model_without_think_time() {
    let text = BASE.replace("rate = \"100/s\"", "concurrent_users = 50");
    check(
        "closed-no-think",
        &text,
        &[],
        "s.toml",
        "concurrent_users",
        20,
        "load.concurrent_users",
        "needs a `think_time`",
        "exp(mean = 5s)",
    );
}

#[test]
fn daily_users_without_requests_per_user() {
    let text = BASE.replace("rate = \"100/s\"", "daily_active_users = 1_000_000");
    check(
        "dau-alone",
        &text,
        &[],
        "s.toml",
        "daily_active_users",
        22,
        "load.daily_active_users",
        "needs `requests_per_user_per_day`",
        "requests_per_user_per_day = 40",
    );
}

#[test]
fn no_load_at_all() {
    let text = BASE.replace("rate = \"100/s\"\n", "");
    check("no-load", &text, &[], "s.toml", "[load]", 1, "load", "does not say how much traffic", "rate = \"800/s\"");
}

const POOL: &str = r#"[scenario]
name = "autoscale input"
duration = "1h"

[load]
rate = "100/s"

[components.lb]
kind = "load_balancer"
backends = "app"

[components.app]
kind = "service"
service_time = "1ms"

[components.app.autoscale]
min = 2
max = 20
scale_up_at = 0.7
scale_down_at = 0.3
"#;

fn pool(from: &str, to: &str) -> String {
    assert_eq!(POOL.matches(from).count(), 1, "{from}");
    POOL.replacen(from, to, 1)
}

#[test]
fn autoscale_base_is_valid() {
    let dir = TempDir::new("as-base", POOL, &[]);
    let m = load_scenario(&dir.scenario()).expect("valid");
    let app = &m.components[m.component_id("app").unwrap() as usize].spec;
    assert_eq!(app.max_instances(), 20);
    assert_eq!(app.instances(), 2, "starts at min");
}

#[test]
fn autoscale_min_above_max() {
    let text = pool("min = 2", "min = 30");
    check(
        "as-min-max",
        &text,
        &[],
        "s.toml",
        "min = 30",
        7,
        "components.app.autoscale.min",
        "at most `max`",
        "min = 2, max = 20",
    );
}

#[test]
fn autoscale_thresholds_inverted() {
    let text = pool("scale_down_at = 0.3", "scale_down_at = 0.8");
    check(
        "as-thresholds",
        &text,
        &[],
        "s.toml",
        "scale_down_at = 0.8",
        17,
        "components.app.autoscale.scale_down_at",
        "below `scale_up_at`",
        "prevents flapping",
    );
}

#[test]
fn autoscale_unknown_metric() {
    let text = pool("min = 2", "metric = \"memory\"\nmin = 2");
    check(
        "as-metric",
        &text,
        &[],
        "s.toml",
        "metric = \"memory\"",
        10,
        "components.app.autoscale.metric",
        "unknown autoscaling metric `memory`",
        "queue_depth",
    );
}

#[test]
fn autoscale_initial_instances_out_of_range() {
    let text = pool("service_time = \"1ms\"", "service_time = \"1ms\"\ninstances = 40");
    check(
        "as-instances",
        &text,
        &[],
        "s.toml",
        "instances = 40",
        13,
        "components.app.instances",
        "outside the autoscaling range 2..20",
        "defaults to `min`",
    );
}

#[test]
fn autoscale_unknown_key() {
    let text = pool("min = 2", "min = 2\ncooldown = \"3m\"");
    check(
        "as-unknown-key",
        &text,
        &[],
        "s.toml",
        "cooldown = ",
        1,
        "components.app.autoscale.cooldown",
        "unknown field `cooldown`",
        "up_cooldown",
    );
}

#[test]
fn weighted_balancer_in_front_of_an_autoscaled_pool() {
    let text = pool("backends = \"app\"", "backends = \"app\"\npolicy = \"weighted\"\nweights = [1, 1]");
    check(
        "as-weighted",
        &text,
        &[],
        "s.toml",
        "weights = [1, 1]",
        11,
        "components.lb.weights",
        "`app` autoscales",
        "least_connections",
    );
}

const FAULTY: &str = r#"[scenario]
name = "fault input"
duration = "10m"

[load]
rate = "100/s"

[components.lb]
kind = "load_balancer"
backends = "app"
health_check = { interval = "5s", failures = 3 }

[components.app]
kind = "service"
instances = 3
service_time = "1ms"
calls = ["db.read"]

[components.db]
kind = "database"
read_time = "1ms"

[[faults]]
at = "2m"
kind = "instance_crash"
target = "app"
instance = 1
restart_after = "1m"
"#;

fn faulty(from: &str, to: &str) -> String {
    assert_eq!(FAULTY.matches(from).count(), 1, "{from}");
    FAULTY.replacen(from, to, 1)
}

#[test]
fn fault_base_is_valid() {
    let dir = TempDir::new("fault-base", FAULTY, &[]);
    assert_eq!(load_scenario(&dir.scenario()).expect("valid").faults.len(), 1);
}

#[test]
fn instance_crash_on_a_database() {
    let text = faulty("target = \"app\"\ninstance = 1", "target = \"db\"");
    check(
        "crash-db",
        &text,
        &[],
        "s.toml",
        "target = \"db\"",
        10,
        "faults.0.target",
        "`instance_crash` does not apply to database `db`",
        "use `component_down`",
    );
}

#[test]
fn unknown_fault_kind() {
    let text = faulty("kind = \"instance_crash\"", "kind = \"instance_crsh\"");
    check(
        "fault-kind",
        &text,
        &[],
        "s.toml",
        "instance_crsh",
        8,
        "faults.0.kind",
        "unknown fault kind `instance_crsh`",
        "`instance_crash`",
    );
}

#[test]
fn crash_of_an_instance_that_does_not_exist() {
    let text = faulty("instance = 1", "instance = 5");
    check(
        "crash-instance",
        &text,
        &[],
        "s.toml",
        "instance = 5",
        12,
        "faults.0.instance",
        "no instance 5",
        "from 0 to 2",
    );
}

#[test]
fn key_of_another_fault_kind() {
    let text = faulty("restart_after = \"1m\"", "restart_after = \"1m\"\nlatency = \"50ms\"");
    check(
        "fault-key",
        &text,
        &[],
        "s.toml",
        "latency = \"50ms\"",
        11,
        "faults.0.latency",
        "`latency` is not a key of an `instance_crash` fault",
        "restart_after",
    );
}

#[test]
fn link_loss_above_one() {
    let text =
        format!("{FAULTY}\n[[faults]]\nat = \"3m\"\nkind = \"link_loss\"\nbetween = [\"app\", \"db\"]\nloss = 1.5\n");
    check("loss", &text, &[], "s.toml", "loss = 1.5", 8, "faults.1.loss", "above 0 and at most 1", "loss = 0.05");
}

#[test]
fn link_fault_to_a_missing_component() {
    let text = format!(
        "{FAULTY}\n[[faults]]\nat = \"3m\"\nkind = \"link_latency\"\nbetween = [\"app\", \"dbb\"]\nlatency = \"5ms\"\n"
    );
    check(
        "link-missing",
        &text,
        &[],
        "s.toml",
        "between = [\"app\", \"dbb\"]",
        19,
        "faults.1.between.1",
        "no component named `dbb`",
        "`db`",
    );
}

#[test]
fn fault_after_the_end_of_the_run() {
    let text = faulty("at = \"2m\"", "at = \"20m\"");
    check(
        "fault-late",
        &text,
        &[],
        "s.toml",
        "at = \"20m\"",
        6,
        "faults.0.at",
        "after the run ends",
        "shorter than [scenario] duration",
    );
}

#[test]
fn health_check_with_zero_interval() {
    let text = faulty("interval = \"5s\"", "interval = \"0s\"");
    check(
        "hc-interval",
        &text,
        &[],
        "s.toml",
        "health_check",
        29,
        "components.lb.health_check.interval",
        "greater than zero",
        "5s",
    );
}

#[test]
fn health_check_unknown_key() {
    let text = faulty("failures = 3", "failure = 3");
    check(
        "hc-key",
        &text,
        &[],
        "s.toml",
        "health_check",
        35,
        "components.lb.health_check.failure",
        "unknown field `failure`",
        "`failures`",
    );
}

#[test]
fn sticky_balancer_with_too_many_users() {
    let text = faulty("backends = \"app\"", "backends = \"app\"\npolicy = \"sticky\"")
        .replace("[components.lb]", "[users]\ncount = 50_000_000\n\n[components.lb]");
    check(
        "sticky-users",
        &text,
        &[],
        "s.toml",
        "policy = \"sticky\"",
        10,
        "components.lb.policy",
        "more than 10000000",
        "lower [users] count",
    );
}

#[test]
fn session_store_that_does_not_exist() {
    let text = faulty("calls = [\"db.read\"]", "calls = [\"db.read\"]\nsession_store = \"sesions\"");
    check(
        "store-missing",
        &text,
        &[],
        "s.toml",
        "session_store",
        17,
        "components.app.session_store",
        "no component named `sesions`",
        "define [components.sesions]",
    );
}
