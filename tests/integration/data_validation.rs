//! Bad input for the data-tier kinds (cache, database replicas, shards, poolers): each
//! mistake is reported at its line and column with the key, what is wrong and the fix.

use crate::validation::{check, Expect};

const VALID: &str = r#"[scenario]
name = "data tier"
duration = "1m"

[load]
rate = "100/s"

[requests]
view = 0.9
edit = 0.1

[components.app]
kind = "service"
service_time = "1ms"
calls = { view = ["cache.read"], edit = ["cache.write"] }

[components.cache]
kind = "cache"
backend = "db"
capacity = 1_000
eviction = "lru"

[components.db]
kind = "database"
read_time = "2ms"
"#;

fn edit(from: &str, to: &str) -> String {
    assert_eq!(VALID.matches(from).count(), 1, "`{from}` must occur once");
    VALID.replace(from, to)
}

#[test]
fn the_base_scenario_is_valid() {
    let model = stagesim::parse_scenario("valid.toml", VALID).expect("valid");
    assert!(model.draws_keys, "a cache with keys makes requests carry keys");
}

#[test]
fn cache_without_capacity() {
    let text = edit("capacity = 1_000\n", "");
    let e = Expect {
        at: ("[components.cache]", 1),
        key: "components.cache.capacity",
        message: "needs a `capacity`",
        help: "capacity = 50_000",
    };
    check("cache-no-capacity", &text, e);
}

#[test]
fn cache_capacity_in_bytes_needs_value_size() {
    let text = edit("capacity = 1_000", r#"capacity = "2GiB""#);
    let e = Expect {
        at: (r#"capacity = "2GiB""#, 12),
        key: "components.cache.capacity",
        message: "needs a `value_size`",
        help: "value_size = \"1KiB\"",
    };
    check("cache-bytes-no-size", &text, e);
}

#[test]
fn cache_bytes_capacity_is_divided_by_value_size() {
    let text = edit("capacity = 1_000", "capacity = \"1MiB\"\nvalue_size = \"1KiB\"");
    let model = stagesim::parse_scenario("bytes.toml", &text).expect("valid");
    let cache = model.components.iter().find(|c| c.name == "cache").unwrap();
    match &cache.spec {
        stagesim::components::ComponentSpec::Cache(s) => {
            assert_eq!(
                s.mode,
                stagesim::components::cache::Mode::Keys {
                    capacity: 1024,
                    eviction: stagesim::components::cache_store::Eviction::Lru,
                    ttl: None
                }
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn cache_zero_capacity() {
    let text = edit("capacity = 1_000", "capacity = 0");
    let e = Expect {
        at: ("capacity = 0", 12),
        key: "components.cache.capacity",
        message: "at least one entry",
        help: "1 or more",
    };
    check("cache-zero-capacity", &text, e);
}

#[test]
fn cache_ttl_eviction_needs_ttl() {
    let text = edit(r#"eviction = "lru""#, r#"eviction = "ttl""#);
    let e = Expect {
        at: (r#"eviction = "ttl""#, 12),
        key: "components.cache.eviction",
        message: "needs a `ttl`",
        help: "ttl = \"5m\"",
    };
    check("cache-ttl-no-ttl", &text, e);
}

#[test]
fn cache_unknown_eviction() {
    let text = edit(r#"eviction = "lru""#, r#"eviction = "lfru""#);
    let e = Expect {
        at: (r#"eviction = "lfru""#, 12),
        key: "components.cache.eviction",
        message: "unknown variant `lfru`",
        help: "one of the listed values",
    };
    check("cache-bad-eviction", &text, e);
}

#[test]
fn cache_unknown_write_policy() {
    let text = edit(r#"eviction = "lru""#, "eviction = \"lru\"\nwrite_policy = \"write_back\"");
    let e = Expect {
        at: (r#"write_policy = "write_back""#, 16),
        key: "components.cache.write_policy",
        message: "unknown variant `write_back`",
        help: "one of the listed values",
    };
    check("cache-bad-write-policy", &text, e);
}

#[test]
fn cache_flush_interval_without_write_behind() {
    let text = edit(r#"eviction = "lru""#, "eviction = \"lru\"\nflush_interval = \"1s\"");
    let e = Expect {
        at: (r#"flush_interval = "1s""#, 18),
        key: "components.cache.flush_interval",
        message: "only applies to `write_policy = \"write_behind\"`",
        help: "remove it",
    };
    check("cache-flush-no-behind", &text, e);
}

#[test]
fn cache_hit_ratio_out_of_range() {
    let text = edit("capacity = 1_000\neviction = \"lru\"", "hit_ratio = 1.5");
    let e = Expect {
        at: ("hit_ratio = 1.5", 13),
        key: "components.cache.hit_ratio",
        message: "between 0 and 1",
        help: "hit_ratio = 0.9",
    };
    check("cache-hit-ratio", &text, e);
}

#[test]
fn cache_hit_ratio_with_capacity() {
    let text = edit(r#"eviction = "lru""#, "hit_ratio = 0.9");
    let e = Expect {
        at: ("capacity = 1_000", 12),
        key: "components.cache.capacity",
        message: "no effect with a fixed `hit_ratio`",
        help: "remove it",
    };
    check("cache-hit-ratio-and-capacity", &text, e);
}

#[test]
fn cache_call_without_operation() {
    let text = edit(r#"view = ["cache.read"]"#, r#"view = ["cache"]"#);
    let e = Expect {
        at: (r#"view = ["cache"]"#, 19),
        key: "components.app.calls.view.0",
        message: "whether it reads or writes",
        help: "`cache.read` or `cache.write`",
    };
    check("cache-call-no-op", &text, e);
}

#[test]
fn cache_key_space_too_large_for_key_state() {
    let text = edit("[components.app]", "[keys]\ncount = 20_000_000\n\n[components.app]");
    let e = Expect {
        at: ("count = 20_000_000", 9),
        key: "keys.count",
        message: "keeps state for every key",
        help: "fixed `hit_ratio`",
    };
    check("cache-too-many-keys", &text, e);
}

#[test]
fn database_replica_setting_without_replicas() {
    let text = edit(r#"read_time = "2ms""#, "read_time = \"2ms\"\nread_policy = \"random\"");
    let e = Expect {
        at: (r#"read_policy = "random""#, 15),
        key: "components.db.read_policy",
        message: "`read_policy` needs read replicas",
        help: "replicas = 2",
    };
    check("db-read-policy-no-replicas", &text, e);
}

#[test]
fn database_primary_window_without_that_policy() {
    let text = edit(r#"read_time = "2ms""#, "read_time = \"2ms\"\nreplicas = 2\nprimary_window = \"5s\"");
    let e = Expect {
        at: (r#"primary_window = "5s""#, 18),
        key: "components.db.primary_window",
        message: "only applies to `read_your_writes = \"primary_window\"`",
        help: "read_your_writes = \"primary_window\"",
    };
    check("db-window-without-policy", &text, e);
}

#[test]
fn database_unknown_read_your_writes() {
    let text = edit(r#"read_time = "2ms""#, "read_time = \"2ms\"\nreplicas = 2\nread_your_writes = \"sticky\"");
    let e = Expect {
        at: (r#"read_your_writes = "sticky""#, 20),
        key: "components.db.read_your_writes",
        message: "unknown variant `sticky`",
        help: "one of the listed values",
    };
    check("db-bad-ryw", &text, e);
}

#[test]
fn database_bad_replication_lag() {
    let text = edit(r#"read_time = "2ms""#, "read_time = \"2ms\"\nreplicas = 2\nreplication_lag = \"exp(50ms)\"");
    let e = Expect {
        at: (r#"replication_lag = "exp(50ms)""#, 19),
        key: "components.db.replication_lag",
        message: "missing argument `mean",
        help: "exp(mean = 2ms)",
    };
    check("db-bad-lag", &text, e);
}

#[test]
fn database_replica_state_beyond_the_limit() {
    let text = edit("[components.app]", "[keys]\ncount = 6_000_000\n\n[components.app]")
        .replace("capacity = 1_000", "hit_ratio = 0.5")
        .replace("eviction = \"lru\"\n", "")
        .replace(r#"read_time = "2ms""#, "read_time = \"2ms\"\nreplicas = 2");
    let e = Expect {
        at: ("replicas = 2", 12),
        key: "components.db.replicas",
        message: "6000000 keys x 2 replicas is more than 10000000",
        help: "fewer replicas",
    };
    check("db-replica-state", &text, e);
}

#[test]
fn database_too_many_replicas() {
    let text = edit(r#"read_time = "2ms""#, "read_time = \"2ms\"\nreplicas = 100");
    let e = Expect {
        at: ("replicas = 100", 12),
        key: "components.db.replicas",
        message: "more than the 64",
        help: "shards",
    };
    check("db-too-many-replicas", &text, e);
}

fn sharded(settings: &str) -> String {
    edit(r#"kind = "database""#, &format!("kind = \"shards\"\n{settings}"))
}

#[test]
fn shards_are_valid() {
    let model = stagesim::parse_scenario("shards.toml", &sharded("shards = 4\nstrategy = \"range\"")).expect("valid");
    assert!(model.draws_keys);
}

#[test]
fn shards_zero() {
    let e = Expect {
        at: ("shards = 0", 10),
        key: "components.db.shards",
        message: "`shards` must be at least 1",
        help: "1 or more",
    };
    check("shards-zero", &sharded("shards = 0"), e);
}

#[test]
fn shards_missing_count() {
    let e = Expect {
        at: ("[components.db]", 1),
        key: "components.db.shards",
        message: "missing field `shards`",
        help: "add `shards",
    };
    check("shards-missing", &sharded("strategy = \"range\""), e);
}

#[test]
fn shards_unknown_strategy() {
    let e = Expect {
        at: (r#"strategy = "consistent""#, 12),
        key: "components.db.strategy",
        message: "unknown variant `consistent`",
        help: "one of the listed values",
    };
    check("shards-bad-strategy", &sharded("shards = 4\nstrategy = \"consistent\""), e);
}

#[test]
fn shards_virtual_nodes_need_the_ring() {
    let e = Expect {
        at: ("virtual_nodes = 50", 17),
        key: "components.db.virtual_nodes",
        message: "only applies to `strategy = \"consistent_hash\"`",
        help: "consistent_hash",
    };
    check("shards-vnodes-no-ring", &sharded("shards = 4\nvirtual_nodes = 50"), e);
}

#[test]
fn shards_too_many() {
    let e = Expect {
        at: ("shards = 1000", 10),
        key: "components.db.shards",
        message: "more than the 256",
        help: "sample of the shards",
    };
    check("shards-too-many", &sharded("shards = 1000"), e);
}

#[test]
fn pool_target_the_service_never_calls() {
    let text = edit(r#"service_time = "1ms""#, "service_time = \"1ms\"\npool = { target = \"db\", size = 10 }");
    let e = Expect {
        at: (r#"pool = { target = "db""#, 19),
        key: "components.app.pool.target",
        message: "which this service never calls",
        help: "remove `pool`",
    };
    check("pool-target-not-called", &text, e);
}

#[test]
fn pool_of_zero_connections() {
    let text = edit(r#"service_time = "1ms""#, "service_time = \"1ms\"\npool = { target = \"cache\", size = 0 }");
    assert!(stagesim::parse_scenario("ok.toml", &text.replace("size = 0", "size = 4")).is_ok());
    let e = Expect {
        at: (r#"pool = { target = "cache""#, 35),
        key: "components.app.pool.size",
        message: "`size` must be at least 1",
        help: "1 or more",
    };
    check("pool-size-zero", &text, e);
}

#[test]
fn pool_unknown_key() {
    let text = edit(r#"service_time = "1ms""#, "service_time = \"1ms\"\npool = { target = \"cache\", sise = 4 }");
    let e = Expect {
        at: (r#"pool = { target = "cache""#, 28),
        key: "components.app.pool.sise",
        message: "unknown field `sise`",
        help: "`size`",
    };
    check("pool-unknown-key", &text, e);
}

/// The cache reads and writes through a pooler `pgb` with `settings`.
fn pooled(settings: &str) -> String {
    edit(r#"backend = "db""#, r#"backend = "pgb""#)
        .replace("[components.db]", &format!("[components.pgb]\nkind = \"pooler\"\n{settings}\n\n[components.db]"))
}

#[test]
fn pooler_is_valid() {
    let text = pooled("backend = \"db\"\nserver_connections = 20");
    stagesim::parse_scenario("pooler.toml", &text).expect("valid");
}

#[test]
fn pooler_zero_server_connections() {
    let e = Expect {
        at: ("server_connections = 0", 22),
        key: "components.pgb.server_connections",
        message: "must be at least 1",
        help: "1 or more",
    };
    check("pooler-zero", &pooled("backend = \"db\"\nserver_connections = 0"), e);
}

#[test]
fn pooler_fewer_clients_than_server_connections() {
    let e = Expect {
        at: ("max_client_connections = 10", 26),
        key: "components.pgb.max_client_connections",
        message: "10 client connections cannot use 20 server connections",
        help: "raise it",
    };
    check("pooler-clients", &pooled("backend = \"db\"\nserver_connections = 20\nmax_client_connections = 10"), e);
}

#[test]
fn pooler_unknown_backend() {
    let e = Expect {
        at: (r#"backend = "dbb""#, 11),
        key: "components.pgb.backend",
        message: "no component named `dbb`",
        help: "`db`",
    };
    check("pooler-backend", &pooled("backend = \"dbb\"\nserver_connections = 20"), e);
}
