//! `stagesim check` on journeys: a JUnit suite per stage, annotations at the threshold's line
//! of the journey (or of the stage's scenario file), baselines per stage, thresholds layered
//! key by key, per-stage capacity criteria, and their validation errors.
//!
//! The shipped journey (`scenarios/ci/journey/journey.toml`) runs points of 30 simulated
//! seconds at 550/s; a check of its three stages takes well under a second in release.

use crate::scratch::Scratch;
use stagesim::check::baseline::BaselineStatus;
use stagesim::check::evaluate::Outcome;
use stagesim::check::Report;
use stagesim::journey::{load_journey, run::run_journey};
use stagesim::Error;
use std::path::Path;
use std::process::{Command, Output};

const JOURNEY: &str = "scenarios/ci/journey/journey.toml";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn shipped() -> String {
    std::fs::read_to_string(root().join(JOURNEY)).unwrap()
}

/// The shipped journey with its stage file made absolute (so it loads from anywhere) and
/// each `(from, to)` applied; every `from` must occur exactly once.
fn variant(edits: &[(&str, &str)]) -> String {
    let capacity = root().join("scenarios/ci/capacity.toml");
    let mut text = shipped().replace("\"../capacity.toml\"", &format!("{:?}", capacity.to_str().unwrap()));
    for (from, to) in edits {
        assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once in {JOURNEY}");
        text = text.replace(from, to);
    }
    text
}

fn line_of(text: &str, content: &str) -> usize {
    let lines: Vec<usize> = text.lines().enumerate().filter(|(_, l)| l.contains(content)).map(|(i, _)| i + 1).collect();
    assert_eq!(lines.len(), 1, "`{content}` must be on exactly one line");
    lines[0]
}

/// `stagesim check ARGS` from the crate root at the journey's own durations; `github` sets
/// GITHUB_ACTIONS=true and GITHUB_STEP_SUMMARY to that file.
fn check(args: &[&str], github: Option<&str>, threads: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stagesim"));
    cmd.current_dir(root()).arg("check").args(args);
    cmd.env_remove("GITHUB_ACTIONS").env_remove("GITHUB_STEP_SUMMARY");
    if let Some(summary) = github {
        cmd.env("GITHUB_ACTIONS", "true").env("GITHUB_STEP_SUMMARY", summary);
    }
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t);
    }
    cmd.output().expect("the binary runs")
}

fn expect_exit(out: &Output, code: i32) -> (String, String) {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "the binary panicked:\n{stderr}");
    assert_eq!(out.status.code(), Some(code), "stdout:\n{stdout}\nstderr:\n{stderr}");
    (stdout, stderr)
}

fn report(stdout: &str) -> Report {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}:\n{stdout}"))
}

const STAGES: [&str; 3] = ["Three app servers", "Crash drill: one of three app servers dies", "Four app servers"];

#[test]
fn the_shipped_journey_passes_with_a_suite_per_stage_and_a_baseline_per_stage() {
    let dir = Scratch::new("checkj", "pass");
    let (junit, baseline) = (dir.path("junit.xml"), dir.path("base.json"));
    let args = [JOURNEY, "--junit", &junit, "--baseline", &baseline, "--update-baseline", "--format", "json"];
    let (stdout, stderr) = expect_exit(&check(&args, Some(&dir.path("summary.md")), None), 0);
    assert!(!stderr.contains("::error") && !stderr.contains("::warning"), "{stderr}");
    let r = report(&stdout);
    let names: Vec<&str> = r.scenarios.iter().map(|s| s.stage.as_ref().unwrap().name.as_str()).collect();
    assert_eq!(names, STAGES);
    assert!(r.scenarios.iter().all(|s| s.file == JOURNEY && s.stage.as_ref().unwrap().rate_per_s == 550.0));
    assert_eq!((r.counts.thresholds, r.counts.passed), (13, 13), "{stdout}");

    let junit = dir.read("junit.xml");
    for (name, tests) in STAGES.iter().zip([8, 3, 2]) {
        let suite = format!("<testsuite name=\"{name}\" tests=\"{tests}\" failures=\"0\"");
        assert!(junit.contains(&suite), "`{suite}` in:\n{junit}");
    }
    assert_eq!(junit.matches("<testsuite ").count(), 3);
    assert!(junit.contains("<property name=\"journey\" value=\"scenarios/ci/journey/journey.toml\"/>"), "{junit}");
    // Stage 1's thresholds from capacity.toml are located in that file.
    let line = line_of(&std::fs::read_to_string(root().join("scenarios/ci/capacity.toml")).unwrap(), "p(99) < 80ms");
    assert!(junit.contains(&format!("file=\"scenarios/ci/capacity.toml\" line=\"{line}\"/>")), "{junit}");
    assert!(dir.read("summary.md").contains(&format!("### `{JOURNEY} stage 2: {}`", STAGES[1])));

    let b = dir.read("base.json");
    // Keyed by the journey's path from the baseline's directory.
    let key = stagesim::check::baseline::key(&baseline, JOURNEY, None);
    assert!(key.ends_with(JOURNEY) && key.starts_with("../"), "{key}");
    for (i, name) in STAGES.iter().enumerate() {
        assert!(b.contains(&format!("\"{key}#{} {name}\"", i + 1)), "{b}");
    }
    let (stdout, _) = expect_exit(&check(&[JOURNEY, "--baseline", &baseline, "--format", "json"], None, None), 0);
    let r = report(&stdout);
    assert_eq!(r.counts.regressions, 0);
    for s in &r.scenarios {
        assert_eq!(s.baseline.as_ref().unwrap().status, BaselineStatus::Compared, "{}", s.title());
    }
}

#[test]
fn a_failing_stage_exits_1_with_its_failure_and_an_annotation_at_its_line() {
    let dir = Scratch::new("checkj", "fail");
    let text = variant(&[("latency = [\"p(99) < 60ms\"]", "latency = [\"p(99) < 20ms\"]")]);
    let file = dir.write("journey.toml", &text);
    let (junit, summary) = (dir.path("junit.xml"), dir.path("summary.md"));
    let (stdout, stderr) = expect_exit(&check(&[&file, "--junit", &junit], Some(&summary), None), 1);
    assert!(stdout.contains("FAIL: 13 threshold(s): 12 passed, 1 failed"), "{stdout}");

    let junit = dir.read("junit.xml");
    assert!(junit.contains("<testsuite name=\"Three app servers\" tests=\"8\" failures=\"0\""), "{junit}");
    assert!(junit.contains("<testsuite name=\"Four app servers\" tests=\"2\" failures=\"1\""), "{junit}");
    // Four app servers: P99 about 38ms (37.6 +- 0.9 over five replications): 20ms fails by far.
    let failure = junit.lines().find(|l| l.contains("<failure")).unwrap();
    assert!(
        failure.starts_with("      <failure message=\"p(99)=")
            && failure.contains(", limit &lt; 20ms\" type=\"threshold\">"),
        "{failure}"
    );
    let line = line_of(&text, "p(99) < 20ms");
    assert!(junit.contains(&format!("{file}:{line}:12 (stages.2.thresholds.latency.0)</failure>")), "{junit}");
    let expected = format!(
        "::error file={file},line={line},col=12,title=stagesim threshold fail (stage Four app servers)%3A latency p(99) < 20ms::p(99)="
    );
    assert!(stderr.contains(&expected), "expected `{expected}` in:\n{stderr}");
    assert_eq!(stderr.matches("::error").count(), 1, "{stderr}");
}

#[test]
fn a_stage_file_threshold_is_annotated_in_that_file() {
    let dir = Scratch::new("checkj", "file");
    let capacity = std::fs::read_to_string(root().join("scenarios/ci/capacity.toml")).unwrap();
    assert_eq!(capacity.matches("\"p(99) < 80ms\"").count(), 1);
    let capacity = capacity.replace("\"p(99) < 80ms\"", "\"p(99) < 25ms\"");
    let cap = dir.write("capacity.toml", &capacity);
    let journey = dir.write("journey.toml", &shipped());
    std::fs::create_dir_all(dir.path("sub")).unwrap();
    // The shipped journey names `../capacity.toml`: put the journey one level down.
    std::fs::rename(&journey, dir.path("sub/journey.toml")).unwrap();
    let file = dir.path("sub/journey.toml");
    let (_, stderr) = expect_exit(&check(&[&file], Some(&dir.path("summary.md")), None), 1);
    let line = line_of(&capacity, "p(99) < 25ms");
    let expected = format!("::error file={cap},line={line},col=12,title=stagesim threshold fail (stage Three app");
    assert!(stderr.contains(&expected), "expected `{expected}` in:\n{stderr}");
}

#[test]
fn thresholds_layer_key_by_key() {
    let j = load_journey(root().join(JOURNEY).to_str().unwrap()).unwrap();
    let names = |i: usize| -> Vec<String> { j.stages[i].thresholds.iter().map(|t| t.threshold.name()).collect() };
    // Stage 1: capacity.toml's `latency` and `errors` replace the journey's; its other keys add.
    let one = names(0);
    assert!(one.contains(&"latency p(99) < 80ms".to_string()) && one.contains(&"latency p(50) < 20ms".to_string()));
    assert!(!one.contains(&"latency p(99) < 150ms".to_string()), "{one:?}");
    assert!(one.contains(&"components.db utilization < 0.6".to_string()), "{one:?}");
    assert!(j.stages[0].thresholds.iter().any(|t| t.file.ends_with("capacity.toml")));
    // Stage 2 keeps the journey's latency and replaces its errors.
    assert_eq!(names(1), ["latency p(99) < 150ms", "errors rate < 5%", "components.app utilization < 0.9"]);
    // Stage 3 does not inherit stage 2's thresholds (nor capacity.toml's): journey's errors, own latency.
    assert_eq!(names(2), ["errors rate < 0.1%", "latency p(99) < 60ms"]);
    assert_eq!(j.check_rate, Some(550.0));
    assert_eq!(j.stages[1].capacity.map(|c| c.error_ratio), Some(0.05));
    assert_eq!(j.stages[1].capacity.map(|c| c.p99_s), Some(0.2), "p99 is the journey's: not overridden");
    assert!(j.stages[0].capacity.is_none() && j.stages[2].capacity.is_none());
}

#[test]
fn a_stage_capacity_criterion_changes_that_stage_only_and_the_report_shows_verdicts() {
    let path = root().join(JOURNEY).to_string_lossy().into_owned();
    let with = run_journey(&load_journey(&path).unwrap(), &|| {});
    let dir = Scratch::new("checkj", "capacity");
    let file = dir.write("journey.toml", &variant(&[("[stages.capacity]\nerrors = 0.05\n", "")]));
    let without = run_journey(&load_journey(&file).unwrap(), &|| {});
    let caps = |s: &stagesim::journey::run::JourneySummary| -> Vec<Option<f64>> {
        s.stages.iter().map(|st| st.capacity_per_s).collect()
    };
    let (a, b) = (caps(&with), caps(&without));
    // The crash fails about 2.7% of requests at 550/s: over the journey's 1%, under 5%. Only a
    // trickle of traffic (little in flight when the server dies) keeps under 1%.
    assert!(a[1].is_some_and(|c| c > 300.0), "{a:?}");
    assert!(b[1].is_none_or(|c| c < a[1].unwrap() / 4.0), "{a:?} {b:?}");
    assert_eq!((a[0], a[2]), (b[0], b[2]), "the other stages keep their capacity");
    assert!(with.stages[1].criteria.as_ref().is_some_and(|c| c.error_ratio_max == 0.05));
    assert!(without.stages[1].criteria.is_none());

    // Verdicts at the check load, computed in the library and rendered by the report.
    let g = with.stages[1].check.as_ref().expect("stage 2 has thresholds");
    assert_eq!((g.rate_per_s, g.status, g.thresholds.len()), (550.0, Outcome::Pass, 3));
    let md = stagesim::report::files::markdown(&with);
    assert!(md.contains("## Thresholds") && md.contains("| `errors rate < 5%` | rate="), "{md}");
    assert!(md.contains("Stage 2 criteria: P99 <= 200.0ms, error ratio <= 5.00%"), "{md}");
    let html = stagesim::report::files::html(&with);
    assert!(html.contains("<h2>Thresholds</h2>"));
    assert!(stagesim::report::journey_text::render(&with).contains("stage 3 thresholds at 550/s: PASS"));
}

#[test]
fn mixed_invocations_and_determinism() {
    let args = ["scenarios/ci/capacity.toml", JOURNEY, "--format", "json"];
    let (a, _) = expect_exit(&check(&args, None, Some("1")), 0);
    let (b, _) = expect_exit(&check(&args, None, Some("2")), 0);
    assert_eq!(a, b, "byte-identical whatever the thread count");
    let r = report(&a);
    assert_eq!(r.scenarios.len(), 4);
    assert!(r.scenarios[0].stage.is_none() && r.scenarios[3].stage.is_some());
}

/// The only diagnostic of a journey variant: its line (of the unique text), column, key,
/// and words of its message and help.
fn bad_journey(edits: &[(&str, &str)], at: (&str, usize), key: &str, message: &str, help: &str) {
    let text = variant(edits);
    let dir = Scratch::new("checkj", &format!("diag-{}", key.replace('.', "-")));
    let file = dir.write("journey.toml", &text);
    let diags = match load_journey(&file) {
        Err(Error::Invalid(d)) => d,
        Err(e) => panic!("expected diagnostics, got {e}"),
        Ok(_) => panic!("accepted: {edits:?}"),
    };
    let shown: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    assert_eq!(diags.len(), 1, "{}", shown.join("\n"));
    let d = &diags[0];
    assert_eq!((d.line, d.column, d.key.as_str()), (line_of(&text, at.0), at.1, key), "{d}");
    assert!(d.message.contains(message), "message should contain `{message}`:\n{d}");
    assert!(d.help.contains(help), "help should contain `{help}`:\n{d}");
    let (_, stderr) = expect_exit(&check(&[&file], None, None), 3);
    assert!(stderr.contains(&format!("{file}:{}:{}", d.line, d.column)), "{stderr}");
}

#[test]
fn journey_threshold_and_capacity_mistakes_point_at_their_place() {
    let crash_cap = "[stages.capacity]\nerrors = 0.05\n";
    bad_journey(
        &[(crash_cap, "[stages.capacity]\nerrors = 0.05\np999 = \"1s\"\n")],
        ("p999", 1),
        "stages.1.capacity",
        "unknown field `p999`",
        "takes `p99`",
    );
    bad_journey(
        &[(crash_cap, "[stages.capacity]\nerrors = 5\n")],
        ("errors = 5", 10),
        "stages.1.capacity.errors",
        "ratio between 0 and 1",
        "0.05",
    );
    bad_journey(
        &[("latency = [\"p(99) < 60ms\"]", "latency = [\"p(99) < 60\"]")],
        ("p(99) < 60\"", 21),
        "stages.2.thresholds.latency.0",
        "no unit",
        "\"200ms\"",
    );
    bad_journey(
        &[("errors = [\"rate < 0.1%\"]", "eror = [\"rate < 0.1%\"]")],
        ("eror", 1),
        "thresholds.eror",
        "unknown threshold key",
        "did you mean `errors`",
    );
    bad_journey(
        &[("[stages.thresholds.components.app]", "[stages.thresholds.components.ap]")],
        ("components.ap]", 31),
        "stages.1.thresholds.components.ap",
        "no component `ap`",
        "did you mean `app`",
    );
    // Journey-wide thresholds must name what every stage has.
    bad_journey(
        &[(
            "users see.\n[thresholds]\n",
            "users see.\n[thresholds.components.cache]\nhit_ratio = \"> 0.5\"\n[thresholds]\n",
        )],
        ("[thresholds.components.cache]", 24),
        "thresholds.components.cache",
        "no component `cache` in stage 1 (`Three app servers`), stage 2 (`Crash drill",
        "write this one per stage",
    );
    bad_journey(
        &[("rate = \"550/s\"", "rates = [\"300/s\", \"550/s\"]")],
        ("[load]", 1),
        "load",
        "no check load",
        "check_rate",
    );
    bad_journey(
        &[("rate = \"550/s\"", "rate = \"550/s\"\ncheck_rate = \"fast\"")],
        ("check_rate = \"fast\"", 14),
        "load.check_rate",
        "needs a time unit",
        "500/s",
    );
    bad_journey(
        &[("[stages.thresholds]\nerrors", "[stages.thresholdz]\nerrors")],
        ("[stages.thresholdz]", 1),
        "stages.1.thresholdz",
        "unknown key `thresholdz`",
        "thresholds",
    );
}

#[test]
fn a_journey_without_a_check_load_is_a_clear_error() {
    let dir = Scratch::new("checkj", "noload");
    let journey = |stage: &Path| {
        format!(
            "[journey]\nname = \"n\"\nduration = \"10s\"\n\n[load]\nrates = [\"100/s\", \"200/s\"]\n\n[[stages]]\nfile = {:?}\n",
            stage.to_str().unwrap()
        )
    };
    // capacity.toml's own thresholds need a check load: an error when the journey loads.
    let file = dir.write("with.toml", &journey(&root().join("scenarios/ci/capacity.toml")));
    let (_, stderr) = expect_exit(&check(&[&file], None, None), 3);
    assert!(stderr.contains(&format!("{file}:5:")) && stderr.contains("thresholds but no check load"), "{stderr}");
    // Without thresholds the journey is valid, but `check` has nothing to run it at.
    let file = dir.write("without.toml", &journey(&root().join("scenarios/queueing/mm1.toml")));
    let (_, stderr) = expect_exit(&check(&[&file], None, None), 3);
    assert!(stderr.contains(&format!("{file}:5:")) && stderr.contains("check_rate"), "{stderr}");
}

#[test]
fn the_committed_journey_baseline_holds_and_the_ci_examples_run_that_gate() {
    let baseline = "reports/baselines/journey.json";
    let (stdout, _) = expect_exit(&check(&[JOURNEY, "--baseline", baseline, "--format", "json"], None, None), 0);
    let r = report(&stdout);
    assert_eq!((r.status, r.counts.regressions, r.scenarios.len()), (Outcome::Pass, 0, 3), "{stdout}");
    for s in &r.scenarios {
        assert_eq!(s.baseline.as_ref().unwrap().status, BaselineStatus::Compared, "{}", s.title());
    }
    for example in ["examples/ci/github-actions.yml", "examples/ci/gitlab-ci.yml", "README.md"] {
        let text = std::fs::read_to_string(root().join(example)).unwrap();
        assert!(text.contains(&format!("stagesim check {JOURNEY}")), "{example} should gate the journey");
    }
}
