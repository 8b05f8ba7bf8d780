//! Rate traces for `kind = "replay"`: CSV lines of `time,rate` as people and tools write them
//! (spreadsheets, Grafana exports), parsed with the position of every mistake so the loader
//! can point at the CSV file's line and column.

use crate::units::{parse_duration, MAX_RATE_PER_S, NS_PER_S};
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

/// How the time column is written, decided by the first data line; every line must agree.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Clock {
    /// Seconds from the start ("90", "1.5") or a duration ("90s", "2m").
    Relative,
    /// Unix epoch seconds (a plain number of at least 1e9, i.e. after 2001-09-09).
    EpochS,
    /// Unix epoch milliseconds (a plain number of at least 1e11).
    EpochMs,
    /// RFC 3339 / ISO 8601: `2024-03-01T12:00:00Z`, `2024-03-01 12:00:00.5+02:00`.
    Timestamp,
}

/// A time in seconds (absolute for epochs and timestamps) and how it was written.
fn time(field: &str) -> Result<(f64, Clock), String> {
    match field.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 1e11 => Ok((v / 1e3, Clock::EpochMs)),
        Ok(v) if v.is_finite() && v >= 1e9 => Ok((v, Clock::EpochS)),
        Ok(v) if v.is_finite() && v >= 0.0 => Ok((v, Clock::Relative)),
        Ok(_) => Err(format!("time `{field}` must be a non-negative number of seconds")),
        Err(_) if field.len() >= 10 && field.as_bytes()[4] == b'-' => timestamp(field).map(|t| (t, Clock::Timestamp)),
        Err(_) => parse_duration(field).map(|ns| (ns as f64 / NS_PER_S, Clock::Relative)),
    }
}

/// Seconds since the Unix epoch of an RFC 3339 / ISO 8601 date-time: `YYYY-MM-DD`, then `T`
/// or a space and `hh:mm[:ss[.fff]]`, then `Z`, `±hh:mm`, `±hhmm` or nothing (read as UTC:
/// only differences between rows matter).
fn timestamp(field: &str) -> Result<f64, String> {
    let bad = || format!("timestamp `{field}` is not RFC 3339 / ISO 8601: write for example 2024-03-01T12:00:00Z");
    let num = |s: Option<&str>| s.filter(|s| s.bytes().all(|b| b.is_ascii_digit())).and_then(|s| s.parse::<i64>().ok());
    let (date, rest) = (field.get(..10).ok_or_else(bad)?, &field[10..]);
    let mut d = date.split('-');
    let (y, m, day) = (num(d.next()).ok_or_else(bad)?, num(d.next()).ok_or_else(bad)?, num(d.next()).ok_or_else(bad)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    let mut secs = days_from_civil(y, m, day) as f64 * 86_400.0;
    let rest = rest.strip_prefix(['T', 't', ' ']).unwrap_or(rest);
    if rest.is_empty() {
        return Ok(secs);
    }
    // The clock, then an optional zone.
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(zone_at);
    let mut parts = clock.split(':');
    let h = num(parts.next()).filter(|h| *h < 24).ok_or_else(bad)?;
    let mi = num(parts.next()).filter(|m| *m < 60).ok_or_else(bad)?;
    let s = match parts.next() {
        Some(s) if s.starts_with(|c: char| c.is_ascii_digit()) => {
            s.parse::<f64>().ok().filter(|s| (0.0..61.0).contains(s)).ok_or_else(bad)?
        }
        Some(_) => return Err(bad()),
        None => 0.0,
    };
    if parts.next().is_some() {
        return Err(bad());
    }
    secs += (h * 3600 + mi * 60) as f64 + s;
    let offset = match zone {
        "" | "Z" | "z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let hm = z[1..].replace(':', "");
            let v = num(Some(hm.as_str())).filter(|_| hm.len() == 4).ok_or_else(bad)?;
            sign * ((v / 100) * 3600 + (v % 100) * 60)
        }
    };
    Ok(secs - offset as f64)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A rate: plain requests per second ("800", "0") or with a period ("800/s", "2k/min"), at
/// most `MAX_RATE_PER_S`.
fn rate(field: &str) -> Result<f64, String> {
    match field.parse::<f64>() {
        Ok(v) if v.is_finite() && v > MAX_RATE_PER_S => {
            Err(format!("rate `{field}` is above the maximum of 100M requests per second"))
        }
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(_) => Err(format!("rate `{field}` must be zero or more requests per second")),
        Err(_) => crate::units::parse_rate_or_zero(field),
    }
}

/// Parses a trace. Fields are separated by `,` or, when the first line has a `;`, by `;`
/// (then a decimal comma is read as a point, as European spreadsheets write it); a field
/// may be quoted (`"12:00"`, with `""` for a quote). The first line may be a header (it is
/// skipped if its first field is not a time). Blank lines and lines starting with `#` are
/// ignored. Absolute times (timestamps, epoch seconds or milliseconds) count from the first row.
pub fn parse_trace(text: &str) -> Result<Vec<(f64, f64)>, TraceError> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    let mut offset = 0;
    let mut first = true;
    let mut sep = ',';
    let mut clock: Option<(Clock, f64)> = None;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let content = line.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if first && content.contains(';') {
            sep = ';';
        }
        let fields = split_fields(line, sep).map_err(|at| {
            err(start + at..start + line.len(), "a quoted field has no closing quote", "close it with `\"`")
        })?;
        let header = first && time(&fields[0].1).is_err();
        first = false;
        if header {
            continue;
        }
        let whole = start..start + line.len();
        if fields.len() != 2 {
            return Err(err(
                whole,
                format!("expected 2 fields (time{sep}rate), found {}", fields.len()),
                "write each line as `seconds,requests_per_second`, e.g. `3600,850`",
            ));
        }
        let span = |i: usize| start + fields[i].0..start + fields[i].0 + fields[i].1.len().max(1);
        let (at, kind) = time(&fields[0].1).map_err(|e| {
            err(
                span(0),
                e,
                "a time in seconds (`90`), with a unit (`90s`), a timestamp (`2024-03-01T12:00:00Z`) or epoch seconds",
            )
        })?;
        let (kind0, origin) = *clock.get_or_insert((kind, if kind == Clock::Relative { 0.0 } else { at }));
        if kind != kind0 {
            return Err(err(
                span(0),
                format!("time `{}` is written as {kind:?}, the first line as {kind0:?}", fields[0].1),
                "write every time the same way: all relative seconds, all timestamps or all epoch times",
            ));
        }
        let t = at - origin;
        let rate_text = if sep == ';' { fields[1].1.replace(',', ".") } else { fields[1].1.clone() };
        let r =
            rate(&rate_text).map_err(|e| err(span(1), e, "a rate per second (`850`) or with a period (`850/s`)"))?;
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

/// Fields separated by `sep`, each trimmed and unquoted, with the byte offset of its text in
/// the line; `Err(offset)` for a quote that is never closed.
fn split_fields(line: &str, sep: char) -> Result<Vec<(usize, String)>, usize> {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let rest = &line[pos..];
        let lead = rest.len() - rest.trim_start().len();
        let field_start = pos + lead;
        if let Some(inner) = line[field_start..].strip_prefix('"') {
            // A quoted field: up to the closing quote, `""` standing for one quote.
            let mut value = String::new();
            let mut chars = inner.char_indices().peekable();
            let end = loop {
                match chars.next() {
                    Some((_, '"')) if chars.peek().map(|c| c.1) == Some('"') => {
                        chars.next();
                        value.push('"');
                    }
                    Some((i, '"')) => break field_start + 1 + i + 1,
                    Some((_, c)) => value.push(c),
                    None => return Err(field_start),
                }
            };
            out.push((field_start + 1, value.trim().to_string()));
            match line[end..].find(sep) {
                Some(i) => pos = end + i + sep.len_utf8(),
                None => return Ok(out),
            }
        } else {
            let len = line[pos..].find(sep).unwrap_or(line.len() - pos);
            out.push((field_start, line[pos..pos + len].trim().to_string()));
            if pos + len == line.len() {
                return Ok(out);
            }
            pos += len + sep.len_utf8();
        }
    }
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
    fn spreadsheet_and_grafana_exports() {
        // Grafana: quoted header and fields, a space between date and clock.
        let g = "\"Time\",\"A-series\"\n\"2024-03-01 12:00:00\",\"100\"\n\"2024-03-01 12:01:30\",\"250.5\"\n";
        assert_eq!(parse_trace(g).unwrap(), vec![(0.0, 100.0), (90.0, 250.5)]);
        // A European spreadsheet: `;` and decimal commas; zones are honoured.
        let e = "time;rate\n2024-03-01T12:00:00+01:00;1,5\n2024-03-01T11:00:01Z;2\n";
        assert_eq!(parse_trace(e).unwrap(), vec![(0.0, 1.5), (1.0, 2.0)]);
        // Epoch seconds and milliseconds count from the first row.
        assert_eq!(parse_trace("1709294400,5\n1709294460,6\n").unwrap(), vec![(0.0, 5.0), (60.0, 6.0)]);
        assert_eq!(parse_trace("1709294400000,5\n1709294400500,6\n").unwrap(), vec![(0.0, 5.0), (0.5, 6.0)]);
        // A quote inside a quoted field, and a comma inside quotes.
        assert_eq!(split_fields("\"a \"\"b\"\", c\" , 2", ',').unwrap()[0].1, "a \"b\", c");
        assert_eq!(timestamp("1970-01-02").unwrap(), 86_400.0);
        assert_eq!(timestamp("2000-03-01T00:00:00Z").unwrap(), 951_868_800.0);
    }

    #[test]
    fn unknown_time_forms_are_located() {
        let text = "2024-03-01T12:00:00Z,1\n2024-13-01T12:00:00Z,1\n";
        let e = parse_trace(text).unwrap_err();
        assert_eq!(&text[e.span.clone()], "2024-13-01T12:00:00Z");
        assert!(e.message.contains("RFC 3339"), "{}", e.message);
        let text = "0,1\n2024-03-01T12:00:00Z,1\n";
        let e = parse_trace(text).unwrap_err();
        assert!(e.message.contains("first line"), "{}", e.message);
        let e = parse_trace("0,1\n\"60,2\n").unwrap_err();
        assert!(e.message.contains("closing quote"));
        assert!(parse_trace("0,1e9\n").unwrap_err().message.contains("maximum"));
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
