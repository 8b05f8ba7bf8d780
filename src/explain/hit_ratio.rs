//! A cache's steady-state hit ratio from its capacity and the key popularity, as the
//! literature computes it: Che's approximation for LRU (a key stays cached for a
//! characteristic time T_C after its last read, where the expected number of distinct
//! keys read within T_C equals the capacity), the TTL formula (a key read at rate r is
//! cached for `ttl` after each miss: hit ratio r*ttl / (1 + r*ttl)), and perfect LFU (the
//! `capacity` most popular keys).

use crate::components::cache_store::Eviction;
use crate::model::Keys;

/// Ranks computed one by one; beyond, keys are grouped in geometric buckets.
const EXACT_RANKS: u64 = 20_000;
const BUCKET_GROWTH: f64 = 1.01;

/// (probability of one key, number of keys with it), most popular first, summing to 1.
pub fn popularity(keys: &Keys) -> Vec<(f64, f64)> {
    match *keys {
        Keys::Uniform { count } => vec![(1.0 / count.max(1) as f64, count as f64)],
        Keys::Zipf { count, exponent } => {
            let w = |k: f64| k.powf(-exponent);
            let mut out: Vec<(f64, f64)> = (1..=count.min(EXACT_RANKS)).map(|k| (w(k as f64), 1.0)).collect();
            let mut a = EXACT_RANKS + 1;
            while a <= count {
                let b = ((a as f64 * BUCKET_GROWTH).ceil() as u64).clamp(a + 1, count + 1);
                // Sum of k^-s over [a, b) by the midpoint integral.
                let (lo, hi) = (a as f64 - 0.5, b as f64 - 0.5);
                let total = if (exponent - 1.0).abs() < 1e-12 {
                    (hi / lo).ln()
                } else {
                    (hi.powf(1.0 - exponent) - lo.powf(1.0 - exponent)) / (1.0 - exponent)
                };
                let n = (b - a) as f64;
                out.push((total / n, n));
                a = b;
            }
            let norm: f64 = out.iter().map(|(p, n)| p * n).sum();
            out.iter_mut().for_each(|(p, _)| *p /= norm);
            out
        }
    }
}

/// Che's characteristic time (in reads) of an LRU cache of `capacity` keys.
fn che_time(pop: &[(f64, f64)], capacity: f64) -> f64 {
    let filled = |t: f64| pop.iter().map(|(p, n)| n * (1.0 - (-p * t).exp())).sum::<f64>();
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while filled(hi) < capacity && hi < 1e18 {
        hi *= 2.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if filled(mid) < capacity {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The hit ratio of a cache of `capacity` keys under `eviction`, read `reads_per_s` times a
/// second (used by TTL only).
pub fn hit_ratio(keys: &Keys, capacity: u32, eviction: Eviction, ttl_s: Option<f64>, reads_per_s: f64) -> f64 {
    let pop = popularity(keys);
    let total: f64 = pop.iter().map(|(_, n)| n).sum();
    let cap = f64::from(capacity);
    match eviction {
        Eviction::Ttl => {
            let ttl = ttl_s.unwrap_or(0.0);
            pop.iter()
                .map(|(p, n)| {
                    let rt = p * reads_per_s * ttl;
                    n * p * rt / (1.0 + rt)
                })
                .sum()
        }
        _ if cap >= total => 1.0,
        Eviction::Lru => {
            let t = che_time(&pop, cap);
            pop.iter().map(|(p, n)| n * p * (1.0 - (-p * t).exp())).sum()
        }
        Eviction::Lfu => {
            let mut left = cap;
            let mut h = 0.0;
            for (p, n) in &pop {
                let take = n.min(left);
                h += take * p;
                left -= take;
                if left <= 0.0 {
                    break;
                }
            }
            h
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popularity_sums_to_one_and_buckets_match_exact_sums() {
        let keys = Keys::Zipf { count: 1_000_000, exponent: 1.0 };
        let pop = popularity(&keys);
        let n: f64 = pop.iter().map(|(_, n)| n).sum();
        assert!((n - 1e6).abs() < 1e-6);
        assert!((pop.iter().map(|(p, n)| p * n).sum::<f64>() - 1.0).abs() < 1e-9);
        // H(1e6) = ln(1e6) + 0.5772 + 1/(2e6): the top key's share is 1/H.
        assert!((pop[0].0 - 1.0 / 14.392_727).abs() < 1e-6, "{}", pop[0].0);
    }

    #[test]
    fn che_lru_uniform_and_lfu() {
        // Uniform keys: LRU holds C of N, hit ratio C/N.
        let u = Keys::Uniform { count: 1000 };
        assert!((hit_ratio(&u, 250, Eviction::Lru, None, 1.0) - 0.25).abs() < 1e-6);
        assert_eq!(hit_ratio(&u, 2000, Eviction::Lru, None, 1.0), 1.0);
        // Zipf(1) over 200k keys with 15% cached: LFU is the top-30k share, LRU below it.
        let z = Keys::Zipf { count: 200_000, exponent: 1.0 };
        let lfu = hit_ratio(&z, 30_000, Eviction::Lfu, None, 1.0);
        let lru = hit_ratio(&z, 30_000, Eviction::Lru, None, 1.0);
        assert!((lfu - 0.845).abs() < 0.01, "{lfu}");
        assert!(lru < lfu && lru > 0.75, "{lru}");
        // TTL: one key read 10 times a second, kept 1 s: 10 / 11.
        let one = Keys::Uniform { count: 1 };
        assert!((hit_ratio(&one, 1, Eviction::Ttl, Some(1.0), 10.0) - 10.0 / 11.0).abs() < 1e-9);
    }
}
