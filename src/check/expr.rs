//! One threshold expression, k6 style: `"p(99) < 200ms"`, `"rate < 0.1%"`, or, for a named
//! field, just `"< 0.8"`. Errors carry a byte range inside the expression so the loader can
//! point at the exact part that is wrong.

use crate::units::{human_secs, parse_duration, parse_rate};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// The comparison of a threshold. Equality is not offered: a mean estimated from
/// replications is never exactly equal to anything, so `==` could never pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Cmp {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl Cmp {
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }

    /// Whether a larger value is the bad direction (`p(99) < 200ms`: yes).
    pub fn higher_is_worse(self) -> bool {
        matches!(self, Cmp::Lt | Cmp::Le)
    }

    /// Whether `value` satisfies the comparison.
    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Cmp::Lt => value < limit,
            Cmp::Le => value <= limit,
            Cmp::Gt => value > limit,
            Cmp::Ge => value >= limit,
        }
    }
}

/// What a number means, for parsing limits and for showing values to people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Seconds,
    Ratio,
    Usd,
    PerSecond,
    Count,
    Number,
}

impl Unit {
    /// The unit of a summary field, from the naming rule "units last": `wait_s_mean` is in
    /// seconds, `throughput_per_s` a rate, anything else a plain number. This is what lets
    /// fields added by new component kinds be thresholded without code changes.
    pub fn of_field(name: &str) -> Unit {
        let parts: Vec<&str> = name.split('_').collect();
        if parts.windows(2).any(|w| w == ["per", "s"]) {
            Unit::PerSecond
        } else if parts.contains(&"s") {
            Unit::Seconds
        } else if parts.contains(&"usd") {
            Unit::Usd
        } else {
            Unit::Number
        }
    }

    /// A value for people: "23.1ms", "0.052%", "11680.00 USD", "799.6/s".
    pub fn show(self, v: f64) -> String {
        if !v.is_finite() {
            return if v.is_nan() {
                "n/a".into()
            } else if v > 0.0 {
                "inf".into()
            } else {
                "-inf".into()
            };
        }
        match self {
            Unit::Seconds => human_secs(v),
            Unit::Ratio => format!("{}%", significant(v * 100.0, 3)),
            Unit::Usd => format!("{v:.2} USD"),
            Unit::PerSecond => format!("{v:.1}/s"),
            Unit::Count | Unit::Number => significant(v, 4),
        }
    }

    /// A half-width or a difference: two significant digits are all noise deserves.
    pub fn show_noise(self, v: f64) -> String {
        match self {
            Unit::Ratio if v.is_finite() => format!("{}%", significant(v * 100.0, 2)),
            Unit::Count | Unit::Number if v.is_finite() => significant(v, 2),
            _ => self.show(v),
        }
    }

    /// Parses a limit written for a metric of this unit.
    pub fn parse(self, text: &str) -> Result<f64, (String, String)> {
        let bad = |m: String, h: &str| Err((m, h.to_string()));
        match self {
            Unit::Seconds => match parse_duration(text) {
                Ok(ns) => Ok(ns as f64 / 1e9),
                Err(e) => bad(e, "latencies need a unit, for example \"200ms\" or \"1.5s\""),
            },
            Unit::PerSecond => {
                if text.contains('/') {
                    parse_rate(text).or_else(|e| bad(e, "for example \"790/s\""))
                } else {
                    number(text).or_else(|e| bad(e, "a rate per second, for example \"790/s\" or 790"))
                }
            }
            Unit::Ratio => {
                let v = percent_or_number(text).or_else(|e| bad(e, "for example \"0.1%\" or 0.001"))?;
                if !(0.0..=1.0).contains(&v) {
                    return bad(format!("`{text}` is not a ratio between 0 and 1"), "write it as \"0.1%\" or 0.001");
                }
                Ok(v)
            }
            Unit::Usd => {
                let t = text.trim().trim_start_matches('$');
                let t = t.strip_suffix("USD").unwrap_or(t);
                number(t).or_else(|e| bad(e, "a number of US dollars, for example 12000"))
            }
            Unit::Count => number(text).or_else(|e| bad(e, "a number, for example 100")),
            Unit::Number => {
                if parse_duration(text).is_ok_and(|_| text.trim().ends_with(|c: char| c.is_alphabetic())) {
                    return bad(
                        format!("`{text}` is a duration, but this field is not in seconds"),
                        "only fields with `_s` in their name take durations; write a plain number",
                    );
                }
                percent_or_number(text).or_else(|e| bad(e, "a number, for example 0.8 or \"80%\""))
            }
        }
    }
}

fn number(text: &str) -> Result<f64, String> {
    let cleaned: String = text.trim().chars().filter(|c| *c != '_').collect();
    match cleaned.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("`{}` is not a number", text.trim())),
    }
}

fn percent_or_number(text: &str) -> Result<f64, String> {
    match text.trim().strip_suffix('%') {
        Some(p) => number(p).map(|v| v / 100.0),
        None => number(text),
    }
}

/// `v` with `digits` significant digits, without trailing zeros ("0.8", "231", "0.00052").
pub fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).clamp(0, 12) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The parts of an expression, each with its byte range inside it.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What is aggregated (`p(99)`, `rate`, `monthly_usd`); empty in the field form.
    pub stat: String,
    pub stat_at: Range<usize>,
    pub cmp: Cmp,
    pub limit: String,
    pub limit_at: Range<usize>,
}

/// A problem inside an expression: where (bytes of the expression), what, and the fix.
#[derive(Clone, Debug, PartialEq)]
pub struct ExprError {
    pub at: Range<usize>,
    pub message: String,
    pub help: String,
}

impl ExprError {
    pub fn new(at: Range<usize>, message: impl Into<String>, help: impl Into<String>) -> ExprError {
        ExprError { at, message: message.into(), help: help.into() }
    }
}

/// Splits `STAT OP LIMIT` (or `OP LIMIT` when `with_stat` is false).
pub fn split(expr: &str, with_stat: bool, example: &str) -> Result<Expr, ExprError> {
    let Some(op_at) = expr.find(['<', '>', '=', '!']) else {
        return Err(ExprError::new(
            0..expr.len(),
            format!("`{expr}` has no comparison"),
            format!("write it as `{example}`: a comparison (<, <=, > or >=) and a limit"),
        ));
    };
    let op_len = expr[op_at..].chars().take_while(|c| matches!(c, '<' | '>' | '=' | '!')).count();
    let op_text = &expr[op_at..op_at + op_len];
    let cmp = match op_text {
        "<" => Cmp::Lt,
        "<=" => Cmp::Le,
        ">" => Cmp::Gt,
        ">=" => Cmp::Ge,
        "==" | "===" | "=" | "!=" => {
            return Err(ExprError::new(
                op_at..op_at + op_len,
                format!("`{op_text}` cannot be judged: a mean over replications is never exactly a value"),
                "use <, <=, > or >=; for a band, write two thresholds",
            ))
        }
        other => {
            return Err(ExprError::new(
                op_at..op_at + op_len,
                format!("unknown comparison `{other}`"),
                "use <, <=, > or >=",
            ))
        }
    };
    let stat_at = trimmed(expr, 0..op_at);
    let limit_at = trimmed(expr, op_at + op_len..expr.len());
    let stat = expr[stat_at.clone()].to_string();
    if with_stat && stat.is_empty() {
        return Err(ExprError::new(
            op_at..op_at,
            format!("`{expr}` does not say what is compared"),
            format!("write it as `{example}`"),
        ));
    }
    if !with_stat && !stat.is_empty() {
        return Err(ExprError::new(
            stat_at,
            format!("`{stat}` before the comparison: the key already names the field"),
            format!("write just the comparison and the limit, as in `{example}`"),
        ));
    }
    if limit_at.is_empty() {
        return Err(ExprError::new(
            op_at + op_len..op_at + op_len,
            format!("`{expr}` has no limit after `{op_text}`"),
            format!("write it as `{example}`"),
        ));
    }
    Ok(Expr { stat, stat_at, cmp, limit: expr[limit_at.clone()].to_string(), limit_at })
}

/// The range `r` of `s` without surrounding whitespace.
fn trimmed(s: &str, r: Range<usize>) -> Range<usize> {
    let part = &s[r.clone()];
    let start = r.start + (part.len() - part.trim_start().len());
    let end = r.end - (part.len() - part.trim_end().len());
    start..end.max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_k6_expressions() {
        let e = split("p(99) < 200ms", true, "").unwrap();
        assert_eq!((e.stat.as_str(), e.cmp, e.limit.as_str()), ("p(99)", Cmp::Lt, "200ms"));
        assert_eq!((e.stat_at, e.limit_at), (0..5, 8..13));
        let e = split("rate>=0.1%", true, "").unwrap();
        assert_eq!((e.stat.as_str(), e.cmp, e.limit.as_str()), ("rate", Cmp::Ge, "0.1%"));
        let e = split("< 0.8", false, "").unwrap();
        assert_eq!((e.stat.as_str(), e.limit.as_str()), ("", "0.8"));
    }

    #[test]
    fn rejects_what_cannot_be_judged() {
        assert_eq!(split("p(99) == 200ms", true, "").unwrap_err().at, 6..8);
        assert!(split("p(99) 200ms", true, "").unwrap_err().message.contains("no comparison"));
        assert_eq!(split("p(99) <", true, "").unwrap_err().at, 7..7);
        assert!(split("< 1s", true, "").unwrap_err().message.contains("does not say"));
        assert_eq!(split("utilization < 0.8", false, "").unwrap_err().at, 0..11);
    }

    #[test]
    fn limits_in_their_units() {
        assert_eq!(Unit::Seconds.parse("200ms").unwrap(), 0.2);
        assert!(Unit::Seconds.parse("200").unwrap_err().1.contains("unit"));
        assert_eq!(Unit::Ratio.parse("0.1%").unwrap(), 0.001);
        assert_eq!(Unit::Ratio.parse("0.001").unwrap(), 0.001);
        assert!(Unit::Ratio.parse("5").is_err());
        assert_eq!(Unit::Usd.parse("12_000").unwrap(), 12000.0);
        assert_eq!(Unit::PerSecond.parse("790/s").unwrap(), 790.0);
        assert_eq!(Unit::Number.parse("80%").unwrap(), 0.8);
        assert!(Unit::Number.parse("5ms").unwrap_err().0.contains("not in seconds"));
    }

    #[test]
    fn units_of_fields_follow_the_naming_rule() {
        assert_eq!(Unit::of_field("wait_s_mean"), Unit::Seconds);
        assert_eq!(Unit::of_field("throughput_per_s"), Unit::PerSecond);
        assert_eq!(Unit::of_field("cost_usd_per_month"), Unit::Usd);
        assert_eq!(Unit::of_field("hit_ratio"), Unit::Number);
        assert_eq!(Unit::of_field("utilization"), Unit::Number);
    }

    #[test]
    fn shows_values() {
        assert_eq!(Unit::Seconds.show(0.0231), "23.1ms");
        assert_eq!(Unit::Ratio.show(0.00052), "0.052%");
        assert_eq!(Unit::Number.show(0.83333), "0.8333");
        assert_eq!(significant(231.04, 4), "231");
    }
}
