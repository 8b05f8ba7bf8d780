//! Regular expressions (ECMA 262, as JSON Schema's `pattern` uses them) for the unit strings
//! `units.rs` and `dist.rs` parse. They check syntax only: a range (a duration that rounds
//! to 0 ns, `max` below `min`, a Pareto mean with `shape <= 1`) is left to validation.
//! `tests/integration/schema.rs` runs a table of strings through both the parsers and these
//! patterns and fails on any disagreement, so the two cannot drift apart unnoticed.

/// `split_number`: digits with `_` separators anywhere, an optional fraction and exponent.
/// Only `+` as a sign: the parsers reject negative durations, sizes and rates.
fn number(nonzero: bool) -> String {
    let d = if nonzero { "[1-9]" } else { "[0-9]" };
    format!(r"_*\+?(?:[0-9_]*{d}[0-9_]*(?:\.[0-9_]*)?|[0-9_]*\.[0-9_]*{d}[0-9_]*)(?:[eE]_*[+-]?[0-9_]*[0-9][0-9_]*)?")
}

/// A plain `f64` as `str::parse` reads it (no separators), greater than zero.
const POSITIVE: &str = r"\+?(?:[0-9]*[1-9][0-9]*(?:\.[0-9]*)?|[0-9]*\.[0-9]*[1-9][0-9]*)(?:[eE][+-]?[0-9]+)?";

const DURATION_UNITS: &str = "ns|us|µs|ms|s|m|min|h|d|day|days|w|week|weeks";

/// One or more `NUMBER UNIT` parts (`"1h30m"`, `"2m 30s"`): `parse_duration` adds them up.
/// That each unit is smaller than the one before is a range check, left to the parser.
fn duration_body(nonzero: bool) -> String {
    let part = format!(r"{}\s*(?:{DURATION_UNITS})", number(nonzero));
    format!(r"{part}(?:\s*{part})*")
}

fn anchored(body: &str) -> String {
    format!(r"^\s*(?:{body})\s*$")
}

/// `units::parse_duration`: `"250ms"`, `"2m"`, `"1.5h"`, `"1d"`.
pub fn duration() -> String {
    anchored(&duration_body(false))
}

/// `[scenario] warmup`: a duration or `"auto"`.
pub fn duration_or_auto() -> String {
    format!(r"^(?:auto|\s*{}\s*)$", duration_body(false))
}

const RATE_PERIODS: &str = "s|sec|second|m|min|minute|h|hour|d|day|mo|month";

/// After the count: `/PERIOD` (optionally `requests/`, `reqs/`, `req/`), or a spelled rate
/// (`rps`, `qps`, `rpm`, `rph`).
fn per_period() -> String {
    format!(r"(?:(?:requests|reqs|req)?\s*/\s*(?:{RATE_PERIODS})|rps|qps|rpm|rph)")
}

fn positive_rate() -> String {
    format!(r"{}\s*[kKMGB]?\s*{}", number(true), per_period())
}

/// `units::parse_rate`: `"800/s"`, `"5M/day"`, `"1.2k/min"`; more than zero.
pub fn rate() -> String {
    anchored(&positive_rate())
}

/// `units::parse_rate_or_zero`: as a rate, or a zero (`"0/s"`, `"0k/s"`).
pub fn rate_or_zero() -> String {
    let zero = r"_*[+-]?(?:[0_]*0[0_]*(?:\.[0_]*)?|[0_]*\.[0_]*0[0_]*)(?:[eE]_*[+-]?[0-9_]*[0-9][0-9_]*)?";
    anchored(&format!(r"{}|{zero}\s*[kKMGB]?\s*{}", positive_rate(), per_period()))
}

const SIZE_UNITS: &str = "B|KB|kB|MB|GB|TB|KiB|MiB|GiB|TiB";

/// `units::parse_size`: `"64KiB"`, `"1.5MB"`, `"512B"`, `"512"`.
pub fn size() -> String {
    anchored(&format!(r"{}\s*(?:{SIZE_UNITS})?", number(false)))
}

/// `object_storage::parse_throughput`: a size per s, ms or min, `"90MB/s"`.
pub fn throughput() -> String {
    anchored(&format!(r"{}\s*(?:{SIZE_UNITS})?\s*/\s*(?:s|sec|second|ms|min|m)", number(false)))
}

/// `units::parse_growth`: `"10%/week"`, `"-2%/day"`.
pub fn growth() -> String {
    let n = number(false).replacen(r"\+?", "[+-]?", 1);
    anchored(&format!(r"{n}\s*%\s*/\s*(?:d|day|w|week|mo|month|y|year)"))
}

/// One `key = value` argument of a distribution.
fn arg(key: &str, value: &str) -> String {
    format!(r"{key}\s*=\s*{value}")
}

/// Two arguments in either order, with the empty parts `Args::parse` skips.
fn two(a: &str, b: &str) -> String {
    format!(r"[\s,]*(?:{a}\s*,[\s,]*{b}|{b}\s*,[\s,]*{a})[\s,]*")
}

fn one(a: &str) -> String {
    format!(r"[\s,]*{a}[\s,]*")
}

/// `dist::Dist::parse`: a duration (a constant) or `name(key = value, ...)`.
pub fn distribution() -> String {
    let dur = duration_body(false);
    let pos_dur = duration_body(true);
    let mean = arg("mean", &pos_dur);
    let scale_or_mean = format!("(?:{}|{mean})", arg("scale", &pos_dur));
    let forms = [
        format!(r"(?:constant|const)\s*\({}\)", one(&format!(r"(?:value\s*=\s*)?{dur}"))),
        format!(r"(?:exp|exponential)\s*\({}\)", one(&mean)),
        format!(r"(?:lognormal|gamma)\s*\({}\)", two(&mean, &arg("cv", POSITIVE))),
        format!(r"uniform\s*\({}\)", two(&arg("min", &dur), &arg("max", &dur))),
        format!(r"(?:weibull|pareto)\s*\({}\)", two(&arg("shape", POSITIVE), &scale_or_mean)),
    ];
    anchored(&format!("{dur}|{}", forms.join("|")))
}
