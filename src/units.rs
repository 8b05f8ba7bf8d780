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

/// Parses a duration such as `"250ms"`, `"2m"`, `"1.5h"`, `"10us"`, `"1d"`.
pub fn parse_duration(text: &str) -> Result<Nanos, String> {
    let (value, unit) = split_number(text)?;
    let scale = match unit {
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "week" | "weeks" => 604_800.0,
        "" => return Err(format!("`{text}` has no unit: write for example \"{value}ms\" or \"{value}s\"")),
        other => return Err(format!("unknown duration unit `{other}` in `{text}`: use ns, us, ms, s, m, h, d or w")),
    };
    if !value.is_finite() || value < 0.0 {
        return Err(format!("duration `{text}` must be a non-negative number"));
    }
    Ok(secs_to_ns(value * scale))
}

/// Parses a rate such as `"800/s"`, `"5M/day"`, `"1.2k/min"`; returns events per second.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let Some((count, per)) = text.split_once('/') else {
        return Err(format!("rate `{text}` needs a time unit: write for example \"{text}/s\""));
    };
    let (value, suffix) = split_number(count)?;
    let mult = match suffix {
        "" => 1.0,
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" | "B" => 1e9,
        other => return Err(format!("unknown multiplier `{other}` in rate `{text}`: use k, M or G")),
    };
    let per_s = match per.trim() {
        "s" | "sec" | "second" => 1.0,
        "m" | "min" | "minute" => 60.0,
        "h" | "hour" => 3600.0,
        "d" | "day" => 86_400.0,
        "mo" | "month" => 30.0 * 86_400.0,
        other => return Err(format!("unknown rate period `{other}` in `{text}`: use s, min, h, day or month")),
    };
    let rate = value * mult / per_s;
    if !rate.is_finite() || rate <= 0.0 {
        return Err(format!("rate `{text}` must be greater than zero"));
    }
    Ok(rate)
}

/// As `parse_rate`, but also accepts zero ("0/s"): ramps and traces may start from nothing.
pub fn parse_rate_or_zero(text: &str) -> Result<f64, String> {
    let err = match parse_rate(text) {
        Ok(r) => return Ok(r),
        Err(e) => e,
    };
    let zero = text.split_once('/').is_some_and(|(count, per)| {
        split_number(count).is_ok_and(|(v, rest)| v == 0.0 && rest.is_empty())
            && parse_rate(&format!("1/{per}")).is_ok()
    });
    if zero {
        Ok(0.0)
    } else {
        Err(err.replace("greater than zero", "zero or more"))
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
    fn sizes() {
        assert_eq!(parse_size("64KiB").unwrap(), 65_536);
        assert_eq!(parse_size("1.5MB").unwrap(), 1_500_000);
        assert_eq!(parse_size("512B").unwrap(), 512);
        assert!(parse_size("3 furlongs").is_err());
    }
}
