//! Sessions: with sticky balancing and sessions in memory, an instance crash logs out the
//! users pinned to it; with an external session store, nobody.

use crate::run_with;
use stagesim::runner::RunOptions;

#[test]
fn a_crash_logs_out_the_users_pinned_to_the_instance() {
    let s = run_with("scenarios/time/sticky-sessions.toml", RunOptions::default());
    let logouts = s.components["lb"].extra["logouts"];
    // 5,000 users, each back every ~17 s (300/s over 5,000): all are pinned before the crash,
    // a third of them (round robin) to instance 1, and all come back in the remaining four
    // minutes. The share pinned to one instance is 1/3 up to rounding; 0.30..0.37 leaves
    // room for the order in which users first arrive.
    assert!((0.30 * 5_000.0..=0.37 * 5_000.0).contains(&logouts), "{logouts} logouts");
    // Nobody is logged out before the balancer takes the dead instance out of rotation.
    let detected = 120.0 + s.faults[0].detected_after_s.unwrap();
    for w in &s.windows {
        let out = w.series["logouts_per_s"]["lb"];
        if w.t_s + s.window_s <= detected {
            assert_eq!(out, 0.0, "logouts at t={}", w.t_s);
        }
    }
}

#[test]
fn an_external_store_keeps_sessions_through_a_crash() {
    let s = run_with("scenarios/time/session-store.toml", RunOptions::default());
    assert_eq!(s.components["lb"].extra["logouts"], 0.0);
    // The crash still fails what reached the dead instance before detection...
    assert!(s.faults[0].requests_failed > 0);
    // ...and every request that an app instance served looked its session up first.
    let store = &s.components["sessions"];
    assert!(store.received as f64 >= s.requests.completed as f64, "{} lookups", store.received);
}

#[test]
fn sticky_balancing_draws_users() {
    let text = std::fs::read_to_string(format!("{}/scenarios/time/sticky-sessions.toml", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .replace("[users]\ncount = 5_000\n", "");
    let m = stagesim::parse_scenario("no-users.toml", &text).unwrap();
    assert!(m.draws_users, "a sticky balancer needs to know who sends each request");
}
