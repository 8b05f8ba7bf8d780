//! Connection pools: a pool per app instance (`pool` on a service) and a shared pooler
//! (`kind = "pooler"`). What they are adopted for (the database never sees more sessions
//! than it accepts) and what they cost (callers wait for a connection).

use crate::queueing::erlang_c;
use stagesim::summary::{ComponentSummary, Summary};

fn run(text: &str) -> Summary {
    let model = stagesim::parse_scenario("pool-test.toml", text).unwrap_or_else(|e| panic!("{e}"));
    stagesim::run(&model)
}

fn extra(c: &ComponentSummary, key: &str) -> f64 {
    *c.extra.get(key).unwrap_or_else(|| panic!("no `{key}` in {:?}", c.extra.keys()))
}

/// Three app instances with 100 threads each in front of a database that accepts 50
/// connections and refuses beyond (`queue = 0`), at 95% of its four cores with queries of
/// variable length (lognormal, coefficient of variation 1.5). `front` is what
/// the app calls (`db` or `pgb`) and `more` any extra components or keys.
fn system(front: &str, app_extra: &str, more: &str) -> String {
    format!(
        r#"[scenario]
name = "pool test"
duration = "70s"
warmup = "10s"
seed = 41

[load]
rate = "1900/s"

[components.app]
kind = "service"
instances = 3
cores = 4
max_in_flight = 100
service_time = "0.1ms"
calls = ["{front}.read"]
{app_extra}

[components.db]
kind = "database"
connections = 50
queue = 0
cores = 4
read_time = "lognormal(mean = 2ms, cv = 1.5)"
{more}
"#
    )
}

/// Article 002: "With pooling, 20-30 actual database connections can efficiently serve those
/// 100 application connections." Direct, bursts beyond 50 concurrent queries are refused;
/// through a pooler with 20 server connections none are, and the same throughput is served
/// (the four cores, not the sessions, are the limit), at the price of a wait at the pooler.
#[test]
fn a_pooler_turns_refused_connections_into_short_waits() {
    let direct = run(&system("db", "", ""));
    let pooled =
        run(&system("pgb", "", "\n[components.pgb]\nkind = \"pooler\"\nbackend = \"db\"\nserver_connections = 20"));
    let (d, p) = (&direct.components["db"], &pooled.components["db"]);
    assert!(d.rejected > 1000, "direct: {} refused", d.rejected);
    assert!(direct.requests.error_ratio > 0.005, "direct: error ratio {}", direct.requests.error_ratio);
    assert_eq!(p.rejected, 0);
    assert_eq!(pooled.requests.error_ratio, 0.0);
    // Never more than 20 of the database's 50 connections in use.
    assert!(extra(p, "connections_utilization") * 50.0 <= 20.0);
    let pgb = &pooled.components["pgb"];
    assert!(extra(pgb, "client_wait_s_mean") > 0.0 && pgb.wait_probability > 0.0, "the price: clients wait");
    assert!((pooled.throughput_per_s - 1900.0).abs() < 0.02 * 1900.0, "{}", pooled.throughput_per_s);
    assert!(extra(pgb, "clients_max") > 20.0, "more clients than server connections at once");
}

/// A pooler's clients wait as in an M/M/c queue when its c server connections are each held
/// for an exponential query on a database with cores to spare: Erlang C gives the mean wait.
/// Tolerance: 3 standard errors of 10 replications plus 2% (warm-up and the 1%-wide
/// histogram buckets do not enter: this is a mean of exact waits).
#[test]
fn pooler_waits_follow_erlang_c() {
    let (c, lambda, mu) = (4, 1600.0, 500.0);
    let text = system("pgb", "", "\n[components.pgb]\nkind = \"pooler\"\nbackend = \"db\"\nserver_connections = 4")
        .replace("cores = 4\nread_time", "cores = 8\nread_time")
        .replace("lognormal(mean = 2ms, cv = 1.5)", "exp(mean = 2ms)")
        .replace("1900/s", "1600/s");
    let model = stagesim::parse_scenario("erlang.toml", &text).unwrap();
    let waits: Vec<f64> = (0..10)
        .map(|r| {
            let m = stagesim::runner::apply(
                &model,
                &stagesim::runner::RunOptions { seed: Some(500 + r), ..Default::default() },
            );
            extra(&stagesim::run(&m).components["pgb"], "client_wait_s_mean")
        })
        .collect();
    let (mean, sd) = stagesim::stats::mean_sd(&waits);
    let theory = erlang_c(c, lambda / mu) / (f64::from(c) * mu - lambda);
    let tol = 3.0 * sd / (waits.len() as f64).sqrt() + 0.02 * theory;
    assert!((mean - theory).abs() <= tol, "wait {mean:.6}, Erlang C {theory:.6}, tolerance {tol:.6}");
}

/// A pool of one connection per instance serializes its calls however many cores the
/// database has: the wait for it is that of an M/M/1 queue, rho / (mu - lambda).
#[test]
fn an_instance_pool_of_one_is_an_mm1_queue() {
    let text = system("db", "pool = { target = \"db\", size = 1 }", "")
        .replace("instances = 3", "instances = 1")
        .replace("lognormal(mean = 2ms, cv = 1.5)", "exp(mean = 2ms)")
        .replace("1900/s", "300/s");
    let s = run(&text);
    let app = &s.components["app"];
    let (lambda, mu) = (300.0, 500.0);
    let theory = lambda / mu / (mu - lambda);
    let w = extra(app, "pool_wait_s_mean");
    // 18,000 waits with strong autocorrelation at rho = 0.6: about 600 independent busy
    // periods' worth, a standard error near 4%; 12% is three of them.
    assert!((w - theory).abs() < 0.12 * theory, "pool wait {w:.6}, M/M/1 {theory:.6}");
    assert!((extra(app, "pool_utilization") - lambda / mu).abs() < 0.02);
    assert!(extra(app, "pool_exhausted") > 0.0);
    assert_eq!(s.components["db"].rejected, 0);
}

/// Per-instance pools that together stay under the database's limit avoid its refusals too,
/// but each instance waits on its own pool; with pools larger than the limit allows (3 x 100
/// > 50) the refusals come back.
#[test]
fn instance_pools_within_the_database_limit_avoid_refusals() {
    let small = run(&system("db", "pool = { target = \"db\", size = 16 }", ""));
    let large = run(&system("db", "pool = { target = \"db\", size = 100 }", ""));
    assert_eq!(small.components["db"].rejected, 0);
    assert!(extra(&small.components["app"], "pool_exhausted") > 0.0);
    assert!(large.components["db"].rejected > 1000, "{}", large.components["db"].rejected);
}
