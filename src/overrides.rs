//! `--load RATE` and `--set KEY=VALUE`: changes to a scenario from the command line.
//!
//! An override is applied to the parsed TOML tree *before* validation, so an overridden
//! value is validated exactly like one written in the file. Its value and key carry spans
//! past the end of the file's text (`base` = the text's length + 1): a diagnostic whose span
//! lands there is placed on the command line instead of in the file, and names the
//! override. One implementation serves every command (`run`, `check`, `explain`, `sweep`,
//! `journey`, and `compare` through `load::load_scenario_with`).

use crate::diag::{diagnostic_at, did_you_mean, Diagnostic, Error};
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The file name diagnostics show for a mistake in an override.
pub const COMMAND_LINE: &str = "command line";

/// Keys that set the level of the offered load: `--load` replaces them all by `rate`.
const LOAD_LEVEL_KEYS: &[&str] = &["daily_active_users", "requests_per_user_per_day", "concurrent_users", "think_time"];

/// The command-line options every command that loads a scenario takes.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OverrideArgs {
    /// The offered load, e.g. "900/s" (replaces the scenario's rate, users or closed model).
    #[arg(long, value_name = "RATE")]
    pub load: Option<String>,
    /// Override a key, e.g. components.app.instances=6 or load.timeout=2s (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

impl OverrideArgs {
    pub fn overrides(&self) -> Result<Overrides, Error> {
        Overrides::new(self.load.as_deref(), &self.set)
    }
}

/// The overrides of one command line, in the order given (a later one wins).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// The overrides as diagnostics show them, one a line (`--set components.app.instances=6`).
    text: String,
    items: Vec<Item>,
}

#[derive(Clone, Debug)]
struct Item {
    /// `--load`: the level of the load, replacing every other way to give it.
    load: bool,
    path: Vec<String>,
    /// Spans in `text`: each key segment, the last one, and the value.
    seg_spans: Vec<Range<usize>>,
    key_span: Range<usize>,
    value_span: Range<usize>,
}

impl Overrides {
    /// Reads `--load RATE` and the `--set KEY=VALUE` options (a malformed one is a usage error).
    pub fn new(load: Option<&str>, sets: &[String]) -> Result<Overrides, Error> {
        let mut o = Overrides::default();
        if let Some(rate) = load {
            let start = o.text.len() + "--load ".len();
            o.text.push_str(&format!("--load {rate}\n"));
            let span = start..start + rate.len();
            o.items.push(Item {
                load: true,
                path: vec!["load".into(), "rate".into()],
                seg_spans: vec![span.clone(), span.clone()],
                key_span: span.clone(),
                value_span: span,
            });
        }
        for set in sets {
            let shown = format!("--set {set}");
            let Some((key, value)) = set.split_once('=') else {
                return Err(Error::Usage(format!("{shown}: write KEY=VALUE, e.g. --set components.app.instances=6")));
            };
            let path: Vec<String> = key.trim().split('.').map(|s| s.trim().to_string()).collect();
            if path.iter().any(String::is_empty) || value.trim().is_empty() {
                return Err(Error::Usage(format!(
                    "{shown}: write a dotted key and a value, e.g. --set load.timeout=2s"
                )));
            }
            let line_start = o.text.len();
            let mut seg_spans = Vec::new();
            let mut at = line_start + "--set ".len();
            for seg in key.split('.') {
                seg_spans.push(at..at + seg.len());
                at += seg.len() + 1;
            }
            let key_span = seg_spans.last().cloned().expect("split gives one segment at least");
            let value_start = line_start + "--set ".len() + key.len() + 1;
            o.text.push_str(&shown);
            o.text.push('\n');
            o.items.push(Item {
                load: false,
                path,
                seg_spans,
                key_span,
                value_span: value_start..value_start + value.len(),
            });
        }
        Ok(o)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The dotted keys `--set` changes.
    pub fn set_keys(&self) -> Vec<String> {
        self.items.iter().filter(|i| !i.load).map(|i| i.path.join(".")).collect()
    }

    /// The `--load` rate, if given.
    pub fn load(&self) -> Option<&str> {
        self.items.iter().find(|i| i.load).map(|i| &self.text[i.value_span.clone()])
    }

    /// These overrides without `--load` (a journey applies it to its own ladder).
    pub fn without_load(&self) -> Overrides {
        Overrides { text: self.text.clone(), items: self.items.iter().filter(|i| !i.load).cloned().collect() }
    }

    /// Only the `--set` overrides whose key `keep` accepts (spans are kept, so diagnostics
    /// still point at the right override).
    pub fn only(&self, keep: impl Fn(&[String]) -> bool) -> Overrides {
        Overrides {
            text: self.text.clone(),
            items: self.items.iter().filter(|i| !i.load && keep(&i.path)).cloned().collect(),
        }
    }

    /// The `--load` value as a TOML string spanned on the command line.
    pub fn load_value<'a>(&self, base: usize) -> Option<Spanned<DeValue<'a>>> {
        let item = self.items.iter().find(|i| i.load)?;
        let span = item.value_span.start + base..item.value_span.end + base;
        Some(Spanned::new(span, DeValue::String(self.text[item.value_span.clone()].to_string().into())))
    }

    /// Applies the overrides to a parsed document whose text is `base - 1` bytes long.
    /// A key whose table does not exist is an error (with a did-you-mean), except a missing
    /// top-level section, which is created.
    /// `sources` must come from `self.sources(base)`: parsed values borrow from it.
    pub fn apply<'a>(&self, root: &mut DeTable<'a>, base: usize, sources: &'a [String]) -> Result<(), Vec<Diagnostic>> {
        let mut diags = Vec::new();
        for (item, source) in self.items.iter().zip(sources) {
            if let Some(d) = self.apply_one(root, item, base, source) {
                diags.push(d);
            }
        }
        if diags.is_empty() {
            Ok(())
        } else {
            Err(diags)
        }
    }

    /// Each override's value as a one-key document (`v=VALUE`), padded with spaces so that
    /// the parser's spans land where the value sits on the virtual command line after a text
    /// of `base - 1` bytes.
    pub fn sources(&self, base: usize) -> Vec<String> {
        let doc = |i: &Item| {
            let pad = (i.value_span.start + base).saturating_sub(2);
            format!("{}v={}", " ".repeat(pad), &self.text[i.value_span.clone()])
        };
        self.items.iter().map(doc).collect()
    }

    /// Applies one override; the diagnostic if it cannot be.
    fn apply_one<'a>(&self, root: &mut DeTable<'a>, item: &Item, base: usize, source: &'a str) -> Option<Diagnostic> {
        let value_span = item.value_span.start + base..item.value_span.end + base;
        let shift = |r: &Range<usize>| r.start + base..r.end + base;
        let (last, head) = item.path.split_last().expect("a key has at least one segment");
        let mut cur = root;
        for (depth, seg) in head.iter().enumerate() {
            let here = item.path[..depth].join(".");
            if cur.get(seg.as_str()).is_none() {
                if depth > 0 {
                    let known: Vec<&str> = cur.keys().map(|k| k.get_ref().as_ref()).collect();
                    let help = match did_you_mean(seg, known.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`? `{here}` has: {}", known.join(", ")),
                        None => format!("`{here}` has: {}", known.join(", ")),
                    };
                    let msg = format!("there is no `{seg}` in `{here}`");
                    return Some(self.diag(item, &item.seg_spans[depth], &item.path.join("."), &msg, &help));
                }
                let key = Spanned::new(value_span.clone(), std::borrow::Cow::Owned(seg.clone()));
                cur.insert(key, Spanned::new(value_span.clone(), DeValue::Table(DeTable::new())));
            }
            let next = cur.get_mut(seg.as_str()).expect("present or just inserted").get_mut();
            cur = match next {
                DeValue::Table(t) => t,
                _ => {
                    let msg = format!("`{}` is not a table, so it has no `{last}`", item.path[..=depth].join("."));
                    let help = "set a key inside a table, e.g. components.app.instances";
                    return Some(self.diag(item, &item.seg_spans[depth], &item.path.join("."), &msg, help));
                }
            };
        }
        if item.load {
            for k in LOAD_LEVEL_KEYS {
                cur.remove(*k);
            }
        }
        let value = self.value(item, base, source);
        cur.insert(Spanned::new(shift(&item.key_span), std::borrow::Cow::Owned(last.clone())), value);
        None
    }

    /// The value as TOML (a number, a boolean, an array, an inline table or a quoted string),
    /// else as a bare string (`2s`, `800/s`, `app`), spanned on the command line.
    fn value<'a>(&self, item: &Item, base: usize, source: &'a str) -> Spanned<DeValue<'a>> {
        let raw = &self.text[item.value_span.clone()];
        let start = item.value_span.start + base;
        let parsed = DeTable::parse(source).ok().and_then(|t| t.into_inner().remove("v"));
        parsed.unwrap_or_else(|| Spanned::new(start..start + raw.len(), DeValue::String(raw.to_string().into())))
    }

    fn diag(&self, item: &Item, span: &Range<usize>, key: &str, message: &str, help: &str) -> Diagnostic {
        let line = self.line_of(item.key_span.start);
        diagnostic_at(COMMAND_LINE, &self.text, span.clone(), key, &format!("{line}: {message}"), help)
    }

    fn line_of(&self, offset: usize) -> &str {
        let start = self.text[..offset.min(self.text.len())].rfind('\n').map_or(0, |i| i + 1);
        self.text[start..].lines().next().unwrap_or("")
    }

    /// An error about the `--set` of `key`, on the command line.
    pub fn not_found(&self, key: &str, message: &str, help: &str) -> Diagnostic {
        let item = self.items.iter().find(|i| !i.load && i.path.join(".") == key).expect("a key of these overrides");
        self.diag(item, &item.key_span, key, message, help)
    }

    /// The text a span covers, in the file or on the command line.
    pub fn slice<'a>(&'a self, text: &'a str, span: &Range<usize>) -> &'a str {
        let base = text.len() + 1;
        if span.start >= base && !self.text.is_empty() {
            self.text.get(span.start - base..span.end.saturating_sub(base)).unwrap_or("")
        } else {
            text.get(span.clone()).unwrap_or("")
        }
    }

    /// A diagnostic at `span`: in the file, or on the command line (naming the override)
    /// when the span lies past the end of `text`.
    pub fn locate(
        &self,
        file: &str,
        text: &str,
        span: Range<usize>,
        key: &str,
        message: &str,
        help: &str,
    ) -> Diagnostic {
        let base = text.len() + 1;
        if span.start >= base && !self.text.is_empty() {
            let local = span.start - base..span.end.saturating_sub(base);
            let line = self.line_of(local.start);
            diagnostic_at(COMMAND_LINE, &self.text, local, key, &format!("{line}: {message}"), help)
        } else {
            diagnostic_at(file, text, span, key, message, help)
        }
    }
}

/// Whether a dotted key's table exists in a scenario table (a journey stage "has the key").
pub fn has_parent(doc: &toml::Table, path: &[String]) -> bool {
    let Some((_, head)) = path.split_last() else { return false };
    let mut cur = doc;
    for seg in head {
        match cur.get(seg.as_str()) {
            Some(toml::Value::Table(t)) => cur = t,
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(text: &str, o: &Overrides) -> Result<toml::Table, Vec<Diagnostic>> {
        let sources = o.sources(text.len() + 1);
        let mut t = DeTable::parse(text).unwrap().into_inner();
        o.apply(&mut t, text.len() + 1, &sources)?;
        let root = Spanned::new(0..0, DeValue::Table(t));
        Ok(serde::Deserialize::deserialize(toml::de::ValueDeserializer::from(root)).unwrap())
    }

    #[test]
    fn values_are_typed_like_toml() {
        let o = Overrides::new(
            Some("900/s"),
            &["components.app.instances=6".into(), "load.timeout=2s".into(), "limits.max_events=1e6".into()],
        )
        .unwrap();
        let t = applied("[load]\nconcurrent_users = 5\n[components.app]\ninstances = 1\n", &o).unwrap();
        assert_eq!(t["components"]["app"]["instances"].as_integer(), Some(6));
        assert_eq!(t["load"]["timeout"].as_str(), Some("2s"));
        assert_eq!(t["load"]["rate"].as_str(), Some("900/s"));
        assert!(t["load"].get("concurrent_users").is_none());
        assert_eq!(t["limits"]["max_events"].as_float(), Some(1e6));
    }

    #[test]
    fn a_missing_table_is_located_on_the_command_line() {
        let o = Overrides::new(None, &["components.ap.instances=3".into()]).unwrap();
        let d = applied("[components.app]\ninstances = 1\n", &o).unwrap_err();
        assert_eq!(d[0].file, COMMAND_LINE);
        assert!(d[0].message.starts_with("--set components.ap.instances=3: there is no `ap`"), "{}", d[0].message);
        assert!(d[0].help.contains("did you mean `app`"), "{}", d[0].help);
        assert!(Overrides::new(None, &["novalue".into()]).is_err());
        assert!(Overrides::new(None, &["a..b=1".into()]).is_err());
    }
}
