//! The CDN on a bench: an edge misses once per object, then serves it itself; classes it
//! does not cache always go to the origin.

#![cfg(test)]

use crate::components::testkit::{scenario, Bench};
use crate::engine::calls::{Op, Outcome};

fn cdn(extra: &str) -> Bench {
    let toml = scenario(&format!(
        "[components.cdn]\nkind = \"cdn\"\norigin = \"photos\"\ncapacity = 100\n{extra}\n\n\
         [components.photos]\nkind = \"object_storage\"\nfirst_byte_time = \"constant(20ms)\"\n"
    ));
    Bench::new(&toml, "cdn")
}

#[test]
fn an_object_is_fetched_once_then_served_from_the_edge() {
    let mut b = cdn("");
    for _ in 0..3 {
        b.request(Op::Default, 5);
        b.run();
    }
    assert_eq!(b.outcomes(), [Outcome::Ok; 3]);
    assert_eq!(b.calls_out.len(), 1, "one miss");
    assert_eq!((b.calls_out[0].comp, b.calls_out[0].op), (b.id_of("photos"), Op::Read));
    b.request(Op::Default, 6);
    b.run();
    assert_eq!(b.calls_out.len(), 2, "another object misses");
}

#[test]
fn a_failed_origin_fetch_is_not_cached() {
    let mut b = cdn("");
    b.answer = Outcome::Failed;
    b.request(Op::Default, 5);
    b.run();
    b.answer = Outcome::Ok;
    b.request(Op::Default, 5);
    b.run();
    assert_eq!(b.outcomes(), [Outcome::Failed, Outcome::Ok]);
    assert_eq!(b.calls_out.len(), 2, "the failure was not kept");
}
