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

/// The CI files of the shipped capacity model (30 simulated seconds per replication to keep
/// the suite quick): what JUnit readers and Prometheus see, byte for byte.
#[test]
fn junit_and_openmetrics_of_the_capacity_model() {
    let opts = stagesim::check::CheckOptions { duration_ns: Some(30_000_000_000), ..Default::default() };
    let (r, _) = stagesim::check::check(&["scenarios/ci/capacity.toml".to_string()], &opts).unwrap();
    check("capacity-junit.xml", &stagesim::check::junit::render(&r));
    check("capacity-openmetrics.txt", &stagesim::check::openmetrics::render(&r));
}

/// A component named like a Mermaid keyword and one named like the client node.
#[test]
fn graphs_with_keyword_names() {
    let model = crate::scenario("tests/fixtures/keyword-names.toml");
    check("keyword-names.mmd", &report::graph::mermaid(&model));
}
