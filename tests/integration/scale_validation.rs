//! Bad input in autoscaling, faults, health checks and sessions: file, line, column, key,
//! message and help, as for every other mistake (see `time_validation` for the helpers).

use crate::time_validation::{check, TempDir};
use stagesim::load_scenario;

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
        "below the 1ms minimum",
        "1ms or more",
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
