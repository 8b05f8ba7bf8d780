//! The queue on a bench: the producer has its ack at once, the workers work later, a full
//! queue turns messages away, failed work is retried.

#![cfg(test)]

use crate::components::testkit::{scenario, Bench, MS};
use crate::engine::calls::{Op, Outcome};

fn queue(capacity: u32, retries: u32) -> Bench {
    let toml = scenario(&format!(
        "[components.jobs]\nkind = \"queue\"\nack_time = \"constant(1ms)\"\ncapacity = {capacity}\n\
         workers = 1\nwork_time = \"constant(10ms)\"\ncalls = [\"db.write\"]\nmax_retries = {retries}\n\
         backoff = \"5ms\"\n\n\
         [components.db]\nkind = \"database\"\nread_time = \"constant(1ms)\"\nwrite_time = \"constant(1ms)\"\n"
    ));
    Bench::new(&toml, "jobs")
}

#[test]
fn the_producer_is_acked_before_the_work_is_done() {
    let mut b = queue(100, 0);
    b.answer_after = MS;
    b.request(Op::Default, 0);
    b.run();
    assert_eq!(b.outcomes(), [Outcome::Ok]);
    assert_eq!(b.replies[0].at, MS, "the ack time only");
    assert_eq!(b.calls_out.len(), 1, "a worker wrote the message's result");
    assert_eq!((b.calls_out[0].comp, b.calls_out[0].op), (b.id_of("db"), Op::Write));
}

#[test]
fn a_full_queue_turns_messages_away() {
    let mut b = queue(2, 0);
    for _ in 0..6 {
        b.request(Op::Default, 0);
    }
    b.run();
    let rejected = b.outcomes().iter().filter(|o| **o == Outcome::Rejected).count();
    let acked = b.outcomes().iter().filter(|o| **o == Outcome::Ok).count();
    assert!(rejected > 0, "{:?}", b.outcomes());
    assert_eq!(acked + rejected, 6);
    assert_eq!(b.calls_out.len(), acked, "every accepted message is worked on, once");
}

#[test]
fn failed_work_is_retried_after_a_backoff() {
    let mut b = queue(100, 2);
    b.answer = Outcome::Failed;
    b.request(Op::Default, 0);
    b.run();
    assert_eq!(b.outcomes(), [Outcome::Ok], "the producer had its ack");
    assert_eq!(b.calls_out.len(), 3, "the first try and two retries");
    assert_eq!(b.ctx.test_timers(), 0, "no timer left behind");
}
