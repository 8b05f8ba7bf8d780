//! `extends`: a stage is the previous stage's scenario with components added, removed or
//! overridden. Merging happens on TOML tables, before validation, so the merged stage is
//! validated exactly like a hand-written scenario.

use toml::{Table, Value};

/// Merges `over` into `base`: tables merge key by key, everything else is replaced.
pub fn deep_merge(base: &mut Table, over: &Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(Value::Table(b)), Value::Table(o)) => deep_merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Removes components (and the links that name them) from a scenario table.
/// Returns the names that were not there.
pub fn remove_components(doc: &mut Table, names: &[String]) -> Vec<String> {
    let mut missing = Vec::new();
    for name in names {
        let removed = doc.get_mut("components").and_then(Value::as_table_mut).and_then(|c| c.remove(name));
        if removed.is_none() {
            missing.push(name.clone());
        }
    }
    if let Some(Value::Array(links)) = doc.get_mut("links") {
        links.retain(|l| {
            let between = l.get("between").and_then(Value::as_array);
            !between.is_some_and(|b| b.iter().any(|n| n.as_str().is_some_and(|n| names.iter().any(|r| r == n))))
        });
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_overrides_and_removes() {
        let mut base: Table = toml::from_str(
            "[components.app]\nkind = \"service\"\ninstances = 1\n[components.db]\nkind = \"database\"\n\
             [[links]]\nbetween = [\"app\", \"db\"]\nlatency = \"1ms\"\n",
        )
        .unwrap();
        let over: Table =
            toml::from_str("[components.app]\ninstances = 3\n[components.cache]\nkind = \"cache\"\n").unwrap();
        deep_merge(&mut base, &over);
        let app = base["components"]["app"].as_table().unwrap();
        assert_eq!(app["instances"].as_integer(), Some(3));
        assert_eq!(app["kind"].as_str(), Some("service"));
        assert!(base["components"].get("cache").is_some());
        assert_eq!(remove_components(&mut base, &["db".into(), "nope".into()]), vec!["nope".to_string()]);
        assert!(base["components"].get("db").is_none());
        assert_eq!(base["links"].as_array().unwrap().len(), 0);
    }
}
