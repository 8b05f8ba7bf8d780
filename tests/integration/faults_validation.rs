//! Bad input for the region and data faults: each mistake is reported at its line and column
//! with its key, what is wrong and how to fix it.

use crate::time_validation::{check, TempDir};
use stagesim::load_scenario;

const BASE: &str = r#"[scenario]
name = "region and data faults"
duration = "10m"

[load]
rate = "100/s"

[users]
count = 1000
regions = { us-east = 0.5, eu-west = 0.5 }

[components.dns]
kind = "geo_dns"
targets = ["app_us", "app_eu"]
health_check = { interval = "10s", failures = 3 }

[components.app_us]
kind = "service"
region = "us-east"
service_time = "1ms"
calls = ["cache.read"]

[components.app_eu]
kind = "service"
region = "eu-west"
service_time = "1ms"
calls = ["db.read", "solo.read"]

[components.cache]
kind = "cache"
region = "us-east"
backend = "db"
capacity = 100

[components.db]
kind = "database"
region = "us-east"
read_time = "1ms"
replicas = 1

[components.solo]
kind = "database"
region = "us-east"
read_time = "1ms"

[[faults]]
at = "2m"
kind = "region_outage"
region = "eu-west"
duration = "1m"
"#;

fn edit(from: &str, to: &str) -> String {
    assert_eq!(BASE.matches(from).count(), 1, "{from}");
    BASE.replacen(from, to, 1)
}

fn with_fault(fault: &str) -> String {
    format!("{BASE}\n[[faults]]\nat = \"3m\"\n{fault}\n")
}

#[test]
fn base_is_valid_with_every_new_fault() {
    let text = with_fault("kind = \"primary_failover\"\ntarget = \"db\"\npromotion = \"30s\"")
        + "\n[[faults]]\nat = \"4m\"\nkind = \"cache_flush\"\ntarget = \"cache\"\n"
        + "\n[[faults]]\nat = \"5m\"\nkind = \"replica_lag_spike\"\ntarget = \"db\"\nlag = \"30s\"\n"
        + "\n[[faults]]\nat = \"6m\"\nkind = \"region_partition\"\nbetween = [\"us-east\", \"eu-west\"]\n";
    let dir = TempDir::new("faults-base", &text, &[]);
    assert_eq!(load_scenario(&dir.scenario()).expect("valid").faults.len(), 5);
}

#[test]
fn unknown_region_with_a_suggestion() {
    let text = edit("region = \"eu-west\"\nduration", "region = \"eu-wset\"\nduration");
    let (key, msg) = ("faults.0.region", "unknown region `eu-wset`");
    check("outage-region", &text, &[], "s.toml", "region = \"eu-wset\"", 10, key, msg, "did you mean `eu-west`?");
}

#[test]
fn outage_of_a_region_with_nothing_in_it() {
    let text = edit("region = \"eu-west\"\nduration", "region = \"ap-northeast\"\nduration");
    let msg = "no component runs in `ap-northeast`";
    check("outage-empty", &text, &[], "s.toml", "ap-northeast", 10, "faults.0.region", msg, "eu-west, us-east");
}

#[test]
fn partition_of_a_region_with_itself() {
    let text = with_fault("kind = \"region_partition\"\nbetween = [\"eu-west\", \"eu-west\"]");
    let msg = "two different regions";
    check(
        "partition-same",
        &text,
        &[],
        "s.toml",
        "[\"eu-west\", \"eu-west\"]",
        11,
        "faults.1.between",
        msg,
        "name two",
    );
}

#[test]
fn failover_on_a_database_without_replicas() {
    let text = with_fault("kind = \"primary_failover\"\ntarget = \"solo\"\npromotion = \"30s\"");
    let msg = "`primary_failover` does not apply to database `solo`";
    check("failover-solo", &text, &[], "s.toml", "target = \"solo\"", 10, "faults.1.target", msg, "add `replicas = 2`");
}

#[test]
fn failover_without_a_promotion_time() {
    let text = with_fault("kind = \"primary_failover\"\ntarget = \"db\"");
    let msg = "needs `promotion`";
    check(
        "failover-promotion",
        &text,
        &[],
        "s.toml",
        "primary_failover",
        8,
        "faults.1.kind",
        msg,
        "promotion = \"30s\"",
    );
}

#[test]
fn cache_flush_aimed_at_a_service() {
    let text = with_fault("kind = \"cache_flush\"\ntarget = \"app_us\"");
    let msg = "`cache_flush` does not apply to service `app_us`";
    check("flush-service", &text, &[], "s.toml", "target = \"app_us\"", 10, "faults.1.target", msg, "cache");
}

#[test]
fn cache_flush_of_a_fixed_hit_ratio_cache() {
    let text = with_fault("kind = \"cache_flush\"\ntarget = \"cache\"").replace("capacity = 100", "hit_ratio = 0.8");
    let msg = "`cache_flush` does not apply to cache `cache`";
    check("flush-fixed", &text, &[], "s.toml", "target = \"cache\"", 10, "faults.1.target", msg, "fixed `hit_ratio`");
}

#[test]
fn lag_spike_key_of_another_kind() {
    let text = with_fault("kind = \"replica_lag_spike\"\ntarget = \"db\"\nlag = \"30s\"\npromotion = \"5s\"");
    let msg = "`promotion` is not a key of an `replica_lag_spike` fault";
    check("spike-key", &text, &[], "s.toml", "promotion = \"5s\"", 13, "faults.1.promotion", msg, "lag, duration");
}

#[test]
fn geo_dns_health_check_of_zero_interval() {
    let text = edit("interval = \"10s\"", "interval = \"0s\"");
    let msg = "`interval` = \"0s\" is below the 1ms minimum for a periodic timer";
    let key = "components.dns.health_check.interval";
    check("dns-interval", &text, &[], "s.toml", "interval = \"0s\"", 29, key, msg, "1ms or more");
}
