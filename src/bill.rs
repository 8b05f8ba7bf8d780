//! The whole bill of a run: instances (compute) plus usage (storage, transfer, requests),
//! priced per month.
//!
//! Usage is priced per schedule of `models/prices.toml` on the scenario's WHOLE monthly volume
//! of that schedule (every component's bytes of one kind together, as an invoice adds them), so
//! volume tiers apply as the provider applies them; each component's figure is its pro-rated
//! share of the schedule's bill (its volume over the total), and the shares sum to the total.

use crate::prices::{Category, Prices, LINES};
use serde::Serialize;

/// A bill (or one component's share of it) in USD per month, by part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Parts {
    /// Instances: time-average count times the hourly price after the pricing option.
    pub compute_usd_per_month: f64,
    /// Object storage GB-months.
    pub storage_usd_per_month: f64,
    /// Internet and CDN egress, CDN origin fetches, inter-region transfer.
    pub transfer_usd_per_month: f64,
    /// CDN and object-storage requests.
    pub requests_usd_per_month: f64,
}

impl Parts {
    pub fn total(&self) -> f64 {
        self.compute_usd_per_month
            + self.storage_usd_per_month
            + self.transfer_usd_per_month
            + self.requests_usd_per_month
    }

    /// Usage alone: everything but compute.
    pub fn usage(&self) -> f64 {
        self.storage_usd_per_month + self.transfer_usd_per_month + self.requests_usd_per_month
    }

    fn add(&mut self, c: Category, usd: f64) {
        match c {
            Category::Compute => self.compute_usd_per_month += usd,
            Category::Storage => self.storage_usd_per_month += usd,
            Category::Transfer => self.transfer_usd_per_month += usd,
            Category::Requests => self.requests_usd_per_month += usd,
        }
    }

    pub fn sum<'a>(parts: impl Iterator<Item = &'a Parts>) -> Parts {
        parts.fold(Parts::default(), |mut a, p| {
            a.compute_usd_per_month += p.compute_usd_per_month;
            a.storage_usd_per_month += p.storage_usd_per_month;
            a.transfer_usd_per_month += p.transfer_usd_per_month;
            a.requests_usd_per_month += p.requests_usd_per_month;
            a
        })
    }
}

/// Each component's share of the usage bill, by schedule (USD per month), from each
/// component's monthly volumes (`Usage::monthly`): every schedule is priced on the sum of
/// the volumes, then shared in proportion to them.
pub fn usage_shares(prices: &Prices, volumes: &[[f64; LINES]]) -> Vec<[f64; LINES]> {
    let schedules = prices.schedules();
    let mut out = vec![[0.0; LINES]; volumes.len()];
    for (l, schedule) in schedules.iter().enumerate() {
        let total: f64 = volumes.iter().map(|v| v[l]).sum();
        if total <= 0.0 {
            continue;
        }
        let usd = schedule.usd(total);
        for (o, v) in out.iter_mut().zip(volumes) {
            o[l] = usd * v[l] / total;
        }
    }
    out
}

/// A component's bill: its compute plus its usage shares, by part.
pub fn parts(prices: &Prices, compute_usd_per_month: f64, shares: &[f64; LINES]) -> Parts {
    let mut p = Parts { compute_usd_per_month, ..Parts::default() };
    for (s, usd) in prices.schedules().iter().zip(shares) {
        p.add(s.category, *usd);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_apply_to_the_pooled_volume_and_shares_sum_to_the_total() {
        let p = Prices::shipped();
        // Two components each sending 8 TB a month: together 16 TB, across the first two tiers.
        let mut a = [0.0; LINES];
        a[0] = 8192.0;
        let shares = usage_shares(p, &[a, a]);
        let whole = 10_240.0 * 0.09 + 6_144.0 * 0.085;
        assert!((shares[0][0] + shares[1][0] - whole).abs() < 1e-9);
        assert!((shares[0][0] - shares[1][0]).abs() < 1e-12, "equal volumes, equal shares");
        // Priced alone, each would stay in the first tier: pooling makes both cheaper.
        assert!(shares[0][0] < 8192.0 * 0.09);
    }

    #[test]
    fn parts_follow_each_schedules_category() {
        let p = Prices::shipped();
        let mut v = [0.0; LINES];
        v[1] = 100.0; // inter-region GB: transfer
        v[3] = 10.0; // CDN 10k-requests: requests
        v[5] = 1000.0; // GB-months: storage
        let shares = usage_shares(p, &[v]);
        let b = parts(p, 50.0, &shares[0]);
        assert!((b.transfer_usd_per_month - 2.0).abs() < 1e-12);
        assert!((b.requests_usd_per_month - 0.1).abs() < 1e-12);
        assert!((b.storage_usd_per_month - 23.0).abs() < 1e-9);
        assert!((b.total() - (50.0 + 2.0 + 0.1 + 23.0)).abs() < 1e-9);
        assert!((b.usage() - 25.1).abs() < 1e-9);
    }
}
