//! The `[thresholds]` section: what a capacity model promises, in the form k6 users know.
//!
//! ```toml
//! [thresholds]
//! latency = ["p(99) < 200ms", "p(50) < 40ms"]   # p(N), avg, med, max
//! errors = ["rate < 0.1%"]                       # rate, count
//! throughput = ["rate > 790/s"]
//! cost = ["monthly_usd < 12000"]                 # monthly_usd, hourly_usd, per_million_requests_usd
//!
//! [thresholds.classes.browse]                    # latency and errors, per request class
//! latency = ["p(99) < 150ms"]
//!
//! [thresholds.components.db]                     # any numeric field of the component's summary
//! utilization = "< 0.8"
//! queue_mean = ["< 5", ">= 0"]
//! latency = "p(99) < 20ms"                       # its latency_s object, k6 style
//! ```
//!
//! Parsing works on the spanned TOML tree, so each problem points at the string element it is
//! about (and, for plain strings, at the part of it that is wrong). The section can sit under
//! any key path: journey stages reuse it with their own.

use super::expr::{split, Cmp, ExprError, Unit};
use crate::diag::{did_you_mean, line_col, Problem};
use crate::summary::Latency;
use std::ops::Range;
use toml::de::DeValue;
use toml::Spanned;

/// Where a metric is measured.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Total,
    Class(String),
    Component(String),
}

/// What is measured. Names are fields of the serialized summary, so new fields work as is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Measure {
    /// A field of a `latency_s` object: "p99", "mean", "max".
    Latency(String),
    ErrorRate,
    ErrorCount,
    Throughput,
    /// A field of the `cost` object: "usd_per_month".
    Cost(String),
    /// A numeric field of a component's summary object: "utilization", "hit_ratio".
    Field(String),
}

/// One metric of a run, such as `classes.browse.latency.p(99)`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetricKey {
    pub scope: Scope,
    pub measure: Measure,
}

/// k6-style names of the cost fields.
const COST_STATS: &[(&str, &str)] = &[
    ("monthly_usd", "usd_per_month"),
    ("hourly_usd", "usd_per_hour"),
    ("per_million_requests_usd", "usd_per_million_requests"),
];

impl MetricKey {
    pub fn total(measure: Measure) -> MetricKey {
        MetricKey { scope: Scope::Total, measure }
    }

    /// The metrics every check measures and every baseline keeps.
    pub fn key_metrics() -> Vec<MetricKey> {
        vec![
            MetricKey::total(Measure::Latency("p50".into())),
            MetricKey::total(Measure::Latency("p99".into())),
            MetricKey::total(Measure::ErrorRate),
            MetricKey::total(Measure::Throughput),
            MetricKey::total(Measure::Cost("usd_per_month".into())),
        ]
    }

    /// "latency", "errors", "throughput", "cost", or the field's name.
    pub fn family(&self) -> &str {
        match &self.measure {
            Measure::Latency(_) => "latency",
            Measure::ErrorRate | Measure::ErrorCount => "errors",
            Measure::Throughput => "throughput",
            Measure::Cost(_) => "cost",
            Measure::Field(f) => f,
        }
    }

    /// The statistic as users write it: "p(99)", "avg", "rate", "monthly_usd"; empty for a field.
    pub fn stat(&self) -> String {
        match &self.measure {
            Measure::Latency(f) => latency_stat_name(f),
            Measure::ErrorRate | Measure::Throughput => "rate".into(),
            Measure::ErrorCount => "count".into(),
            Measure::Cost(f) => {
                COST_STATS.iter().find(|(_, field)| field == f).map_or(f.clone(), |(s, _)| s.to_string())
            }
            Measure::Field(_) => String::new(),
        }
    }

    /// A stable identifier: `latency.p(99)`, `classes.browse.errors.rate`, `components.db.utilization`.
    pub fn id(&self) -> String {
        let local = match &self.measure {
            Measure::Field(f) => f.clone(),
            _ => format!("{}.{}", self.family(), self.stat()),
        };
        match &self.scope {
            Scope::Total => local,
            Scope::Class(c) => format!("classes.{c}.{local}"),
            Scope::Component(c) => format!("components.{c}.{local}"),
        }
    }

    pub fn unit(&self) -> Unit {
        match &self.measure {
            Measure::Latency(_) => Unit::Seconds,
            Measure::ErrorRate => Unit::Ratio,
            Measure::ErrorCount => Unit::Count,
            Measure::Throughput => Unit::PerSecond,
            Measure::Cost(_) => Unit::Usd,
            Measure::Field(f) => Unit::of_field(f),
        }
    }

    /// The bad direction of a key metric: less throughput, more of everything else.
    pub fn higher_is_worse(&self) -> bool {
        !matches!(self.measure, Measure::Throughput)
    }
}

/// "p99" -> "p(99)", "p999" -> "p(99.9)", "mean" -> "avg".
fn latency_stat_name(field: &str) -> String {
    match field {
        "mean" => "avg".into(),
        "max" => "max".into(),
        f => match f.strip_prefix('p').filter(|d| d.chars().all(|c| c.is_ascii_digit())) {
            Some(d) if d.len() > 2 => format!("p({}.{})", &d[..2], &d[2..]),
            Some(d) => format!("p({d})"),
            None => f.into(),
        },
    }
}

/// One threshold, as written and as understood.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    pub metric: MetricKey,
    pub cmp: Cmp,
    /// In base units (seconds, ratio, USD, per second).
    pub limit: f64,
    /// The limit as written ("200ms").
    pub limit_text: String,
    /// The whole expression as written ("p(99) < 200ms").
    pub expression: String,
    /// Dotted key path of the string (`thresholds.latency.0`).
    pub key: String,
    /// Byte span of the string in the file, and its line and column (from 1).
    pub span: Range<usize>,
    pub line: usize,
    pub column: usize,
}

impl Threshold {
    /// A short name for people and test reports: `latency p(99) < 200ms`,
    /// `components.db utilization < 0.8`, `classes.browse latency p(99) < 150ms`.
    pub fn name(&self) -> String {
        let what = match &self.metric.measure {
            Measure::Field(f) => format!("{f} {} {}", self.cmp.symbol(), self.limit_text),
            _ => format!("{} {}", self.metric.family(), self.expression.trim()),
        };
        match &self.metric.scope {
            Scope::Total => what,
            Scope::Class(c) => format!("classes.{c} {what}"),
            Scope::Component(c) => format!("components.{c} {what}"),
        }
    }
}

/// The thresholds of a file, and where it names classes and components (checked against
/// the model once it is built).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThresholdSet {
    pub thresholds: Vec<Threshold>,
    pub names: Vec<(Scope, Vec<String>, Range<usize>)>,
}

impl ThresholdSet {
    pub fn is_empty(&self) -> bool {
        self.thresholds.is_empty()
    }

    /// Problems for classes and components the model does not have.
    pub fn check_names(&self, classes: &[&str], components: &[&str]) -> Vec<Problem> {
        let mut out = Vec::new();
        for (scope, path, span) in &self.names {
            let (name, known, what) = match scope {
                Scope::Class(c) => (c, classes, "request class"),
                Scope::Component(c) => (c, components, "component"),
                Scope::Total => continue,
            };
            if known.contains(&name.as_str()) {
                continue;
            }
            let help = match did_you_mean(name, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? Known: {}", known.join(", ")),
                None => format!("the scenario's {what}s are: {}", known.join(", ")),
            };
            out.push(Problem {
                path: path.clone(),
                span: Some(span.clone()),
                message: format!("thresholds name no {what} `{name}`"),
                help,
            });
        }
        out
    }
}

/// What a list of expressions under one key measures.
#[derive(Clone, Copy, PartialEq)]
enum Family<'a> {
    Latency,
    Errors,
    Throughput,
    Cost,
    Field(&'a str),
}

impl Family<'_> {
    fn example(self) -> &'static str {
        match self {
            Family::Latency => "p(99) < 200ms",
            Family::Errors => "rate < 0.1%",
            Family::Throughput => "rate > 790/s",
            Family::Cost => "monthly_usd < 12000",
            Family::Field(_) => "< 0.8",
        }
    }
}

/// Parses a thresholds table found at `path` (e.g. `["thresholds"]`) in `text`.
pub fn parse(section: &Spanned<DeValue>, path: &[&str], text: &str) -> Result<ThresholdSet, Vec<Problem>> {
    let mut p = Parser { text, problems: Vec::new(), out: ThresholdSet::default() };
    let base: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    if let Some(t) = p.table(section, &base, "write `[thresholds]` with keys such as `latency = [\"p(99) < 200ms\"]`") {
        for (key, value) in t {
            let at = child(&base, key.get_ref());
            match key.get_ref().as_ref() {
                "latency" => p.list(value, &at, Scope::Total, Family::Latency),
                "errors" => p.list(value, &at, Scope::Total, Family::Errors),
                "throughput" => p.list(value, &at, Scope::Total, Family::Throughput),
                "cost" => p.list(value, &at, Scope::Total, Family::Cost),
                "classes" => p.scoped(value, &at, true),
                "components" => p.scoped(value, &at, false),
                other => p.unknown_key(
                    &key,
                    &at,
                    other,
                    &["latency", "errors", "throughput", "cost", "classes", "components"],
                ),
            }
        }
    }
    // Tables iterate in key order; people read files top to bottom.
    if p.problems.is_empty() {
        p.out.thresholds.sort_by_key(|t| t.span.start);
        Ok(p.out)
    } else {
        p.problems.sort_by_key(|p| p.span.as_ref().map_or(0, |s| s.start));
        Err(p.problems)
    }
}

type Entries<'a, 'i> = Vec<(Spanned<toml::de::DeString<'i>>, &'a Spanned<DeValue<'i>>)>;

fn child(path: &[String], key: &str) -> Vec<String> {
    let mut p = path.to_vec();
    p.push(key.to_string());
    p
}

struct Parser<'t> {
    text: &'t str,
    problems: Vec<Problem>,
    out: ThresholdSet,
}

impl Parser<'_> {
    fn problem(&mut self, path: &[String], span: Range<usize>, message: impl Into<String>, help: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_vec(),
            span: Some(span),
            message: message.into(),
            help: help.into(),
        });
    }

    fn table<'a, 'i>(&mut self, v: &'a Spanned<DeValue<'i>>, path: &[String], help: &str) -> Option<Entries<'a, 'i>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(t.iter().map(|(k, v)| (k.clone(), v)).collect()),
            other => {
                let m = format!("`{}` must be a table, not {}", path.join("."), other.type_str());
                self.problem(path, v.span(), m, help);
                None
            }
        }
    }

    fn unknown_key(&mut self, key: &Spanned<toml::de::DeString>, path: &[String], name: &str, allowed: &[&str]) {
        let help = match did_you_mean(name, allowed.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? Allowed here: {}", allowed.join(", ")),
            None => format!("allowed here: {}", allowed.join(", ")),
        };
        self.problem(path, key.span(), format!("unknown threshold key `{name}`"), help);
    }

    /// `[thresholds.classes.NAME]` or `[thresholds.components.NAME]` tables.
    fn scoped(&mut self, value: &Spanned<DeValue>, path: &[String], classes: bool) {
        let what = if classes { "classes" } else { "components" };
        let help = format!("write `[{}.NAME]` tables, one per {}", path.join("."), &what[..what.len() - 1]);
        let Some(entries) = self.table(value, path, &help) else { return };
        for (name, table) in entries {
            let at = child(path, name.get_ref());
            let n = name.get_ref().to_string();
            let scope = if classes { Scope::Class(n) } else { Scope::Component(n) };
            self.out.names.push((scope.clone(), at.clone(), name.span()));
            let help = "write keys such as `latency = [\"p(99) < 200ms\"]`";
            let Some(keys) = self.table(table, &at, help) else { continue };
            for (key, v) in keys {
                let kat = child(&at, key.get_ref());
                match (classes, key.get_ref().as_ref()) {
                    (_, "latency") => self.list(v, &kat, scope.clone(), Family::Latency),
                    (true, "errors") => self.list(v, &kat, scope.clone(), Family::Errors),
                    (true, other) => self.unknown_key(&key, &kat, other, &["latency", "errors"]),
                    (false, field) => self.list(v, &kat, scope.clone(), Family::Field(field)),
                }
            }
        }
    }

    /// A string or an array of strings, each an expression.
    fn list(&mut self, value: &Spanned<DeValue>, path: &[String], scope: Scope, family: Family) {
        let example = family.example();
        match value.get_ref() {
            DeValue::String(s) => self.expression(s, value.span(), path, &scope, family),
            DeValue::Array(items) => {
                if items.is_empty() {
                    let m = format!("`{}` has no thresholds", path.join("."));
                    self.problem(path, value.span(), m, format!("add one, such as \"{example}\", or remove the key"));
                }
                for (i, item) in items.iter().enumerate() {
                    let at = child(path, &i.to_string());
                    match item.get_ref() {
                        DeValue::String(s) => self.expression(s, item.span(), &at, &scope, family),
                        other => {
                            let m = format!("a threshold must be a string, not {}", other.type_str());
                            self.problem(&at, item.span(), m, format!("quote it: \"{example}\""));
                        }
                    }
                }
            }
            other => {
                let m =
                    format!("`{}` must be a string or an array of strings, not {}", path.join("."), other.type_str());
                self.problem(path, value.span(), m, format!("for example [\"{example}\"]"));
            }
        }
    }

    fn expression(&mut self, expr: &str, span: Range<usize>, path: &[String], scope: &Scope, family: Family) {
        match understand(expr, scope, family) {
            Ok((metric, cmp, limit, limit_text)) => {
                let (line, column) = line_col(self.text, span.start);
                self.out.thresholds.push(Threshold {
                    metric,
                    cmp,
                    limit,
                    limit_text,
                    expression: expr.to_string(),
                    key: path.join("."),
                    span,
                    line,
                    column,
                });
            }
            Err(e) => {
                let at = inner_span(self.text, &span, expr, &e.at);
                self.problem(path, at, format!("threshold `{expr}`: {}", e.message), e.help);
            }
        }
    }
}

/// The span of `inner` (bytes of `content`) in the file, when the string is written without
/// escapes; otherwise the whole string.
fn inner_span(text: &str, span: &Range<usize>, content: &str, inner: &Range<usize>) -> Range<usize> {
    let raw = text.get(span.clone()).unwrap_or("");
    let plain = raw.len() == content.len() + 2 && raw.get(1..raw.len() - 1) == Some(content);
    if plain && inner.end > inner.start {
        span.start + 1 + inner.start..span.start + 1 + inner.end
    } else {
        span.clone()
    }
}

/// An expression's metric, comparison and limit (in base units, and as written).
fn understand(expr: &str, scope: &Scope, family: Family) -> Result<(MetricKey, Cmp, f64, String), ExprError> {
    let e = split(expr, !matches!(family, Family::Field(_)), family.example())?;
    let bad_stat = |m: String, h: String| ExprError::new(e.stat_at.clone(), m, h);
    let measure = match family {
        Family::Latency => Measure::Latency(
            latency_field(&e.stat)
                .map_err(|h| bad_stat(format!("`{}` is not a latency statistic stagesim reports", e.stat), h))?,
        ),
        Family::Errors => match e.stat.as_str() {
            "rate" => Measure::ErrorRate,
            "count" => Measure::ErrorCount,
            s => return Err(bad_stat(format!("unknown error statistic `{s}`"), "use `rate` or `count`".into())),
        },
        Family::Throughput => match e.stat.as_str() {
            "rate" => Measure::Throughput,
            s => return Err(bad_stat(format!("unknown throughput statistic `{s}`"), "use `rate`".into())),
        },
        Family::Cost => match COST_STATS.iter().find(|(name, _)| *name == e.stat) {
            Some((_, field)) => Measure::Cost(field.to_string()),
            None => {
                let names: Vec<&str> = COST_STATS.iter().map(|(n, _)| *n).collect();
                let help = match did_you_mean(&e.stat, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("use one of: {}", names.join(", ")),
                };
                return Err(bad_stat(format!("unknown cost statistic `{}`", e.stat), help));
            }
        },
        Family::Field(f) => Measure::Field(f.to_string()),
    };
    let metric = MetricKey { scope: scope.clone(), measure };
    let limit = metric.unit().parse(&e.limit).map_err(|(m, h)| ExprError::new(e.limit_at.clone(), m, h))?;
    Ok((metric, e.cmp, limit, e.limit))
}

/// The `latency_s` field a k6 statistic names: `p(99)` -> "p99", `avg` -> "mean". The fields
/// that exist are read from the serialized `Latency`, so a percentile added to the summary
/// becomes usable here without a change.
pub fn latency_field(stat: &str) -> Result<String, String> {
    let field = match stat {
        "avg" => "mean".to_string(),
        "med" => "p50".to_string(),
        "max" => "max".to_string(),
        s => match s.strip_prefix("p(").and_then(|r| r.strip_suffix(')')) {
            // Fields drop the dot ("p999"), which is unambiguous only with two integer digits.
            Some(n) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.') => match n.split_once('.') {
                None => format!("p{n}"),
                Some((int, frac)) if int.len() == 2 => format!("p{int}{}", frac.trim_end_matches('0')),
                Some(_) => String::new(),
            },
            _ => String::new(),
        },
    };
    let known = latency_fields();
    if known.contains(&field) {
        return Ok(field);
    }
    let names: Vec<String> = known.iter().map(|f| latency_stat_name(f)).collect();
    Err(format!("use one of: {}, med", names.join(", ")))
}

/// Numeric fields of a serialized `Latency`, except the sample count.
pub fn latency_fields() -> Vec<String> {
    match serde_json::to_value(Latency::default()) {
        Ok(serde_json::Value::Object(m)) => {
            m.into_iter().filter(|(k, v)| v.is_number() && k != "samples").map(|(k, _)| k).collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml::de::DeTable;

    fn parse_text(text: &str) -> Result<ThresholdSet, Vec<Problem>> {
        let t = DeTable::parse(text).unwrap();
        let root = t.get_ref().get("thresholds").unwrap().clone();
        parse(&root, &["thresholds"], text)
    }

    #[test]
    fn reads_every_form() {
        let text = r#"[thresholds]
latency = ["p(99) < 200ms", "med < 40ms", "p(99.9) <= 1s"]
errors = "rate < 0.1%"
cost = ["monthly_usd < 12000"]
throughput = ["rate > 790/s"]
[thresholds.classes.browse]
latency = ["avg < 20ms"]
[thresholds.components.db]
utilization = "< 0.8"
queue_mean = ["< 5", ">= 0"]
latency = "max < 2s"
"#;
        let set = parse_text(text).unwrap();
        let ids: Vec<String> = set.thresholds.iter().map(|t| t.metric.id()).collect();
        assert_eq!(
            ids,
            [
                "latency.p(99)",
                "latency.p(50)",
                "latency.p(99.9)",
                "errors.rate",
                "cost.monthly_usd",
                "throughput.rate",
                "classes.browse.latency.avg",
                "components.db.utilization",
                "components.db.queue_mean",
                "components.db.queue_mean",
                "components.db.latency.max",
            ]
        );
        let p99 = set.thresholds.iter().find(|t| t.metric.id() == "latency.p(99)").unwrap();
        assert_eq!((p99.limit, p99.cmp, p99.line, p99.column), (0.2, Cmp::Lt, 2, 12));
        assert_eq!(p99.key, "thresholds.latency.0");
        assert_eq!(p99.name(), "latency p(99) < 200ms");
        let util = set.thresholds.iter().find(|t| t.metric.id() == "components.db.utilization").unwrap();
        assert_eq!((util.key.as_str(), util.line, util.column), ("thresholds.components.db.utilization", 9, 15));
        assert_eq!(util.name(), "components.db utilization < 0.8");
        assert_eq!(set.names.len(), 2);
    }

    #[test]
    fn points_inside_the_string() {
        let text = "[thresholds]\nlatency = [\"p(99) < 200ms\", \"p(95) < 200\"]\n";
        let problems = parse_text(text).unwrap_err();
        assert_eq!(problems.len(), 1);
        let p = &problems[0];
        assert_eq!(p.path, ["thresholds", "latency", "1"]);
        assert_eq!(&text[p.span.clone().unwrap()], "200");
        assert!(p.help.contains("unit"), "{p:?}");
    }

    #[test]
    fn unknown_statistics_and_keys() {
        let problems = parse_text("[thresholds]\nlatency = [\"p(97) < 1s\"]\nerors = \"rate < 1%\"\n").unwrap_err();
        assert_eq!(problems.len(), 2);
        assert!(problems[0].help.contains("p(99)") && problems[0].help.contains("avg"), "{:?}", problems[0]);
        assert!(problems[1].help.contains("did you mean `errors`"), "{:?}", problems[1]);
        let problems = parse_text("[thresholds.classes.browse]\nutilization = \"< 0.8\"\n").unwrap_err();
        assert!(problems[0].message.contains("unknown threshold key"));
        let problems = parse_text("[thresholds]\nlatency = [200]\n").unwrap_err();
        assert!(problems[0].message.contains("must be a string"));
    }

    #[test]
    fn names_are_checked_against_the_model() {
        let set = parse_text("[thresholds.components.dbb]\nutilization = \"< 0.8\"\n").unwrap();
        let problems = set.check_names(&["default"], &["app", "db"]);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].help.contains("did you mean `db`"));
        assert_eq!(problems[0].path, ["thresholds", "components", "dbb"]);
    }

    #[test]
    fn percentile_names_round_trip() {
        for (stat, field) in [("p(99)", "p99"), ("p(99.9)", "p999"), ("p(50)", "p50"), ("p(99.90)", "p999")] {
            assert_eq!(latency_field(stat).unwrap(), field);
        }
        assert_eq!(latency_stat_name("p999"), "p(99.9)");
        assert_eq!(latency_stat_name("mean"), "avg");
    }
}
