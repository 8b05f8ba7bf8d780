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

use crate::input::ScenarioFile;
use crate::model::Class;
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
