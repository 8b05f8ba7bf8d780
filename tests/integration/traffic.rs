//! Traffic over time: for every shipped shape, arrivals per window match the integral of the
//! rate curve; mixes and regions follow the part of the curve an arrival belongs to; the
//! closed model obeys the interactive response time law.
//!
//! Tolerance: arrivals in a window are Poisson, so variance = mean. Over k windows the
//! statistic X2 = sum (observed - expected)^2 / expected is chi-square with k degrees of
//! freedom (mean k, sd sqrt(2k)); we require X2 <= k + 5 sqrt(2k) (about five standard
//! deviations) and every window within 5 sqrt(expected). Seeds are fixed, so the test cannot
//! flake, and a curve wrong by 5% in windows of 10,000 arrivals already fails by 5 sd.

use crate::scenario;
use stagesim::traffic::{Arrivals, Source};
use stagesim::units::NS_PER_S;

/// Counts the arrivals of `path` in `windows` equal windows over its whole duration and
/// checks them against the curve's integral.
fn arrivals_match_the_curve(path: &str, windows: usize) {
    let model = scenario(path);
    let Arrivals::Shaped(curve) = &model.load.arrivals else { panic!("{path}: not a shaped load") };
    let width = model.duration / windows as u64;
    let mut counts = vec![0u64; windows];
    let mut source = Source::new(&model, model.seed);
    let mut t = 0;
    while let Some(next) = source.next_after(t) {
        let w = (next / width) as usize;
        if w < windows {
            counts[w] += 1;
        }
        t = next;
    }
    let mut x2 = 0.0;
    for (i, observed) in counts.iter().enumerate() {
        let (a, b) = ((i as u64 * width) as f64 / NS_PER_S, ((i as u64 + 1) * width) as f64 / NS_PER_S);
        let expected = curve.integral(a, b);
        let diff = *observed as f64 - expected;
        assert!(
            diff.abs() <= 5.0 * expected.sqrt().max(1.0),
            "{path}: window {i} [{a}s, {b}s): {observed} arrivals, curve gives {expected:.1}"
        );
        if expected > 0.0 {
            x2 += diff * diff / expected;
        }
    }
    let k = windows as f64;
    assert!(x2 <= k + 5.0 * (2.0 * k).sqrt(), "{path}: chi-square {x2:.1} over {windows} windows");
}

#[test]
fn stages_ramp_and_hold() {
    arrivals_match_the_curve("scenarios/time/stages.toml", 144);
}

#[test]
fn diurnal_day_per_region() {
    arrivals_match_the_curve("scenarios/time/diurnal-regions.toml", 96);
}

#[test]
fn diurnal_day_from_hourly_weights() {
    arrivals_match_the_curve("scenarios/time/diurnal-hourly.toml", 144);
}

#[test]
fn viral_spike() {
    arrivals_match_the_curve("scenarios/time/spike.toml", 120);
}

#[test]
fn growth_over_weeks() {
    arrivals_match_the_curve("scenarios/time/growth.toml", 28 * 6);
}

#[test]
fn replayed_trace() {
    arrivals_match_the_curve("scenarios/time/replay.toml", 90);
}

#[test]
fn sum_of_streams() {
    arrivals_match_the_curve("scenarios/time/sum.toml", 60);
}

#[test]
fn the_curves_have_the_documented_levels() {
    // Daily users: 200,000 x 50 / 86,400 s, and the diurnal curve has mean 1 over the day.
    let m = scenario("scenarios/time/diurnal-regions.toml");
    assert!((m.load.rate_per_s - 200_000.0 * 50.0 / 86_400.0).abs() < 1e-6, "{}", m.load.rate_per_s);
    let at = |m: &stagesim::model::Model, t: f64| match &m.load.arrivals {
        Arrivals::Shaped(c) => c.rate(t),
        _ => panic!("not shaped"),
    };
    let growth = scenario("scenarios/time/growth.toml");
    // Same hour of day, one week apart: 10% more.
    let ratio = at(&growth, 7.0 * 86_400.0 + 3_600.0) / at(&growth, 3_600.0);
    assert!((ratio - 1.1).abs() < 1e-9, "{ratio}");
    let spike = scenario("scenarios/time/spike.toml");
    assert!((at(&spike, 20.0 * 60.0) - 2_000.0).abs() < 1e-9);
    let stages = scenario("scenarios/time/stages.toml");
    assert!((at(&stages, 60.0) - 250.0).abs() < 1e-9);
    assert!((at(&stages, 5.25 * 60.0) - 750.0).abs() < 1e-9);
    let replay = scenario("scenarios/time/replay.toml");
    assert!((at(&replay, 0.0) - 1.5 * 70.5).abs() < 1e-9);
}

/// Class shares among arrivals during the spike's plateau: the usual 70/30 on the level
/// (1/10 of the traffic) and the spike's 95/5 on the rest.
#[test]
fn a_spike_brings_its_own_mix() {
    let model = scenario("scenarios/time/spike.toml");
    let browse = model.classes.iter().position(|c| c.name == "browse").unwrap() as u8;
    let mut source = Source::new(&model, 3);
    let (from, to) = (16 * 60 * 1_000_000_000, 24 * 60 * 1_000_000_000);
    let (mut before, mut before_browse, mut during, mut during_browse) = (0u64, 0u64, 0u64, 0u64);
    let mut t = 0;
    while let Some(next) = source.next_after(t) {
        t = next;
        let d = source.draw();
        if t < 9 * 60 * 1_000_000_000 {
            before += 1;
            before_browse += u64::from(d.class == browse);
        } else if (from..to).contains(&t) {
            during += 1;
            during_browse += u64::from(d.class == browse);
        }
    }
    // Binomial proportions: 5 standard errors.
    let check = |n: u64, k: u64, p: f64| {
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!((k as f64 / n as f64 - p).abs() < 5.0 * se, "share {} vs {p}", k as f64 / n as f64);
    };
    check(before, before_browse, 0.7);
    check(during, during_browse, 0.1 * 0.7 + 0.9 * 0.95);
}

/// At 01:00 UTC it is 20:00 in us-east (its peak) and 02:00 in eu-west: requests come from
/// each region in proportion to its share times its curve at its local hour.
#[test]
fn regions_follow_their_local_time() {
    let model = scenario("scenarios/time/diurnal-regions.toml");
    let us = model.users.regions.iter().position(|(n, _)| n == "us-east").unwrap() as u8;
    let Arrivals::Shaped(curve) = &model.load.arrivals else { panic!() };
    let stagesim::traffic::shape::Factor::Diurnal(d) = &curve.parts[0].factors[0].0 else { panic!() };
    let mut w = vec![0.0; 2];
    d.region_weights(3_600.0, &mut w);
    let p_us = w[us as usize] / w.iter().sum::<f64>();
    // us-east: 0.6 x (1 + 2/3) at its peak; eu-west: 0.4 x 1 (02:00 is a quarter day from its peak).
    assert!((p_us - 1.0 / 1.4).abs() < 1e-9, "{p_us}");
    let mut source = Source::new(&model, 5);
    let (mut n, mut k) = (0u64, 0u64);
    let mut t = 0;
    while let Some(next) = source.next_after(t) {
        t = next;
        let d = source.draw();
        // A thin slice around 01:00, where the weights barely move.
        if (3_540_000_000_000..3_660_000_000_000).contains(&t) {
            n += 1;
            k += u64::from(d.region == us);
        }
        if t > 3_660_000_000_000 {
            break;
        }
    }
    let se = (p_us * (1.0 - p_us) / n as f64).sqrt();
    assert!((k as f64 / n as f64 - p_us).abs() < 5.0 * se + 0.002, "{} vs {p_us} over {n}", k as f64 / n as f64);
}

/// The interactive response time law, X = N / (Z + R), holds for any closed system.
#[test]
fn closed_model_obeys_the_response_time_law() {
    let s = crate::run_with("scenarios/time/closed-users.toml", Default::default());
    let law = 500.0 / (5.0 + s.latency_s.mean);
    // Throughput over 19 measured minutes, about 110,000 requests: 2% covers the Poisson
    // noise (0.3%) and the users whose request straddles the measurement's ends.
    assert!((s.throughput_per_s - law).abs() < 0.02 * law, "X = {} vs N/(Z+R) = {law}", s.throughput_per_s);
    assert_eq!(s.requests.in_flight, 0);
}
