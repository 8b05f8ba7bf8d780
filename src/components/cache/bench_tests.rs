//! The cache on a bench: misses go to the backend and fill it, hits do not, writes follow
//! the write policy.

#![cfg(test)]

use crate::components::testkit::{scenario, Bench, MS};
use crate::engine::calls::{Op, Outcome};

fn cache(policy: &str) -> Bench {
    let toml = scenario(&format!(
        "[components.cache]\nkind = \"cache\"\nbackend = \"db\"\ncapacity = 100\n\
         write_policy = \"{policy}\"\nhit_time = \"constant(0.1ms)\"\n\n\
         [components.db]\nkind = \"database\"\nread_time = \"constant(1ms)\"\nwrite_time = \"constant(1ms)\"\n"
    ));
    Bench::new(&toml, "cache")
}

#[test]
fn a_miss_reads_the_backend_then_the_key_hits() {
    let mut b = cache("invalidate");
    b.request(Op::Read, 7);
    b.run();
    assert_eq!(b.calls_out.len(), 1, "the first read misses");
    assert_eq!((b.calls_out[0].comp, b.calls_out[0].op), (b.id_of("db"), Op::Read));
    let miss_at = b.replies[0].at;
    let t = b.ctx.now + 10 * MS;
    b.run_until(t);
    b.request(Op::Read, 7);
    b.run();
    assert_eq!(b.calls_out.len(), 1, "the second read of the key hits");
    assert_eq!(b.outcomes(), [Outcome::Ok, Outcome::Ok]);
    assert!(b.replies[1].at - t < miss_at, "a hit is faster than a miss");
    b.request(Op::Read, 8);
    b.run();
    assert_eq!(b.calls_out.len(), 2, "another key misses");
}

#[test]
fn a_write_goes_through_and_the_next_read_misses() {
    let mut b = cache("invalidate");
    b.request(Op::Read, 3);
    b.run();
    b.request(Op::Write, 3);
    b.run();
    assert_eq!(b.calls_out.last().map(|c| c.op), Some(Op::Write), "the write reaches the database");
    let before = b.calls_out.len();
    b.request(Op::Read, 3);
    b.run();
    assert_eq!(b.calls_out.len(), before + 1, "the key was invalidated: a miss");
}

#[test]
fn write_behind_answers_before_the_backend_write() {
    let mut b = cache("write_behind");
    b.answer_after = 50 * MS;
    b.request(Op::Write, 3);
    b.run();
    assert_eq!(b.outcomes(), [Outcome::Ok]);
    assert!(b.replies[0].at < 50 * MS, "the user is answered before the flush: {}", b.replies[0].at);
}
