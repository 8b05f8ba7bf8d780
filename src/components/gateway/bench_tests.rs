//! The gateway on a bench: its token bucket admits a burst then turns calls away.

#![cfg(test)]

use crate::components::testkit::{scenario, Bench, MS};
use crate::engine::calls::{Op, Outcome};

fn gateway(limits: &str) -> Bench {
    let toml = scenario(&format!(
        "[components.gw]\nkind = \"gateway\"\nbackends = \"app\"\n{limits}\n\n\
         [components.app]\nkind = \"service\"\nservice_time = \"constant(1ms)\"\n"
    ));
    Bench::new(&toml, "gw")
}

#[test]
fn the_rate_limit_admits_its_burst_then_rejects() {
    let mut b = gateway("rate_limit = \"10/s\"\nburst = 2");
    for _ in 0..5 {
        b.request(Op::Default, 0);
    }
    b.run();
    let ok = b.outcomes().iter().filter(|o| **o == Outcome::Ok).count();
    assert_eq!(ok, 2, "{:?}", b.outcomes());
    assert_eq!(b.calls_out.len(), 2, "only admitted calls reach the backend");
    // A token later, one more gets through.
    b.run_until(b.ctx.now + 100 * MS);
    b.request(Op::Default, 0);
    b.run();
    assert_eq!(b.outcomes().last(), Some(&Outcome::Ok));
}

#[test]
fn the_per_client_limit_is_per_user() {
    let mut b = gateway("per_client_limit = \"1/s\"\nper_client_burst = 1");
    b.request_from(Op::Default, 0, 1);
    b.request_from(Op::Default, 0, 1);
    b.request_from(Op::Default, 0, 2);
    b.run();
    let mut o = b.outcomes();
    o.sort_by_key(|o| *o as u8);
    assert_eq!(o, [Outcome::Ok, Outcome::Ok, Outcome::Rejected], "one each for users 1 and 2");
}
