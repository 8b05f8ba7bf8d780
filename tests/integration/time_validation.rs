//! Bad input in the time features (load shapes, traces, closed models): each mistake is
//! reported at its file, line and column with the key, what is wrong and the fix; a mistake
//! inside a CSV trace is reported at the CSV's own line.

use stagesim::diag::Diagnostic;
use stagesim::{load_scenario, Error};
use std::path::PathBuf;

const BASE: &str = r#"[scenario]
name = "time input"
duration = "1h"

[load]
rate = "100/s"

[requests]
browse = 0.9
upload = 0.1

[components.app]
kind = "service"
service_time = "1ms"
"#;

/// A scenario (and files beside it) in a fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str, scenario: &str, files: &[(&str, &str)]) -> TempDir {
        let dir = std::env::temp_dir().join(format!("stagesim-time-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("s.toml"), scenario).unwrap();
        for (f, text) in files {
            std::fs::write(dir.join(f), text).unwrap();
        }
        TempDir(dir)
    }
    pub fn scenario(&self) -> String {
        self.0.join("s.toml").to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn only_diagnostic(name: &str, text: &str, files: &[(&str, &str)]) -> (Diagnostic, TempDir) {
    let dir = TempDir::new(name, text, files);
    let diags = match load_scenario(&dir.scenario()) {
        Err(Error::Invalid(d)) => d,
        Err(e) => panic!("{name}: expected diagnostics, got {e}"),
        Ok(_) => panic!("{name}: accepted:\n{text}"),
    };
    let shown: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    assert_eq!(diags.len(), 1, "{name}: expected one diagnostic:\n{}", shown.join("\n"));
    (diags[0].clone(), dir)
}

/// Checks the diagnostic's place (the line containing `line_has` in `in_text`, at `column`),
/// key, message and help; then that the binary exits with 3 and prints the place.
#[allow(clippy::too_many_arguments)]
pub fn check(
    name: &str,
    text: &str,
    files: &[(&str, &str)],
    in_file: &str,
    line_has: &str,
    column: usize,
    key: &str,
    message: &str,
    help: &str,
) {
    let (d, dir) = only_diagnostic(name, text, files);
    let source = if in_file == "s.toml" { text } else { files.iter().find(|(f, _)| *f == in_file).unwrap().1 };
    let line = source.lines().position(|l| l.contains(line_has)).expect("marker line") + 1;
    let file = dir.0.join(in_file).to_string_lossy().into_owned();
    assert_eq!((d.file.as_str(), d.line, d.column), (file.as_str(), line, column), "{name}:\n{d}");
    assert_eq!(d.key, key, "{name}:\n{d}");
    assert!(d.message.contains(message), "{name}: message should contain `{message}`:\n{d}");
    assert!(d.help.contains(help), "{name}: help should contain `{help}`:\n{d}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stagesim"))
        .args(["validate", &dir.scenario()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(&format!("{file}:{line}:{column}")), "{stderr}");
}

fn with_shape(shape: &str) -> String {
    BASE.replace("[requests]", &format!("{shape}\n\n[requests]"))
}

#[test]
fn the_base_is_valid_and_shapes_load() {
    let dir =
        TempDir::new("base", &with_shape("[load.shape]\nkind = \"diurnal\"\npeak_hour = 20\npeak_to_trough = 3"), &[]);
    load_scenario(&dir.scenario()).expect("valid");
}

#[test]
fn key_of_another_kind() {
    let text = with_shape("[load.shape]\nkind = \"diurnal\"\npeak_hour = 20\npeak_to_trough = 3\nmultiplier = 10");
    check(
        "other-kind-key",
        &text,
        &[],
        "s.toml",
        "multiplier = 10",
        14,
        "load.shape.multiplier",
        "`multiplier` is not a key of a `diurnal` shape",
        "peak_hour",
    );
}

#[test]
fn unknown_shape_kind() {
    let text = with_shape("[[load.shapes]]\nkind = \"spik\"\nstart = \"1m\"\nmultiplier = 2");
    check(
        "unknown-kind",
        &text,
        &[],
        "s.toml",
        "kind = \"spik\"",
        8,
        "load.shapes.0.kind",
        "unknown shape kind `spik`",
        "`spike`",
    );
}

#[test]
fn bad_line_in_a_trace_points_into_the_csv() {
    let text = BASE.replace("rate = \"100/s\"", "[load.shape]\nkind = \"replay\"\nfile = \"trace.csv\"");
    let csv = "time_s,rate_per_s\n0,100\n60,lots\n120,80\n";
    check(
        "bad-csv",
        &text,
        &[("trace.csv", csv)],
        "trace.csv",
        "60,lots",
        4,
        "load.shape.file",
        "lots",
        "rate per second",
    );
}

#[test]
fn unsorted_trace() {
    let text = BASE.replace("rate = \"100/s\"", "[load.shape]\nkind = \"replay\"\nfile = \"trace.csv\"");
    let csv = "0,100\n60,90\n30,80\n";
    check(
        "unsorted-csv",
        &text,
        &[("trace.csv", csv)],
        "trace.csv",
        "30,80",
        1,
        "load.shape.file",
        "not after",
        "sort the trace",
    );
}

#[test]
fn missing_trace_file() {
    let text = BASE.replace("rate = \"100/s\"", "[load.shape]\nkind = \"replay\"\nfile = \"nowhere.csv\"");
    check(
        "missing-csv",
        &text,
        &[],
        "s.toml",
        "nowhere.csv",
        8,
        "load.shape.file",
        "cannot read trace",
        "relative to the scenario file",
    );
}

#[test]
fn mix_that_does_not_sum_to_one() {
    let text = with_shape(
        "[[load.shapes]]\nkind = \"spike\"\nstart = \"1m\"\nmultiplier = 3\nmix = { browse = 0.9, upload = 0.2 }",
    );
    check("mix-sum", &text, &[], "s.toml", "mix = {", 7, "load.shapes.0.mix", "sum to 1", "browse = 0.95");
}

#[test]
fn mix_on_a_factor_that_does_not_add_traffic() {
    let text =
        with_shape("[[load.shapes]]\nkind = \"diurnal\"\npeak_hour = 20\npeak_to_trough = 2\nmix = { browse = 1.0 }");
    check(
        "mix-diurnal",
        &text,
        &[],
        "s.toml",
        "mix = {",
        7,
        "load.shapes.0.mix",
        "only a shape that adds traffic",
        "combine = \"sum\"",
    );
}

#[test]
fn rate_and_a_rate_shape_both_set_the_level() {
    let text = with_shape("[load.shape]\nkind = \"stages\"\nstages = [{ duration = \"1m\", target = \"50/s\" }]");
    check(
        "two-levels",
        &text,
        &[],
        "s.toml",
        "rate = \"100/s\"",
        8,
        "load.rate",
        "both `rate` and the `stages or replay` shape",
        "remove `rate`",
    );
}

#[test]
fn factors_without_a_level() {
    let text = BASE.replace("rate = \"100/s\"", "[load.shape]\nkind = \"spike\"\nstart = \"1m\"\nmultiplier = 2");
    check("no-level", &text, &[], "s.toml", "[load]", 1, "load", "nothing gives the level", "rate = \"800/s\"");
}

#[test]
fn growth_without_a_percent() {
    let text = with_shape("[load.shape]\nkind = \"growth\"\ngrowth = \"10/week\"");
    check(
        "growth-percent",
        &text,
        &[],
        "s.toml",
        "growth = \"10/week\"",
        10,
        "load.shape.growth",
        "percentage",
        "10%/week",
    );
}

#[test]
fn offset_for_a_region_that_does_not_exist() {
    let text =
        with_shape("[load.shape]\nkind = \"diurnal\"\npeak_hour = 20\npeak_to_trough = 3\nutc_offsets = { mars = 3 }");
    check(
        "unknown-region",
        &text,
        &[],
        "s.toml",
        "utc_offsets",
        15,
        "load.shape.utc_offsets",
        "`mars` is not a user region",
        "[users] regions",
    );
}

#[test]
fn closed_model_with_a_rate() {
    let text =
        BASE.replace("rate = \"100/s\"", "rate = \"100/s\"\nconcurrent_users = 50\nthink_time = \"exp(mean = 2s)\"");
    check(
        "closed-and-rate",
        &text,
        &[],
        "s.toml",
        "rate = \"100/s\"",
        8,
        "load.rate",
        "does not apply to a closed model",
        "remove it",
    );
}

#[test]
fn closed_model_without_think_time() {
    let text = BASE.replace("rate = \"100/s\"", "concurrent_users = 50");
    check(
        "closed-no-think",
        &text,
        &[],
        "s.toml",
        "concurrent_users",
        20,
        "load.concurrent_users",
        "needs a `think_time`",
        "exp(mean = 5s)",
    );
}

#[test]
fn daily_users_without_requests_per_user() {
    let text = BASE.replace("rate = \"100/s\"", "daily_active_users = 1_000_000");
    check(
        "dau-alone",
        &text,
        &[],
        "s.toml",
        "daily_active_users",
        22,
        "load.daily_active_users",
        "needs `requests_per_user_per_day`",
        "requests_per_user_per_day = 40",
    );
}

#[test]
fn no_load_at_all() {
    let text = BASE.replace("rate = \"100/s\"\n", "");
    check("no-load", &text, &[], "s.toml", "[load]", 1, "load", "does not say how much traffic", "rate = \"800/s\"");
}
