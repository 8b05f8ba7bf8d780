//! Every shipped journey runs, and every claim it carries from the articles comes out as the
//! journey expects: it holds, or it is a known disagreement that the journey explains in a
//! note (and the report shows). A claim is never loosened to make it pass.

use stagesim::journey::{load_journey, run::run_journey};
use std::path::Path;

fn journeys() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&root).unwrap() {
        let p = e.unwrap().path().join("journey.toml");
        if p.exists() {
            out.push(p.to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

/// One test per shipped journey, so cargo runs them side by side; a new journey directory must
/// be added here (checked below), so none goes untested. The shipped journeys take minutes of
/// CPU, so they run in the slow tier (`cargo test --release -- --ignored slow_`).
const SHIPPED: &[&str] = &["algomaster", "blog", "practitioner", "recipeshare"];

#[test]
fn every_journey_directory_is_tested() {
    let names: Vec<String> = journeys()
        .iter()
        .map(|p| Path::new(p).parent().unwrap().file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, SHIPPED);
}

#[test]
#[ignore = "slow tier"]
fn slow_algomaster_journey() {
    journey_runs_and_its_claims_hold("algomaster");
}

#[test]
#[ignore = "slow tier"]
fn slow_blog_journey() {
    journey_runs_and_its_claims_hold("blog");
}

#[test]
#[ignore = "slow tier"]
fn slow_practitioner_journey() {
    journey_runs_and_its_claims_hold("practitioner");
}

#[test]
#[ignore = "slow tier"]
fn slow_recipeshare_journey() {
    journey_runs_and_its_claims_hold("recipeshare");
}

fn journey_runs_and_its_claims_hold(name: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    {
        let path = root.join(name).join("journey.toml").to_string_lossy().into_owned();
        let j = load_journey(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let s = run_journey(&j, &|| {});
        assert_eq!(s.stages.len(), j.stages.len());
        assert!(!s.claims.is_empty(), "{path}: a journey states the articles' claims");
        for v in &s.claims {
            // A known disagreement is pinned too: if the model changes so that it holds, the
            // journey's note must be revisited.
            assert_eq!(
                v.holds, v.expected_to_hold,
                "{path}: stage {} claim `{}` ({}): {:?} vs {:?}",
                v.stage, v.says, v.check, v.value, v.bound
            );
            assert!(v.holds || !v.note.is_empty(), "{path}: a disagreement says why");
        }
        for st in &s.stages {
            assert!(st.bottleneck.is_some(), "{path}: stage `{}` names its bottleneck", st.name);
        }
    }
}

#[test]
fn journey_output_is_deterministic() {
    let path = format!("{}/tests/fixtures/small-journey.toml", env!("CARGO_MANIFEST_DIR"));
    let j = load_journey(&path).unwrap();
    let a = serde_json::to_string(&run_journey(&j, &|| {})).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let b = pool.install(|| serde_json::to_string(&run_journey(&j, &|| {})).unwrap());
    assert_eq!(a, b);
}
