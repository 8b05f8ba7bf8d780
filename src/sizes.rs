//! `[sizes]`: the response size of each request class, in bytes.
//!
//! ```toml
//! [sizes]
//! image = "200KiB"
//! page = "30KiB"
//! ```
//!
//! A class not listed has size 0 (its bytes are negligible). Sizes drive the egress the entry
//! sends to users, what a CDN edge serves and fetches, and object storage transfer times.

use crate::engine::calls::Op;
use crate::input::ScenarioFile;
use crate::model::{CallSizes, Class};
use crate::units::parse_size;
use crate::validate::Resolver;

/// One size per class (in class order), or empty when the scenario has no `[sizes]`.
pub fn class_sizes(file: &ScenarioFile, classes: &[Class], r: &mut Resolver) -> Vec<u64> {
    if file.sizes.is_empty() {
        return Vec::new();
    }
    let mut out = vec![0; classes.len()];
    for (class, text) in &file.sizes {
        let path = ["sizes", class.as_str()];
        let Some(i) = classes.iter().position(|c| &c.name == class) else {
            let names: Vec<&str> = classes.iter().map(|c| c.name.as_str()).collect();
            let help = match crate::diag::did_you_mean(class, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? Request classes: {}", names.join(", ")),
                None => format!("request classes (see [requests]): {}", names.join(", ")),
            };
            r.problem(&path, format!("`{class}` is not a request class"), help);
            continue;
        };
        match parse_size(text) {
            Ok(bytes) => out[i] = bytes,
            Err(e) => r.problem(&path, e, "write a size with a unit, such as \"200KiB\" or \"1.5MB\""),
        }
    }
    out
}

/// `[call_sizes]`: (request, response) bytes per component and operation. A key names a
/// component (every operation) or `component.read` / `component.write` (that one, winning).
pub fn call_sizes(file: &ScenarioFile, names: &[&str], r: &mut Resolver) -> CallSizes {
    let mut out = CallSizes { by_comp: vec![[(0, 0); 3]; names.len()] };
    // Whole components first, so an operation's own entry wins whatever the key order.
    let mut keys: Vec<(&String, _)> = file.call_sizes.iter().collect();
    keys.sort_by_key(|(k, _)| k.contains('.'));
    for (key, input) in keys {
        let path = ["call_sizes", key.as_str()];
        let (comp, op) = match key.split_once('.') {
            Some((c, "read")) => (c, Some(Op::Read)),
            Some((c, "write")) => (c, Some(Op::Write)),
            Some((_, other)) => {
                r.problem(
                    &path,
                    format!("`{other}` is not an operation"),
                    "write `COMPONENT`, `COMPONENT.read` or `COMPONENT.write`",
                );
                continue;
            }
            None => (key.as_str(), None),
        };
        let Some(i) = names.iter().position(|n| *n == comp) else {
            let help = match crate::diag::did_you_mean(comp, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("components: {}", names.join(", ")),
            };
            r.problem(&path, format!("`{comp}` is not a component"), help);
            continue;
        };
        let mut size = |k: &str, text: &Option<String>| match text.as_deref().map(parse_size) {
            None => 0,
            Some(Ok(b)) => b,
            Some(Err(e)) => {
                r.problem(&[path[0], path[1], k], e, "write a size with a unit, such as \"2KiB\"");
                0
            }
        };
        let pair = (size("request", &input.request), size("response", &input.response));
        match op {
            Some(op) => out.by_comp[i][op as usize] = pair,
            None => out.by_comp[i] = [pair; 3],
        }
    }
    out
}
