//! From a scenario file to a validated `Model`, or to diagnostics with file, line and column.
//!
//! Parsing happens twice over the same text: once into a spanned tree (for positions and for
//! per-kind component tables), once into the typed sections. Validation problems carry key
//! paths, resolved here against the spanned tree.

use crate::catalog::Catalog;
use crate::check::thresholds::{self, ThresholdSet};
use crate::components::{parse_component, ComponentInput, KINDS};
use crate::diag::{diagnostic_at, did_you_mean, Diagnostic, Error, Problem};
use crate::input::ScenarioFile;
use crate::model::Model;
use crate::overrides::Overrides;
use crate::validate::build_model;
use serde::Deserialize;
use std::ops::Range;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

/// Reads and validates a scenario file.
pub fn load_scenario(path: &str) -> Result<Model, Error> {
    load_scenario_with(path, &Overrides::default())
}

/// Reads a scenario file, applies command-line overrides and validates the result.
pub fn load_scenario_with(path: &str, overrides: &Overrides) -> Result<Model, Error> {
    let text = crate::load::read_input(path, "scenario")?;
    parse_scenario_checked_with(path, &text, overrides).map(|(model, _)| model)
}

/// Validates scenario text; `file` is only used in diagnostics.
pub fn parse_scenario(file: &str, text: &str) -> Result<Model, Error> {
    parse_scenario_checked(file, text).map(|(model, _)| model)
}

/// Reads and validates a scenario file and its `[thresholds]`.
pub fn load_scenario_checked(path: &str) -> Result<(Model, ThresholdSet), Error> {
    let text = read_input(path, "scenario")?;
    parse_scenario_checked(path, &text)
}

/// Validates scenario text and its `[thresholds]` (whose class and component names must
/// exist in the model).
pub fn parse_scenario_checked(file: &str, text: &str) -> Result<(Model, ThresholdSet), Error> {
    parse_scenario_checked_with(file, text, &Overrides::default())
}

/// Like `parse_scenario_checked`, with command-line overrides applied to the parsed tree
/// before validation (a mistake in one is reported on the command line, naming it).
pub fn parse_scenario_checked_with(
    file: &str,
    text: &str,
    overrides: &Overrides,
) -> Result<(Model, ThresholdSet), Error> {
    let doc = Doc { file, text, overrides };
    let sources = overrides.sources(text.len() + 1);
    let mut table = DeTable::parse(text).map_err(|e| doc.invalid(vec![doc.toml_error(&e, &[], None)]))?;
    // A mistake in one override is reported with every other problem found before validation.
    let mut diags = overrides.apply(table.get_mut(), text.len() + 1, &sources).err().unwrap_or_default();
    let root = Spanned::new(table.span(), DeValue::Table(table.get_ref().clone()));
    let parsed = ScenarioFile::deserialize(ValueDeserializer::from(root.clone()));
    let mut file_input = parsed.map_err(|e| {
        diags.push(doc.toml_error(&e, &[], Some(root.get_ref())));
        doc.invalid(std::mem::take(&mut diags))
    })?;
    read_traces(&doc, &mut file_input, &root, &mut diags);
    let comps = component_inputs(&doc, table.get_ref(), &mut diags);
    let thresholds = match table.get_ref().get("thresholds") {
        Some(section) => thresholds::parse(section, &["thresholds"], text).unwrap_or_else(|problems| {
            diags.extend(problems.iter().map(|p| doc.problem(p, &root)));
            ThresholdSet::default()
        }),
        None => ThresholdSet::default(),
    };
    if !diags.is_empty() {
        return Err(doc.invalid(diags));
    }
    let (comps, regions): (Vec<_>, Vec<_>) = comps.into_iter().map(|(n, c, r)| ((n, c), r)).unzip();
    let model = build_model(&file_input, &comps, &regions, &Catalog::shipped())
        .map_err(|problems| doc.invalid(problems.iter().map(|p| doc.problem(p, &root)).collect()))?;
    let classes: Vec<&str> = model.classes.iter().map(|c| c.name.as_str()).collect();
    let components: Vec<&str> = model.components.iter().map(|c| c.name.as_str()).collect();
    let problems = thresholds.check_names(&classes, &components);
    if !problems.is_empty() {
        return Err(doc.invalid(problems.iter().map(|p| doc.problem(p, &root)).collect()));
    }
    Ok((model, thresholds))
}

/// Each component's name, per-kind input and `region` (a key every kind accepts, so it is
/// taken out here rather than repeated in every kind's input).
fn component_inputs(
    doc: &Doc,
    table: &DeTable,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(String, ComponentInput, Option<String>)> {
    let Some(comps) = table.get("components").map(|v| v.get_ref()) else { return Vec::new() };
    let DeValue::Table(comps) = comps else { return Vec::new() };
    let mut out = Vec::new();
    for (name, value) in comps.iter() {
        let name = name.get_ref().to_string();
        let path = ["components", name.as_str()];
        let DeValue::Table(t) = value.get_ref() else {
            diags.push(doc.at(
                value.span(),
                &path,
                &format!("`components.{name}` must be a table"),
                "write `[components.NAME]` with a `kind` key",
            ));
            continue;
        };
        let kind = match t.get("kind").map(|k| (k.span(), k.get_ref())) {
            Some((_, DeValue::String(s))) if KINDS.contains(&s.as_ref()) => s.to_string(),
            Some((span, other)) => {
                let shown = match other {
                    DeValue::String(s) => s.to_string(),
                    _ => "a non-string".into(),
                };
                let help = match did_you_mean(&shown, KINDS.iter().copied()) {
                    Some(k) => format!("did you mean `{k}`? Kinds: {}", KINDS.join(", ")),
                    None => format!("kinds: {}", KINDS.join(", ")),
                };
                diags.push(doc.at(
                    span,
                    &[path[0], path[1], "kind"],
                    &format!("unknown component kind `{shown}`"),
                    &help,
                ));
                continue;
            }
            None => {
                diags.push(doc.at(
                    value.span(),
                    &path,
                    &format!("component `{name}` has no `kind`"),
                    &format!("add `kind = \"...\"`, one of: {}", KINDS.join(", ")),
                ));
                continue;
            }
        };
        let mut rest = t.clone();
        let region = match rest.remove("region").map(|v| (v.span(), v.into_inner())) {
            None => None,
            Some((_, DeValue::String(s))) => Some(s.to_string()),
            Some((span, _)) => {
                let key = [path[0], path[1], "region"];
                diags.push(doc.at(span, &key, "`region` must be a string", "for example `region = \"eu-west\"`"));
                continue;
            }
        };
        let value = Spanned::new(value.span(), DeValue::Table(rest));
        match parse_component(&kind, ValueDeserializer::from(value.clone())) {
            Ok(input) => out.push((name, input, region)),
            Err(e) => diags.push(doc.toml_error(&e, &path, Some(value.get_ref()))),
        }
    }
    out
}

/// Reads the CSV trace of every `replay` shape, relative to the scenario file's directory;
/// a mistake in a CSV is reported at its own file, line and column.
fn read_traces(doc: &Doc, file: &mut ScenarioFile, root: &Spanned<DeValue>, diags: &mut Vec<Diagnostic>) {
    let dir = std::path::Path::new(doc.file).parent().unwrap_or(std::path::Path::new(""));
    let load = &mut file.load;
    let paths: Vec<Vec<String>> = load.all_shapes().into_iter().map(|(p, _)| p).collect();
    let shapes = load.shape.iter_mut().chain(load.shapes.iter_mut());
    for (path, shape) in paths.into_iter().zip(shapes) {
        let Some(name) = shape.file.as_ref().filter(|_| shape.kind == "replay") else { continue };
        let mut key: Vec<&str> = path.iter().map(String::as_str).collect();
        key.push("file");
        let csv = dir.join(name);
        let shown = csv.to_string_lossy().into_owned();
        let text = match read_limited(&csv, &shown, MAX_TRACE_BYTES, "CSV trace") {
            Ok(t) => t,
            Err(ReadError::Invalid(d)) => {
                diags.push(*d);
                continue;
            }
            Err(ReadError::Io(e)) => {
                let p = Problem::at(
                    &key,
                    format!("cannot read trace `{shown}`: {e}"),
                    "the path is relative to the scenario file's directory",
                );
                diags.push(doc.problem(&p, root));
                continue;
            }
        };
        match crate::traffic::trace::parse_trace(&text) {
            Ok(t) => shape.trace = Some(t),
            Err(e) => diags.push(diagnostic_at(&shown, &text, e.span, &key.join("."), &e.message, &e.help)),
        }
    }
}

/// The largest scenario, journey or baseline file read: far above any real one (the shipped
/// ones are under 20 KiB), far below what would strain memory.
pub const MAX_INPUT_BYTES: u64 = 16 << 20;
/// The largest CSV trace read: room for `MAX_TRACE_ROWS` rows with timestamps.
pub const MAX_TRACE_BYTES: u64 = 128 << 20;

/// Why an input file could not be turned into text.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read (exit 4).
    Io(std::io::Error),
    /// It was read but is too large or not UTF-8: a diagnostic in the file (exit 3).
    Invalid(Box<Diagnostic>),
}

/// Reads an input file (a scenario, journey or baseline, `what` names it in errors) with the
/// `MAX_INPUT_BYTES` limit. Every input file stagesim reads goes through here.
pub fn read_input(path: &str, what: &str) -> Result<String, Error> {
    read_limited(std::path::Path::new(path), path, MAX_INPUT_BYTES, what).map_err(|e| match e {
        ReadError::Io(source) => Error::Io { path: path.to_string(), source },
        ReadError::Invalid(d) => Error::Invalid(vec![*d]),
    })
}

/// Reads at most `limit` bytes (one more to tell a file of exactly `limit` from a larger
/// one), so `/dev/zero` or a huge file fails at once instead of filling memory; checks UTF-8
/// and points at the first invalid byte. `shown` is the path as errors print it.
pub fn read_limited(path: &std::path::Path, shown: &str, limit: u64, what: &str) -> Result<String, ReadError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::Invalid(Box::new(Diagnostic {
            file: shown.to_string(),
            line: 1,
            column: 1,
            key: String::new(),
            message: format!("the {what} is larger than the {} MiB limit for a {what}", limit >> 20),
            help: format!("a {what} is text of a few KiB; check that `{shown}` is the file you meant (not a device, a log or a binary){}",
                if what == "CSV trace" { ", or resample the trace more coarsely" } else { "" }),
            source_line: String::new(),
            width: 1,
        })));
    }
    String::from_utf8(bytes).map_err(|e| ReadError::Invalid(Box::new(not_utf8(shown, e, what))))
}

/// A diagnostic at the first byte that is not UTF-8 (typically a Latin-1 or Windows-1252
/// accent), with the line shown as far as it is readable.
fn not_utf8(shown: &str, e: std::string::FromUtf8Error, what: &str) -> Diagnostic {
    let at = e.utf8_error().valid_up_to();
    let bytes = e.as_bytes();
    let prefix = std::str::from_utf8(&bytes[..at]).expect("valid up to here");
    let (line, column) = crate::diag::line_col(prefix, at);
    let line_start = prefix.rfind('\n').map_or(0, |i| i + 1);
    let line_end = bytes[at..].iter().position(|b| *b == b'\n').map_or(bytes.len(), |i| at + i);
    let source_line = String::from_utf8_lossy(&bytes[line_start..line_end]).trim_end_matches('\r').to_string();
    Diagnostic {
        file: shown.to_string(),
        line,
        column,
        key: String::new(),
        message: format!("byte 0x{:02X} is not valid UTF-8: a {what} must be UTF-8 text", bytes[at]),
        help: "save the file as UTF-8 (this byte is typical of Latin-1 or Windows-1252: an accent such as `é`)".into(),
        source_line,
        width: 1,
    }
}

struct Doc<'a> {
    file: &'a str,
    text: &'a str,
    overrides: &'a Overrides,
}

impl Doc<'_> {
    fn invalid(&self, diags: Vec<Diagnostic>) -> Error {
        Error::Invalid(diags)
    }

    fn at(&self, span: Range<usize>, path: &[&str], message: &str, help: &str) -> Diagnostic {
        self.overrides.locate(self.file, self.text, span, &path.join("."), message, help)
    }

    /// A parser or serde error, with a fix suggested from its message. `tree` is the value at
    /// `path`, searched for the key the error's span points at.
    fn toml_error(&self, e: &toml::de::Error, path: &[&str], tree: Option<&DeValue>) -> Diagnostic {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_string();
        let key = self.overrides.slice(self.text, &span).trim().trim_matches('"').to_string();
        let mut help = help_for(&message, &key);
        let mut key_path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        key_path.extend(tree.and_then(|t| path_at(t, &span)).unwrap_or_default());
        if let Some(missing) = message.strip_prefix("missing field").and_then(|m| m.split('`').nth(1)) {
            help = match key_path.join(".") {
                table if table.is_empty() => format!("add a [{missing}] section: it is required"),
                table => format!("add `{missing} = ...` under [{table}]: it has no default"),
            };
            key_path.push(missing.to_string());
        }
        self.overrides.locate(self.file, self.text, span, &key_path.join("."), &message, &help)
    }

    fn problem(&self, p: &Problem, root: &Spanned<DeValue>) -> Diagnostic {
        let path: Vec<&str> = p.path.iter().map(String::as_str).collect();
        let span = p.span.clone().unwrap_or_else(|| span_of(root, &path));
        self.at(span, &path, &p.message, &p.help)
    }
}

/// The span of the deepest existing key on `path`, pointing at its value (used by journeys too).
pub fn span_of(root: &Spanned<DeValue>, path: &[&str]) -> Range<usize> {
    let mut cur = root;
    let mut span = 0..0;
    for key in path {
        let next = match cur.get_ref() {
            DeValue::Table(t) => t.get(*key),
            DeValue::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        match next {
            Some(v) => {
                span = v.span();
                cur = v;
            }
            None => break,
        }
    }
    span
}

/// The path, below `value`, of the key whose own span or value span is exactly `span`.
fn path_at(value: &DeValue, span: &Range<usize>) -> Option<Vec<String>> {
    match value {
        DeValue::Table(t) => {
            t.iter().find_map(|(k, v)| child_path(k.get_ref().to_string(), k.span() == *span, v, span))
        }
        DeValue::Array(a) => a.iter().enumerate().find_map(|(i, v)| child_path(i.to_string(), false, v, span)),
        _ => None,
    }
}

fn child_path(name: String, key_matches: bool, child: &Spanned<DeValue>, span: &Range<usize>) -> Option<Vec<String>> {
    if key_matches || child.span() == *span {
        return Some(vec![name]);
    }
    let mut inner = path_at(child.get_ref(), span)?;
    inner.insert(0, name);
    Some(inner)
}

fn help_for(message: &str, key: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field") {
        let expected = rest.split_once("expected").map_or("", |(_, e)| e).trim();
        // serde lists them as "one of `a`, `b`, `c`" or, for two, "`a` or `b`".
        let allowed: Vec<&str> = expected
            .split([',', ' '])
            .map(|s| s.trim().trim_start_matches("one of").trim().trim_matches('`'))
            // serde lists two keys as "`a` or `b`" and more as "one of `a`, `b`, `c`".
            .filter(|s| !matches!(*s, "or" | "one" | "of"))
            .filter(|s| !s.is_empty())
            .collect();
        return match did_you_mean(key, allowed.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? Unknown keys are errors, so a typo is never silently ignored"),
            None => format!("remove `{key}`; allowed keys here: {}", allowed.join(", ")),
        };
    }
    if message.starts_with("invalid type") {
        return "check the value's type: units are strings (\"250ms\"), counts are integers".into();
    }
    if message.contains("unknown variant") {
        return "use one of the listed values".into();
    }
    "fix the TOML syntax at this position".into()
}
