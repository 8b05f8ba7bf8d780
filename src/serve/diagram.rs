//! The design's graph as SVG, laid out on the server in layers: the users on the left, each
//! component one column right of its deepest caller. With a run's summary, each box is filled
//! by its utilization (viridis, as the report's heat map) and the bottleneck is outlined.

use crate::model::Model;
use crate::summary::Summary;

const COL_W: usize = 200;
const ROW_H: usize = 86;
const BOX_W: usize = 150;
const BOX_H: usize = 58;
const PAD: usize = 16;

/// The SVG of `model`'s graph; `run` adds utilization and the bottleneck's outline.
pub fn svg(model: &Model, run: Option<(&Summary, Option<&str>)>) -> String {
    let layer = layers(model);
    let depth = layer.iter().copied().max().unwrap_or(0) + 1;
    let mut rows = vec![0usize; depth + 1];
    let mut pos = vec![(0usize, 0usize); model.components.len()];
    for (i, l) in layer.iter().enumerate() {
        pos[i] = (l + 1, rows[l + 1]);
        rows[l + 1] += 1;
    }
    let height = rows.iter().copied().max().unwrap_or(1).max(1) * ROW_H + PAD;
    let width = (depth + 1) * COL_W;
    let at = |(col, row): (usize, usize)| (PAD + col * COL_W, PAD + row * ROW_H);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"diagram\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\">\n\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n"
    );
    let entry = model.load.entry as usize;
    let mut edges = vec![((0, 0), pos[entry])];
    edges.extend(model.edges().into_iter().map(|(a, b)| (pos[a as usize], pos[b as usize])));
    for (a, b) in edges {
        let ((x1, y1), (x2, y2)) = (at(a), at(b));
        out.push_str(&format!(
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#555\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>\n",
            x1 + BOX_W,
            y1 + BOX_H / 2,
            x2,
            y2 + BOX_H / 2
        ));
    }
    let (ux, uy) = at((0, 0));
    out.push_str(&format!(
        "<g class=\"node users\"><ellipse cx=\"{}\" cy=\"{}\" rx=\"{}\" ry=\"{}\" fill=\"#eef\" stroke=\"#557\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\">users</text></g>\n",
        ux + BOX_W / 2,
        uy + BOX_H / 2,
        BOX_W / 2 - 20,
        BOX_H / 2,
        ux + BOX_W / 2,
        uy + BOX_H / 2 + 5
    ));
    for (i, p) in pos.iter().enumerate() {
        out.push_str(&node(model, i, at(*p), run));
    }
    out.push_str("</svg>\n");
    out
}

fn node(model: &Model, i: usize, (x, y): (usize, usize), run: Option<(&Summary, Option<&str>)>) -> String {
    let c = &model.components[i];
    let n = c.cost.instances;
    let count = if n > 1 { format!(" ×{n}") } else { String::new() };
    let util = run.and_then(|(s, _)| s.components.get(&c.name)).map(crate::analysis::saturation);
    let hot = run.and_then(|(_, b)| b).is_some_and(|b| b == c.name);
    let (fill, ink) = match util {
        Some(u) => {
            let rgb = crate::report::charts::viridis(u.clamp(0.0, 1.0));
            (format!("rgb({},{},{})", rgb.0, rgb.1, rgb.2), if u > 0.6 { "#000" } else { "#fff" })
        }
        None => ("#f4f4f4".to_string(), "#000"),
    };
    let (stroke, sw) = if hot { ("#d00", 4) } else { ("#333", 1) };
    let class = if hot { "node bottleneck" } else { "node" };
    let name = escape(&c.name);
    let util_text = util.map_or(String::new(), |u| format!("{:.0}% busy", u * 100.0));
    format!(
        "<g class=\"{class}\" data-component=\"{name}\"><title>{name}</title>\
         <rect x=\"{x}\" y=\"{y}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{sw}\"/>\
         <text x=\"{tx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\" fill=\"{ink}\">{name}</text>\
         <text x=\"{tx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{ink}\">{}{count}</text>\
         <text x=\"{tx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{ink}\">{util_text}</text></g>\n",
        y + 18,
        y + 34,
        c.spec.kind_name(),
        y + 50,
        tx = x + BOX_W / 2,
    )
}

/// Each component's column: the longest path to it from the entry (the graph is acyclic:
/// validation refuses cycles), so callers stand left of everything they call.
fn layers(model: &Model) -> Vec<usize> {
    let n = model.components.len();
    let edges = model.edges();
    let mut layer = vec![0usize; n];
    // Relaxing every edge n times settles the longest paths of an acyclic graph.
    for _ in 0..n {
        let mut changed = false;
        for &(a, b) in &edges {
            let (a, b) = (a as usize, b as usize);
            if layer[b] < layer[a] + 1 && layer[a] < n {
                layer[b] = layer[a] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    layer
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_follow_the_calls() {
        let m = crate::load_scenario("scenarios/recipeshare/03-load-balancer.toml").unwrap();
        let col = |name: &str| layers(&m)[m.component_id(name).unwrap() as usize];
        assert_eq!((col("lb"), col("app"), col("db")), (0, 1, 2));
        let s = svg(&m, None);
        assert!(s.contains("data-component=\"lb\"") && s.contains("data-component=\"db\""));
        assert!(!s.contains("bottleneck"));
    }
}
