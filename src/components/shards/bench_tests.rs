//! Shards on a bench: a key always reaches the same shard, keys spread over all of them.

#![cfg(test)]

use crate::components::testkit::{scenario, Bench};
use crate::engine::calls::{Op, Outcome};

fn shards(strategy: &str) -> Bench {
    let toml = scenario(&format!(
        "[components.db]\nkind = \"shards\"\nshards = 4\nstrategy = \"{strategy}\"\n\
         read_time = \"constant(1ms)\"\nwrite_time = \"constant(2ms)\"\n"
    ));
    Bench::new(&toml, "db")
}

fn served(b: &Bench) -> Vec<u64> {
    b.comp.stats(b.ctx.now).nodes.iter().map(|n| n.served).collect()
}

#[test]
fn one_key_stays_on_one_shard() {
    for strategy in ["hash_modulo", "range", "consistent_hash"] {
        let mut b = shards(strategy);
        for _ in 0..10 {
            b.request(Op::Read, 42);
        }
        b.run();
        assert_eq!(b.outcomes(), [Outcome::Ok; 10]);
        let s = served(&b);
        assert_eq!(s.len(), 4);
        assert_eq!(s.iter().filter(|n| **n > 0).count(), 1, "{strategy}: {s:?}");
        assert!(b.calls_out.is_empty(), "shards call nothing");
    }
}

#[test]
fn keys_spread_over_every_shard() {
    for strategy in ["hash_modulo", "range", "consistent_hash"] {
        let mut b = shards(strategy);
        for k in 0..1000 {
            b.request(if k % 2 == 0 { Op::Read } else { Op::Write }, k);
        }
        b.run();
        let s = served(&b);
        assert_eq!(s.iter().sum::<u64>(), 1000);
        assert!(s.iter().all(|n| *n > 100), "{strategy}: {s:?}");
    }
}
