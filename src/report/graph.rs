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

pub fn mermaid(model: &Model) -> String {
    let mut out = String::from("flowchart LR\n    users((users))\n");
    for i in 0..model.components.len() {
        out.push_str(&format!("    {}[\"{}\"]\n", model.components[i].name, label(model, i)));
    }
    out.push_str(&format!("    users --> {}\n", model.components[model.load.entry as usize].name));
    for (a, b) in model.edges() {
        out.push_str(&format!("    {} --> {}\n", model.components[a as usize].name, model.components[b as usize].name));
    }
    out
}

pub fn dot(model: &Model) -> String {
    let mut out = String::from("digraph stagesim {\n    rankdir=LR;\n    users [shape=circle];\n");
    for i in 0..model.components.len() {
        let l = label(model, i).replace("<br/>", "\\n");
        out.push_str(&format!("    \"{}\" [shape=box, label=\"{}\"];\n", model.components[i].name, l));
    }
    out.push_str(&format!("    users -> \"{}\";\n", model.components[model.load.entry as usize].name));
    for (a, b) in model.edges() {
        out.push_str(&format!(
            "    \"{}\" -> \"{}\";\n",
            model.components[a as usize].name, model.components[b as usize].name
        ));
    }
    out.push_str("}\n");
    out
}
