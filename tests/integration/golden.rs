//! Golden files for the renderers: the text report and the graphs. A change to what people
//! see must be deliberate: regenerate with `UPDATE_GOLDEN=1 cargo test --release golden` and
//! review the diff.

use stagesim::report;
use stagesim::runner::{apply, run, RunOptions};

fn check(name: &str, actual: &str) {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing {path}: run with UPDATE_GOLDEN=1"));
    assert_eq!(expected, actual, "{name} differs from its golden file");
}

#[test]
fn text_report_of_stage_3() {
    let model = crate::scenario("scenarios/recipeshare/03-load-balancer.toml");
    let s = run(&apply(&model, &RunOptions { duration_ns: Some(60_000_000_000), ..Default::default() }));
    check("stage3.txt", &report::text::render(&s));
}

#[test]
fn graphs_of_stage_3() {
    let model = crate::scenario("scenarios/recipeshare/03-load-balancer.toml");
    check("stage3.mmd", &report::graph::mermaid(&model));
    check("stage3.dot", &report::graph::dot(&model));
}
