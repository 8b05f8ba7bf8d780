//! Helpers shared by the flow-catalog tests (queue, CDN, regions, gateway, resilience):
//! running inline scenarios and checking diagnostics by line, column, key and help.

use stagesim::diag::Diagnostic;
use stagesim::runner::{apply, run, RunOptions};
use stagesim::summary::Summary;
use stagesim::{parse_scenario, Error};

/// Runs scenario text (with a seed, if given).
pub fn run_text(text: &str, seed: Option<u64>) -> Summary {
    let model = parse_scenario("inline.toml", text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    run(&apply(&model, &RunOptions { seed, ..Default::default() }))
}

/// The extra figure `key` of component `comp`.
pub fn extra(s: &Summary, comp: &str, key: &str) -> f64 {
    *s.components[comp].extra.get(key).unwrap_or_else(|| panic!("{comp} has no `{key}`"))
}

/// Asserts that `text` is rejected with exactly one diagnostic about `key`, at the line
/// holding `line_has` and the 1-based `column`, whose message and help contain the given
/// pieces.
pub fn rejects(text: &str, key: &str, line_has: &str, column: usize, message: &str, help: &str) {
    let diags = match parse_scenario("bad.toml", text) {
        Err(Error::Invalid(d)) => d,
        Err(other) => panic!("expected diagnostics, got {other}"),
        Ok(_) => panic!("accepted:\n{text}"),
    };
    let shown: Vec<String> = diags.iter().map(Diagnostic::to_string).collect();
    assert_eq!(diags.len(), 1, "expected one diagnostic:\n{}", shown.join("\n"));
    let d = &diags[0];
    let lines: Vec<usize> =
        text.lines().enumerate().filter(|(_, l)| l.contains(line_has)).map(|(i, _)| i + 1).collect();
    assert_eq!(lines.len(), 1, "`{line_has}` must be on one line");
    assert_eq!((d.key.as_str(), d.line, d.column), (key, lines[0], column), "{d}");
    assert!(d.message.contains(message), "message should contain `{message}`:\n{d}");
    assert!(d.help.contains(help), "help should contain `{help}`:\n{d}");
}

/// `text` with `from` (which must occur once) replaced by `to`.
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once");
    text.replace(from, to)
}

/// The flow-catalog scenarios give byte-identical JSON whatever the thread count, and each
/// draws its call graph.
#[test]
fn catalog_scenarios_are_deterministic_and_drawable() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/catalog");
    for name in ["queue", "cdn", "regions", "gateway", "resilience", "microservices"] {
        let path = dir.join(format!("{name}.toml"));
        let model = stagesim::load_scenario(path.to_str().unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let opts = RunOptions { replications: Some(3), duration_ns: Some(20_000_000_000), ..Default::default() };
        let model = apply(&model, &opts);
        let json = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| serde_json::to_string(&run(&model)).unwrap())
        };
        assert_eq!(json(1), json(3), "{name}: the thread count changed the output");
        let graph = stagesim::report::graph::mermaid(&model);
        for c in &model.components {
            assert!(graph.contains(&format!("[\"{}<br/>", c.name)), "{name}: {} missing from the graph", c.name);
        }
        assert!(model.edges().len() + 1 >= model.components.len(), "{name}: every component is reached");
    }
}
