//! Writes that cannot leave a broken file, an interrupted journey that leaves the previous
//! report alone, a CI gate that cannot pass by accident, and progress on stderr, all through
//! the real binary. Runs are short (`--duration 10s`, two replications, the two-stage fixture
//! journey) so the module stays quick.

use crate::scratch::Scratch;
use stagesim::check::baseline::BaselineStatus;
use stagesim::check::Report;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const MODEL: &str = "scenarios/ci/capacity.toml";
const QUICK: [&str; 6] = ["--duration", "10s", "--replications", "2", "--max-replications", "2"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn stagesim(args: &[&str], cwd: &Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stagesim"));
    cmd.current_dir(cwd).args(args).env_remove("GITHUB_ACTIONS").env_remove("GITHUB_STEP_SUMMARY");
    cmd.output().expect("the binary runs")
}

/// The binary under a file size limit of one block (SIGXFSZ ignored, so a write past the
/// limit fails with "File too large" as on a full disk).
fn stagesim_limited(args: &[&str]) -> Output {
    let script = "trap '' XFSZ; ulimit -f 1; exec \"$0\" \"$@\"";
    let mut cmd = Command::new("sh");
    cmd.current_dir(root()).args(["-c", script, env!("CARGO_BIN_EXE_stagesim")]).args(args);
    cmd.env_remove("GITHUB_ACTIONS").env_remove("GITHUB_STEP_SUMMARY");
    cmd.output().expect("sh runs")
}

fn expect_exit(out: &Output, code: i32) -> (String, String) {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "the binary panicked:\n{stderr}");
    assert_eq!(out.status.code(), Some(code), "stdout:\n{stdout}\nstderr:\n{stderr}");
    (stdout, stderr)
}

fn check(args: &[&str]) -> Output {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend_from_slice(&QUICK);
    stagesim(&all, root())
}

/// A previous journey report: three files whose bytes the tests compare afterwards.
fn previous_report(dir: &Scratch) -> (String, Vec<(String, String)>) {
    let out = dir.path("report");
    std::fs::create_dir_all(&out).unwrap();
    let files: Vec<(String, String)> = ["summary.json", "report.md", "report.html"]
        .iter()
        .map(|f| (f.to_string(), format!("the previous run's {f}\n")))
        .collect();
    for (f, text) in &files {
        std::fs::write(Path::new(&out).join(f), text).unwrap();
    }
    (out, files)
}

fn assert_unchanged(out: &str, files: &[(String, String)]) {
    let mut names: Vec<String> =
        std::fs::read_dir(out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut expected: Vec<String> = files.iter().map(|(f, _)| f.clone()).collect();
    expected.sort();
    assert_eq!(names, expected, "the previous report's files, no others");
    for (f, text) in files {
        assert_eq!(&std::fs::read_to_string(Path::new(out).join(f)).unwrap(), text, "{f} is byte-identical");
    }
}

/// The fixture journey in `dir`, with `duration` per point.
fn journey_fixture(dir: &Scratch, duration: &str) -> String {
    let fixtures = root().join("tests/fixtures");
    let stage = std::fs::read_to_string(fixtures.join("stage-one.toml")).unwrap();
    dir.write("stage-one.toml", &stage);
    let journey = std::fs::read_to_string(fixtures.join("small-journey.toml")).unwrap();
    assert_eq!(journey.matches("duration = \"20s\"").count(), 1);
    dir.write("journey.toml", &journey.replace("duration = \"20s\"", &format!("duration = \"{duration}\"")))
}

#[test]
fn a_failed_baseline_write_keeps_the_previous_file_and_says_cannot_write() {
    let dir = Scratch::new("writes", "baseline");
    let previous = "{\n  \"schema_version\": 2,\n  \"scenarios\": {}\n}\n";
    let baseline = dir.write("b.json", previous);
    let out = stagesim_limited(&[&["check", MODEL, "--baseline", &baseline, "--update-baseline"][..], &QUICK].concat());
    let (_, stderr) = expect_exit(&out, 4);
    assert!(stderr.contains(&format!("cannot write `{baseline}`")), "{stderr}");
    assert_eq!(std::fs::read_to_string(&baseline).unwrap(), previous, "the previous baseline is intact");
    assert_eq!(dir.entries(), ["b.json"], "no temporary file is left behind");
    // A file where a directory is expected (root ignores permissions, not this).
    let blocker = dir.write("blocker", "not a directory");
    let junit = format!("{blocker}/junit.xml");
    let (_, stderr) = expect_exit(&check(&[MODEL, "--junit", &junit]), 4);
    assert!(stderr.contains(&format!("cannot write `{junit}`")), "{stderr}");
}

#[test]
fn a_failed_report_write_keeps_the_previous_report() {
    let dir = Scratch::new("writes", "report");
    let journey = journey_fixture(&dir, "10s");
    let (out, files) = previous_report(&dir);
    let (stdout, stderr) = expect_exit(&stagesim_limited(&["journey", &journey, "--out", &out]), 4);
    assert!(stderr.contains(&format!("cannot write `{out}`")), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert_unchanged(&out, &files);
    assert_eq!(dir.entries(), ["journey.toml", "report", "stage-one.toml"], "no temporary directory is left");
    // A directory holding anything else is refused at once, not swapped away.
    dir.write("report/notes.txt", "mine");
    let (_, stderr) = expect_exit(&stagesim(&["journey", &journey, "--out", &out], root()), 4);
    assert!(stderr.contains("notes.txt") && stderr.contains("cannot write"), "{stderr}");
    // Written for real, the new set replaces the old one as a whole.
    std::fs::remove_file(dir.path("report/notes.txt")).unwrap();
    std::fs::write(dir.path("report/old-chart.svg"), "<svg/>").unwrap();
    expect_exit(&stagesim(&["journey", &journey, "--out", &out, "--quiet"], root()), 0);
    let mut names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["report.html", "report.md", "summary.json"]);
    assert!(std::fs::read_to_string(dir.path("report/report.md")).unwrap().contains("Test journey"));
}

/// Starts a long journey, waits for its first progress line, sends `signal`; returns the
/// exit code and the whole stderr.
fn interrupt_journey(journey: &str, out: &str, signal: &str) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stagesim"))
        .current_dir(root())
        .args(["journey", journey, "--out", out])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("stagesim journey:") {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no progress line before the end:\n{seen}");
        seen.push_str(&line);
    }
    let kill = Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    stderr.read_to_string(&mut seen).unwrap();
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    (child.wait().unwrap().code(), seen, stdout)
}

#[test]
fn an_interrupted_journey_keeps_the_previous_report_and_names_what_it_did_not_finish() {
    let dir = Scratch::new("writes", "interrupt");
    // Half an hour per point: minutes of work, so the signal lands mid-journey.
    let journey = journey_fixture(&dir, "30m");
    let (out, files) = previous_report(&dir);
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let (status, stderr, stdout) = interrupt_journey(&journey, &out, signal);
        assert_eq!(status, Some(code), "{stderr}");
        assert!(stderr.contains(&format!("interrupted by SIG{signal}")), "{stderr}");
        assert!(stderr.contains("not finished (") && stderr.contains("capacity search"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(stdout.is_empty(), "nothing on stdout: {stdout}");
        assert_unchanged(&out, &files);
        assert_eq!(dir.entries(), ["journey.toml", "report", "stage-one.toml"], "no temporary directory is left");
    }
}

#[test]
fn baseline_keys_do_not_depend_on_the_working_directory() {
    let dir = Scratch::new("writes", "keys");
    let baseline = dir.path("b.json");
    expect_exit(&check(&[MODEL, "--baseline", &baseline, "--update-baseline", "--quiet"]), 0);
    let text = std::fs::read_to_string(&baseline).unwrap();
    let model = root().join(MODEL).canonicalize().unwrap();
    let key = model.to_str().unwrap();
    // From the scratch directory, with the model named by an absolute path: the same entry.
    let mut args = vec!["check", key, "--baseline", "b.json", "--format", "json", "--quiet"];
    args.extend_from_slice(&QUICK);
    let (stdout, _) = expect_exit(&stagesim(&args, &dir.0), 0);
    let r: Report = serde_json::from_str(&stdout).unwrap();
    let b = r.scenarios[0].baseline.as_ref().unwrap();
    assert_eq!(b.status, BaselineStatus::Compared, "{text}");
    assert!(b.comparisons.iter().all(|c| c.current == c.baseline), "the same run gives the same numbers");
    // The key is the model's path from the baseline's directory.
    assert!(text.contains("/scenarios/ci/capacity.toml\": {"), "{text}");
    assert!(!text.contains(&format!("\"{}", root().display())), "no absolute key: {text}");
}

#[test]
fn a_missing_entry_fails_under_strict_and_warns_loudly_otherwise() {
    let dir = Scratch::new("writes", "strict");
    let baseline = dir.path("b.json");
    expect_exit(&check(&[MODEL, "--baseline", &baseline, "--update-baseline", "--quiet"]), 0);
    let other = dir.write("other.toml", &std::fs::read_to_string(root().join(MODEL)).unwrap());
    let (stdout, stderr) = expect_exit(&check(&[MODEL, &other, "--baseline", &baseline]), 0);
    assert!(stderr.contains("WARNING: baseline") && stderr.contains("has no entry `other.toml`"), "{stderr}");
    assert!(stdout.contains("no entry `other.toml`"), "{stdout}");
    let (stdout, _) = expect_exit(&check(&[MODEL, &other, "--baseline", &baseline, "--strict"]), 1);
    assert!(stdout.contains("fails the gate with --strict") && stdout.contains("FAIL"), "{stdout}");
    // No file has an entry: an error naming what the baseline holds, before any run.
    let (_, stderr) = expect_exit(&check(&[&other, "--baseline", &baseline]), 3);
    assert!(stderr.contains("no entry for any of the files checked (`other.toml`)"), "{stderr}");
    assert!(stderr.contains("It holds `") && stderr.contains("scenarios/ci/capacity.toml`"), "{stderr}");
}

#[test]
fn a_gate_with_nothing_to_judge_or_no_baseline_file_is_an_error() {
    let dir = Scratch::new("writes", "nothing");
    let bare = root().join("tests/fixtures/stage-one.toml");
    let (stdout, stderr) = expect_exit(&check(&[bare.to_str().unwrap()]), 2);
    assert!(stderr.contains("nothing to check") && stderr.contains("no [thresholds] and no --baseline"), "{stderr}");
    assert!(!stdout.contains("PASS"), "{stdout}");
    let missing = dir.path("none.json");
    let (_, stderr) = expect_exit(&check(&[MODEL, "--baseline", &missing]), 4);
    assert!(stderr.contains("none.json") && stderr.contains("--update-baseline"), "{stderr}");
    let old = dir.write("old.json", "{\"schema_version\": 1, \"scenarios\": {}}\n");
    let (_, stderr) = expect_exit(&check(&[MODEL, "--baseline", &old]), 3);
    assert!(stderr.contains("schema_version 1") && stderr.contains("re-record"), "{stderr}");
}

#[test]
fn update_baseline_records_without_judging() {
    let dir = Scratch::new("writes", "record");
    let text = std::fs::read_to_string(root().join(MODEL)).unwrap().replace("p(99) < 80ms", "p(99) < 1ms");
    let failing = dir.write("failing.toml", &text);
    let baseline = dir.path("b.json");
    let (stdout, _) = expect_exit(&check(&[&failing, "--baseline", &baseline, "--update-baseline"]), 0);
    assert!(stdout.contains("RECORDED") && stdout.contains("not judged"), "{stdout}");
    assert!(std::fs::read_to_string(&baseline).unwrap().contains("\"failing.toml\""));
    expect_exit(&check(&[&failing, "--baseline", &baseline, "--quiet"]), 1);
}

#[test]
fn progress_is_a_line_per_item_off_a_terminal_and_quiet_silences_it() {
    let scenario = "tests/fixtures/stage-one.toml";
    let sweep = ["sweep", scenario, "--key", "components.app.instances", "--from", "1", "--to", "3"];
    let (loud, stderr) = expect_exit(&stagesim(&sweep, root()), 0);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("stagesim sweep: [")).collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    for (i, l) in lines.iter().enumerate() {
        let expected = format!("stagesim sweep: [{}/3] components.app.instances = {}: p99 ", i + 1, i + 1);
        assert!(l.starts_with(&expected) && l.contains("ETA"), "rows in order: {stderr}");
    }
    let (quiet, stderr) = expect_exit(&stagesim(&[&sweep[..], &["--quiet"]].concat(), root()), 0);
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(loud, quiet, "stdout does not depend on progress");
    let (_, stderr) = expect_exit(&check(&[MODEL]), 0);
    assert!(stderr.contains("stagesim check: [1/1] scenarios/ci/capacity.toml done: "), "{stderr}");
}
