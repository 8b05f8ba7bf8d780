//! Builds two designs through the library API (no CLI), runs them on the same traffic and
//! asserts on the result: a second app server halves the utilization and cuts the P99.
//!
//! Run: `cargo run --release --example compare_designs`

use stagesim::{parse_scenario, run};

fn design(instances: u32) -> String {
    format!(
        r#"
[scenario]
name = "{instances} app server(s)"
duration = "2m"
warmup = "10s"
seed = 42

[load]
rate = "300/s"

[components.lb]
kind = "load_balancer"
policy = "least_connections"
backends = "app"

[components.app]
kind = "service"
instances = {instances}
cores = 2
service_time = "lognormal(mean = 5ms, cv = 1.0)"
calls = ["db.read"]

[components.db]
kind = "database"
connections = 50
cores = 4
read_time = "exp(mean = 2ms)"
"#
    )
}

fn main() -> Result<(), stagesim::Error> {
    let one = run(&parse_scenario("one.toml", &design(1))?);
    let two = run(&parse_scenario("two.toml", &design(2))?);
    for s in [&one, &two] {
        let app = &s.components["app"];
        println!(
            "{:<16} app utilization {:>5.1}%  p99 {:>6.1} ms  cost {:>6.2} USD/month",
            s.scenario,
            app.utilization * 100.0,
            s.latency_s.p99 * 1e3,
            s.cost.usd_per_month
        );
    }
    // Same seed, same arrivals: the designs saw the same requests.
    assert_eq!(one.requests.arrived, two.requests.arrived);
    let (u1, u2) = (one.components["app"].utilization, two.components["app"].utilization);
    assert!((u2 - u1 / 2.0).abs() < 0.02, "utilization should halve: {u1} -> {u2}");
    assert!(two.latency_s.p99 < one.latency_s.p99, "a second server should cut the P99");
    Ok(())
}

#[test]
fn designs_compare() {
    main().expect("both designs are valid");
}
