//! Usage-based prices (`models/prices.toml`): tiered schedules per kind of usage, and the
//! discounts of an instance's `pricing` option. `bill.rs` turns a run's usage into a bill.
//!
//! Components report usage over the measured period (bytes, requests) and static amounts
//! (bytes stored); the bill extrapolates the rates to a month of `HOURS_PER_MONTH`.

use serde::{Deserialize, Serialize};

pub const SHIPPED_PRICES: &str = include_str!("../models/prices.toml");
/// The month every monthly figure is priced over (AWS's 730-hour month).
pub const HOURS_PER_MONTH: f64 = 730.0;
pub const SECONDS_PER_MONTH: f64 = HOURS_PER_MONTH * 3600.0;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// A bill's four parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Compute,
    Storage,
    Transfer,
    Requests,
}

/// One tier: its price per unit, up to a cumulative monthly volume (`None`: no end).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub up_to: Option<f64>,
    pub usd: f64,
}

/// A price schedule: tiers over the whole monthly volume of one kind of usage.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub category: Category,
    pub unit: String,
    pub tiers: Vec<Tier>,
    pub source: String,
    pub date: String,
}

impl Schedule {
    /// USD for `volume` units in a month, each tier priced on the part of the volume in it.
    pub fn usd(&self, volume: f64) -> f64 {
        let mut left = volume.max(0.0);
        let mut from = 0.0;
        let mut usd = 0.0;
        for t in &self.tiers {
            let width = t.up_to.map_or(f64::INFINITY, |u| u - from);
            let here = left.min(width);
            usd += here * t.usd;
            left -= here;
            from = t.up_to.unwrap_or(from);
            if left <= 0.0 {
                break;
            }
        }
        usd
    }

    /// The schedule in words, for the reference: `0.085 USD/GB (first 10240 GB a month, tiered
    /// down to 0.02 beyond 5242880)`.
    pub fn describe(&self) -> String {
        let first = format!("{} USD/{}", self.first_price(), self.unit);
        match (self.tiers.first().and_then(|t| t.up_to), self.tiers.last(), self.tiers.len()) {
            (Some(end), Some(last), n) if n > 1 => {
                let from = self.tiers[n - 2].up_to.unwrap_or(end);
                format!("{first} (first {end} {} a month, tiered down to {} beyond {from})", self.unit, last.usd)
            }
            _ => first,
        }
    }

    /// The first tier's price: what a flat price would charge per unit.
    pub fn first_price(&self) -> f64 {
        self.tiers.first().map_or(0.0, |t| t.usd)
    }
}

/// An instance's pricing option (`pricing = "spot"`): the share of on-demand it saves.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstancePricing {
    pub on_demand: f64,
    pub spot: f64,
    pub reserved_1y: f64,
    pub savings_plan_1y: f64,
    pub source: String,
    pub date: String,
}

/// The pricing options an instance may name, in the order the docs list them.
pub const PRICING_OPTIONS: [&str; 4] = ["on_demand", "spot", "reserved_1y", "savings_plan_1y"];

impl InstancePricing {
    /// The discount of an option, `None` for an unknown name.
    pub fn discount(&self, option: &str) -> Option<f64> {
        match option {
            "on_demand" => Some(self.on_demand),
            "spot" => Some(self.spot),
            "reserved_1y" => Some(self.reserved_1y),
            "savings_plan_1y" => Some(self.savings_plan_1y),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    pub internet_egress: Schedule,
    pub inter_region: Schedule,
    pub cdn_egress: Schedule,
    pub cdn_requests: Schedule,
    pub cdn_origin_fetch: Schedule,
    pub storage: Schedule,
    pub storage_get: Schedule,
    pub storage_put: Schedule,
    pub instance_pricing: InstancePricing,
}

/// The kinds of usage, one schedule each, in bill order.
pub const LINES: usize = 8;

impl Prices {
    /// The compiled-in prices, parsed once.
    pub fn shipped() -> &'static Prices {
        static SHIPPED: std::sync::OnceLock<Prices> = std::sync::OnceLock::new();
        SHIPPED.get_or_init(|| {
            toml::from_str(SHIPPED_PRICES).expect("models/prices.toml is valid (checked by a unit test)")
        })
    }

    /// A schedule by its section name in models/prices.toml.
    pub fn schedule(&self, name: &str) -> Option<&Schedule> {
        let names = [
            "internet_egress",
            "inter_region",
            "cdn_egress",
            "cdn_requests",
            "cdn_origin_fetch",
            "storage",
            "storage_get",
            "storage_put",
        ];
        names.iter().position(|n| *n == name).map(|i| self.schedules()[i])
    }

    /// The schedules in the order of `Usage::monthly`.
    pub fn schedules(&self) -> [&Schedule; LINES] {
        [
            &self.internet_egress,
            &self.inter_region,
            &self.cdn_egress,
            &self.cdn_requests,
            &self.cdn_origin_fetch,
            &self.storage,
            &self.storage_get,
            &self.storage_put,
        ]
    }
}

/// What a component used over the measured period (and holds, for `stored_bytes`).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    /// Bytes sent to users on the internet from the cloud.
    pub internet_egress_bytes: u64,
    /// Bytes that crossed from one region to another (calls' sizes, replication streams).
    pub inter_region_bytes: u64,
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
    /// Monthly volumes in each schedule's unit (`Prices::schedules` order): the rates of the
    /// measured period extrapolated to a month, and the bytes stored as GB-months.
    pub fn monthly(&self, measured_s: f64) -> [f64; LINES] {
        let gb = |b: u64| b as f64 / GIB;
        let month = if measured_s > 0.0 { SECONDS_PER_MONTH / measured_s } else { 0.0 };
        [
            gb(self.internet_egress_bytes) * month,
            gb(self.inter_region_bytes) * month,
            gb(self.cdn_egress_bytes) * month,
            self.cdn_requests as f64 / 1e4 * month,
            gb(self.origin_fetch_bytes) * month,
            gb(self.stored_bytes),
            self.storage_gets as f64 / 1e3 * month,
            self.storage_puts as f64 / 1e3 * month,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_prices_parse_and_are_sourced() {
        let p = Prices::shipped();
        for s in p.schedules() {
            assert!(!s.source.is_empty() && !s.date.is_empty() && !s.tiers.is_empty());
            // Tiers end in increasing order and only the last is open.
            let ends: Vec<Option<f64>> = s.tiers.iter().map(|t| t.up_to).collect();
            assert!(ends[..ends.len() - 1].iter().all(Option::is_some) && ends.last() == Some(&None), "{}", s.source);
            assert!(ends.windows(2).all(|w| w[1].is_none_or(|b| w[0].is_some_and(|a| a < b))));
        }
        assert!(p.cdn_egress.first_price() < p.internet_egress.first_price(), "a CDN byte is cheaper");
        for o in PRICING_OPTIONS {
            let d = p.instance_pricing.discount(o).expect("every option priced");
            assert!((0.0..1.0).contains(&d), "{o}");
        }
        assert_eq!(p.instance_pricing.discount("free"), None);
    }

    #[test]
    fn tiers_price_each_part_of_the_volume_at_its_own_price() {
        let p = Prices::shipped();
        let e = &p.internet_egress;
        // 20 TB: 10 TB at 0.09 and 10 TB at 0.085.
        assert!((e.usd(20_480.0) - (10_240.0 * 0.09 + 10_240.0 * 0.085)).abs() < 1e-9);
        // 400 TB: the four tiers; the first tier's price alone overstates it by half.
        let tiered = 10_240.0 * 0.09 + 40_960.0 * 0.085 + 102_400.0 * 0.07 + 256_000.0 * 0.05;
        assert!((e.usd(409_600.0) - tiered).abs() < 1e-6);
        assert!(409_600.0 * 0.09 / tiered > 1.5);
        assert_eq!(e.usd(0.0), 0.0);
        assert!((p.inter_region.usd(100.0) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn a_month_of_usage() {
        // One GiB an hour for a measured hour: 730 GB a month; storage is per GB-month.
        let u = Usage { internet_egress_bytes: 1 << 30, stored_bytes: 100 << 30, ..Usage::default() };
        let m = u.monthly(3600.0);
        assert!((m[0] - 730.0).abs() < 1e-9 && (m[5] - 100.0).abs() < 1e-9);
        assert_eq!(Usage::default().monthly(0.0), [0.0; LINES]);
    }
}
