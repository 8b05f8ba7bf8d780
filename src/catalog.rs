//! Reusable component profiles (`models/instances.toml`): cores, memory and price.
//!
//! The shipped catalog is compiled into the binary so that `stagesim` works from any
//! directory; the TOML file in `models/` is its single source.

use serde::Deserialize;
use std::collections::BTreeMap;

pub const SHIPPED_INSTANCES: &str = include_str!("../models/instances.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub cores: u32,
    pub memory: String,
    pub usd_per_hour: f64,
    pub source: String,
    pub date: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub profiles: BTreeMap<String, Profile>,
}

impl Catalog {
    pub fn shipped() -> Catalog {
        toml::from_str(SHIPPED_INSTANCES).expect("models/instances.toml is valid (checked by a unit test)")
    }

    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalog_parses_and_is_priced() {
        let c = Catalog::shipped();
        assert!(c.get("m5.large").is_some());
        for (name, p) in &c.profiles {
            assert!(p.usd_per_hour > 0.0, "{name}");
            assert!(crate::units::parse_size(&p.memory).is_ok(), "{name}");
            assert!(!p.source.is_empty() && !p.date.is_empty(), "{name}");
        }
    }
}
