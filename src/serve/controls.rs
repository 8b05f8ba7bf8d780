//! The controls the page offers for a design: the numbers a candidate changes most, each bound
//! to one TOML key and applied as a `--set KEY=VALUE` override (the command line's own
//! machinery, so a bad value is reported exactly as `stagesim run --set` reports it).

use serde::Serialize;

/// One control: the key it sets, the value the scenario text gives it, and how to show it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Control {
    /// The dotted key, e.g. `components.app.instances`.
    pub key: String,
    pub label: String,
    /// The value in the scenario text (the kind's default when the key is absent).
    pub value: String,
    /// `count` (an integer slider), `rate` (a slider in requests per second) or `text`.
    pub input: &'static str,
    pub min: f64,
    pub max: f64,
}

/// A key offered: its name, its label, and its default when absent (offered only if given).
type Key = (&'static str, &'static str, Option<i64>);

/// Per kind, the keys offered.
const KIND_KEYS: &[(&str, &[Key])] = &[
    ("service", &[("instances", "instances", Some(1)), ("timeout", "timeout", None)]),
    ("database", &[("replicas", "read replicas", Some(0)), ("connections", "connections", None)]),
    ("cache", &[("capacity", "capacity", None)]),
    ("shards", &[("shards", "shards", None)]),
    ("queue", &[("workers", "workers", None), ("timeout", "timeout", None)]),
    ("gateway", &[("timeout", "timeout", None)]),
];

/// The controls of a scenario text (empty for a text that does not parse).
pub fn controls(text: &str) -> Vec<Control> {
    let Ok(doc) = text.parse::<toml::Table>() else { return Vec::new() };
    let mut out = Vec::new();
    if let Some(load) = doc.get("load").and_then(|l| l.as_table()) {
        if let Some(rate) = load.get("rate").and_then(|r| r.as_str()) {
            if let Some(per_s) = per_second(rate) {
                let max = (per_s * 4.0).max(10.0);
                out.push(control("load.rate", "load (requests/s)", rate, "rate", 1.0, max));
            }
        }
        if let Some(t) = load.get("timeout").and_then(|t| t.as_str()) {
            out.push(control("load.timeout", "client timeout", t, "text", 0.0, 0.0));
        }
    }
    let Some(comps) = doc.get("components").and_then(|c| c.as_table()) else { return out };
    for (name, c) in comps {
        let Some(t) = c.as_table() else { continue };
        let Some(kind) = t.get("kind").and_then(|k| k.as_str()) else { continue };
        let Some((_, keys)) = KIND_KEYS.iter().find(|(k, _)| *k == kind) else { continue };
        for (key, label, default) in *keys {
            let path = format!("components.{name}.{key}");
            let label = format!("{name} {label}");
            match (t.get(*key), default) {
                (Some(toml::Value::Integer(n)), _) => out.push(count(&path, &label, *n)),
                (Some(toml::Value::String(s)), _) => out.push(control(&path, &label, s, "text", 0.0, 0.0)),
                (None, Some(n)) => out.push(count(&path, &label, *n)),
                _ => {}
            }
        }
    }
    out
}

fn control(key: &str, label: &str, value: &str, input: &'static str, min: f64, max: f64) -> Control {
    Control { key: key.into(), label: label.into(), value: value.into(), input, min, max }
}

/// An integer slider from 0 (or 1 for instances and shards) to well above the value.
fn count(key: &str, label: &str, n: i64) -> Control {
    let min = if key.ends_with(".instances") || key.ends_with(".shards") { 1.0 } else { 0.0 };
    let max = ((n as f64) * 4.0).max(10.0);
    if n > 1000 {
        // A cache's key count: a slider would be too coarse, the page shows a number field.
        return control(key, label, &n.to_string(), "text", 0.0, 0.0);
    }
    control(key, label, &n.to_string(), "count", min, max)
}

/// `800/s`, `48000/min`, `3/ms`: the rate in requests per second; `None` for any other form.
fn per_second(rate: &str) -> Option<f64> {
    let (n, unit) = rate.split_once('/')?;
    let n: f64 = n.trim().replace('_', "").parse().ok()?;
    let scale = match unit.trim() {
        "s" => 1.0,
        "min" => 1.0 / 60.0,
        "h" => 1.0 / 3600.0,
        "ms" => 1000.0,
        _ => return None,
    };
    Some(n * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recipeshare_stage_three_controls() {
        let text = std::fs::read_to_string("scenarios/recipeshare/03-load-balancer.toml").unwrap();
        let c = controls(&text);
        let keys: Vec<&str> = c.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "load.rate",
                "load.timeout",
                "components.app.instances",
                "components.app.timeout",
                "components.db.replicas",
                "components.db.connections"
            ]
        );
        assert_eq!((c[2].value.as_str(), c[2].input, c[2].min, c[2].max), ("3", "count", 1.0, 12.0));
        assert_eq!((c[0].value.as_str(), c[0].max), ("800/s", 3200.0));
        assert!(controls("not toml [").is_empty());
    }

    #[test]
    fn rates() {
        assert_eq!(per_second("800/s"), Some(800.0));
        assert_eq!(per_second("1_200/s"), Some(1200.0));
        assert_eq!(per_second("60/min"), Some(1.0));
        assert_eq!(per_second("lots"), None);
    }
}
