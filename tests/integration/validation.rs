//! Bad input: every mistake in a scenario is reported with its file, line and column, the
//! key, a message naming what is wrong and a help with the fix; the binary exits with 3 and
//! prints `file:line:col`. Each test edits one thing in a valid scenario.

use stagesim::diag::Diagnostic;
use stagesim::{parse_scenario, Error};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const VALID: &str = r#"[scenario]
name = "bad input"
duration = "1m"
warmup = "10s"

[load]
rate = "100/s"
entry = "lb"

[components.lb]
kind = "load_balancer"
backends = "app"

[components.app]
kind = "service"
instances = 2
cores = 2
service_time = "exp(mean = 1ms)"
calls = ["db.read"]

[components.db]
kind = "database"
read_time = "2ms"
"#;

/// What one diagnostic must say. `at` is a unique piece of the line the problem is on, and
/// the 1-based column it must point at.
pub(crate) struct Expect<'a> {
    pub at: (&'a str, usize),
    pub key: &'a str,
    pub message: &'a str,
    pub help: &'a str,
}

/// The valid scenario with `from` (which must occur exactly once) replaced by `to`.
fn edit(from: &str, to: &str) -> String {
    assert_eq!(VALID.matches(from).count(), 1, "`{from}` must occur once in the scenario");
    VALID.replace(from, to)
}

/// The 1-based number of the only line containing `content`.
fn line_of(text: &str, content: &str) -> usize {
    let lines: Vec<usize> = text.lines().enumerate().filter(|(_, l)| l.contains(content)).map(|(i, _)| i + 1).collect();
    assert_eq!(lines.len(), 1, "`{content}` must be on exactly one line");
    lines[0]
}

/// The only diagnostic for `text`; it must be about `key`.
fn diagnostic(file: &str, text: &str, key: &str) -> Diagnostic {
    let diags = match parse_scenario(file, text) {
        Err(Error::Invalid(diags)) => diags,
        Err(other) => panic!("expected diagnostics, got: {other}"),
        Ok(_) => panic!("the scenario was accepted:\n{text}"),
    };
    let shown: Vec<String> = diags.iter().map(Diagnostic::to_string).collect();
    assert_eq!(diags.len(), 1, "expected one diagnostic:\n{}", shown.join("\n"));
    assert_eq!(diags[0].key, key, "{}", shown[0]);
    diags[0].clone()
}

/// Checks the library's diagnostic and then the binary's exit code and stderr.
pub(crate) fn check(name: &str, text: &str, e: Expect) {
    let file = format!("{name}.toml");
    let d = diagnostic(&file, text, e.key);
    let (line, column) = (line_of(text, e.at.0), e.at.1);
    assert_eq!((d.file.as_str(), d.line, d.column), (file.as_str(), line, column), "{d}");
    assert!(d.message.contains(e.message), "message should contain `{}`:\n{d}", e.message);
    assert!(!d.help.trim().is_empty() && d.help.contains(e.help), "help should contain `{}`:\n{d}", e.help);
    check_binary(name, text, line, column);
}

fn check_binary(name: &str, text: &str, line: usize, column: usize) {
    let file = TempToml::new(name, text);
    let out = stagesim(&["validate", file.path_str()]);
    let stderr = assert_exit(&out, 3);
    let place = format!("{}:{line}:{column}", file.path_str());
    assert!(stderr.contains(&place), "stderr should contain `{place}`:\n{stderr}");
}

fn stagesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stagesim")).args(args).output().expect("the binary runs")
}

/// Asserts the exit code and that nothing panicked; returns stderr.
fn assert_exit(out: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "the binary panicked:\n{stderr}");
    assert_eq!(out.status.code(), Some(code), "stderr:\n{stderr}");
    stderr
}

/// A scenario written to a uniquely named temporary file, removed on drop.
struct TempToml(PathBuf);

impl TempToml {
    fn new(name: &str, text: &str) -> TempToml {
        let path = std::env::temp_dir().join(format!("stagesim-validation-{}-{name}.toml", std::process::id()));
        std::fs::write(&path, text).expect("temp file is writable");
        TempToml(path)
    }

    fn path_str(&self) -> &str {
        self.0.to_str().expect("temp path is UTF-8")
    }
}

impl Drop for TempToml {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn the_base_scenario_is_valid() {
    let model = parse_scenario("valid.toml", VALID).expect("the base scenario is valid");
    assert_eq!(model.components.len(), 3);
    let file = TempToml::new("valid", VALID);
    assert_exit(&stagesim(&["validate", file.path_str()]), 0);
}

#[test]
fn malformed_toml() {
    let text = edit(r#"rate = "100/s""#, r#"rate = "100/s"#);
    let e = Expect { at: (r#"rate = "100/s"#, 14), key: "", message: "string", help: "syntax" };
    check("malformed-toml", &text, e);
}

#[test]
fn unknown_top_level_key() {
    let text = format!("{VALID}\n[limit]\nmax_queue = 5\n");
    let e = Expect { at: ("[limit]", 2), key: "limit", message: "unknown field `limit`", help: "`limits`" };
    check("unknown-top-level-key", &text, e);
}

#[test]
fn unknown_key_in_scenario() {
    let text = edit(r#"warmup = "10s""#, "warmup = \"10s\"\nseeds = 3");
    let e = Expect { at: ("seeds = 3", 1), key: "scenario.seeds", message: "unknown field `seeds`", help: "`seed`" };
    check("unknown-key-in-scenario", &text, e);
}

#[test]
fn unknown_key_in_component() {
    let text = edit("instances = 2", "instnces = 3");
    let e = Expect {
        at: ("instnces = 3", 1),
        key: "components.app.instnces",
        message: "unknown field `instnces`",
        help: "`instances`",
    };
    check("unknown-key-in-component", &text, e);
}

#[test]
fn unknown_component_kind() {
    let text = edit(r#"kind = "service""#, r#"kind = "servce""#);
    let e = Expect {
        at: (r#"kind = "servce""#, 8),
        key: "components.app.kind",
        message: "unknown component kind `servce`",
        help: "`service`",
    };
    check("unknown-component-kind", &text, e);
}

#[test]
fn call_to_missing_component() {
    let text = edit(r#"calls = ["db.read"]"#, "calls = [\n  \"db.read\",\n  \"dbb.read\",\n]");
    let e = Expect {
        at: (r#""dbb.read""#, 3),
        key: "components.app.calls.1",
        message: "no component named `dbb`",
        help: "`db`",
    };
    check("call-to-missing-component", &text, e);
}

#[test]
fn backend_that_does_not_exist() {
    let text = edit(r#"backends = "app""#, r#"backends = "ap""#);
    let e = Expect {
        at: (r#"backends = "ap""#, 12),
        key: "components.lb.backends",
        message: "no component named `ap`",
        help: "`app`",
    };
    check("missing-backend", &text, e);
}

#[test]
fn cycle_of_calls() {
    let calls_b = edit(r#"calls = ["db.read"]"#, r#"calls = ["db.read", "b"]"#);
    let text = format!("{calls_b}\n[components.b]\nkind = \"service\"\nservice_time = \"1ms\"\ncalls = [\"app\"]\n");
    let e = Expect {
        at: (r#"calls = ["app"]"#, 9),
        key: "components.b.calls",
        message: "cycle: app -> b -> app",
        help: "remove the call from `b` to `app`",
    };
    check("cycle-of-calls", &text, e);
}

#[test]
fn component_nothing_reaches() {
    let text = format!("{VALID}\n[components.orphan]\nkind = \"database\"\nread_time = \"1ms\"\n");
    let e = Expect {
        at: ("[components.orphan]", 1),
        key: "components.orphan",
        message: "nothing reaches component `orphan`",
        help: "call it",
    };
    check("unreached-component", &text, e);
}

#[test]
fn request_shares_not_summing_to_one() {
    let text = edit("[components.lb]", "[requests]\nbrowse = 0.5\nbuy = 0.3\n\n[components.lb]");
    let e = Expect { at: ("[requests]", 1), key: "requests", message: "sum to 0.8", help: "add up to 1.0" };
    check("shares-not-one", &text, e);
}

#[test]
fn zero_rate() {
    let text = edit(r#"rate = "100/s""#, r#"rate = "0/s""#);
    let e =
        Expect { at: (r#"rate = "0/s""#, 8), key: "load.rate", message: "must be greater than zero", help: "800/s" };
    check("zero-rate", &text, e);
}

#[test]
fn negative_rate() {
    let text = edit(r#"rate = "100/s""#, r#"rate = "-5/s""#);
    let e =
        Expect { at: (r#"rate = "-5/s""#, 8), key: "load.rate", message: "must be greater than zero", help: "800/s" };
    check("negative-rate", &text, e);
}

#[test]
fn zero_instances() {
    let text = edit("instances = 2", "instances = 0");
    let e = Expect {
        at: ("instances = 0", 13),
        key: "components.app.instances",
        message: "`instances` must be at least 1",
        help: "1 or more",
    };
    check("zero-instances", &text, e);
}

#[test]
fn zero_cores() {
    let text = edit("cores = 2", "cores = 0");
    let e = Expect {
        at: ("cores = 0", 9),
        key: "components.app.cores",
        message: "`cores` must be at least 1",
        help: "1 or more",
    };
    check("zero-cores", &text, e);
}

#[test]
fn warmup_not_shorter_than_duration() {
    let text = edit(r#"warmup = "10s""#, r#"warmup = "1m""#);
    let e = Expect {
        at: (r#"warmup = "1m""#, 10),
        key: "scenario.warmup",
        message: "shorter than `duration`",
        help: "fraction of the run",
    };
    check("warmup-too-long", &text, e);
}

#[test]
fn malformed_distribution() {
    let text = edit("exp(mean = 1ms)", "exp(mean = 0ms)");
    let e = Expect {
        at: ("exp(mean = 0ms)", 16),
        key: "components.app.service_time",
        message: "`mean` must be greater than zero",
        help: "exp(mean = 2ms)",
    };
    check("bad-distribution", &text, e);
}

#[test]
fn duration_without_unit() {
    let text = edit(r#"duration = "1m""#, r#"duration = "60""#);
    let e = Expect {
        at: (r#"duration = "60""#, 12),
        key: "scenario.duration",
        message: "has no unit",
        help: "a number and a unit",
    };
    check("duration-without-unit", &text, e);
}

#[test]
fn database_call_without_operation() {
    let text = edit(r#"calls = ["db.read"]"#, r#"calls = ["db"]"#);
    let e = Expect {
        at: (r#"calls = ["db"]"#, 10),
        key: "components.app.calls.0",
        message: "whether it reads or writes",
        help: "`db.read` or `db.write`",
    };
    check("db-call-without-op", &text, e);
}

#[test]
fn weighted_policy_without_weights() {
    let text = edit(r#"kind = "load_balancer""#, "kind = \"load_balancer\"\npolicy = \"weighted\"");
    let e = Expect {
        at: (r#"policy = "weighted""#, 10),
        key: "components.lb.policy",
        message: "needs `weights`",
        help: "weights = [",
    };
    check("weighted-without-weights", &text, e);
}

#[test]
fn weights_count_must_match_backend_instances() {
    let weighted = |w: &str| {
        edit(r#"kind = "load_balancer""#, &format!("kind = \"load_balancer\"\npolicy = \"weighted\"\nweights = {w}"))
    };
    assert!(parse_scenario("two-weights.toml", &weighted("[3, 1]")).is_ok(), "one weight per instance is valid");
    let e = Expect {
        at: ("weights = [3, 1, 1]", 11),
        key: "components.lb.weights",
        message: "3 weights for 2 backend instances",
        help: "exactly 2",
    };
    check("weights-count", &weighted("[3, 1, 1]"), e);
}

#[test]
fn missing_required_key() {
    let text = edit("service_time = \"exp(mean = 1ms)\"\n", "");
    let e = Expect {
        at: ("[components.app]", 1),
        key: "components.app.service_time",
        message: "missing field `service_time`",
        help: "add `service_time",
    };
    check("missing-service-time", &text, e);
}

#[test]
fn missing_file_exits_with_4() {
    let path = std::env::temp_dir().join(format!("stagesim-validation-{}-absent.toml", std::process::id()));
    let path = path.to_str().expect("temp path is UTF-8");
    let stderr = assert_exit(&stagesim(&["validate", path]), 4);
    assert!(stderr.contains(path) && stderr.contains("cannot read"), "{stderr}");
}

#[test]
fn unknown_flag_exits_with_2() {
    let stderr = assert_exit(&stagesim(&["validate", "--frobnicate", "x.toml"]), 2);
    assert!(stderr.contains("--frobnicate"), "{stderr}");
}

/// Odd inputs beyond the cases above: each is rejected with exit code 3, never a panic.
#[test]
fn odd_inputs_never_panic() {
    let cases = [
        String::new(),
        "\u{feff}[scenario]\nname = \"é\"".into(),
        format!("{VALID}\n[[links]]\nbetween = [\"app\", \"nowhere\"]\nlatency = \"1ms\"\n"),
        edit("instances = 2", "instances = -1"),
        edit("instances = 2", "instances = 99999999999"),
        edit(r#"calls = ["db.read"]"#, "calls = [[]]"),
        edit(r#"calls = ["db.read"]"#, r#"calls = [["db.read", ["db.write"]]]"#),
        edit(r#"kind = "service""#, "kind = 3"),
        edit("[components.lb]", "[requests]\nbrowse = nan\n\n[components.lb]"),
        edit(r#"entry = "lb""#, r#"entry = "db""#),
        format!("{VALID}components = 5\n"),
    ];
    for (i, text) in cases.iter().enumerate() {
        let file = TempToml::new(&format!("odd-{i}"), text);
        assert!(matches!(parse_scenario("odd.toml", text), Err(Error::Invalid(_))), "case {i} was accepted:\n{text}");
        assert_exit(&stagesim(&["run", file.path_str()]), 3);
    }
}

#[test]
fn paths_in_diagnostics_are_the_given_file_name() {
    let file = TempToml::new("given-name", &edit("cores = 2", "cores = 0"));
    let stderr = assert_exit(&stagesim(&["graph", file.path_str()]), 3);
    assert!(Path::new(file.path_str()).is_absolute());
    assert!(stderr.contains(&format!("--> {}:", file.path_str())), "{stderr}");
}
