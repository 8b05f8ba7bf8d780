//! The database on a bench: reads spread over replicas, writes on the primary.

#![cfg(test)]

use crate::components::testkit::{scenario, Bench, MS};
use crate::engine::calls::{Op, Outcome};

fn database(replicas: &str) -> Bench {
    let toml = scenario(&format!(
        "[components.db]\nkind = \"database\"\ncores = 1\nconnections = 10\n\
         read_time = \"constant(1ms)\"\nwrite_time = \"constant(2ms)\"\n{replicas}\n"
    ));
    Bench::new(&toml, "db")
}

/// Calls each node served, by node name.
fn served(b: &Bench, at: u64) -> Vec<(String, u64)> {
    b.comp.stats(at).nodes.iter().map(|n| (n.name.clone(), n.served)).collect()
}

#[test]
fn reads_and_writes_take_their_times() {
    let mut b = database("");
    b.request(Op::Read, 1);
    b.run();
    b.request(Op::Write, 1);
    let t = b.ctx.now;
    b.run();
    assert_eq!(b.outcomes(), [Outcome::Ok, Outcome::Ok]);
    assert_eq!(b.replies[0].at, MS);
    assert_eq!(b.replies[1].at - t, 2 * MS);
}

#[test]
fn reads_go_to_replicas_and_writes_to_the_primary() {
    let mut b = database("replicas = 2\nread_policy = \"round_robin\"");
    for k in 0..10 {
        b.request(Op::Read, k);
    }
    for k in 0..4 {
        b.request(Op::Write, k);
    }
    b.run();
    assert_eq!(b.outcomes().len(), 14);
    let nodes = served(&b, b.ctx.now);
    assert_eq!(nodes.len(), 3, "{nodes:?}");
    assert_eq!(nodes[0].1, 4, "the primary takes the writes only: {nodes:?}");
    assert_eq!(nodes[1].1 + nodes[2].1, 10, "{nodes:?}");
    assert_eq!(nodes[1].1, 5, "round robin over two replicas: {nodes:?}");
}

#[test]
fn read_your_writes_sends_the_writer_to_the_primary() {
    let mut b = database("replicas = 2\nread_your_writes = \"primary_window\"\nprimary_window = \"5s\"");
    b.request_from(Op::Write, 1, 7);
    b.run();
    b.request_from(Op::Read, 1, 7);
    b.run();
    b.request_from(Op::Read, 1, 8);
    b.run();
    let nodes = served(&b, b.ctx.now);
    assert_eq!(nodes[0].1, 2, "the write and its writer's read: {nodes:?}");
    assert_eq!(nodes[1].1 + nodes[2].1, 1, "another user's read: {nodes:?}");
}
