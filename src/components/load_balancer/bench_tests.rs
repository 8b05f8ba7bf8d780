//! The balancer on a bench: how it spreads calls over its backend's instances.

#![cfg(test)]

use crate::components::testkit::{scenario, Bench};
use crate::engine::calls::{Op, Outcome};

fn balancer(policy: &str) -> Bench {
    let toml = scenario(&format!(
        "[components.lb]\nkind = \"load_balancer\"\npolicy = \"{policy}\"\nbackends = \"app\"\n\n\
         [components.app]\nkind = \"service\"\ninstances = 3\nservice_time = \"constant(1ms)\"\n"
    ));
    Bench::new(&toml, "lb")
}

#[test]
fn round_robin_takes_instances_in_turn() {
    let mut b = balancer("round_robin");
    for _ in 0..6 {
        b.request(Op::Default, 0);
    }
    b.run();
    let instances: Vec<u16> = b.calls_out.iter().map(|c| c.instance).collect();
    let first = instances[0];
    let turns: Vec<u16> = (0..6).map(|i| (first + i) % 3).collect();
    assert_eq!(instances, turns, "each instance in turn");
    assert!(b.calls_out.iter().all(|c| c.comp == b.id_of("app") && c.op == Op::Default));
    assert_eq!(b.outcomes(), [Outcome::Ok; 6]);
}

#[test]
fn least_connections_avoids_a_busy_instance() {
    let mut b = balancer("least_connections");
    // Three calls at once: none is answered yet, so each goes to an idle instance.
    for _ in 0..3 {
        b.request(Op::Default, 0);
    }
    b.run();
    let mut instances: Vec<u16> = b.calls_out.iter().map(|c| c.instance).collect();
    instances.sort_unstable();
    assert_eq!(instances, [0, 1, 2]);
}

#[test]
fn a_backend_failure_reaches_the_user() {
    let mut b = balancer("round_robin");
    b.answer = Outcome::Failed;
    b.request(Op::Default, 0);
    b.run();
    assert_eq!(b.outcomes(), [Outcome::Failed]);
}
