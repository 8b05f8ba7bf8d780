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
