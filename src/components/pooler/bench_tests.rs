//! The pooler on a bench: server connections are shared, clients beyond them wait their
//! turn, clients beyond the limit are refused.

#![cfg(test)]

use crate::components::testkit::{scenario, Bench, MS};
use crate::engine::calls::{Op, Outcome};

fn pooler(server: u32, clients: u32) -> Bench {
    let toml = scenario(&format!(
        "[components.pool]\nkind = \"pooler\"\nbackend = \"db\"\nserver_connections = {server}\n\
         max_client_connections = {clients}\n\n\
         [components.db]\nkind = \"database\"\nread_time = \"constant(1ms)\"\n"
    ));
    Bench::new(&toml, "pool")
}

#[test]
fn queries_wait_for_a_server_connection() {
    let mut b = pooler(2, 100);
    b.answer_after = 10 * MS;
    for k in 0..4 {
        b.request(Op::Read, k);
    }
    b.run_until(MS);
    assert_eq!(b.calls_out.len(), 2, "two server connections: two queries at the database");
    b.run();
    assert_eq!(b.calls_out.len(), 4, "the others went out as connections came back");
    assert!(b.calls_out.iter().all(|c| c.comp == b.id_of("db") && c.op == Op::Read));
    assert_eq!(b.outcomes(), [Outcome::Ok; 4]);
    assert!(b.replies[3].at >= 20 * MS, "the last waited for a connection: {}", b.replies[3].at);
}

#[test]
fn clients_beyond_the_limit_are_refused() {
    let mut b = pooler(1, 2);
    for k in 0..3 {
        b.request(Op::Write, k);
    }
    b.run();
    assert_eq!(b.outcomes(), [Outcome::Rejected, Outcome::Ok, Outcome::Ok]);
    assert_eq!(b.calls_out.len(), 2);
}
