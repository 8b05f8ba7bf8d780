//! Usage-based prices (`models/prices.toml`) and what a run's usage costs per month.
//!
//! Components report usage over the measured period (bytes, requests) and static amounts
//! (bytes stored); the summary extrapolates the rates to a month of `HOURS_PER_MONTH`.

use serde::Deserialize;

pub const SHIPPED_PRICES: &str = include_str!("../models/prices.toml");
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
const SECONDS_PER_MONTH: f64 = crate::summary::HOURS_PER_MONTH * 3600.0;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    pub egress: Egress,
    pub cdn: Cdn,
    pub object_storage: ObjectStorage,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Egress {
    pub internet_usd_per_gb: f64,
    pub inter_region_usd_per_gb: f64,
    pub source: String,
    pub date: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cdn {
    pub usd_per_gb: f64,
    pub usd_per_10k_requests: f64,
    pub origin_fetch_usd_per_gb: f64,
    pub source: String,
    pub date: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectStorage {
    pub usd_per_gb_month: f64,
    pub get_usd_per_1000: f64,
    pub put_usd_per_1000: f64,
    pub source: String,
    pub date: String,
}

impl Prices {
    pub fn shipped() -> Prices {
        toml::from_str(SHIPPED_PRICES).expect("models/prices.toml is valid (checked by a unit test)")
    }
}

/// What a component used over the measured period (and holds, for `stored_bytes`).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    /// Bytes sent to users on the internet from the cloud.
    pub internet_egress_bytes: u64,
    /// Bytes CDN edges served to users, and the requests they answered.
    pub cdn_egress_bytes: u64,
    pub cdn_requests: u64,
    /// Bytes CDN edges fetched from their origin.
    pub origin_fetch_bytes: u64,
    pub storage_gets: u64,
    pub storage_puts: u64,
    /// Bytes held in object storage, billed per GB-month whatever the traffic.
    pub stored_bytes: u64,
}

impl Usage {
    /// USD per month: the rates of the measured period extrapolated to a month, plus storage.
    pub fn usd_per_month(&self, p: &Prices, measured_s: f64) -> f64 {
        if measured_s <= 0.0 {
            return 0.0;
        }
        let gb = |b: u64| b as f64 / GIB;
        let per_period = gb(self.internet_egress_bytes) * p.egress.internet_usd_per_gb
            + gb(self.cdn_egress_bytes) * p.cdn.usd_per_gb
            + self.cdn_requests as f64 / 1e4 * p.cdn.usd_per_10k_requests
            + gb(self.origin_fetch_bytes) * p.cdn.origin_fetch_usd_per_gb
            + self.storage_gets as f64 / 1e3 * p.object_storage.get_usd_per_1000
            + self.storage_puts as f64 / 1e3 * p.object_storage.put_usd_per_1000;
        per_period * SECONDS_PER_MONTH / measured_s + gb(self.stored_bytes) * p.object_storage.usd_per_gb_month
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_prices_parse_and_are_sourced() {
        let p = Prices::shipped();
        assert!(p.egress.internet_usd_per_gb > 0.0 && p.cdn.usd_per_gb > 0.0);
        assert!(p.cdn.usd_per_gb < p.egress.internet_usd_per_gb, "a CDN byte is cheaper than a direct one");
        for (s, d) in [
            (&p.egress.source, &p.egress.date),
            (&p.cdn.source, &p.cdn.date),
            (&p.object_storage.source, &p.object_storage.date),
        ] {
            assert!(!s.is_empty() && !d.is_empty());
        }
    }

    #[test]
    fn a_month_of_usage() {
        let p = Prices::shipped();
        // One GiB egress per hour for a measured hour: 730 GiB a month.
        let u = Usage { internet_egress_bytes: 1 << 30, ..Usage::default() };
        let usd = u.usd_per_month(&p, 3600.0);
        assert!((usd - 730.0 * p.egress.internet_usd_per_gb).abs() < 1e-9);
        // Storage is per GB-month whatever the measured period.
        let s = Usage { stored_bytes: 100 << 30, ..Usage::default() };
        assert!((s.usd_per_month(&p, 10.0) - 100.0 * p.object_storage.usd_per_gb_month).abs() < 1e-9);
    }
}
