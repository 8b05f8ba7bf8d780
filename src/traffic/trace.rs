//! Rate traces for `kind = "replay"`: CSV lines of `time,rate`, parsed with the position of
//! every mistake so the loader can point at the CSV file's line and column.

use crate::units::{parse_duration, parse_rate, NS_PER_S};
use std::ops::Range;

/// Rows a trace may have: a week at one point per second is 604,800.
pub const MAX_TRACE_ROWS: usize = 2_000_000;

#[derive(Debug, PartialEq)]
pub struct TraceError {
    /// Byte span in the CSV text.
    pub span: Range<usize>,
    pub message: String,
    pub help: String,
}

fn err(span: Range<usize>, message: impl Into<String>, help: impl Into<String>) -> TraceError {
    TraceError { span, message: message.into(), help: help.into() }
}

/// A time: plain seconds ("90", "1.5") or with a unit ("90s", "2m").
fn time(field: &str) -> Result<f64, String> {
    match field.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(_) => Err(format!("time `{field}` must be a non-negative number of seconds")),
        Err(_) => parse_duration(field).map(|ns| ns as f64 / NS_PER_S),
    }
}

/// A rate: plain requests per second ("800", "0") or with a period ("800/s", "2k/min").
fn rate(field: &str) -> Result<f64, String> {
    match field.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(_) => Err(format!("rate `{field}` must be zero or more requests per second")),
        Err(_) => crate::units::parse_rate_or_zero(field).or_else(|_| parse_rate(field)),
    }
}

/// Parses a trace; the first line may be a header (it is skipped if its first field is not a
/// time). Blank lines and lines starting with `#` are ignored.
pub fn parse_trace(text: &str) -> Result<Vec<(f64, f64)>, TraceError> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    let mut offset = 0;
    let mut first = true;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let content = line.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let fields: Vec<(usize, &str)> = split_fields(line);
        let header = first && time(fields[0].1).is_err();
        first = false;
        if header {
            continue;
        }
        let whole = start..start + line.len();
        if fields.len() != 2 {
            return Err(err(
                whole,
                format!("expected 2 fields (time,rate), found {}", fields.len()),
                "write each line as `seconds,requests_per_second`, e.g. `3600,850`",
            ));
        }
        let span = |i: usize| start + fields[i].0..start + fields[i].0 + fields[i].1.len().max(1);
        let t = time(fields[0].1).map_err(|e| err(span(0), e, "a time in seconds (`90`) or with a unit (`90s`)"))?;
        let r =
            rate(fields[1].1).map_err(|e| err(span(1), e, "a rate per second (`850`) or with a period (`850/s`)"))?;
        if let Some((prev, _)) = out.last() {
            if t <= *prev {
                return Err(err(
                    span(0),
                    format!("time {t}s is not after the previous line's {prev}s"),
                    "sort the trace by time, one line per instant",
                ));
            }
        }
        if out.len() >= MAX_TRACE_ROWS {
            return Err(err(whole, format!("more than {MAX_TRACE_ROWS} rows"), "resample the trace more coarsely"));
        }
        out.push((t, r));
    }
    if out.is_empty() {
        return Err(err(0..0, "the trace has no data lines", "add lines of `time,rate`, e.g. `0,100`"));
    }
    if out.iter().all(|(_, r)| *r == 0.0) {
        return Err(err(0..0, "every rate in the trace is zero", "a trace needs some traffic"));
    }
    Ok(out)
}

/// Fields separated by commas, each trimmed, with its byte offset in the line.
fn split_fields(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut pos = 0;
    for f in line.split(',') {
        let lead = f.len() - f.trim_start().len();
        out.push((pos + lead, f.trim()));
        pos += f.len() + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_units_and_comments() {
        let t = parse_trace("time_s,rate_per_s\n# quiet night\n0,100\n\n90s, 2k/min\n3600,0\n").unwrap();
        assert_eq!(t, vec![(0.0, 100.0), (90.0, 2000.0 / 60.0), (3600.0, 0.0)]);
    }

    #[test]
    fn points_at_the_bad_field() {
        let text = "0,100\n60,lots\n";
        let e = parse_trace(text).unwrap_err();
        assert_eq!(&text[e.span.clone()], "lots");
        let e = parse_trace("0,1\n0,2\n").unwrap_err();
        assert!(e.message.contains("not after"), "{}", e.message);
        let e = parse_trace("0,1,2\n").unwrap_err();
        assert!(e.message.contains("2 fields"));
        assert!(parse_trace("t,r\n").is_err());
        assert!(parse_trace("0,-3\n").unwrap_err().message.contains("zero or more"));
    }
}
