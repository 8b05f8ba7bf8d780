//! Regions (`models/regions.toml`): where components run and users live, and the round-trip
//! times between them.
//!
//! A scenario models regions when `[users] regions` names regions of the table or a component
//! sets `region = "..."`. Then a call between components in different regions pays RTT/2 each
//! way (unless a `[[links]]` entry says otherwise), and a user pays RTT/2 each way to the
//! entry (the same-region RTT when the entry is in the user's region). Kinds that are
//! everywhere at once (a CDN's edges, a geo-DNS) have no region: they add the legs they choose
//! per request themselves.
//!
//! Cross-region replication: a `database` with `replica_of = "db"` and a `region` of its own
//! is a read replica of `db` in that region (`components/remote_replica.rs`). It receives
//! each write of the primary one way later plus its own apply lag, so its lag has a floor of
//! `RegionTable::one_way(primary, replica)` (40 ms from us-east to eu-west; a `[[links]]`
//! entry between the two overrides it, as for calls); a read there of a key written less
//! than the lag ago is stale, and read-your-writes can forward reads to the primary, paying
//! the RTT (`components/remote_replication.rs`; scenarios/catalog/cross-region-replica.toml).

use crate::components::ComponentSpec;
use crate::diag::did_you_mean;
use crate::model::{CompId, LatencyMatrix, Placement, Users};
use crate::units::{secs_to_ns, Nanos};
use crate::validate::Resolver;
use serde::Deserialize;
use std::collections::BTreeMap;

pub const SHIPPED_REGIONS: &str = include_str!("../models/regions.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionsFile {
    same_region_rtt_ms: f64,
    #[allow(dead_code)]
    source: String,
    #[allow(dead_code)]
    date: String,
    regions: BTreeMap<String, RegionEntry>,
    rtt_ms: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionEntry {
    #[allow(dead_code)]
    aws: String,
}

/// Region names and the RTT between every pair, in nanoseconds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RegionTable {
    pub names: Vec<String>,
    rtt_ns: Vec<Nanos>,
}

impl RegionTable {
    pub fn shipped() -> RegionTable {
        RegionTable::parse(SHIPPED_REGIONS).expect("models/regions.toml is valid (checked by a unit test)")
    }

    fn parse(text: &str) -> Result<RegionTable, String> {
        let f: RegionsFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let names: Vec<String> = f.regions.keys().cloned().collect();
        let n = names.len();
        let mut rtt_ns = vec![Nanos::MAX; n * n];
        for i in 0..n {
            rtt_ns[i * n + i] = secs_to_ns(f.same_region_rtt_ms / 1e3);
        }
        for (pair, ms) in &f.rtt_ms {
            let (a, b) = pair.split_once('/').ok_or(format!("`{pair}` is not `a/b`"))?;
            let ia = names.iter().position(|x| x == a).ok_or(format!("unknown region `{a}` in `{pair}`"))?;
            let ib = names.iter().position(|x| x == b).ok_or(format!("unknown region `{b}` in `{pair}`"))?;
            if !(ms.is_finite() && *ms > 0.0) {
                return Err(format!("`{pair}` must be positive"));
            }
            rtt_ns[ia * n + ib] = secs_to_ns(ms / 1e3);
            rtt_ns[ib * n + ia] = secs_to_ns(ms / 1e3);
        }
        if let Some(i) = rtt_ns.iter().position(|v| *v == Nanos::MAX) {
            return Err(format!("no RTT between `{}` and `{}`", names[i / n], names[i % n]));
        }
        Ok(RegionTable { names, rtt_ns })
    }

    pub fn index(&self, name: &str) -> Option<u8> {
        self.names.iter().position(|n| n == name).map(|i| i as u8)
    }

    pub fn rtt(&self, a: u8, b: u8) -> Nanos {
        self.rtt_ns[a as usize * self.names.len() + b as usize]
    }

    /// One way between two regions: half the round trip.
    pub fn one_way(&self, a: u8, b: u8) -> Nanos {
        self.rtt(a, b) / 2
    }

    /// The region of `among` closest to `from` (ties: the first listed).
    pub fn nearest(&self, from: u8, among: &[u8]) -> Option<u8> {
        among.iter().copied().min_by_key(|r| self.rtt(from, *r))
    }
}

/// Resolves a region name, reporting an unknown one at `path`.
pub fn resolve_region(r: &mut Resolver, table: &RegionTable, path: &[&str], name: &str) -> Option<u8> {
    if let Some(i) = table.index(name) {
        return Some(i);
    }
    let help = match did_you_mean(name, table.names.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`? Regions (models/regions.toml): {}", table.names.join(", ")),
        None => format!("regions (models/regions.toml): {}", table.names.join(", ")),
    };
    r.problem(path, format!("unknown region `{name}`"), help);
    None
}

/// Everything region-related the validation of a scenario decides.
pub struct PlacementInput<'a> {
    /// `region = "..."` of each component, by component order.
    pub comp_regions: &'a [Option<String>],
    /// `[scenario] region`: where components without a `region` run.
    pub home: Option<&'a str>,
    /// Whether `[users] regions` was given (else users are next to the entry).
    pub users_named: bool,
}

/// Places components and users, or returns the empty placement when regions are not modelled.
pub fn place(r: &mut Resolver, specs: &[ComponentSpec], users: &Users, input: &PlacementInput) -> Placement {
    let used = input.users_named || input.home.is_some() || input.comp_regions.iter().any(Option::is_some);
    for (i, spec) in specs.iter().enumerate() {
        let name = r.comp_names[i].clone();
        if let Some((key, problem, help)) = spec.placement_problem(input.users_named) {
            r.problem(&["components", &name, key], problem, help);
        }
    }
    if !used {
        return Placement::default();
    }
    let table = RegionTable::shipped();
    let user_region: Vec<Option<u8>> = if input.users_named {
        let names: Vec<String> = users.regions.iter().map(|(n, _)| n.clone()).collect();
        names.iter().map(|n| resolve_region(r, &table, &["users", "regions", n], n)).collect()
    } else {
        Vec::new()
    };
    let home = match input.home {
        Some(h) => resolve_region(r, &table, &["scenario", "region"], h),
        None => largest_share(users, &user_region).or(Some(table.index("us-east").unwrap_or(0))),
    };
    let mut comp_region = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let name = &r.comp_names[i].clone();
        let explicit = input.comp_regions.get(i).and_then(Option::as_deref);
        let region = match (spec.everywhere(), explicit) {
            (true, Some(_)) => {
                r.problem(
                    &["components", name, "region"],
                    format!("a {} is in every region at once and has no `region`", spec.kind_name()),
                    "remove `region`; its own keys say where it reaches",
                );
                None
            }
            (true, None) => None,
            (false, Some(text)) => resolve_region(r, &table, &["components", name, "region"], text),
            (false, None) => home,
        };
        comp_region.push(region);
    }
    Placement { table, comp_region, user_region }
}

fn largest_share(users: &Users, user_region: &[Option<u8>]) -> Option<u8> {
    let mut best: Option<(f64, u8)> = None;
    for ((_, share), region) in users.regions.iter().zip(user_region) {
        if let Some(reg) = region {
            if best.is_none_or(|(s, _)| *share > s) {
                best = Some((*share, *reg));
            }
        }
    }
    best.map(|(_, r)| r)
}

impl Placement {
    pub fn is_modelled(&self) -> bool {
        !self.comp_region.is_empty()
    }

    /// Fills the latency between components in different regions that no link sets.
    pub fn fill_latency(&self, m: &mut LatencyMatrix, explicit: &[(CompId, CompId)]) {
        let n = self.comp_region.len();
        for a in 0..n {
            for b in (a + 1)..n {
                let (Some(ra), Some(rb)) = (self.comp_region[a], self.comp_region[b]) else { continue };
                let (a, b) = (a as CompId, b as CompId);
                if ra != rb && !explicit.iter().any(|&(x, y)| (x, y) == (a, b) || (x, y) == (b, a)) {
                    m.set(a, b, self.table.one_way(ra, rb));
                }
            }
        }
    }

    /// One way from a user region (index into `Users::regions`) to a placed component.
    pub fn user_to(&self, user_region: u8, comp: CompId) -> Nanos {
        match (self.user_region.get(user_region as usize).copied().flatten(), self.comp_region[comp as usize]) {
            (Some(u), Some(c)) => self.table.one_way(u, c),
            _ => 0,
        }
    }

    /// The table region of a user region, if regions are modelled.
    pub fn user_table_region(&self, user_region: u8) -> Option<u8> {
        self.user_region.get(user_region as usize).copied().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_table_is_complete_and_plausible() {
        let t = RegionTable::shipped();
        let i = |n: &str| t.index(n).unwrap();
        let ms = |a: &str, b: &str| t.rtt(i(a), i(b)) as f64 / 1e6;
        assert!((75.0..=81.0).contains(&ms("us-east", "eu-west")));
        assert!((140.0..=150.0).contains(&ms("us-east", "ap-northeast")));
        assert!((15.0..=25.0).contains(&ms("eu-west", "eu-central")));
        assert_eq!(ms("eu-west", "eu-west"), 1.0);
        assert_eq!(t.one_way(i("us-east"), i("eu-west")), 40_000_000);
        assert_eq!(t.nearest(i("eu-central"), &[i("us-east"), i("eu-west")]), Some(i("eu-west")));
    }

    #[test]
    fn missing_pair_is_an_error() {
        let text = "same_region_rtt_ms = 1\nsource = \"x\"\ndate = \"x\"\n[regions.a]\naws = \"a\"\n[regions.b]\naws = \"b\"\n[rtt_ms]\n";
        assert!(RegionTable::parse(text).unwrap_err().contains("no RTT between"));
    }
}
