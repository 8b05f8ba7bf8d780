//! `kind = "database"` with `replica_of`: a read replica of a primary in another region.
//! What it is adopted for (readers in its region read at the same-region RTT), what it costs
//! (writes show one way plus the apply lag later, so some reads are stale), what
//! read-your-writes forwarding costs (the round trip to the primary), and its bad input.

use crate::validation::{check, Expect};
use stagesim::summary::{ComponentSummary, Summary};

fn run(text: &str) -> Summary {
    let model = stagesim::parse_scenario("xregion-test.toml", text).unwrap_or_else(|e| panic!("{e}"));
    stagesim::run(&model)
}

fn extra(c: &ComponentSummary, key: &str) -> f64 {
    *c.extra.get(key).unwrap_or_else(|| panic!("no `{key}` in {:?}", c.extra.keys()))
}

/// One service in `app_region` sending reads to `db_eu` (a replica in eu-west of `db` in
/// us-east) and writes to `db`. `replica` holds the replica's extra keys.
fn direct(app_region: &str, rate: u32, writes: f64, keys: u64, users: u64, replica: &str, measure_s: u32) -> String {
    format!(
        r#"[scenario]
name = "cross-region replica test"
duration = "{}s"
warmup = "5s"
seed = 31
region = "us-east"

[load]
rate = "{rate}/s"

[requests]
read = {}
write = {writes}

[keys]
count = {keys}
popularity = "uniform"

[users]
count = {users}

[components.app]
kind = "service"
region = "{app_region}"
cores = 64
max_in_flight = 10000
service_time = "10us"
calls = {{ read = ["db_eu.read"], write = ["db.write"] }}

[components.db]
kind = "database"
connections = 1000
cores = 64
read_time = "exp(mean = 1ms)"
write_time = "0.5ms"

[components.db_eu]
kind = "database"
region = "eu-west"
replica_of = "db"
connections = 1000
cores = 64
read_time = "exp(mean = 1ms)"
{replica}
"#,
        measure_s + 5,
        1.0 - writes
    )
}

/// One key written as a Poisson process of rate w (Poisson arrivals shifted by constant
/// service and link times), replicated to eu-west with a constant lag: every write shows
/// there L = one way (40 ms, us-east to eu-west) + lag after it commits, so a read at the
/// replica (Poisson too, hence seeing time averages) is stale exactly when a write committed
/// in the last L: probability 1 - exp(-w L). Tolerance 0.025: the fraction is a time average
/// of a window indicator correlated over L, whose standard error is below
/// sqrt(p (1 - p) 2 L / T), 0.006 for T = 600 s at either point (about 4 standard errors);
/// the reads (~350,000) add far less.
#[test]
fn stale_fraction_matches_one_minus_exp_of_writes_times_one_way_plus_lag() {
    for (w, lag_ms) in [(10.0, 5.0), (2.0, 60.0)] {
        let rate = 600.0;
        let text = direct("us-east", rate as u32, w / rate, 1, 1000, &format!("replication_lag = \"{lag_ms}ms\""), 600);
        let s = run(&text);
        let c = &s.components["db_eu"];
        let l = 0.040 + lag_ms / 1000.0;
        let theory = 1.0 - (-w * l).exp();
        let measured = extra(c, "stale_read_ratio");
        assert!((measured - theory).abs() < 0.025, "w {w}/s, L {l} s: stale {measured:.4}, theory {theory:.4}");
        assert_eq!(extra(c, "lag_floor_s"), 0.040);
        // A constant lag: every write shows L later (the histogram keeps two significant digits).
        assert!((extra(c, "lag_s_p50") - l).abs() < 0.01 * l, "lag p50 {}", extra(c, "lag_s_p50"));
        assert_eq!(extra(c, "forwarded_reads"), 0.0, "read_your_writes = none forwards nothing");
        assert!(s.components["db"].extra["reads"] == 0.0, "every read is served in eu-west");
    }
}

/// A replica with a queue applies writes later (`lag_growth`): at ~95% utilization its lag
/// exceeds the floor plus the configured 10 ms by the time its waiting queries take.
#[test]
fn a_saturated_remote_replica_falls_behind_with_lag_growth() {
    let lag_p50 = |growth: bool| {
        let replica = format!("replication_lag = \"10ms\"\nlag_growth = {growth}");
        let text = direct("eu-west", 1000, 0.05, 1000, 1000, &replica, 60);
        // Two cores on the replica instead of 64: 950 reads/s of 2 ms each.
        let old = "cores = 64\nread_time = \"exp(mean = 1ms)\"";
        let at = text.rfind(old).expect("the replica's cores");
        let text = format!("{}cores = 2\nread_time = \"exp(mean = 2ms)\"{}", &text[..at], &text[at + old.len()..]);
        let s = run(&text);
        let c = &s.components["db_eu"];
        assert!(c.utilization > 0.9, "replica utilization {}", c.utilization);
        extra(c, "lag_s_p50")
    };
    let (flat, grown) = (lag_p50(false), lag_p50(true));
    assert!((flat - 0.050).abs() < 0.0005, "{flat}");
    assert!(grown > flat + 0.010, "with growth {grown} vs {flat}");
}

/// Users in both regions behind geo-DNS, a stack in each; European reads go to `eu_reads`
/// (`db_eu.read`, the local replica, or `db.read`, the primary across the Atlantic).
fn two_regions(eu_reads: &str) -> String {
    let text = format!(
        r#"[scenario]
name = "two regions"
duration = "65s"
warmup = "5s"
seed = 5
region = "us-east"

[load]
rate = "400/s"

[requests]
browse = 0.9
save = 0.1

[keys]
count = 10_000

[users]
count = 10_000
regions = {{ us-east = 0.5, eu-west = 0.5 }}

[components.dns]
kind = "geo_dns"
targets = ["app_us", "app_eu"]

[components.app_us]
kind = "service"
cores = 16
service_time = "1ms"
calls = {{ browse = ["db.read"], save = ["db.write"] }}

[components.app_eu]
kind = "service"
region = "eu-west"
cores = 16
service_time = "1ms"
calls = {{ browse = ["{eu_reads}.read"], save = ["db.write"] }}

[components.db]
kind = "database"
cores = 16
read_time = "1ms"
write_time = "2ms"

[components.db_eu]
kind = "database"
region = "eu-west"
replica_of = "db"
cores = 16
read_time = "1ms"
"#
    );
    match eu_reads {
        "db" => text[..text.find("[components.db_eu]").expect("the replica is last")].to_string(),
        _ => text,
    }
}

/// With the replica, a European browse costs what an American one does: the same-region RTT
/// (1 ms) plus 1 ms of app and 1 ms of query time, about 3 ms at the median (90% of requests
/// are browses). Without it, the query crosses the Atlantic and back (80 ms).
#[test]
fn european_reads_pay_the_same_region_rtt_not_the_transatlantic_one() {
    let with = run(&two_regions("db_eu"));
    let (eu, us) = (&with.regions["eu-west"].latency_s, &with.regions["us-east"].latency_s);
    assert!((eu.p50 - 0.003).abs() < 0.0005, "EU p50 with a local replica: {}", eu.p50);
    assert!((eu.p50 - us.p50).abs() < 0.0005, "EU {} vs US {}", eu.p50, us.p50);
    // Writes still cross: the slowest tenth of European requests pays the round trip.
    assert!(eu.p95 > 0.080, "EU p95 (writes to us-east): {}", eu.p95);
    let without = run(&two_regions("db"));
    let eu_far = without.regions["eu-west"].latency_s.p50;
    assert!((eu_far - 0.083).abs() < 0.001, "EU p50 reading from us-east: {eu_far}");
    assert!(extra(&with.components["db_eu"], "stale_read_ratio") > 0.0, "the price: some reads are stale");
}

/// 300 European users each sending about 3 requests a second, a fifth of them writes, so a
/// user often reads within the ~90 ms (40 ms one way + 50 ms mean lag) their own write needs
/// to reach eu-west. Forwarding those users' reads to the primary for 2 s after a write
/// (a lag beyond 1.96 s has probability e^-39) removes every violation; each forwarded read
/// pays the RTT (80 ms) on top of the same query time, so the replica's mean latency grows
/// by the forwarded share times 80 ms (5% relative tolerance: the query times' noise is
/// microseconds against tens of milliseconds). `session` forwards only the reads the replica
/// cannot serve yet: fewer, and no violation either.
#[test]
fn read_your_writes_forwarding_removes_violations_and_costs_the_round_trip() {
    let go = |ryw: &str| {
        let replica = format!("replication_lag = \"exp(mean = 50ms)\"\n{ryw}");
        let s = run(&direct("eu-west", 1000, 0.2, 10_000, 300, &replica, 60));
        s.components["db_eu"].clone()
    };
    let none = go("");
    let window = go("read_your_writes = \"primary_window\"\nprimary_window = \"2s\"");
    let session = go("read_your_writes = \"session\"");
    assert!(extra(&none, "ryw_violations") > 500.0, "without routing: {}", extra(&none, "ryw_violations"));
    assert_eq!(extra(&window, "ryw_violations"), 0.0, "primary window");
    assert_eq!(extra(&session, "ryw_violations"), 0.0, "session");
    let f = extra(&window, "forwarded_read_ratio");
    assert!(f > 0.2, "forwarded share {f}");
    let cost = window.latency_s.mean - none.latency_s.mean;
    assert!((cost - f * 0.080).abs() < 0.05 * f * 0.080, "mean grows by {cost} s, expected {f} x 80 ms");
    assert!(window.latency_s.p99 > 0.080 && none.latency_s.p99 < 0.010, "forwarded reads pay the RTT");
    let fs = extra(&session, "forwarded_reads");
    assert!(fs > 0.0 && fs < extra(&window, "forwarded_reads"), "session {fs} vs window");
    assert_eq!(extra(&window, "writes"), 0.0, "the replica takes no writes");
}

/// The catalog scenario behaves as its comments say.
#[test]
fn catalog_scenario_reads_locally_and_pays_staleness() {
    let s = crate::run_with("scenarios/catalog/cross-region-replica.toml", Default::default());
    let c = &s.components["db_eu"];
    assert!(extra(c, "replica_reads") > 0.0 && extra(c, "stale_read_ratio") > 0.0);
    assert_eq!(extra(c, "ryw_violations"), 0.0);
    assert!(s.regions["eu-west"].latency_s.p50 < 0.015, "{}", s.regions["eu-west"].latency_s.p50);
}

const VALID: &str = r#"[scenario]
name = "replica input"
duration = "1m"
region = "us-east"

[load]
rate = "100/s"

[requests]
view = 0.9
edit = 0.1

[components.app]
kind = "service"
region = "eu-west"
service_time = "1ms"
calls = { view = ["db_eu.read"], edit = ["db.write"] }

[components.db]
kind = "database"
read_time = "2ms"

[components.db_eu]
kind = "database"
region = "eu-west"
replica_of = "db"
read_time = "2ms"
"#;

fn edit(from: &str, to: &str) -> String {
    assert_eq!(VALID.matches(from).count(), 1, "`{from}` must occur once");
    VALID.replace(from, to)
}

#[test]
fn the_base_scenario_is_valid() {
    let model = stagesim::parse_scenario("valid.toml", VALID).expect("valid");
    assert!(model.draws_keys && model.draws_users, "a remote replica tracks keys and users");
}

#[test]
fn a_write_to_the_replica() {
    let text = edit(r#"edit = ["db.write"]"#, r#"edit = ["db_eu.write"]"#);
    let e = Expect {
        at: (r#"edit = ["db_eu.write"]"#, 42),
        key: "components.app.calls.edit.0",
        message: "`db_eu` is a read replica",
        help: "call `db.write`",
    };
    check("xregion-write-to-replica", &text, e);
}

#[test]
fn replica_of_an_unknown_database() {
    let text = edit(r#"replica_of = "db""#, r#"replica_of = "dv""#);
    let e = Expect {
        at: (r#"replica_of = "dv""#, 14),
        key: "components.db_eu.replica_of",
        message: "no component named `dv`",
        help: "`db`",
    };
    check("xregion-unknown-primary", &text, e);
}

#[test]
fn replica_of_a_service() {
    let text = edit(r#"replica_of = "db""#, r#"replica_of = "app""#);
    let e = Expect {
        at: (r#"replica_of = "app""#, 14),
        key: "components.db_eu.replica_of",
        message: "`app` is a service",
        help: "name the primary database",
    };
    check("xregion-primary-not-database", &text, e);
}

#[test]
fn replica_of_a_replica() {
    let text = format!(
        "{VALID}\n[components.db_ap]\nkind = \"database\"\nregion = \"ap-northeast\"\nreplica_of = \"db_eu\"\nread_time = \"2ms\"\n"
    );
    let text = text.replace(r#"view = ["db_eu.read"]"#, r#"view = ["db_eu.read", "db_ap.read"]"#);
    let e = Expect {
        at: (r#"replica_of = "db_eu""#, 14),
        key: "components.db_ap.replica_of",
        message: "`db_eu` is itself a replica",
        help: "name the primary that `db_eu` replicates",
    };
    check("xregion-chained-replica", &text, e);
}

#[test]
fn replica_without_a_region() {
    let text = edit("region = \"eu-west\"\nreplica_of", "replica_of");
    let e = Expect {
        at: (r#"replica_of = "db""#, 14),
        key: "components.db_eu.replica_of",
        message: "has no `region`",
        help: "region = \"eu-west\"",
    };
    check("xregion-no-region", &text, e);
}

#[test]
fn replica_in_its_primarys_region() {
    let text = edit("region = \"eu-west\"\nreplica_of", "region = \"us-east\" # db's\nreplica_of");
    let e = Expect {
        at: (r#"region = "us-east" # db's"#, 10),
        key: "components.db_eu.region",
        message: "the region of its primary `db`",
        help: "`replicas = N` on `db`",
    };
    check("xregion-same-region", &text, e);
}

#[test]
fn keys_a_replica_does_not_use() {
    for (key, value, help) in [
        ("replicas", "2", "give them to the primary"),
        ("read_policy", "\"random\"", "no replicas to choose among"),
        ("write_time", "\"5ms\"", "they go to the primary"),
    ] {
        let line = format!("{key} = {value}");
        let text = edit("replica_of = \"db\"\n", &format!("replica_of = \"db\"\n{line}\n"));
        let e = Expect {
            at: (&line, key.len() + 4),
            key: &format!("components.db_eu.{key}"),
            message: "does not apply to a replica",
            help,
        };
        check(&format!("xregion-unused-{key}"), &text, e);
    }
}

#[test]
fn primary_window_without_that_rule() {
    let text = edit("replica_of = \"db\"\n", "replica_of = \"db\"\nprimary_window = \"1s\"\n");
    let e = Expect {
        at: (r#"primary_window = "1s""#, 18),
        key: "components.db_eu.primary_window",
        message: "only applies to `read_your_writes = \"primary_window\"`",
        help: "read_your_writes = \"primary_window\"",
    };
    check("xregion-window-without-rule", &text, e);
}

#[test]
fn replication_state_beyond_the_limit() {
    let text = edit("[components.app]", "[keys]\ncount = 20_000_000\n\n[components.app]");
    let e = Expect {
        at: (r#"replica_of = "db""#, 14),
        key: "components.db_eu.replica_of",
        message: "20000000 keys x 1 replicas is more than 10000000",
        help: "model fewer keys",
    };
    check("xregion-too-many-keys", &text, e);
}

/// A partition between the regions holds the replication stream back (the lead's wiring of
/// `region_partition` to `RemoteLog::follow_partitions`): while it lasts, every key the US
/// writes stays stale in Europe, and the held writes show only when it heals, so the lag's
/// tail reaches the partition's length. Without the partition the same run has ~6% stale.
#[test]
fn a_partition_holds_replication_back_until_it_heals() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/catalog/cross-region-replica.toml");
    let base = std::fs::read_to_string(path).expect("shipped scenario");
    let cut = format!(
        "{base}\n[[faults]]\nat = \"60s\"\nkind = \"region_partition\"\nbetween = [\"us-east\", \"eu-west\"]\nduration = \"60s\"\n"
    );
    let replica = |s: &Summary| s.components["db_eu"].clone();
    let (calm, split) = (run(&base), run(&cut));
    let (calm, split) = (replica(&calm), replica(&split));
    let (stale_calm, stale_split) = (extra(&calm, "stale_read_ratio"), extra(&split, "stale_read_ratio"));
    assert!(stale_calm < 0.1, "no partition: {stale_calm}");
    assert!(stale_split > 2.0 * stale_calm, "partitioned {stale_split} vs calm {stale_calm}");
    let lag_p99 = extra(&split, "lag_s_p99");
    assert!(lag_p99 > 20.0 && lag_p99 < 61.0, "held writes show when the 60 s partition heals: p99 lag {lag_p99}");
}
