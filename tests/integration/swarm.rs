//! Swarm testing: random valid topologies from fixed seeds, each run briefly and checked for
//! what must hold whatever the design: requests conserved, every probability, ratio and
//! utilization in [0, 1], no mean above its maximum, no NaN or infinity anywhere in the JSON.
//!
//! A topology is drawn from a small grammar of the shipped kinds (an optional balancer, an app
//! pool, a data tier that is a database with replicas, a cache in front of one, or shards, an
//! optional queue of workers, an optional crash), with rates from light to far past
//! saturation, so overload paths are exercised as often as healthy ones.

use stagesim::runner::{apply, RunOptions};

/// SplitMix64: a tiny portable generator, so the topologies do not depend on rand's versions.
pub struct Gen(u64);

impl Gen {
    pub fn new(seed: u64) -> Self {
        Gen(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in lo..=hi.
    pub fn int(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.int(0, xs.len() as u64 - 1) as usize]
    }
}

fn dist(g: &mut Gen, lo_ms: u64, hi_ms: u64) -> String {
    let mean_ms = g.int(lo_ms, hi_ms);
    match g.int(0, 3) {
        0 => format!("exp(mean = {mean_ms}ms)"),
        1 => format!("lognormal(mean = {mean_ms}ms, cv = 1.5)"),
        2 => format!("{mean_ms}ms"),
        _ => format!("gamma(mean = {mean_ms}ms, cv = 0.5)"),
    }
}

fn data_tier(g: &mut Gen, keys: bool) -> (String, &'static str) {
    let db_core = format!(
        "instance_type = \"db.r5.large\"\nconnections = {}\nread_time = \"{}\"\nwrite_time = \"{}\"\n",
        g.int(2, 60),
        dist(g, 1, 4),
        dist(g, 2, 8)
    );
    match g.int(0, 2) {
        0 => {
            let mut s = format!("[components.db]\nkind = \"database\"\n{db_core}");
            if g.chance(0.5) {
                let policy = g.pick(&["round_robin", "least_connections", "random"]);
                s += &format!(
                    "replicas = {}\nread_policy = \"{policy}\"\nreplication_lag = \"exp(mean = 30ms)\"\n",
                    g.int(1, 3)
                );
            }
            (s, "db")
        }
        1 if keys => {
            let eviction = g.pick(&["lru", "lfu"]);
            let s = format!(
                "[components.cache]\nkind = \"cache\"\ninstance_type = \"cache.r6g.large\"\nbackend = \"db\"\n\
                 capacity = {}\neviction = \"{eviction}\"\nwrite_policy = \"invalidate\"\nservers = {}\n\
                 hit_time = \"exp(mean = 0.2ms)\"\n\n[components.db]\nkind = \"database\"\n{db_core}",
                g.int(100, 20_000),
                g.int(1, 3)
            );
            (s, "cache")
        }
        _ if keys => {
            let strategy = g.pick(&["hash_modulo", "consistent_hash", "range"]);
            let s = format!(
                "[components.db]\nkind = \"shards\"\nshards = {}\nstrategy = \"{strategy}\"\n{db_core}",
                g.int(2, 6)
            );
            (s, "db")
        }
        _ => (format!("[components.db]\nkind = \"database\"\n{db_core}"), "db"),
    }
}

/// A random valid scenario, as TOML text.
pub fn topology(seed: u64) -> String {
    let mut g = Gen::new(seed);
    let keys = g.chance(0.7);
    let mut t = format!(
        "[scenario]\nname = \"swarm {seed}\"\nduration = \"{}s\"\nwarmup = \"1s\"\ndrain = \"5s\"\nseed = {seed}\n\n\
         [load]\nrate = \"{}/s\"\ntimeout = \"{}ms\"\n\n[requests]\nread = 0.8\nwrite = 0.2\n\n\
         [limits]\nmax_events = 3000000\n\n",
        g.int(3, 8),
        g.int(20, 4000),
        g.int(200, 3000)
    );
    if keys {
        t += &format!(
            "[keys]\ncount = {}\npopularity = \"zipf\"\nzipf_exponent = 1.{}\n\n",
            g.int(100, 50_000),
            g.int(0, 3)
        );
    }
    let (tier, target) = data_tier(&mut g, keys);
    let queue = g.chance(0.3);
    let entry_lb = g.chance(0.5);
    if entry_lb {
        let policy = g.pick(&["round_robin", "random", "least_connections", "power_of_two"]);
        t += &format!("[components.lb]\nkind = \"load_balancer\"\npolicy = \"{policy}\"\nbackends = \"app\"\n\n");
    }
    let write = if queue { format!("[\"{target}.write\", \"jobs\"]") } else { format!("[\"{target}.write\"]") };
    t += &format!(
        "[components.app]\nkind = \"service\"\ninstance_type = \"{}\"\ninstances = {}\nmax_in_flight = {}\nqueue = {}\n\
         service_time = \"{}\"\ncalls = {{ read = [\"{target}.read\"], write = {write} }}\ntimeout = \"{}ms\"\n\n",
        g.pick(&["m5.large", "c5.xlarge"]),
        g.int(1, 4),
        g.int(4, 200),
        g.int(10, 2000),
        dist(&mut g, 1, 10),
        g.int(50, 2000)
    );
    t += &tier;
    t += "\n";
    if queue {
        t += &format!(
            "[components.jobs]\nkind = \"queue\"\nack_time = \"exp(mean = 1ms)\"\ncapacity = {}\nworkers = {}\n\
             work_time = \"{}\"\ncalls = [\"db.write\"]\ntimeout = \"1s\"\ninstance_type = \"c5.xlarge\"\ninstances = 1\n\n",
            g.int(10, 100_000),
            g.int(1, 16),
            dist(&mut g, 1, 40)
        );
    }
    if g.chance(0.3) {
        t += "[[faults]]\nat = \"2s\"\nkind = \"instance_crash\"\ntarget = \"app\"\ninstance = 0\nrestart_after = \"1s\"\n";
    }
    t
}

/// Every number in a JSON tree that must be a probability, a ratio or a utilization lies in
/// [0, 1]; no mean exceeds its maximum; nothing is NaN or infinite. Returns what is wrong.
pub fn contradictions(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if let (Some(mean), Some(max)) = (
                m.get("queue_mean").and_then(serde_json::Value::as_f64),
                m.get("queue_max").and_then(serde_json::Value::as_f64),
            ) {
                if mean > max + 1e-9 {
                    out.push(format!("{path}: queue_mean {mean} > queue_max {max}"));
                }
            }
            for (k, x) in m {
                if let Some(f) = x.as_f64() {
                    let bounded = k.ends_with("probability") || k.ends_with("utilization") || k.ends_with("_ratio");
                    if bounded && !(0.0..=1.0 + 1e-9).contains(&f) {
                        out.push(format!("{path}.{k} = {f}"));
                    }
                }
                contradictions(x, &format!("{path}.{k}"), out);
            }
        }
        serde_json::Value::Array(xs) => xs.iter().for_each(|x| contradictions(x, &format!("{path}[]"), out)),
        // serde_json writes a non-finite float as null: a null where every run had a number is
        // caught by the typed fields; here a number is always finite.
        _ => {}
    }
}

fn check(seed: u64) {
    let text = topology(seed);
    let model = stagesim::parse_scenario("swarm.toml", &text).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
    let s = stagesim::run(&apply(&model, &RunOptions::default()));
    let r = &s.requests;
    assert_eq!(r.arrived, r.completed + r.failed + r.rejected + r.timed_out + r.in_flight, "seed {seed}: conservation");
    assert!(r.arrived > 0, "seed {seed}: no traffic\n{text}");
    let json = serde_json::to_value(&s).unwrap();
    let mut bad = Vec::new();
    contradictions(&json, "", &mut bad);
    assert!(bad.is_empty(), "seed {seed}: {bad:?}\n{text}");
    for (name, c) in &s.components {
        for (k, x) in &c.extra {
            assert!(x.is_finite(), "seed {seed}: {name}.{k} = {x}");
        }
    }
}

#[test]
fn random_topologies_conserve_requests_and_stay_in_bounds() {
    // 200 topologies of a few simulated seconds each: a few seconds of CPU in all.
    for seed in 0..200 {
        check(seed);
    }
}

#[test]
#[ignore = "slow tier"]
fn slow_many_random_topologies() {
    for seed in 200..1200 {
        check(seed);
    }
}
