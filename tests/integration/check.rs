//! `stagesim check` end to end, through the real binary: exit codes, JUnit, GitHub Actions
//! annotations and job summary, OpenMetrics, baselines (a real regression fails, another
//! seed does not), inconclusive thresholds, threshold diagnostics, and byte-identical output.
//!
//! Runs are shortened to one simulated minute (`--duration 60s`) to keep the suite quick; the
//! statistical claims below hold at that length (the margins are stated where they matter).

use crate::scratch::Scratch;
use stagesim::check::baseline::{BaselineStatus, Change};
use stagesim::check::evaluate::Outcome;
use stagesim::check::Report;
use stagesim::diag::Diagnostic;
use stagesim::Error;
use std::path::Path;
use std::process::{Command, Output};

const MODEL: &str = "scenarios/ci/capacity.toml";

fn shipped() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(MODEL)).unwrap()
}

/// The shipped model with `from` (which must occur exactly once) replaced by `to`.
fn variant(from: &str, to: &str) -> String {
    let text = shipped();
    assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once in {MODEL}");
    text.replace(from, to)
}

/// The 1-based number of the only line containing `content`.
fn line_of(text: &str, content: &str) -> usize {
    let lines: Vec<usize> = text.lines().enumerate().filter(|(_, l)| l.contains(content)).map(|(i, _)| i + 1).collect();
    assert_eq!(lines.len(), 1, "`{content}` must be on exactly one line");
    lines[0]
}

/// Runs `stagesim check ARGS --duration 60s` from the crate root; `github` sets
/// GITHUB_ACTIONS=true and GITHUB_STEP_SUMMARY to that file.
fn check(args: &[&str], github: Option<&str>) -> Output {
    check_env(args, github, &[])
}

fn check_env(args: &[&str], github: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stagesim"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).arg("check").args(args).args(["--duration", "60s"]);
    cmd.env_remove("GITHUB_ACTIONS").env_remove("GITHUB_STEP_SUMMARY");
    if let Some(summary) = github {
        cmd.env("GITHUB_ACTIONS", "true").env("GITHUB_STEP_SUMMARY", summary);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

/// Asserts the exit code and that nothing panicked; returns (stdout, stderr).
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

#[test]
fn the_shipped_model_passes_with_junit_annotations_summary_and_openmetrics() {
    let dir = Scratch::new("check", "pass");
    let (junit, metrics, summary) = (dir.path("junit.xml"), dir.path("metrics.txt"), dir.path("summary.md"));
    let out = check(&[MODEL, "--junit", &junit, "--openmetrics", &metrics], Some(&summary));
    let (stdout, stderr) = expect_exit(&out, 0);
    assert!(stdout.contains("PASS: 8 threshold(s): 8 passed, 0 failed"), "{stdout}");
    assert!(!stderr.contains("::error") && !stderr.contains("::warning"), "{stderr}");

    let junit = dir.read("junit.xml");
    assert!(junit.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"), "{junit}");
    assert!(junit.contains(&format!("<testsuite name=\"{MODEL}\" tests=\"8\" failures=\"0\"")), "{junit}");
    let line = line_of(&shipped(), "p(99) < 80ms");
    assert!(
        junit.contains(&format!(
            "<testcase name=\"latency p(99) &lt; 80ms\" classname=\"{MODEL}\" time=\"0\" file=\"{MODEL}\" line=\"{line}\"/>"
        )),
        "{junit}"
    );

    let summary = dir.read("summary.md");
    assert!(summary.starts_with("## stagesim check: ✅ pass"), "{summary}");
    assert!(summary.contains("| `components.db utilization < 0.6` | utilization="), "{summary}");

    let om = dir.read("metrics.txt");
    assert!(om.ends_with("# EOF\n"), "{om}");
    assert!(om.contains("# TYPE stagesim_latency_seconds gauge\n# UNIT stagesim_latency_seconds seconds\n"), "{om}");
    let p99 = om
        .lines()
        .find(|l| {
            l.starts_with(&format!("stagesim_latency_seconds{{scenario=\"{MODEL}\",stat=\"p99\",estimate=\"mean\"}}"))
        })
        .unwrap_or_else(|| panic!("no p99 sample:\n{om}"));
    let v: f64 = p99.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(v > 0.005 && v < 0.08, "P99 {v}s is produced by the run and passes its threshold");
    assert!(om.contains("stagesim_threshold_verdict{scenario=\"scenarios/ci/capacity.toml\",threshold=\"errors rate < 0.1%\",verdict=\"pass\"} 1"), "{om}");
}

#[test]
fn a_failed_threshold_exits_1_and_points_at_its_line() {
    let dir = Scratch::new("check", "fail");
    let text = variant("\"p(99) < 80ms\"", "\"p(99) < 25ms\"");
    let file = dir.write("capacity.toml", &text);
    let (junit, summary) = (dir.path("junit.xml"), dir.path("summary.md"));
    let out = check(&[&file, "--junit", &junit], Some(&summary));
    let (stdout, stderr) = expect_exit(&out, 1);
    assert!(stdout.contains("FAIL: 8 threshold(s): 7 passed, 1 failed"), "{stdout}");

    // P99 is about 39ms (38.7 +- 0.6 over five two-minute replications): 25ms fails by far.
    let line = line_of(&text, "p(99) < 25ms");
    let expected =
        format!("::error file={file},line={line},col=12,title=stagesim threshold fail%3A latency p(99) < 25ms::p(99)=");
    assert!(stderr.contains(&expected), "expected `{expected}` in:\n{stderr}");
    assert_eq!(stderr.matches("::error").count(), 1, "{stderr}");

    let junit = dir.read("junit.xml");
    assert!(junit.contains("tests=\"8\" failures=\"1\" errors=\"0\" skipped=\"0\""), "{junit}");
    let failure = junit.lines().find(|l| l.contains("<failure")).unwrap();
    assert!(
        failure.starts_with("      <failure message=\"p(99)=")
            && failure.contains(", limit &lt; 25ms\" type=\"threshold\">"),
        "{failure}"
    );
    assert!(junit.contains(&format!("{file}:{line}:12 (thresholds.latency.0)</failure>")), "{junit}");
    assert!(dir.read("summary.md").contains("| `latency p(99) < 25ms` | p(99)="), "summary");
}

#[test]
fn a_smaller_pool_regresses_against_the_baseline_while_another_seed_does_not() {
    let dir = Scratch::new("check", "baseline");
    // Thresholds loose enough for both designs: only the baseline can catch the change.
    let loose = ("utilization = \"< 0.7\"", "utilization = \"< 0.95\"");
    let file = dir.write("capacity.toml", &variant(loose.0, loose.1));
    let baseline = dir.path("baselines/capacity.json");
    let (_, _) = expect_exit(&check(&[&file, "--baseline", &baseline, "--update-baseline"], None), 0);
    let first = dir.read("baselines/capacity.json");
    expect_exit(&check(&[&file, "--baseline", &baseline, "--update-baseline"], None), 0);
    assert_eq!(first, dir.read("baselines/capacity.json"), "the same run writes the same baseline bytes");
    assert!(first.contains("\"latency.p(99)\"") && first.contains("\"components.app.utilization\""), "{first}");

    // Noise: another seed of the same model.
    let (stdout, _) =
        expect_exit(&check(&[&file, "--baseline", &baseline, "--seed", "99", "--format", "json"], None), 0);
    let r = report(&stdout);
    let b = r.scenarios[0].baseline.as_ref().unwrap();
    assert_eq!(b.status, BaselineStatus::Compared);
    assert_eq!(r.counts.regressions, 0, "{stdout}");
    assert!(b.comparisons.len() >= 9, "key metrics and thresholded metrics are compared");

    // A real regression: 3 -> 2 app instances (utilization 0.55 -> 0.83) raises P50 and P99.
    let two = variant(loose.0, loose.1).replace("instances = 3", "instances = 2");
    std::fs::write(&file, &two).unwrap();
    let summary = dir.path("summary.md");
    let args = [file.as_str(), "--baseline", &baseline, "--format", "json"];
    let (stdout, stderr) = expect_exit(&check(&args, Some(&summary)), 1);
    let r = report(&stdout);
    assert_eq!((r.counts.failed, r.status), (0, Outcome::Fail), "the thresholds pass; the baseline fails it");
    let cmp = |id: &str| r.scenarios[0].baseline.as_ref().unwrap().comparisons.iter().find(|c| c.metric == id).unwrap();
    let p99 = cmp("latency.p(99)");
    assert_eq!(p99.change, Change::Regression, "{}", p99.message);
    assert!(p99.worse_by > p99.noise && p99.worse_by > p99.tolerance_allows);
    assert_eq!(cmp("cost.monthly_usd").change, Change::Improvement, "one app server fewer costs less");
    assert_eq!(cmp("throughput.rate").change, Change::Unchanged, "the open model's throughput does not move");
    let line = line_of(&two, "p(99) < 80ms");
    let expected =
        format!("::error file={file},line={line},col=12,title=stagesim regression%3A latency.p(99)::latency.p(99)=");
    assert!(stderr.contains(&expected), "expected `{expected}` in:\n{stderr}");
    assert!(dir.read("summary.md").contains("| `latency.p(99)` | latency.p(99)="), "summary");
}

#[test]
fn a_threshold_at_the_edge_is_inconclusive_after_the_bound() {
    let dir = Scratch::new("check", "edge");
    let file = dir.write("capacity.toml", &shipped());
    let (stdout, _) =
        expect_exit(&check(&[&file, "--replications", "20", "--max-replications", "20", "--format", "json"], None), 0);
    let mean = report(&stdout).scenarios[0].metrics["latency.p(99)"].estimate.mean;
    // The limit is the mean of the same 20 replications (to the nanosecond), so at 20 the
    // interval straddles it whatever the noise. Stopping earlier would need the 5- or
    // 10-replication interval to exclude the 20-replication mean: about 3 of its own standard
    // errors away (roughly 0.1% for normal data).
    let edge = format!("\"p(99) < {}ns\"", (mean * 1e9).round());
    let text = variant("\"p(99) < 80ms\"", &edge);
    std::fs::write(&file, &text).unwrap();
    let (junit, summary) = (dir.path("junit.xml"), dir.path("summary.md"));
    let args = [file.as_str(), "--max-replications", "20", "--format", "json", "--junit", &junit];
    let (stdout, stderr) = expect_exit(&check(&args, Some(&summary)), 0);
    let r = report(&stdout);
    let s = &r.scenarios[0];
    assert_eq!(s.batches, [5, 10, 20], "inconclusive batches double up to the bound");
    assert_eq!((s.replications, r.status, r.counts.inconclusive), (20, Outcome::Inconclusive, 1));
    let t = s.thresholds.iter().find(|t| t.metric == "latency.p(99)").unwrap();
    assert_eq!(t.outcome, Outcome::Inconclusive, "{}", t.message);
    assert!(t.estimate.ci95_low < t.limit && t.limit < t.estimate.ci95_high);
    assert!(t.message.contains("contains the limit after 20 replications"), "{}", t.message);
    assert!(dir.read("junit.xml").contains("<skipped message=\"inconclusive: p(99)="), "skipped in JUnit");
    let line = line_of(&text, &edge);
    assert!(
        stderr.contains(&format!("::warning file={file},line={line},col=12,title=stagesim threshold inconclusive")),
        "{stderr}"
    );

    // --strict makes it fail the gate.
    let strict = [file.as_str(), "--max-replications", "20", "--strict", "--junit", &junit];
    let (stdout, _) = expect_exit(&check(&strict, None), 1);
    assert!(stdout.contains("INCONCLUSIVE"), "{stdout}");
    assert!(dir.read("junit.xml").contains("type=\"inconclusive\""), "a failure with --strict");

    // A clear pass never asks for more than the first batch.
    let (stdout, _) = expect_exit(&check(&[MODEL, "--format", "json"], None), 0);
    assert_eq!(report(&stdout).scenarios[0].batches, [5]);
}

#[test]
fn same_inputs_give_byte_identical_json_junit_and_openmetrics() {
    let dir = Scratch::new("check", "bytes");
    let file = dir.write("capacity.toml", &variant("instances = 3", "instances = 2"));
    let baseline = dir.path("base.json");
    expect_exit(&check(&[MODEL, "--baseline", &baseline, "--update-baseline"], None), 0);
    // The baseline is keyed by file, relative to its directory: copy the shipped entry under
    // the variant's name.
    let b = dir.read("base.json").replace(&stagesim::check::baseline::key(&baseline, MODEL, None), "capacity.toml");
    std::fs::write(&baseline, b).unwrap();
    let run = |threads: &str, tag: &str| {
        let (j, m) = (dir.path(&format!("junit-{tag}.xml")), dir.path(&format!("om-{tag}.txt")));
        let args = [file.as_str(), "--baseline", &baseline, "--format", "json", "--junit", &j, "--openmetrics", &m];
        let (stdout, _) = expect_exit(&check_env(&args, None, &[("RAYON_NUM_THREADS", threads)]), 1);
        (stdout, dir.read(&format!("junit-{tag}.xml")), dir.read(&format!("om-{tag}.txt")))
    };
    let a = run("1", "a");
    let b = run("2", "b");
    assert_eq!(a.0, b.0, "JSON verdict");
    assert_eq!(a.1, b.1, "JUnit");
    assert_eq!(a.2, b.2, "OpenMetrics");
    let r = report(&a.0);
    assert!(r.counts.failed >= 1 && r.counts.regressions >= 1, "the comparison covers failures too");
    let (other, _) = expect_exit(&check(&[&file, "--seed", "5", "--format", "json"], None), 1);
    assert_ne!(report(&other).scenarios[0].metrics, r.scenarios[0].metrics, "the seed matters");
}

#[test]
fn usage_io_and_input_errors_have_their_exit_codes() {
    let dir = Scratch::new("check", "errors");
    expect_exit(&check(&[MODEL, "--tolerance", "lots"], None), 2);
    expect_exit(&check(&[MODEL, "--update-baseline"], None), 2);
    expect_exit(&check(&[MODEL, "--replications", "1"], None), 2);
    expect_exit(&check(&[MODEL, "--replications", "8", "--max-replications", "4"], None), 2);
    expect_exit(&check(&[MODEL, "--format", "yaml"], None), 2);
    expect_exit(&check(&[], None), 2);
    let missing = dir.path("nope.toml");
    let (_, stderr) = expect_exit(&check(&[&missing], None), 4);
    assert!(stderr.contains("nope.toml"), "{stderr}");
    let (_, stderr) = expect_exit(&check(&[MODEL, "--baseline", &dir.path("none.json")], None), 4);
    assert!(stderr.contains("none.json"), "{stderr}");
    let bad = dir.write("bad.json", "{\n  \"schema_version\": 2,\n  \"scenarios\": 3\n}\n");
    let (_, stderr) = expect_exit(&check(&[MODEL, "--baseline", &bad], None), 3);
    assert!(stderr.contains(&format!("{bad}:3:")), "{stderr}");
    // A version-1 baseline measured other quantities (`utilization` was the all-server
    // average): refused, not compared; `--update-baseline` re-records it.
    let old = dir.write("old.json", "{\n  \"schema_version\": 1,\n  \"scenarios\": {}\n}\n");
    let (_, stderr) = expect_exit(&check(&[MODEL, "--baseline", &old], None), 3);
    assert!(stderr.contains("re-record it with --update-baseline"), "{stderr}");
    expect_exit(&check(&[MODEL, "--baseline", &old, "--update-baseline"], None), 0);
    assert!(std::fs::read_to_string(&old).unwrap().contains("\"schema_version\": 2"));

    // A misspelt component field is caught by the probe, with the fields that exist.
    let text = variant("connections_utilization = \"< 0.5\"", "conections_utilization = \"< 0.5\"");
    let file = dir.write("typo.toml", &text);
    let (_, stderr) = expect_exit(&check(&[&file], None), 3);
    let line = line_of(&text, "conections_utilization");
    assert!(stderr.contains(&format!("{file}:{line}:")), "{stderr}");
    assert!(stderr.contains("did you mean `connections_utilization`?") && stderr.contains("queue_mean"), "{stderr}");
}

/// The only diagnostic for a threshold mistake, checked in the library and the binary.
fn bad_threshold(from: &str, to: &str, at: (&str, usize), key: &str, message: &str, help: &str) {
    let text = variant(from, to);
    let diags = match stagesim::load::parse_scenario_checked("t.toml", &text) {
        Err(Error::Invalid(d)) => d,
        Err(e) => panic!("expected diagnostics, got {e}"),
        Ok(_) => panic!("accepted:\n{to}"),
    };
    let shown: Vec<String> = diags.iter().map(Diagnostic::to_string).collect();
    assert_eq!(diags.len(), 1, "{}", shown.join("\n"));
    let d = &diags[0];
    assert_eq!((d.line, d.column, d.key.as_str()), (line_of(&text, at.0), at.1, key), "{d}");
    assert!(d.message.contains(message), "message should contain `{message}`:\n{d}");
    assert!(d.help.contains(help), "help should contain `{help}`:\n{d}");
    let dir = Scratch::new("check", &format!("diag-{}", key.replace('.', "-")));
    let file = dir.write("t.toml", &text);
    let out = Command::new(env!("CARGO_BIN_EXE_stagesim")).args(["validate", &file]).output().unwrap();
    let (_, stderr) = expect_exit(&out, 3);
    assert!(stderr.contains(&format!("{file}:{}:{}", d.line, d.column)), "{stderr}");
}

const LATENCY: &str = "latency = [\"p(99) < 80ms\", \"p(50) < 20ms\"]";
const ERRORS: &str = "errors = [\"rate < 0.1%\"]";
const DB_UTILIZATION: &str = "utilization = \"< 0.6\"";

/// (replace, with, (unique text of the line, column), key, in the message, in the help)
type Case = (&'static str, &'static str, (&'static str, usize), &'static str, &'static str, &'static str);

const MISTAKES: &[Case] = &[
    // The second element's limit has no unit: the column is that of `20`.
    (
        LATENCY,
        "latency = [\"p(99) < 80ms\", \"p(50) < 20\"]",
        ("p(50) < 20\"", 37),
        "thresholds.latency.1",
        "no unit",
        "\"200ms\"",
    ),
    (
        LATENCY,
        "latency = [\"p(97) < 80ms\"]",
        ("p(97)", 13),
        "thresholds.latency.0",
        "not a latency statistic",
        "p(99.9)",
    ),
    (
        LATENCY,
        "latency = [\"p(99) == 80ms\"]",
        ("p(99) ==", 19),
        "thresholds.latency.0",
        "cannot be judged",
        "two thresholds",
    ),
    (
        LATENCY,
        "latency = [\"p(99) 80ms\"]",
        ("p(99) 80ms", 13),
        "thresholds.latency.0",
        "no comparison",
        "p(99) < 200ms",
    ),
    (LATENCY, "latency = [80]", ("latency = [80]", 12), "thresholds.latency.0", "must be a string", "quote it"),
    (ERRORS, "errors = [\"rate < 5\"]", ("rate < 5", 19), "thresholds.errors.0", "not a ratio", "0.1%"),
    (
        ERRORS,
        "eror = [\"rate < 0.1%\"]",
        ("eror", 1),
        "thresholds.eror",
        "unknown threshold key",
        "did you mean `errors`",
    ),
    (
        "cost = [\"monthly_usd < 1500\"]",
        "cost = [\"monthly < 1500\"]",
        ("monthly <", 10),
        "thresholds.cost.0",
        "unknown cost statistic",
        "monthly_usd",
    ),
    (
        "[thresholds.components.db]",
        "[thresholds.components.dbx]",
        ("components.dbx", 24),
        "thresholds.components.dbx",
        "no component `dbx`",
        "did you mean `db`",
    ),
    (
        "[thresholds.classes.browse]",
        "[thresholds.classes.brows]",
        ("classes.brows", 21),
        "thresholds.classes.brows",
        "no request class `brows`",
        "did you mean `browse`",
    ),
    (
        DB_UTILIZATION,
        "utilization = \"< 60ms\"",
        ("\"< 60ms", 18),
        "thresholds.components.db.utilization",
        "not in seconds",
        "plain number",
    ),
    (
        DB_UTILIZATION,
        "utilization = \"utilization < 0.6\"",
        ("\"utilization < 0.6", 16),
        "thresholds.components.db.utilization",
        "the key already names the field",
        "< 0.8",
    ),
];

#[test]
fn threshold_mistakes_point_at_the_element_and_the_part() {
    for (from, to, at, key, message, help) in MISTAKES {
        bad_threshold(from, to, *at, key, message, help);
    }
}

#[test]
fn the_committed_baseline_holds_and_the_ci_examples_run_that_gate() {
    let root = env!("CARGO_MANIFEST_DIR");
    let baseline = "reports/baselines/capacity.json";
    // Full length, as the examples run it.
    let out = Command::new(env!("CARGO_BIN_EXE_stagesim"))
        .current_dir(root)
        .args(["check", MODEL, "--baseline", baseline, "--format", "json"])
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    let (stdout, _) = expect_exit(&out, 0);
    let r = report(&stdout);
    assert_eq!((r.status, r.counts.regressions), (Outcome::Pass, 0), "{stdout}");
    assert_eq!(r.scenarios[0].baseline.as_ref().unwrap().status, BaselineStatus::Compared);
    for example in ["examples/ci/github-actions.yml", "examples/ci/gitlab-ci.yml", "README.md"] {
        let text = std::fs::read_to_string(Path::new(root).join(example)).unwrap();
        for part in [format!("stagesim check {MODEL}"), format!("--baseline {baseline}"), "--junit".into()] {
            assert!(text.contains(&part), "{example} should contain `{part}`");
        }
    }
}
