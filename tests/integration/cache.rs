//! `kind = "cache"`: what a cache is adopted for (reads deflected from the database, hit
//! ratios that match theory) and what it costs (stale reads, writes at risk).

use stagesim::summary::{ComponentSummary, Summary};

/// A service in front of a cache in front of a database; the service and the database have
/// capacity to spare, so that what is measured is the cache. `writes` is the share of
/// requests that write; `cache` holds the cache's own keys.
fn scenario(keys: u64, zipf: f64, writes: f64, cache: &str, rate: u32, warmup_s: u32, measure_s: u32) -> String {
    let classes =
        if writes > 0.0 { format!("[requests]\nread = {}\nwrite = {writes}\n", 1.0 - writes) } else { String::new() };
    let calls =
        if writes > 0.0 { r#"{ read = ["cache.read"], write = ["cache.write"] }"# } else { r#"["cache.read"]"# };
    format!(
        r#"[scenario]
name = "cache test"
duration = "{}s"
warmup = "{warmup_s}s"
seed = 5

[load]
rate = "{rate}/s"

{classes}
[keys]
count = {keys}
popularity = "zipf"
zipf_exponent = {zipf}

[components.app]
kind = "service"
cores = 64
max_in_flight = 10000
service_time = "10us"
calls = {calls}

[components.cache]
kind = "cache"
backend = "db"
servers = 16
{cache}

[components.db]
kind = "database"
connections = 2000
cores = 256
read_time = "exp(mean = 2ms)"
write_time = "exp(mean = 5ms)"
"#,
        warmup_s + measure_s
    )
}

fn run(text: &str) -> Summary {
    let model = stagesim::parse_scenario("cache-test.toml", text).unwrap_or_else(|e| panic!("{e}"));
    stagesim::run(&model)
}

fn extra(c: &ComponentSummary, key: &str) -> f64 {
    *c.extra.get(key).unwrap_or_else(|| panic!("no `{key}` in {:?}", c.extra.keys()))
}

/// Che's approximation of the LRU hit ratio under independent Zipf(s) requests over n keys:
/// the characteristic time t solves sum_i (1 - exp(-p_i t)) = C, and the hit ratio is
/// sum_i p_i (1 - exp(-p_i t)).
fn che(n: u64, s: f64, capacity: u64) -> f64 {
    let weights: Vec<f64> = (1..=n).map(|i| (i as f64).powf(-s)).collect();
    let total: f64 = weights.iter().sum();
    let p: Vec<f64> = weights.iter().map(|w| w / total).collect();
    let filled = |t: f64| p.iter().map(|pi| 1.0 - (-pi * t).exp()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1.0);
    while filled(hi) < capacity as f64 {
        hi *= 2.0;
    }
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if filled(mid) < capacity as f64 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let t = (lo + hi) / 2.0;
    p.iter().map(|pi| pi * (1.0 - (-pi * t).exp())).sum()
}

#[test]
fn che_helper_matches_known_values() {
    // A cache as large as the key space hits always; a uniform key space hits C/n.
    assert!((che(1000, 1.0, 1000) - 1.0).abs() < 1e-6);
    assert!((che(1000, 0.0, 100) - 0.1).abs() < 1e-6);
}

/// Tolerance: 2 percentage points. Che's approximation is within a few tenths of a point for
/// these sizes (Fricker, Robert and Roberts 2012); over 800,000 measured reads the binomial
/// standard error of a hit ratio is below 0.06 points, and 20 s of warm-up at 20,000 reads/s
/// replaces the cache's content dozens of times over.
#[test]
fn lru_hit_ratio_matches_che_under_zipf() {
    for zipf in [0.8, 1.0] {
        for capacity in [1_000u64, 5_000] {
            let cache = format!("capacity = {capacity}\neviction = \"lru\"");
            let s = run(&scenario(100_000, zipf, 0.0, &cache, 20_000, 20, 40));
            let c = &s.components["cache"];
            let theory = che(100_000, zipf, capacity);
            let measured = extra(c, "hit_ratio");
            assert!(extra(c, "reads") > 700_000.0);
            assert!(
                (measured - theory).abs() < 0.02,
                "zipf {zipf}, capacity {capacity}: hit ratio {measured:.4}, Che {theory:.4}"
            );
        }
    }
}

/// Article 000: "a well-implemented cache layer can frequently deflect over 80% of read
/// traffic". Measured at the database (its reads against the cache's), an LRU cache of 5% of
/// a Zipf(1.0) key space of a million keys deflects about 72% (Che: 0.719), short of 80%;
/// it takes about 15% of the keys (Che: 0.816) to pass 80% at this skew.
#[test]
fn cache_deflects_reads_from_the_database() {
    let mut deflected = Vec::new();
    for capacity in [50_000u64, 150_000] {
        let cache = format!("capacity = {capacity}");
        let s = run(&scenario(1_000_000, 1.0, 0.0, &cache, 20_000, 60, 40));
        let db_reads = extra(&s.components["db"], "reads");
        let cache_reads = extra(&s.components["cache"], "reads");
        let d = 1.0 - db_reads / cache_reads;
        let theory = che(1_000_000, 1.0, capacity);
        assert!((d - theory).abs() < 0.02, "capacity {capacity}: deflected {d:.4}, Che {theory:.4}");
        deflected.push(d);
    }
    assert!(deflected[0] > 0.70 && deflected[0] < 0.80, "5% of the keys: {:.4}", deflected[0]);
    assert!(deflected[1] > 0.80, "15% of the keys: {:.4}", deflected[1]);
}

#[test]
fn lfu_beats_lru_on_a_stable_zipf_popularity() {
    let ratio = |eviction: &str| {
        let cache = format!("capacity = 2_000\neviction = \"{eviction}\"");
        extra(&run(&scenario(100_000, 0.9, 0.0, &cache, 20_000, 20, 20)).components["cache"], "hit_ratio")
    };
    let (lru, lfu) = (ratio("lru"), ratio("lfu"));
    assert!(lfu > lru + 0.03, "LFU {lfu:.4} vs LRU {lru:.4}");
}

/// The price of relying on TTL alone: writes leave cached copies stale until they expire.
/// Invalidation deletes the key before and after the database write, and a miss may only
/// store its value if no write was seen since it was sent. What remains is the race the
/// second delete cannot close: a miss filled between the first delete and the commit is
/// stale from the commit until the second delete runs (one cache operation later). So
/// stale hits become rare rather than impossible, and shrink with the cache's operation time.
#[test]
fn ttl_only_serves_stale_hits_and_invalidation_does_not() {
    let stale = |policy: &str, hit_time: &str| {
        let cache = format!(
            "capacity = 20_000\neviction = \"ttl\"\nttl = \"30s\"\nwrite_policy = \"{policy}\"\nhit_time = \"{hit_time}\""
        );
        let s = run(&scenario(100_000, 1.0, 0.05, &cache, 10_000, 10, 30));
        let c = &s.components["cache"];
        (extra(c, "stale_hits"), extra(c, "hits"))
    };
    let (ttl_stale, ttl_hits) = stale("write_around", "exp(mean = 0.2ms)");
    let (inv_stale, inv_hits) = stale("invalidate", "exp(mean = 0.2ms)");
    let (fast_stale, _) = stale("invalidate", "2us");
    assert!(ttl_stale / ttl_hits > 0.01, "TTL only: {ttl_stale} stale of {ttl_hits} hits");
    assert!(inv_stale / inv_hits < 1e-3, "invalidate: {inv_stale} stale of {inv_hits} hits");
    assert!(inv_stale * 100.0 < ttl_stale, "invalidate {inv_stale} vs TTL only {ttl_stale}");
    assert!(fast_stale * 10.0 <= inv_stale, "a shorter race window: {fast_stale} vs {inv_stale}");
}

/// Write-behind answers a write after one cache operation; write-through waits for the
/// database. The price: writes acked but not yet sent, about the write rate times the flush
/// interval by Little's law (fewer when writes to a waiting key share its flush).
#[test]
fn write_behind_acks_faster_than_write_through_and_holds_writes_at_risk() {
    let run_policy = |policy: &str| {
        let cache = format!("capacity = 10_000\nwrite_policy = \"{policy}\"");
        run(&scenario(100_000, 1.0, 0.2, &cache, 5_000, 10, 30))
    };
    let through = run_policy("write_through");
    let behind = run_policy("write_behind");
    let (t, b) = (through.classes["write"].latency_s.mean, behind.classes["write"].latency_s.mean);
    assert!(b * 5.0 < t, "write-behind mean {b} vs write-through {t}");
    assert!(through.classes["write"].latency_s.mean > 0.005, "write-through waits for the 5 ms write");
    let c = &behind.components["cache"];
    let writes_per_s = extra(c, "writes") / behind.measured_s;
    let at_risk = extra(c, "write_behind_pending_mean");
    assert!(at_risk > 0.5 * writes_per_s && at_risk <= 1.01 * writes_per_s, "{at_risk} at risk, {writes_per_s}/s");
    assert!(extra(c, "write_behind_coalesced") > 0.0);
    assert!(extra(&behind.components["db"], "writes") < extra(c, "writes"), "flushes share hot keys");
    assert_eq!(extra(c, "write_behind_lost"), 0.0);
}

#[test]
fn fixed_hit_ratio_mode_keeps_no_keys() {
    let s = run(&scenario(1_000, 1.0, 0.0, "hit_ratio = 0.9", 10_000, 5, 20));
    let c = &s.components["cache"];
    // 200,000 Bernoulli(0.9) reads: standard error 0.0007; 0.005 is seven of them.
    assert!((extra(c, "hit_ratio") - 0.9).abs() < 0.005, "{}", extra(c, "hit_ratio"));
    assert!(!c.extra.contains_key("stale_hits"));
}
