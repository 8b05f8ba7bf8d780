//! Faults of the data path: a replica lag spike makes reads stale as the key-write reasoning
//! predicts, a primary failover fails writes only while it promotes and loses the writes the
//! promoted replica lacked, a cache flush sends the load to the backend until it re-warms.

use stagesim::runner::RunOptions;
use stagesim::summary::{Summary, Window};

fn series(w: &Window, name: &str, comp: &str) -> f64 {
    w.series.get(name).and_then(|m| m.get(comp)).copied().unwrap_or(f64::NAN)
}

fn windows(s: &Summary, from: f64, to: f64) -> Vec<&Window> {
    s.windows.iter().filter(|w| w.t_s >= from && w.t_s + s.window_s <= to).collect()
}

fn mean(ws: &[&Window], name: &str, comp: &str) -> f64 {
    ws.iter().map(|w| series(w, name, comp)).sum::<f64>() / ws.len() as f64
}

#[test]
fn replica_lag_spike_makes_reads_stale_as_predicted_then_recovers() {
    let s = crate::run_with("scenarios/time/replica-lag-spike.toml", RunOptions::default());
    let f = &s.faults[0];
    assert_eq!((f.kind.as_str(), f.requests_failed), ("replica_lag_spike", 0));
    // Writes to a key are Poisson at w = 50/s / 10,000 keys. A read s seconds into the spike
    // is stale when its key was written in the last min(s, L) seconds (L = 30 s + 50 ms):
    // P = 1 - exp(-w min(s, L)). Averaged over the D = 60 s of the spike:
    // 1 - [(1 - exp(-wL)) / w + (D - L) exp(-wL)] / D.
    let (w, l, d): (f64, f64, f64) = (50.0 / 10_000.0, 30.05, 60.0);
    let p = 1.0 - ((1.0 - (-w * l).exp()) / w + (d - l) * (-w * l).exp()) / d;
    let expected = p * 200.0 * d;
    // Stale reads come in bursts (every read of a key written during the spike is stale for
    // 30 s), so the count varies more than a binomial: about 4% here; 15% is ~3.5 sd.
    let stale = f.served_stale as f64;
    assert!((stale - expected).abs() < 0.15 * expected, "{stale} stale reads, expected {expected:.0}");
    // Per window: ~0 before, 1 - exp(-wL) = 14% once the spike is L old, ~0 again L after it.
    let ratio = |from, to| mean(&windows(&s, from, to), "stale_read_ratio", "db");
    let (before, full, after) = (ratio(30.0, 120.0), ratio(151.0, 180.0), ratio(215.0, 300.0));
    assert!(before < 0.005 && after < 0.005, "stale ratio {before} before, {after} after");
    assert!((full - (1.0 - (-w * l).exp())).abs() < 0.03, "stale ratio {full} at the spike's height");
    // Caught up when the last write of the spike shows: 30 s (plus its usual lag) after it.
    let recovered = f.recovered_after_s.expect("the replicas catch up");
    assert!((90.0..91.0).contains(&recovered), "caught up after {recovered}s");
}

#[test]
fn primary_failover_fails_writes_only_while_promoting_and_never_reads() {
    let s = crate::run_with("scenarios/time/primary-failover.toml", RunOptions::default());
    let f = &s.faults[0];
    assert_eq!((f.kind.as_str(), f.detected_after_s, f.recovered_after_s), ("primary_failover", None, Some(30.0)));
    // Writes are 50/s: about 1,500 fail in the 30 s (Poisson, 5 sd), plus the few held.
    let tol = 5.0 * 1500f64.sqrt() + 10.0;
    assert!((f.requests_failed as f64 - 1500.0).abs() < tol, "{} writes failed", f.requests_failed);
    assert_eq!(s.requests.failed, f.requests_failed);
    let browse = &s.classes["browse"].requests;
    assert_eq!((browse.failed, browse.timed_out, browse.rejected), (0, 0, 0), "reads never fail");
    for w in &s.windows {
        if w.t_s + s.window_s <= 120.0 || w.t_s >= 150.0 {
            assert_eq!(w.errors_per_s, 0.0, "t={}", w.t_s);
        }
    }
    // One replica fewer afterwards, and the promoted node takes the writes.
    assert!(s.windows.iter().filter(|w| w.t_s >= 155.0).all(|w| w.throughput_per_s > 200.0));
}

/// E[min(A + C, B + C)] for independent Poisson A, B, C of mean `m`.
fn expected_min(m: f64) -> f64 {
    let mut tail = 1.0; // P(A >= k)
    let mut pmf = (-m).exp();
    let mut sum = 0.0;
    for k in 1..200 {
        tail -= pmf;
        sum += tail * tail;
        pmf *= m / f64::from(k);
    }
    m + sum
}

#[test]
fn failover_loses_about_the_writes_in_flight_to_the_best_replica() {
    // Writes at w = 50/s reach each replica after an exponential lag of mean mu = 200 ms, so
    // the writes a replica lacks at any moment are Poisson of mean w mu = 10 (an M/G/inf
    // queue). For two replicas fed the same writes, those lacking from both are Poisson of
    // mean w mu / 2 (C), and those lacking from one only are each Poisson of w mu / 2 (A, B):
    // the promoted replica, the one lacking fewer, lacks min(A + C, B + C).
    let expected = expected_min(50.0 * 0.2 / 2.0);
    let seeds = 20u64;
    let total: u64 = (0..seeds)
        .map(|seed| {
            let opts = RunOptions { seed: Some(1000 + seed), duration_ns: Some(125_000_000_000), ..Default::default() };
            crate::run_with("scenarios/time/primary-failover.toml", opts).faults[0].requests_lost
        })
        .sum();
    let mean = total as f64 / seeds as f64;
    // Its variance is at most that of one replica's backlog (10): 5 sd of a 20-run mean.
    let tol = 5.0 * (10.0 / seeds as f64).sqrt();
    assert!((mean - expected).abs() < tol, "{mean} writes lost on average, expected {expected:.2} +- {tol:.2}");
}

#[test]
fn cache_flush_sends_the_load_to_the_backend_until_it_rewarms() {
    let s = crate::run_with("scenarios/time/cache-flush.toml", RunOptions::default());
    let f = &s.faults[0];
    assert_eq!((f.kind.as_str(), f.requests_failed), ("cache_flush", 0));
    let before = windows(&s, 60.0, 120.0);
    let (hit, backend) =
        (mean(&before, "cache_hit_ratio", "cache"), mean(&before, "cache_backend_reads_per_s", "cache"));
    let first = windows(&s, 120.0, 125.0);
    let (hit1, backend1) =
        (mean(&first, "cache_hit_ratio", "cache"), mean(&first, "cache_backend_reads_per_s", "cache"));
    assert!(hit1 < hit - 0.1, "hit ratio {hit} before, {hit1} just after the flush");
    assert!(backend1 > 1.3 * backend, "backend reads {backend}/s before, {backend1}/s just after");
    let recovered = f.recovered_after_s.expect("the cache re-warms");
    assert!(recovered > 0.0 && recovered < 60.0, "re-warmed after {recovered}s");
    let later = windows(&s, 120.0 + recovered + 5.0, 240.0);
    let hit2 = mean(&later, "cache_hit_ratio", "cache");
    assert!(hit2 > 0.95 * hit, "hit ratio {hit} before, {hit2} after re-warming");
    // The extra backend reads are what the dip cost: at least one window's worth of misses.
    assert!(f.backend_reads_extra as f64 > (backend1 - backend) * s.window_s * 0.5, "{}", f.backend_reads_extra);
}
