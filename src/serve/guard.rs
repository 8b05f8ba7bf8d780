//! Who may drive the server, and which files a posted scenario may name.
//!
//! The server listens on 127.0.0.1 only, but any web page the user opens can still send
//! requests to a loopback port (and DNS rebinding can make one look same-origin). Three checks
//! stop that: the `Host` header must name the loopback address and our port (a rebound name
//! fails), an `Origin`, when the browser sends one, must be our own page, and every request
//! carries the per-session token printed with the address (from the OS's random source: it
//! guards access and has nothing to do with simulation randomness).

use crate::diag::{diagnostic_at, Diagnostic};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A fresh token: 128 bits from `/dev/urandom`, as hex.
pub fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Compares in time independent of where the strings differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The hosts a request may name: the loopback address and `localhost`, on our port.
pub fn host_ok(host: Option<&str>, port: u16) -> bool {
    host.is_some_and(|h| h == format!("127.0.0.1:{port}") || h == format!("localhost:{port}"))
}

/// An `Origin` header, if present, must be our own page.
pub fn origin_ok(origin: Option<&str>, port: u16) -> bool {
    match origin {
        None => true,
        Some(o) => o == format!("http://127.0.0.1:{port}") || o == format!("http://localhost:{port}"),
    }
}

/// The token of a request: the `X-Stagesim-Token` header, or `token=` in the query.
pub fn token_of<'a>(header: Option<&'a str>, url: &'a str) -> Option<&'a str> {
    header.or_else(|| {
        let query = url.split_once('?')?.1;
        query.split('&').find_map(|kv| kv.strip_prefix("token="))
    })
}

/// Keys whose string value names a file (`file` of a replayed trace, `extends` of a stage).
const FILE_KEYS: &[&str] = &["file", "extends"];

/// Every file a scenario names must stay inside `root` (the folder the server was started
/// for): no absolute path, no `..` that climbs out of it, no symlink that leads out of it.
/// Returns the located diagnostics of the ones that do not.
pub fn files_outside(file: &str, text: &str, dir: &Path, root: &Path) -> Vec<Diagnostic> {
    let Ok(table) = DeTable::parse(text) else { return Vec::new() };
    let mut out = Vec::new();
    walk(table.get_ref(), &mut Vec::new(), &mut |key, value, span| {
        if !escapes(dir, root, value) {
            return;
        }
        out.push(diagnostic_at(
            file,
            text,
            span,
            key,
            &format!("`{value}` is outside the folder the playground was started for"),
            &format!(
                "the playground reads only files under {}: copy the file there and name it relative to the scenario",
                root.display()
            ),
        ));
    });
    out
}

fn walk(table: &DeTable, path: &mut Vec<String>, found: &mut dyn FnMut(&str, &str, std::ops::Range<usize>)) {
    for (k, v) in table.iter() {
        path.push(k.get_ref().to_string());
        visit(v, path, found);
        path.pop();
    }
}

fn visit(v: &Spanned<DeValue>, path: &mut Vec<String>, found: &mut dyn FnMut(&str, &str, std::ops::Range<usize>)) {
    match v.get_ref() {
        DeValue::Table(t) => walk(t, path, found),
        DeValue::Array(items) => {
            for item in items {
                visit(item, path, found);
            }
        }
        DeValue::String(s) if path.last().is_some_and(|k| FILE_KEYS.contains(&k.as_str())) => {
            found(&path.join("."), s, v.span());
        }
        _ => {}
    }
}

fn escapes(dir: &Path, root: &Path, name: &str) -> bool {
    let p = Path::new(name);
    if p.is_absolute() || p.components().any(|c| matches!(c, Component::Prefix(_))) {
        return true;
    }
    let joined = dir.join(p);
    let resolved: PathBuf = match joined.canonicalize() {
        Ok(r) => r,
        // A file that does not exist yet is judged by its lexical path.
        Err(_) => lexical(&joined),
    };
    let root = root.canonicalize().unwrap_or_else(|_| lexical(root));
    !resolved.starts_with(root)
}

fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_origins() {
        assert!(host_ok(Some("127.0.0.1:8080"), 8080));
        assert!(host_ok(Some("localhost:8080"), 8080));
        assert!(!host_ok(Some("evil.example:8080"), 8080));
        assert!(!host_ok(Some("127.0.0.1:9090"), 8080));
        assert!(!host_ok(None, 8080));
        assert!(origin_ok(None, 8080));
        assert!(origin_ok(Some("http://127.0.0.1:8080"), 8080));
        assert!(!origin_ok(Some("http://evil.example"), 8080));
        assert!(!origin_ok(Some("null"), 8080));
    }

    #[test]
    fn tokens() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(same_token(&a, &a.clone()) && !same_token(&a, &b) && !same_token(&a, "x"));
        assert_eq!(token_of(None, "/?token=abc&x=1"), Some("abc"));
        assert_eq!(token_of(Some("h"), "/?token=abc"), Some("h"));
        assert_eq!(token_of(None, "/run"), None);
    }

    #[test]
    fn files_outside_the_folder_are_refused_with_their_place() {
        let root = std::env::temp_dir().join(format!("stagesim-guard-{}", std::process::id()));
        let dir = root.join("s");
        std::fs::create_dir_all(&dir).unwrap();
        let text = "[load]\nrate = \"1/s\"\n[[load.shapes]]\nkind = \"replay\"\nfile = \"../../etc/passwd\"\n";
        let d = files_outside("x.toml", text, &dir, &root);
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].line, d[0].key.as_str()), (5, "load.shapes.file"));
        let inside = "[[load.shapes]]\nkind = \"replay\"\nfile = \"traces/a.csv\"\n";
        assert!(files_outside("x.toml", inside, &dir, &root).is_empty());
        assert_eq!(files_outside("x.toml", "extends = \"/etc/x.toml\"\n", &dir, &root).len(), 1);
        let _ = std::fs::remove_dir_all(&root);
    }
}
