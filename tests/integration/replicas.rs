//! `kind = "database"` with read replicas: what replicas are adopted for (the primary's load
//! shrinks to its writes) and what they cost (stale reads after replication lag, and reads
//! that miss the user's own write unless routed for read-your-writes).

use stagesim::summary::{ComponentSummary, Summary};

/// A service sending `read` and `write` classes to a database; `db` holds the database's
/// extra keys. `keys` and `users` size the key space and the user population.
fn scenario(rate: u32, writes: f64, keys: &str, users: u64, db: &str, measure_s: u32) -> String {
    format!(
        r#"[scenario]
name = "replica test"
duration = "{}s"
warmup = "5s"
seed = 21

[load]
rate = "{rate}/s"

[requests]
read = {}
write = {writes}

[keys]
{keys}

[users]
count = {users}

[components.app]
kind = "service"
cores = 64
max_in_flight = 10000
service_time = "10us"
calls = {{ read = ["db.read"], write = ["db.write"] }}

[components.db]
kind = "database"
connections = 1000
{db}
"#,
        measure_s + 5,
        1.0 - writes
    )
}

fn run(text: &str) -> Summary {
    let model = stagesim::parse_scenario("replica-test.toml", text).unwrap_or_else(|e| panic!("{e}"));
    stagesim::run(&model)
}

fn extra(c: &ComponentSummary, key: &str) -> f64 {
    *c.extra.get(key).unwrap_or_else(|| panic!("no `{key}` in {:?}", c.extra.keys()))
}

/// One key, writes committing as a Poisson process of rate w (Poisson arrivals, a constant
/// write time and idle cores), and a constant lag L: a read at time t is stale exactly when a
/// write committed in (t - L, t], which has probability 1 - exp(-w L) (reads are Poisson too,
/// so they see time averages). Tolerance 0.02: about 110 s of reads at 3,800/s give some
/// 10,000 independent looks at a stale window of a few milliseconds, a standard error near
/// 0.005; the bias from reads and commits not being exactly Poisson is far smaller.
#[test]
fn stale_fraction_matches_poisson_writes_and_constant_lag() {
    for (lag_ms, w) in [(5.0, 200.0), (1.0, 200.0), (5.0, 40.0)] {
        let db = format!(
            "cores = 256\nread_time = \"0.5ms\"\nwrite_time = \"0.5ms\"\nreplicas = 2\nreplication_lag = \"{lag_ms}ms\""
        );
        let s = run(&scenario(4000, w / 4000.0, "count = 1\npopularity = \"uniform\"", 1000, &db, 110));
        let c = &s.components["db"];
        let theory = 1.0 - (-w * lag_ms / 1000.0).exp();
        let measured = extra(c, "stale_read_ratio");
        assert!((measured - theory).abs() < 0.02, "w {w}/s, L {lag_ms} ms: stale {measured:.4}, theory {theory:.4}");
        // The lag histogram keeps two significant digits.
        assert!((extra(c, "lag_s_p50") - lag_ms / 1000.0).abs() < 0.02 * lag_ms / 1000.0);
    }
}

/// Reads leave the primary: with two replicas it keeps only the writes' work, about
/// 0.1 x 5 ms / (0.9 x 2 ms + 0.1 x 5 ms) = 22% of what it did alone.
#[test]
fn replicas_take_the_reads_off_the_primary() {
    let keys = "count = 100_000";
    let base = "cores = 4\nread_time = \"exp(mean = 2ms)\"\nwrite_time = \"exp(mean = 5ms)\"";
    let alone = run(&scenario(1200, 0.1, keys, 10_000, base, 60));
    let with = run(&scenario(1200, 0.1, keys, 10_000, &format!("{base}\nreplicas = 2"), 60));
    let (u_alone, u_primary) =
        (alone.components["db"].utilization, extra(&with.components["db"], "primary_utilization"));
    let share = 0.1 * 5.0 / (0.9 * 2.0 + 0.1 * 5.0);
    assert!((u_alone - 1200.0 * 2.3e-3 / 4.0).abs() < 0.02, "alone: {u_alone}");
    assert!((u_primary / u_alone - share).abs() < 0.03, "primary {u_primary} vs alone {u_alone}");
    let replica = extra(&with.components["db"], "replica_1_utilization");
    assert!((replica - 1200.0 * 0.9 * 2e-3 / 2.0 / 4.0).abs() < 0.02, "replica 1: {replica}");
    assert_eq!(extra(&with.components["db"], "primary_reads"), 0.0);
    assert!(extra(&with.components["db"], "stale_reads") > 0.0, "the price: some reads are stale");
}

/// 500 users each sending two requests a second, a fifth of them writes, and replicas
/// ~200 ms behind: users often read before their own write reached the replica. Reading
/// from the primary for 5 s after a write (lag beyond 5 s has probability e^-25) or only
/// from replicas that applied the user's write removes those violations; the session rule
/// sends fewer reads to the primary than the window.
#[test]
fn read_your_writes_routing_removes_violations() {
    let run_ryw = |ryw: &str| {
        let db = format!(
            "cores = 64\nread_time = \"exp(mean = 1ms)\"\nwrite_time = \"exp(mean = 2ms)\"\nreplicas = 2\nreplication_lag = \"exp(mean = 200ms)\"\n{ryw}"
        );
        let s = run(&scenario(1000, 0.2, "count = 10_000", 500, &db, 60));
        let c = &s.components["db"];
        (extra(c, "ryw_violations"), extra(c, "primary_reads"), extra(c, "replica_reads"))
    };
    let (none, none_primary, _) = run_ryw("");
    let (window, window_primary, _) = run_ryw("read_your_writes = \"primary_window\"\nprimary_window = \"5s\"");
    let (session, session_primary, session_replica) = run_ryw("read_your_writes = \"session\"");
    assert!(none > 1000.0, "without routing: {none} violations");
    assert_eq!(none_primary, 0.0);
    assert_eq!(window, 0.0, "primary window");
    assert_eq!(session, 0.0, "session");
    assert!(window_primary > 0.0 && session_primary > 0.0);
    assert!(session_primary < window_primary, "session {session_primary} vs window {window_primary}");
    assert!(session_replica > session_primary);
}

/// A replica with a queue applies writes later (lag_growth): the lag a saturated replica
/// shows exceeds the configured 10 ms by the time its waiting queries take.
#[test]
fn a_saturated_replica_falls_behind_with_lag_growth() {
    let lag_p50 = |growth: bool| {
        let db = format!(
            "cores = 2\nread_time = \"exp(mean = 2ms)\"\nwrite_time = \"1ms\"\nreplicas = 1\nreplication_lag = \"10ms\"\nlag_growth = {growth}"
        );
        let s = run(&scenario(1000, 0.03, "count = 1000", 1000, &db, 60));
        let c = &s.components["db"];
        assert!(extra(c, "replica_1_utilization") > 0.95);
        extra(c, "lag_s_p50")
    };
    let (flat, grown) = (lag_p50(false), lag_p50(true));
    assert!((flat - 0.010).abs() < 0.0002, "{flat}"); // two significant digits
    assert!(grown > 2.0 * flat, "with growth {grown} vs {flat}");
}
