//! An article's claim about a stage, as an expression the numbers can bear out or not:
//!
//! ```toml
//! [[claims]]
//! stage = 4
//! says = "A cache deflects over 80% of read traffic from the database"
//! source = "article 000, stage 4"
//! check = "cache.hit_ratio@1000/s > 0.8"
//! ```
//!
//! A metric is `capacity`, `cost` (the stage's whole bill at the journey's bill load: instances
//! plus usage), a part of that bill (`cost.compute`, `cost.storage`, `cost.transfer`,
//! `cost.requests`), `p99@RATE`, `p50@RATE`, `errors@RATE`, `throughput@RATE`
//! or `COMPONENT.FIELD@RATE` (any numeric field of the component's summary); `RATE` must be
//! one of the journey's ladder rates. The right side is a number or `previous` (the same
//! metric at the previous stage), optionally times a factor: `capacity > previous * 1.5`.

use super::run::{Point, StageSummary};
use crate::units::parse_rate;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq)]
pub enum Metric {
    Capacity,
    Cost,
    /// A part of the bill: compute, storage, transfer or requests.
    CostPart(crate::prices::Category),
    At(Field, f64),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    P50,
    P99,
    Errors,
    Throughput,
    Component(String, String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Rhs {
    Value(f64),
    Previous(f64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Claim {
    pub stage: usize,
    pub says: String,
    pub source: String,
    /// Whether the simulation is expected to bear the claim out; `false` records a known
    /// disagreement with the article, explained in `note`.
    pub expect_holds: bool,
    pub note: String,
    pub text: String,
    pub metric: Metric,
    pub greater: bool,
    pub rhs: Rhs,
}

/// What the run said about a claim.
#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Verdict {
    pub stage: usize,
    pub says: String,
    pub source: String,
    pub check: String,
    pub value: Option<f64>,
    pub bound: Option<f64>,
    pub holds: bool,
    /// What the journey expected; a verdict that differs is a regression of the model.
    pub expected_to_hold: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

fn number(s: &str) -> Result<f64, String> {
    s.trim().replace('_', "").parse::<f64>().map_err(|_| format!("`{s}` is not a number"))
}

fn metric(text: &str, rates: &[f64]) -> Result<Metric, String> {
    let t = text.trim();
    match t {
        "capacity" => return Ok(Metric::Capacity),
        "cost" => return Ok(Metric::Cost),
        "cost.compute" => return Ok(Metric::CostPart(crate::prices::Category::Compute)),
        "cost.storage" => return Ok(Metric::CostPart(crate::prices::Category::Storage)),
        "cost.transfer" => return Ok(Metric::CostPart(crate::prices::Category::Transfer)),
        "cost.requests" => return Ok(Metric::CostPart(crate::prices::Category::Requests)),
        _ => {}
    }
    let (field, rate) = t.split_once('@').ok_or_else(|| format!("`{t}` needs a load: write `{t}@1000/s`"))?;
    let rate = parse_rate(rate.trim())?;
    if !rates.iter().any(|r| (r - rate).abs() <= 1e-6 * rate.max(1.0)) {
        let list: Vec<String> = rates.iter().map(|r| format!("{r}/s")).collect();
        return Err(format!("{rate}/s is not one of the journey's rates ({})", list.join(", ")));
    }
    let field = match field.trim() {
        "p50" => Field::P50,
        "p99" => Field::P99,
        "errors" => Field::Errors,
        "throughput" => Field::Throughput,
        other => match other.split_once('.') {
            Some((c, f)) => Field::Component(c.to_string(), f.to_string()),
            None => {
                return Err(format!("unknown metric `{other}`: use p50, p99, errors, throughput or COMPONENT.FIELD"))
            }
        },
    };
    Ok(Metric::At(field, rate))
}

/// Parses `metric > rhs` or `metric < rhs`.
pub fn parse(stage: usize, says: &str, source: &str, check: &str, rates: &[f64]) -> Result<Claim, String> {
    let (lhs, greater, rhs) = match (check.split_once('>'), check.split_once('<')) {
        (Some((l, r)), None) => (l, true, r),
        (None, Some((l, r))) => (l, false, r),
        _ => return Err("a claim compares with one `<` or `>`, e.g. \"capacity > previous * 1.5\"".into()),
    };
    let rhs = rhs.trim();
    let rhs = match rhs.strip_prefix("previous") {
        Some(rest) => match rest.trim().strip_prefix('*') {
            Some(f) => Rhs::Previous(number(f)?),
            None if rest.trim().is_empty() => Rhs::Previous(1.0),
            None => return Err(format!("after `previous`, only `* FACTOR` may follow, not `{rest}`")),
        },
        None => Rhs::Value(number(rhs)?),
    };
    if matches!(rhs, Rhs::Previous(_)) && stage < 2 {
        return Err("the first stage has no previous stage to compare with".into());
    }
    Ok(Claim {
        stage,
        says: says.into(),
        source: source.into(),
        expect_holds: true,
        note: String::new(),
        text: check.trim().into(),
        metric: metric(lhs, rates)?,
        greater,
        rhs,
    })
}

fn point(s: &StageSummary, rate: f64) -> Option<&Point> {
    s.points.iter().find(|p| (p.rate_per_s - rate).abs() <= 1e-6 * rate.max(1.0))
}

fn value(m: &Metric, s: &StageSummary) -> Option<f64> {
    match m {
        Metric::Capacity => s.capacity_per_s,
        Metric::Cost => Some(s.cost_usd_per_month),
        Metric::CostPart(c) => {
            let b = &s.bill.parts;
            Some(match c {
                crate::prices::Category::Compute => b.compute_usd_per_month,
                crate::prices::Category::Storage => b.storage_usd_per_month,
                crate::prices::Category::Transfer => b.transfer_usd_per_month,
                crate::prices::Category::Requests => b.requests_usd_per_month,
            })
        }
        Metric::At(f, rate) => {
            let p = point(s, *rate)?;
            match f {
                Field::P50 => Some(p.latency_s_p50),
                Field::P99 => Some(p.latency_s_p99),
                Field::Errors => Some(p.error_ratio),
                Field::Throughput => Some(p.throughput_per_s),
                Field::Component(c, f) => p.components.get(c).and_then(|m| m.get(f)).copied(),
            }
        }
    }
}

/// Judges a claim against the stages (1-based `stage`).
pub fn judge(c: &Claim, stages: &[StageSummary]) -> Verdict {
    let here = stages.get(c.stage - 1).and_then(|s| value(&c.metric, s));
    let bound = match c.rhs {
        Rhs::Value(v) => Some(v),
        Rhs::Previous(f) => stages.get(c.stage - 2).and_then(|s| value(&c.metric, s)).map(|v| v * f),
    };
    let holds = match (here, bound) {
        (Some(v), Some(b)) => {
            if c.greater {
                v > b
            } else {
                v < b
            }
        }
        _ => false,
    };
    Verdict {
        stage: c.stage,
        says: c.says.clone(),
        source: c.source.clone(),
        check: c.text.clone(),
        value: here,
        bound,
        holds,
        expected_to_hold: c.expect_holds,
        note: c.note.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_claims() {
        let rates = [100.0, 1000.0];
        let c = parse(2, "x", "y", "capacity > previous * 1.5", &rates).unwrap();
        assert_eq!((c.metric, c.greater, c.rhs), (Metric::Capacity, true, Rhs::Previous(1.5)));
        let c = parse(3, "x", "y", "cache.hit_ratio@1000/s > 0.8", &rates).unwrap();
        assert_eq!(c.metric, Metric::At(Field::Component("cache".into(), "hit_ratio".into()), 1000.0));
        assert!(parse(1, "x", "y", "capacity > previous", &rates).is_err());
        assert!(parse(2, "x", "y", "p99@500/s < 0.1", &rates).unwrap_err().contains("not one of"));
        assert!(parse(2, "x", "y", "capacity = 3", &rates).is_err());
        let c = parse(2, "x", "y", "cost.transfer < previous * 0.5", &rates).unwrap();
        assert_eq!(c.metric, Metric::CostPart(crate::prices::Category::Transfer));
    }
}
