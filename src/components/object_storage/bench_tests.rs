//! Object storage on a bench: a read's time to first byte plus the transfer of its size.

#![cfg(test)]

use crate::components::testkit::{scenario, Bench, MS};
use crate::engine::calls::{Op, Outcome};

#[test]
fn reads_and_writes_take_their_times() {
    let toml = scenario(
        "[components.s3]\nkind = \"object_storage\"\nfirst_byte_time = \"constant(20ms)\"\n\
         write_time = \"constant(30ms)\"\n",
    );
    let mut b = Bench::new(&toml, "s3");
    b.request(Op::Read, 1);
    b.request(Op::Write, 2);
    b.run();
    assert_eq!(b.outcomes(), [Outcome::Ok, Outcome::Ok]);
    assert_eq!(b.replies[0].at, 20 * MS, "no size given: the first byte is the answer");
    assert_eq!(b.replies[1].at, 30 * MS);
    assert!(b.calls_out.is_empty());
}
