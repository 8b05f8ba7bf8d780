//! Errors a person can act on: file, line and column, the key, what is wrong and the fix.
//!
//! Validation code reports problems against a *key path* (`components.app.instances`); the
//! loader resolves the path to a byte span in the TOML source, and only then to a line and
//! column. This keeps validation free of source-text bookkeeping.

use std::fmt;
use std::ops::Range;

/// Where a problem is, as a path of keys from the document root.
pub type KeyPath = Vec<String>;

/// One problem found in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The dotted key the problem is about (empty for a syntax error).
    pub key: String,
    pub message: String,
    pub help: String,
    /// The source line, for the snippet.
    pub source_line: String,
    /// Width of the underline under the snippet.
    pub width: usize,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        writeln!(f, "  --> {}:{}:{}", self.file, self.line, self.column)?;
        if !self.source_line.is_empty() {
            let gutter = self.line.to_string().len();
            writeln!(f, "{:gutter$} |", "")?;
            writeln!(f, "{} | {}", self.line, self.source_line)?;
            let pad = " ".repeat(self.column.saturating_sub(1));
            writeln!(f, "{:gutter$} | {pad}{}", "", "^".repeat(self.width.max(1)))?;
        }
        if !self.key.is_empty() {
            writeln!(f, "   = key: {}", self.key)?;
        }
        if !self.help.is_empty() {
            writeln!(f, "   = help: {}", self.help)?;
        }
        Ok(())
    }
}

/// A problem not yet placed in a file: validation produces these.
#[derive(Clone, Debug)]
pub struct Problem {
    pub path: KeyPath,
    /// A byte span, when the parser already knows it (syntax and type errors).
    pub span: Option<Range<usize>>,
    pub message: String,
    pub help: String,
}

impl Problem {
    pub fn at(path: &[&str], message: impl Into<String>, help: impl Into<String>) -> Problem {
        Problem {
            path: path.iter().map(|s| s.to_string()).collect(),
            span: None,
            message: message.into(),
            help: help.into(),
        }
    }
}

/// Everything that can go wrong between the command line and a summary.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}", render_all(.0))]
    Invalid(Vec<Diagnostic>),
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    /// A file could not be written; the previous one, if any, is left as it was.
    #[error("cannot write `{path}`: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Stopped by a signal (SIGINT, SIGTERM) before the work was done; `unfinished` lists
    /// what was left of `total` items (empty when the work is not a list).
    #[error("{}", interrupted_text(.signal, .unfinished, *.total))]
    Interrupted { signal: &'static str, exit_code: i32, unfinished: Vec<String>, total: usize },
}

impl Error {
    /// The documented process exit code: 2 usage, 3 invalid scenario, 4 I/O, and as shells
    /// do, 128 + the signal's number when interrupted (130 SIGINT, 143 SIGTERM).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            Error::Invalid(_) => 3,
            Error::Io { .. } | Error::Write { .. } => 4,
            Error::Interrupted { exit_code, .. } => *exit_code,
        }
    }
}

fn interrupted_text(signal: &str, unfinished: &[String], total: usize) -> String {
    let mut out =
        format!("interrupted by {signal}: no output was written; files from a previous run are left as they were");
    if !unfinished.is_empty() {
        out.push_str(&format!("\nnot finished ({} of {total}):", unfinished.len()));
        for u in unfinished {
            out.push_str(&format!("\n  {u}"));
        }
    }
    out
}

fn render_all(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&d.to_string());
        out.push('\n');
    }
    out.push_str(&format!(
        "{} problem{} found; nothing was simulated.",
        diags.len(),
        if diags.len() == 1 { "" } else { "s" }
    ));
    out
}

/// Line and column (both from 1, column in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

/// Builds a diagnostic for a byte span of `text`.
pub fn diagnostic_at(file: &str, text: &str, span: Range<usize>, key: &str, message: &str, help: &str) -> Diagnostic {
    let (line, column) = line_col(text, span.start);
    let source_line = text.lines().nth(line - 1).unwrap_or("").to_string();
    let on_line = source_line.chars().count().saturating_sub(column - 1);
    let width = text.get(span.clone()).map_or(1, |s| s.lines().next().unwrap_or("").chars().count());
    Diagnostic {
        file: file.to_string(),
        line,
        column,
        key: key.to_string(),
        message: message.to_string(),
        help: help.to_string(),
        source_line,
        width: width.clamp(1, on_line.max(1)),
    }
}

/// The closest candidate to `word` by edit distance, if it is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(cur).min(row[j]) };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_rendering() {
        let text = "a = 1\nbad = 2\n";
        assert_eq!(line_col(text, 6), (2, 1));
        let d = diagnostic_at("x.toml", text, 6..9, "bad", "unknown key `bad`", "remove it");
        let shown = d.to_string();
        assert!(shown.contains("x.toml:2:1"), "{shown}");
        assert!(shown.contains("2 | bad = 2"));
        assert!(shown.contains("^^^"));
        assert!(shown.contains("help: remove it"));
    }

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("instnces", ["instances", "cores"]), Some("instances"));
        assert_eq!(did_you_mean("zzz", ["instances", "cores"]), None);
    }
}
