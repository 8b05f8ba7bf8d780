//! `stagesim graph`: the call graph as Mermaid or Graphviz dot.

use crate::model::Model;

fn label(model: &Model, i: usize) -> String {
    let c = &model.components[i];
    let (n, most) = (c.cost.instances, c.spec.max_instances());
    let count = match (n, most) {
        (n, most) if most > n => format!(" x{n}..{most}"),
        (n, _) if n > 1 => format!(" x{n}"),
        _ => String::new(),
    };
    format!("{}<br/>{}{}", c.name, c.spec.kind_name(), count)
}

/// A component's Mermaid node id: `c` and its index. Names would collide with Mermaid's
/// keywords (`graph`, `end`, `class`, `style`, `subgraph`, ...) or with the client node, and a
/// name with `-` can read as an edge; the real name stays in the label.
fn mermaid_id(i: usize) -> String {
    format!("c{i}")
}

/// The client node's id in both formats: no component can have it (Mermaid ids of components
/// are `c` and a number; component names have no spaces or parentheses).
const MERMAID_CLIENT: &str = "client";
const DOT_CLIENT: &str = "\"(users)\"";

pub fn mermaid(model: &Model) -> String {
    let mut out = format!("flowchart LR\n    {MERMAID_CLIENT}((users))\n");
    for i in 0..model.components.len() {
        out.push_str(&format!("    {}[\"{}\"]\n", mermaid_id(i), label(model, i)));
    }
    out.push_str(&format!("    {MERMAID_CLIENT} --> {}\n", mermaid_id(model.load.entry as usize)));
    for (a, b) in model.edges() {
        out.push_str(&format!("    {} --> {}\n", mermaid_id(a as usize), mermaid_id(b as usize)));
    }
    out
}

pub fn dot(model: &Model) -> String {
    let mut out = format!("digraph stagesim {{\n    rankdir=LR;\n    {DOT_CLIENT} [shape=circle, label=\"users\"];\n");
    for i in 0..model.components.len() {
        let l = label(model, i).replace("<br/>", "\\n");
        out.push_str(&format!("    \"{}\" [shape=box, label=\"{}\"];\n", model.components[i].name, l));
    }
    out.push_str(&format!("    {DOT_CLIENT} -> \"{}\";\n", model.components[model.load.entry as usize].name));
    for (a, b) in model.edges() {
        out.push_str(&format!(
            "    \"{}\" -> \"{}\";\n",
            model.components[a as usize].name, model.components[b as usize].name
        ));
    }
    out.push_str("}\n");
    out
}
