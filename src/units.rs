//! Parsing of the unit strings scenario files use: durations, rates and sizes.
//!
//! Everything is converted to base units at the boundary: nanoseconds for simulated time,
//! events per second for rates, bytes for sizes. Errors are plain strings; the caller attaches
//! the file position.

/// Simulated time in integer nanoseconds.
pub type Nanos = u64;

pub const NS_PER_S: f64 = 1e9;

/// Converts seconds to nanoseconds, rounding to the nearest nanosecond and saturating.
pub fn secs_to_ns(s: f64) -> Nanos {
    if s.is_nan() || s <= 0.0 {
        0
    } else if s * NS_PER_S >= u64::MAX as f64 {
        u64::MAX
    } else {
        // `+ 0.5` then truncation rounds half up for positives, without a libm call on the
        // hot path (every sampled service time comes through here).
        (s * NS_PER_S + 0.5) as u64
    }
}

pub fn ns_to_secs(ns: Nanos) -> f64 {
    ns as f64 / NS_PER_S
}

/// Splits "12.5ms" into (12.5, "ms"). Accepts `_` as a digit separator.
fn split_number(text: &str) -> Result<(f64, &str), String> {
    let t = text.trim();
    let end = t
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '+' | 'e' | 'E')))
        .map_or(t.len(), |(i, _)| i);
    // An exponent marker followed by a unit letter ("5e" is not a number): back off.
    let (mut num, mut rest) = t.split_at(end);
    while num.ends_with(['e', 'E']) {
        num = &t[..num.len() - 1];
        rest = &t[num.len()..];
    }
    let cleaned: String = num.chars().filter(|c| *c != '_').collect();
    let value = cleaned.parse::<f64>().map_err(|_| format!("`{text}` does not start with a number"))?;
    Ok((value, rest.trim()))
}

/// The longest duration any key accepts: ten years of simulated time.
pub const MAX_DURATION_NS: Nanos = 3_650 * 86_400 * 1_000_000_000;
/// The shortest interval of a periodic timer (health checks, autoscaling, write-behind
/// flushes, time-series windows): below it, timer events would crowd out requests.
pub const MIN_TIMER_NS: Nanos = 1_000_000;
/// The highest request rate any key accepts (100M/s): beyond every real system, and past
/// it a run could not advance simulated time between arrivals.
pub const MAX_RATE_PER_S: f64 = 1e8;
/// The lowest non-zero rate: one request in about 116 days ("1/month" is above it).
pub const MIN_RATE_PER_S: f64 = 1e-7;

/// Seconds in one duration unit, or `None` for an unknown unit.
fn duration_unit(unit: &str) -> Option<f64> {
    Some(match unit {
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "week" | "weeks" => 604_800.0,
        _ => return None,
    })
}

/// Parses a duration such as `"250ms"`, `"2m"`, `"1.5h"`, `"10us"`, `"1d"`, or a compound of
/// them from the largest unit down, as Go and k6 write them: `"1h30m"`, `"2m30s"`, `"1d 12h"`.
/// At most `MAX_DURATION_NS` (ten years).
pub fn parse_duration(text: &str) -> Result<Nanos, String> {
    let mut rest = text.trim();
    let mut secs = 0.0;
    let mut last_scale = f64::INFINITY;
    loop {
        let (value, after) = split_number(rest)?;
        let len = after.find(|c: char| !(c.is_alphabetic() || c == 'µ')).unwrap_or(after.len());
        let (unit, tail) = after.split_at(len);
        let Some(scale) = duration_unit(unit) else {
            return Err(match unit {
                "" if last_scale.is_infinite() => {
                    format!("`{text}` has no unit: write for example \"{value}ms\" or \"{value}s\"")
                }
                "" => format!("`{value}` in `{text}` has no unit: write for example \"1h30m\" or \"2m30s\""),
                other => format!("unknown duration unit `{other}` in `{text}`: use ns, us, ms, s, m, h, d or w"),
            });
        };
        if !value.is_finite() || value < 0.0 {
            return Err(format!("duration `{text}` must be a non-negative number"));
        }
        if scale >= last_scale {
            return Err(format!("`{text}` repeats a unit or goes up: write the largest unit first, e.g. \"1h30m\""));
        }
        last_scale = scale;
        secs += value * scale;
        rest = tail.trim_start();
        if rest.is_empty() {
            break;
        }
    }
    if secs * NS_PER_S > MAX_DURATION_NS as f64 {
        return Err(format!("duration `{text}` is above the maximum of 3650d (ten years)"));
    }
    Ok(secs_to_ns(secs))
}

/// Requests per second in a rate written `COUNT/PERIOD` (`"800/s"`, `"5M/day"`,
/// `"1200 req/s"`) or `COUNT rps|qps|rpm|rph` (`"10k rps"`, `"600 rpm"`), whatever its sign.
fn rate_value(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let spelled = [("rps", 1.0), ("qps", 1.0), ("rpm", 60.0), ("rph", 3600.0)]
        .into_iter()
        .find_map(|(suffix, per)| t.strip_suffix(suffix).map(|count| (count, per)));
    let (count, per_s) = match (spelled, t.split_once('/')) {
        (Some((count, per)), None) => (count, per),
        (_, Some((count, per))) => {
            let per_s = match per.trim() {
                "s" | "sec" | "second" => 1.0,
                "m" | "min" | "minute" => 60.0,
                "h" | "hour" => 3600.0,
                "d" | "day" => 86_400.0,
                "mo" | "month" => 30.0 * 86_400.0,
                other => return Err(format!("unknown rate period `{other}` in `{text}`: use s, min, h, day or month")),
            };
            let count = count.trim_end();
            let count = ["requests", "reqs", "req"].iter().find_map(|w| count.strip_suffix(w)).unwrap_or(count);
            (count, per_s)
        }
        (None, None) => {
            // Suggest the spelling that works: the number with its multiplier, per second.
            let example = match split_number(t) {
                Ok((_, m)) if multiplier(m).is_some() => format!("{}/s", t.split_whitespace().collect::<String>()),
                _ => "800/s".into(),
            };
            return Err(format!(
                "rate `{text}` needs a time unit: write for example \"{example}\" (or \"10k rps\", \"600 rpm\")"
            ));
        }
    };
    let (value, suffix) = split_number(count)?;
    let Some(mult) = multiplier(suffix) else {
        return Err(format!("unknown multiplier `{suffix}` in rate `{text}`: use k, M or G"));
    };
    Ok(value * mult / per_s)
}

fn multiplier(suffix: &str) -> Option<f64> {
    Some(match suffix {
        "" => 1.0,
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" | "B" => 1e9,
        _ => return None,
    })
}

/// Parses a rate such as `"800/s"`, `"5M/day"`, `"1.2k/min"`, `"10k rps"`, `"600 rpm"`;
/// returns events per second, between `MIN_RATE_PER_S` and `MAX_RATE_PER_S`.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let rate = rate_value(text)?;
    if !rate.is_finite() || rate <= 0.0 {
        return Err(format!("rate `{text}` must be greater than zero"));
    }
    check_rate_range(text, rate)
}

fn check_rate_range(text: &str, rate: f64) -> Result<f64, String> {
    if rate > MAX_RATE_PER_S {
        return Err(format!("rate `{text}` is {rate:.3e}/s, above the maximum of 100M/s"));
    }
    if rate < MIN_RATE_PER_S {
        return Err(format!("rate `{text}` is below the minimum of 1e-7/s (one request in 116 days)"));
    }
    Ok(rate)
}

/// As `parse_rate`, but also accepts zero ("0/s"): ramps and traces may start from nothing.
pub fn parse_rate_or_zero(text: &str) -> Result<f64, String> {
    match rate_value(text)? {
        0.0 => Ok(0.0),
        r if r.is_finite() && r > 0.0 => check_rate_range(text, r),
        _ => Err(format!("rate `{text}` must be zero or more")),
    }
}

/// Parses a compounding growth such as `"10%/week"` or `"-2%/day"`: returns (fraction, period
/// in seconds), e.g. (0.1, 604800).
pub fn parse_growth(text: &str) -> Result<(f64, f64), String> {
    let Some((pct, per)) = text.split_once('/') else {
        return Err(format!("growth `{text}` needs a period: write for example \"10%/week\""));
    };
    let Some(num) = pct.trim().strip_suffix('%') else {
        return Err(format!("growth `{text}` must be a percentage, e.g. \"10%/week\""));
    };
    let (value, rest) = split_number(num)?;
    if !rest.is_empty() || !value.is_finite() {
        return Err(format!("`{num}` in `{text}` is not a number"));
    }
    let period = match per.trim() {
        "d" | "day" => 86_400.0,
        "w" | "week" => 604_800.0,
        "mo" | "month" => 30.0 * 86_400.0,
        "y" | "year" => 365.0 * 86_400.0,
        other => return Err(format!("unknown growth period `{other}` in `{text}`: use day, week, month or year")),
    };
    if value <= -100.0 {
        return Err(format!("growth `{text}` must be above -100%"));
    }
    Ok((value / 100.0, period))
}

/// Parses a size such as `"64KiB"`, `"1.5MB"`, `"10GB"`, `"512B"`; returns bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (value, unit) = split_number(text)?;
    let mult: f64 = match unit {
        "B" | "" => 1.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0f64.powi(4),
        other => return Err(format!("unknown size unit `{other}` in `{text}`: use B, KB, MB, GB, KiB, MiB or GiB")),
    };
    if !value.is_finite() || value < 0.0 {
        return Err(format!("size `{text}` must be a non-negative number"));
    }
    Ok((value * mult).round() as u64)
}

/// Formats seconds for people: "850us", "12.3ms", "1.20s".
pub fn human_secs(s: f64) -> String {
    if !s.is_finite() {
        return "-".into();
    }
    if s < 1e-3 {
        format!("{:.0}us", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1}ms", s * 1e3)
    } else if s < 120.0 {
        format!("{s:.2}s")
    } else {
        format!("{:.1}m", s / 60.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms").unwrap(), 250_000_000);
        assert_eq!(parse_duration("2m").unwrap(), 120_000_000_000);
        assert_eq!(parse_duration("1.5s").unwrap(), 1_500_000_000);
        assert_eq!(parse_duration("10us").unwrap(), 10_000);
        assert_eq!(parse_duration("1d").unwrap(), 86_400_000_000_000);
        assert!(parse_duration("5").unwrap_err().contains("no unit"));
        assert!(parse_duration("5parsecs").unwrap_err().contains("unknown duration unit"));
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("800/s").unwrap(), 800.0);
        assert!((parse_rate("5M/day").unwrap() - 5e6 / 86_400.0).abs() < 1e-9);
        assert_eq!(parse_rate("1.2k/min").unwrap(), 20.0);
        assert_eq!(parse_rate("1_000/s").unwrap(), 1000.0);
        assert!(parse_rate("800").is_err());
        assert!(parse_rate("0/s").is_err());
        assert!(parse_rate("-5/s").is_err());
    }

    #[test]
    fn zero_rates_and_growth() {
        assert_eq!(parse_rate_or_zero("0/s").unwrap(), 0.0);
        assert_eq!(parse_rate_or_zero("500/s").unwrap(), 500.0);
        assert!(parse_rate_or_zero("0/fortnight").is_err());
        assert!(parse_rate_or_zero("-1/s").is_err());
        assert_eq!(parse_growth("10%/week").unwrap(), (0.1, 604_800.0));
        assert_eq!(parse_growth("-2%/day").unwrap(), (-0.02, 86_400.0));
        assert!(parse_growth("10/week").is_err());
        assert!(parse_growth("10%").is_err());
        assert!(parse_growth("-100%/day").is_err());
    }

    #[test]
    fn compound_durations() {
        assert_eq!(parse_duration("1h30m").unwrap(), 5_400_000_000_000);
        assert_eq!(parse_duration("2m30s").unwrap(), 150_000_000_000);
        assert_eq!(parse_duration("1d 12h").unwrap(), 129_600_000_000_000);
        assert_eq!(parse_duration("1s500ms").unwrap(), 1_500_000_000);
        assert!(parse_duration("30m1h").unwrap_err().contains("largest unit first"));
        assert!(parse_duration("1m1m").is_err());
        assert!(parse_duration("1h30").unwrap_err().contains("`30`"));
        assert!(parse_duration("1h-30m").is_err());
        assert!(parse_duration("1h30parsecs").unwrap_err().contains("unknown duration unit"));
    }

    #[test]
    fn duration_and_rate_bounds() {
        assert_eq!(parse_duration("3650d").unwrap(), MAX_DURATION_NS);
        assert!(parse_duration("3651d").unwrap_err().contains("maximum"));
        assert!(parse_duration("1e9s").unwrap_err().contains("maximum"));
        assert_eq!(parse_rate("100M/s").unwrap(), MAX_RATE_PER_S);
        assert!(parse_rate("1.8e19/s").unwrap_err().contains("maximum of 100M/s"));
        assert!(parse_rate("1/month").is_ok());
        assert!(parse_rate("1e-9/s").unwrap_err().contains("minimum"));
        assert!(parse_rate_or_zero("200M/s").is_err());
    }

    #[test]
    fn rate_spellings() {
        assert_eq!(parse_rate("10k rps").unwrap(), 10_000.0);
        assert_eq!(parse_rate("10krps").unwrap(), 10_000.0);
        assert_eq!(parse_rate("500 qps").unwrap(), 500.0);
        assert_eq!(parse_rate("600 rpm").unwrap(), 10.0);
        assert_eq!(parse_rate("7.2k rph").unwrap(), 2.0);
        assert_eq!(parse_rate("10k/s").unwrap(), 10_000.0);
        assert_eq!(parse_rate("1200 req/s").unwrap(), 1200.0);
        assert_eq!(parse_rate("3 requests/min").unwrap(), 0.05);
        assert_eq!(parse_rate_or_zero("0 rps").unwrap(), 0.0);
        // The hint names a spelling that parses, never "10k rps/s".
        let e = parse_rate("10k").unwrap_err();
        assert!(e.contains("\"10k/s\""), "{e}");
        assert!(parse_rate("10k rps/s").is_err());
        assert!(parse_rate("lots").unwrap_err().contains("\"800/s\""));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64KiB").unwrap(), 65_536);
        assert_eq!(parse_size("1.5MB").unwrap(), 1_500_000);
        assert_eq!(parse_size("512B").unwrap(), 512);
        assert!(parse_size("3 furlongs").is_err());
    }
}
