//! The service's state machine on a bench (`components::testkit`): served, queued, turned
//! away, calling out.

#![cfg(test)]

use crate::components::testkit::{scenario, Bench, MS};
use crate::engine::calls::{Op, Outcome};

/// One core, one thread, a bounded queue; with `calls`, a database it calls.
fn one_thread(queue: u32, calls: &str) -> Bench {
    let db = if calls.is_empty() { "" } else { "[components.db]\nkind = \"database\"\nread_time = \"constant(1ms)\"\n" };
    let toml = scenario(&format!(
        "[components.app]\nkind = \"service\"\ncores = 1\nmax_in_flight = 1\nqueue = {queue}\n\
         service_time = \"constant(2ms)\"\n{calls}\n\n{db}"
    ));
    Bench::new(&toml, "app")
}

#[test]
fn a_call_is_served_then_replies() {
    let mut b = one_thread(10, "");
    b.request(Op::Default, 0);
    b.run();
    assert_eq!(b.outcomes(), [Outcome::Ok]);
    assert_eq!(b.replies[0].at, 2 * MS, "its service time, no queueing");
    assert!(b.calls_out.is_empty());
}

#[test]
fn calls_wait_for_the_thread_in_order() {
    let mut b = one_thread(10, "");
    for _ in 0..3 {
        b.request(Op::Default, 0);
    }
    b.run();
    let at: Vec<_> = b.replies.iter().map(|r| r.at).collect();
    assert_eq!(at, [2 * MS, 4 * MS, 6 * MS], "one at a time, first come first served");
    assert_eq!(b.comp.stats(6 * MS).waited, 2);
}

#[test]
fn a_full_queue_turns_calls_away() {
    let mut b = one_thread(1, "");
    for _ in 0..4 {
        b.request(Op::Default, 0);
    }
    b.run();
    // One in service, one waiting, two turned away at once.
    assert_eq!(b.outcomes(), [Outcome::Rejected, Outcome::Rejected, Outcome::Ok, Outcome::Ok]);
    assert_eq!(b.replies[0].at, 0);
    assert_eq!(b.comp.stats(4 * MS).rejected, 2);
}

#[test]
fn its_plan_calls_downstream_before_it_replies() {
    let mut b = one_thread(10, "calls = [\"db.read\"]");
    b.answer_after = 3 * MS;
    b.request(Op::Default, 0);
    b.run();
    assert_eq!(b.calls_out.len(), 1);
    assert_eq!((b.calls_out[0].comp, b.calls_out[0].op), (b.id_of("db"), Op::Read));
    assert_eq!(b.outcomes(), [Outcome::Ok]);
    assert!(b.replies[0].at >= 5 * MS, "its work and the database's answer: {}", b.replies[0].at);
}

#[test]
fn a_failed_dependency_fails_the_call() {
    let mut b = one_thread(10, "calls = [\"db.read\"]");
    b.answer = Outcome::Failed;
    b.request(Op::Default, 0);
    b.run();
    assert_eq!(b.outcomes(), [Outcome::Failed]);
}

#[test]
fn a_slow_dependency_times_out_and_fails_the_call() {
    let mut b = one_thread(10, "calls = [\"db.read\"]\ntimeout = \"5ms\"");
    b.answer_after = 50 * MS;
    b.request(Op::Default, 0);
    b.run();
    assert_eq!(b.outcomes().len(), 1);
    assert_ne!(b.outcomes()[0], Outcome::Ok);
    assert!(b.replies[0].at < 50 * MS, "it stopped waiting at its timeout: {}", b.replies[0].at);
}
