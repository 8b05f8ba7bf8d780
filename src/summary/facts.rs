//! What a summary is built from: one replication's measurements (`RunFacts`), the part of a
//! `RunData` that `Summary::build` reads, in a form that serializes exactly. A plan's parts
//! carry them between machines, and `merge` builds the summaries from them through the same
//! code as a single process: histograms are added count by count, floats round-trip bit for
//! bit (non-finite ones as strings), so merged output equals an unsharded run's byte for byte.

use crate::components::KindStats;
use crate::engine::metrics::{LimitsHit, Outcomes, WindowCounts};
use crate::engine::{RunData, StopReason};
use crate::faults::FaultStats;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// One replication, as the summary needs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunFacts {
    pub seed: u64,
    pub end: u64,
    pub measured_from: u64,
    pub measured_to: u64,
    pub stats: Vec<KindStats>,
    pub window_counts: Vec<WindowCounts>,
    pub events: u64,
    pub stop: StopReason,
    pub total: ClassFacts,
    pub classes: Vec<ClassFacts>,
    pub regions: Vec<ClassFacts>,
    pub comps: Vec<CompFacts>,
    pub limits_hit: LimitsHit,
    pub in_flight: u64,
    /// A decimal string: JSON readers lose integers above 2^53.
    #[serde(with = "u128_text")]
    pub in_system_ns: u128,
    pub faults: Vec<FaultStats>,
    pub window_width: u64,
    pub windows: Vec<WindowFacts>,
}

/// Outcomes and latency of requests (all, one class or one user region).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassFacts {
    pub outcomes: Outcomes,
    #[serde(with = "hist")]
    pub latency: Histogram<u64>,
}

/// What every component measured regardless of kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompFacts {
    pub received: u64,
    pub errors: u64,
    #[serde(with = "hist")]
    pub latency: Histogram<u64>,
}

/// One time-series row (`engine::windows::WindowRow`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowFacts {
    pub start: u64,
    pub width: u64,
    pub arrivals: u64,
    pub completed: u64,
    pub errors: u64,
    pub latency_p99_ns: u64,
    pub latency_mean_ns: Exact,
    pub in_flight: u64,
    pub comps: Vec<(Exact, Exact)>,
    pub series: Vec<(u16, String, Exact)>,
}

impl RunFacts {
    pub fn of(r: &RunData) -> RunFacts {
        let class =
            |c: &crate::engine::metrics::ClassMetrics| ClassFacts { outcomes: c.outcomes, latency: c.latency.clone() };
        RunFacts {
            seed: r.seed,
            end: r.end,
            measured_from: r.measured_from,
            measured_to: r.measured_to,
            stats: r.stats.clone(),
            window_counts: r.window_counts.clone(),
            events: r.events,
            stop: r.stop,
            total: class(&r.total),
            classes: r.classes.iter().map(class).collect(),
            regions: r.regions.iter().map(class).collect(),
            comps: r
                .comp_metrics
                .iter()
                .map(|c| CompFacts { received: c.received, errors: c.errors, latency: c.latency.clone() })
                .collect(),
            limits_hit: r.limits_hit,
            in_flight: r.in_flight,
            in_system_ns: r.in_system_ns,
            faults: r.faults.clone(),
            window_width: r.window_width,
            windows: r
                .windows
                .rows
                .iter()
                .map(|w| WindowFacts {
                    start: w.start,
                    width: w.width,
                    arrivals: w.arrivals,
                    completed: w.completed,
                    errors: w.errors,
                    latency_p99_ns: w.latency_p99_ns,
                    latency_mean_ns: Exact(w.latency_mean_ns),
                    in_flight: w.in_flight,
                    comps: w.comps.iter().map(|(u, q)| (Exact(*u), Exact(*q))).collect(),
                    series: w.series.iter().map(|(c, n, v)| (*c, (*n).to_string(), Exact(*v))).collect(),
                })
                .collect(),
        }
    }
}

/// A float that serializes exactly: finite values as JSON numbers (shortest round-trip form),
/// the others as "NaN", "inf" or "-inf" (JSON has no number for them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exact(pub f64);

impl Serialize for Exact {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        exact::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        exact::deserialize(d).map(Exact)
    }
}

/// `#[serde(with)]` for an `f64` (see `Exact`).
pub mod exact {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Number(f64),
        Text(String),
    }

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        match *v {
            v if v.is_finite() => s.serialize_f64(v),
            v if v.is_nan() => s.serialize_str("NaN"),
            v if v > 0.0 => s.serialize_str("inf"),
            _ => s.serialize_str("-inf"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Number(v) => Ok(v),
            Repr::Text(t) => match t.as_str() {
                "NaN" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                other => Err(serde::de::Error::custom(format!("`{other}` is not a number"))),
            },
        }
    }
}

/// `#[serde(with)]` for an `Option<f64>`.
pub mod exact_opt {
    use super::Exact;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        v.map(Exact).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<Exact>::deserialize(d)?.map(|e| e.0))
    }
}

/// `#[serde(with)]` for a map of names to `f64`.
pub mod exact_map {
    use super::Exact;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(v: &BTreeMap<String, f64>, s: S) -> Result<S::Ok, S::Error> {
        v.iter().map(|(k, v)| (k, Exact(*v))).collect::<BTreeMap<_, _>>().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, f64>, D::Error> {
        Ok(BTreeMap::<String, Exact>::deserialize(d)?.into_iter().map(|(k, v)| (k, v.0)).collect())
    }
}

mod u128_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// A latency histogram as text: "h1:" then, base64, the recorded buckets as LEB128 varints
/// of (bucket value minus the previous one, count). Read back by recording each count at its
/// bucket's highest equivalent value, which gives the same counts, minimum and maximum: every
/// statistic of the histogram is unchanged.
pub mod hist {
    use hdrhistogram::Histogram;
    use serde::{Deserialize, Deserializer, Serializer};

    const TAG: &str = "h1:";

    pub fn encode(h: &Histogram<u64>) -> String {
        let mut bytes = Vec::new();
        let mut prev = 0u64;
        for v in h.iter_recorded() {
            let value = v.value_iterated_to();
            varint(&mut bytes, value - prev);
            varint(&mut bytes, v.count_at_value());
            prev = value;
        }
        format!("{TAG}{}", super::base64::encode(&bytes))
    }

    pub fn decode(text: &str) -> Result<Histogram<u64>, String> {
        let body = text.strip_prefix(TAG).ok_or_else(|| format!("a histogram starts with `{TAG}`"))?;
        let bytes = super::base64::decode(body)?;
        let mut h = crate::engine::metrics::new_histogram();
        let (mut at, mut value) = (0, 0u64);
        while at < bytes.len() {
            let delta = read_varint(&bytes, &mut at)?;
            let count = read_varint(&bytes, &mut at)?;
            value = value.checked_add(delta).ok_or("histogram value overflows")?;
            h.record_n(value, count).map_err(|e| format!("histogram value {value}: {e:?}"))?;
        }
        Ok(h)
    }

    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn read_varint(bytes: &[u8], at: &mut usize) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *bytes.get(*at).ok_or("histogram data ends inside a number")?;
            *at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("histogram number longer than 64 bits".into())
    }

    pub fn serialize<S: Serializer>(h: &Histogram<u64>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(h))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Histogram<u64>, D::Error> {
        decode(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// Standard base64 with padding (RFC 4648), for the histograms: a crate for forty lines is
/// not worth its place.
mod base64 {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    pub fn decode(text: &str) -> Result<Vec<u8>, String> {
        let t = text.as_bytes();
        if !t.len().is_multiple_of(4) {
            return Err("base64 text whose length is not a multiple of 4".into());
        }
        let mut out = Vec::with_capacity(t.len() / 4 * 3);
        for chunk in t.chunks(4) {
            let pad = chunk.iter().rev().take_while(|c| **c == b'=').count();
            let mut n = 0u32;
            for (i, c) in chunk.iter().enumerate() {
                let v = match c {
                    b'=' if i >= 4 - pad && pad <= 2 => 0,
                    _ => ALPHABET.iter().position(|a| a == c).ok_or(format!("`{}` is not base64", *c as char))? as u32,
                };
                n = (n << 6) | v;
            }
            out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8][..3 - pad]);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_round_trip_with_every_statistic() {
        let mut h = crate::engine::metrics::new_histogram();
        for v in [1u64, 7, 999, 1_000_000, 1_234_567, 5_000_000_000] {
            h.record_n(v, v % 7 + 1).unwrap();
        }
        let back = hist::decode(&hist::encode(&h)).unwrap();
        assert_eq!(back, h);
        assert_eq!((back.len(), back.max(), back.min_nz(), back.mean()), (h.len(), h.max(), h.min_nz(), h.mean()));
        for q in [0.5, 0.9, 0.99, 0.999] {
            assert_eq!(back.value_at_quantile(q), h.value_at_quantile(q));
        }
        let empty = crate::engine::metrics::new_histogram();
        assert_eq!(hist::decode(&hist::encode(&empty)).unwrap(), empty);
        assert!(hist::decode("h1:!!!!").is_err());
        assert!(hist::decode("nope").is_err());
    }

    #[test]
    fn base64_and_floats_are_exact() {
        for n in 0..8 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 200) as u8).collect();
            assert_eq!(base64::decode(&base64::encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(base64::encode(b"hi"), "aGk=");
        for v in [0.1, -0.0, 1e-300, f64::INFINITY, f64::NEG_INFINITY, 2.0f64.sqrt()] {
            let back: Exact = serde_json::from_str(&serde_json::to_string(&Exact(v)).unwrap()).unwrap();
            assert_eq!(back.0.to_bits(), v.to_bits());
        }
        let nan: Exact = serde_json::from_str(&serde_json::to_string(&Exact(f64::NAN)).unwrap()).unwrap();
        assert!(nan.0.is_nan());
    }
}
