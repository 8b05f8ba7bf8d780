//! Latency counts recorded on the hot path, in hdrhistogram's own bucket layout.
//!
//! `Histogram::saturating_record` costs about 65 instructions (an `Option` index, bounds and
//! resize checks, saturating adds, min/max tracking), and a request records three latencies:
//! that was an eighth of an M/M/1 run. `LatencyCounts` computes the same index with a few
//! shifts and bumps one counter; `drain_into` hands the counts to a `Histogram` at the end of
//! a run. Because every bucket lands where `Histogram` itself would put the value, every
//! statistic the summary reads (quantiles, mean, max, count) is identical to recording into
//! the `Histogram` directly; a unit test checks that on random values.
//!
//! The layout is that of `Histogram::new_with_bounds(2^UNIT, HIST_MAX_NS, 2)`: two significant
//! digits mean 256 sub-buckets (`HALF_MAG` = 7), and each bucket doubles the previous range.

use super::metrics::HIST_MAX_NS;
use crate::units::Nanos;
use hdrhistogram::Histogram;

/// log2 of half the sub-bucket count for two significant digits (256 sub-buckets).
const HALF_MAG: u32 = 7;

/// Counts per bucket for values from 1 ns (`UNIT` = 0) or 2^UNIT ns up to `HIST_MAX_NS`.
#[derive(Clone, Debug)]
pub struct LatencyCounts<const UNIT: u32> {
    counts: Vec<u64>,
    total: u64,
}

#[inline(always)]
const fn index_for<const UNIT: u32>(v: u64) -> usize {
    let mask = 255u64 << UNIT;
    let bucket = (64 - UNIT - HALF_MAG - 1) - (v | mask).leading_zeros();
    let sub = (v >> (bucket + UNIT)) as usize;
    ((bucket as usize + 1) << HALF_MAG) + sub - (1 << HALF_MAG)
}

/// The lowest value of bucket index `i` (`Histogram::value_for`).
const fn value_for<const UNIT: u32>(i: usize) -> u64 {
    let half = 1usize << HALF_MAG;
    let bucket = (i >> HALF_MAG) as i64 - 1;
    let sub = (i & (half - 1)) + half;
    let (bucket, sub) = if bucket < 0 { (0, sub - half) } else { (bucket as u32, sub) };
    (sub as u64) << (bucket + UNIT)
}

/// The width of the bucket holding `v` (`Histogram::equivalent_range`).
const fn range_of<const UNIT: u32>(v: u64) -> u64 {
    let mask = 255u64 << UNIT;
    let bucket = (64 - UNIT - HALF_MAG - 1) - (v | mask).leading_zeros();
    1 << (UNIT + bucket)
}

impl<const UNIT: u32> LatencyCounts<UNIT> {
    pub fn new() -> Self {
        LatencyCounts { counts: vec![0; index_for::<UNIT>(HIST_MAX_NS) + 1], total: 0 }
    }

    /// Records one value, clamped to 1 ns ..= `HIST_MAX_NS` as `metrics::record` does.
    #[inline(always)]
    pub fn record(&mut self, ns: Nanos) {
        let i = index_for::<UNIT>(ns.clamp(1, HIST_MAX_NS));
        self.counts[i] += 1;
        self.total += 1;
    }

    pub fn len(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// `Histogram::value_at_quantile` for `0 < q <= 1`: the highest value equivalent to the
    /// bucket holding the `ceil(q x count)`-th value (0 when empty).
    pub fn value_at_quantile(&self, q: f64) -> u64 {
        let target = ((q.min(1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= target {
                let v = value_for::<UNIT>(i);
                return v + range_of::<UNIT>(v) - 1;
            }
        }
        0
    }

    pub fn reset(&mut self) {
        if self.total > 0 {
            self.counts.iter_mut().for_each(|c| *c = 0);
            self.total = 0;
        }
    }

    /// Adds the counts to `h` (built with the same bounds) and empties them.
    pub fn drain_into(&mut self, h: &mut Histogram<u64>) {
        for (i, c) in self.counts.iter_mut().enumerate().filter(|(_, c)| **c > 0) {
            h.record_n(value_for::<UNIT>(i), *c).expect("the layouts match");
            *c = 0;
        }
        self.total = 0;
    }
}

impl<const UNIT: u32> Default for LatencyCounts<UNIT> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::metrics::{new_histogram, new_window_histogram, record};
    use crate::rng::stream;
    use rand::RngExt;

    fn values() -> Vec<u64> {
        let mut rng = stream(5, "latency-counts-test");
        let mut v: Vec<u64> = (0..20_000).map(|_| 1u64 << rng.random_range(0..43u32)).collect();
        v.iter_mut().for_each(|x| *x = x.saturating_add(rng.random_range(0..*x)));
        v.extend([0, 1, 2, 127, 128, 255, 256, 999, 1000, 1023, 1024, HIST_MAX_NS, HIST_MAX_NS + 1, u64::MAX]);
        v
    }

    fn same<const U: u32>(h0: Histogram<u64>) {
        let (mut direct, mut via) = (h0.clone(), h0);
        let mut counts = LatencyCounts::<U>::new();
        for v in values() {
            record(&mut direct, v);
            counts.record(v);
        }
        assert_eq!(counts.len(), direct.len());
        for q in [0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(counts.value_at_quantile(q), direct.value_at_quantile(q), "q = {q}");
        }
        counts.drain_into(&mut via);
        assert!(counts.is_empty());
        assert_eq!(via.len(), direct.len());
        assert_eq!((via.max(), via.min_nz(), via.mean()), (direct.max(), direct.min_nz(), direct.mean()));
        for q in [0.0, 0.25, 0.5, 0.75, 0.99, 0.9999, 1.0] {
            assert_eq!(via.value_at_quantile(q), direct.value_at_quantile(q), "q = {q}");
        }
    }

    #[test]
    fn matches_hdrhistogram_from_one_nanosecond() {
        same::<0>(new_histogram());
    }

    #[test]
    fn matches_hdrhistogram_from_one_microsecond() {
        // The window histogram starts at 1000 ns: unit magnitude floor(log2(1000)) = 9.
        same::<9>(new_window_histogram());
    }

    #[test]
    fn empty_counts_answer_zero() {
        let c = LatencyCounts::<0>::new();
        assert_eq!(c.value_at_quantile(0.99), 0);
    }
}
