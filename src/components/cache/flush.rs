//! `cache_flush`: the cache empties at once (a cold restart, or `FLUSHALL`), then re-warms
//! as misses fill it again.
//!
//! What is measured, and why so: the hit ratio is counted in blocks of `BLOCK` reads (blocks
//! of reads rather than of time, so the noise of a block does not depend on the load). The
//! baseline is the ratio of the last `BASELINE_BLOCKS` blocks before the flush; the cache has
//! recovered at the end of the first block after it whose ratio is back to `RECOVERED` of
//! the baseline (a binomial block of 500 reads at a ratio of 0.8 has a standard deviation of
//! 0.018, so 95% is not crossed by noise alone, and a cache still missing a tenth of its hot
//! set does not pass). Until then, every miss beyond what the baseline would have missed is
//! a backend read the flush caused: the fault's `backend_reads_extra`.
//!
//! The tracking is allocated only for a cache a scenario flushes, so others pay one branch
//! per read. Write-behind writes waiting for their flush are kept (the model sends them
//! when they are acknowledged): the flush empties the cached values only.

use super::Cache;
use crate::engine::Ctx;
use crate::faults::{FaultKind, FaultSpec, FaultStats};
use crate::units::Nanos;

const BLOCK: u32 = 500;
const BASELINE_BLOCKS: usize = 4;
const RECOVERED: f64 = 0.95;

#[derive(Default)]
pub struct Rewarm {
    /// (hits, reads) of the last completed blocks, a ring.
    blocks: [(u32, u32); BASELINE_BLOCKS],
    pos: usize,
    /// (hits, reads) of the block being counted.
    cur: (u32, u32),
    after: Option<After>,
}

/// Since a flush, until the cache has re-warmed.
struct After {
    fault: u16,
    baseline: f64,
    reads: u64,
    misses: u64,
}

impl Rewarm {
    /// One read, hit or miss, at `now`.
    #[inline]
    pub fn read(&mut self, hit: bool, now: Nanos, faults: &mut [FaultStats]) {
        self.cur.1 += 1;
        self.cur.0 += u32::from(hit);
        if let Some(a) = self.after.as_mut() {
            a.reads += 1;
            a.misses += u64::from(!hit);
        }
        if self.cur.1 < BLOCK {
            return;
        }
        let (hits, reads) = std::mem::take(&mut self.cur);
        let Some(a) = self.after.as_ref() else {
            self.blocks[self.pos] = (hits, reads);
            self.pos = (self.pos + 1) % BASELINE_BLOCKS;
            return;
        };
        let f = &mut faults[a.fault as usize];
        let expected = (1.0 - a.baseline) * a.reads as f64;
        f.backend_reads_extra = (a.misses as f64 - expected).max(0.0).round() as u64;
        if f64::from(hits) / f64::from(reads) >= RECOVERED * a.baseline {
            f.recovered_at.get_or_insert(now);
            self.after = None;
        }
    }

    /// The cache was flushed by `fault`: the baseline is the ratio of the reads before it.
    fn flushed(&mut self, fault: u16) {
        let (mut hits, mut reads) = self.cur;
        for (h, n) in self.blocks {
            hits += h;
            reads += n;
        }
        let baseline = if reads == 0 { 0.0 } else { f64::from(hits) / f64::from(reads) };
        *self = Rewarm { after: Some(After { fault, baseline, reads: 0, misses: 0 }), ..Rewarm::default() };
    }
}

impl Cache {
    /// `cache_flush`: every key leaves at once; the re-warm is measured from here.
    pub fn fault(&mut self, _ctx: &mut Ctx, id: u16, fault: &FaultSpec, start: bool) {
        match fault.kind {
            FaultKind::CacheFlush if start => {
                if let Some(store) = self.store.as_mut() {
                    store.clear();
                }
                if let Some(r) = self.rewarm.as_mut() {
                    r.flushed(id);
                }
            }
            // Validation sends a cache no other fault, and a flush has no end.
            FaultKind::CacheFlush
            | FaultKind::InstanceCrash { .. }
            | FaultKind::ComponentDown { .. }
            | FaultKind::LinkLatency { .. }
            | FaultKind::LinkLoss { .. }
            | FaultKind::RegionOutage { .. }
            | FaultKind::RegionPartition { .. }
            | FaultKind::ReplicaLagSpike { .. }
            | FaultKind::PrimaryFailover { .. } => {}
        }
    }

    /// Per window: the hit ratio and the backend reads per second (a flush shows as a dip in
    /// one and a spike in the other).
    pub fn series(&mut self, width: Nanos, out: &mut Vec<(&'static str, f64)>) {
        let c = &self.c;
        let (hits, reads, backend) = (c.hits, c.hits + c.misses, c.backend_reads);
        // Counters restart when measurement starts (and `series_prev` with them).
        let (h0, r0, b0) = self.series_prev;
        self.series_prev = (hits, reads, backend);
        let dr = reads - r0;
        if dr > 0 {
            out.push(("cache_hit_ratio", (hits - h0) as f64 / dr as f64));
        }
        out.push(("cache_backend_reads_per_s", (backend - b0) as f64 / (width.max(1) as f64 / 1e9)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_is_the_first_block_back_near_the_baseline() {
        let mut faults = vec![FaultStats::default()];
        let mut r = Rewarm::default();
        // 2,000 reads at a ratio of 0.8, then a flush.
        for i in 0..2_000 {
            r.read(i % 5 != 0, 0, &mut faults);
        }
        r.flushed(0);
        // A block all misses, a block at 0.5, then one at 0.8: recovered at its end.
        for i in 0..1_500u64 {
            let hit = match i / 500 {
                0 => false,
                1 => i % 2 == 0,
                _ => i % 5 != 0,
            };
            r.read(hit, i, &mut faults);
        }
        assert_eq!(faults[0].recovered_at, Some(1_499));
        // 500 + 250 + 100 misses observed, 0.2 x 1,500 = 300 expected.
        assert_eq!(faults[0].backend_reads_extra, 550);
    }
}
