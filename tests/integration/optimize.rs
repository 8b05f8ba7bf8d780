//! `stagesim optimize`: the search agrees with exhaustive search, pruning never drops the
//! design exhaustive search picks, output does not depend on the thread count, and bad
//! design-space files are refused with located errors.

use crate::scratch::Scratch;
use std::process::{Command, Output};

/// Four cores of work per second at 1000/s: one m5.large (2 cores) is far too few.
const SCENARIO: &str = r#"
[scenario]
name = "optimize test"
duration = "20s"
warmup = "2s"
seed = 3

[load]
rate = "1000/s"
timeout = "2s"

[components.lb]
kind = "load_balancer"
policy = "least_connections"
backends = "app"

[components.app]
kind = "service"
instance_type = "m5.large"
instances = 1
service_time = "exp(mean = 4ms)"
"#;

const SPACE: &str = r#"
[space]
scenario = "base.toml"

[[dimensions]]
key = "components.app.instance_type"
values = ["m5.large", "c5.xlarge", "m5.xlarge"]

[[dimensions]]
key = "components.app.instances"
from = 1
to = 8

[constraints]
latency = ["p(99) < 40ms"]
errors = ["rate < 0.1%"]

[[replays]]
name = "day"

[[replays]]
name = "spike"
load = "1300/s"

[search]
replications = 2
rungs = 3
eta = 3
"#;

fn stagesim(args: &[&str], threads: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stagesim"));
    c.args(args).arg("--quiet");
    if let Some(t) = threads {
        c.env("RAYON_NUM_THREADS", t);
    }
    c.output().expect("the binary runs")
}

fn space(tag: &str, text: &str) -> (Scratch, String) {
    let dir = Scratch::new("optimize", tag);
    dir.write("base.toml", SCENARIO);
    let path = dir.write("space.toml", text);
    (dir, path)
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = stagesim(args, None);
    // 0: a design was found, 1: none is feasible; both print the result.
    assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn labels(v: &serde_json::Value) -> Vec<String> {
    v["front"].as_array().unwrap().iter().map(|d| d["label"].as_str().unwrap().to_string()).collect()
}

#[test]
fn halving_and_pruning_agree_with_exhaustive_search() {
    let (_dir, path) = space("agree", SPACE);
    let brute = json(&["optimize", &path, "--method", "exhaustive", "--no-prune", "--format", "json"]);
    let pruned = json(&["optimize", &path, "--method", "exhaustive", "--format", "json"]);
    let halving = json(&["optimize", &path, "--method", "halving", "--format", "json"]);
    assert_eq!(brute["designs"]["evaluated"], 24);
    assert_eq!(brute["designs"]["pruned"], 0);
    // Pruning and halving really skip work, or this test would prove nothing.
    assert!(pruned["designs"]["pruned"].as_u64().unwrap() > 0, "{}", pruned["designs"]);
    assert!(halving["designs"]["at_full_length"].as_u64().unwrap() < 24, "{}", halving["designs"]);
    let winner = &brute["winner"];
    assert!(winner.is_object(), "exhaustive search finds a design");
    // At full length every design sees the same seeds: the same design, the same numbers.
    assert_eq!(&pruned["winner"], winner);
    assert_eq!(&halving["winner"], winner);
    assert_eq!(labels(&pruned), labels(&brute));
    assert_eq!(labels(&halving), labels(&brute));
    assert_eq!(pruned["front"], brute["front"]);
    let schema = stagesim::schema::by_name("optimize").unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for v in [&brute, &pruned, &halving] {
        let problems: Vec<String> = validator.iter_errors(v).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(problems.is_empty(), "{problems:#?}");
    }
    // The next cheaper design misses a constraint (fails it, or cannot be shown to meet
    // it), with how far past its limit its mean lies.
    let misses = brute["next_cheaper"]["misses"].as_array().unwrap();
    assert!(!misses.is_empty() && misses[0]["outcome"] != "pass", "{misses:?}");
    assert!(misses[0]["excess_ratio"].is_f64(), "{misses:?}");
}

#[test]
fn pruning_never_drops_the_design_exhaustive_search_picks() {
    // A tighter latency bound and a third replay move the boundary: for each, the pruned
    // search picks what running every design picks.
    for limit in ["25ms", "30ms", "60ms"] {
        let text = SPACE.replace("p(99) < 40ms", &format!("p(99) < {limit}"));
        let (_dir, path) = space(&format!("prune-{}", limit.trim_end_matches("ms")), &text);
        let brute = json(&["optimize", &path, "--method", "exhaustive", "--no-prune", "--format", "json"]);
        let pruned = json(&["optimize", &path, "--method", "exhaustive", "--format", "json"]);
        assert!(brute["winner"].is_object(), "limit {limit}: a feasible design exists");
        assert_eq!(pruned["winner"]["label"], brute["winner"]["label"], "limit {limit}");
        // Every design pruned is one running every design finds infeasible.
        let brute_feasible: Vec<String> = labels(&brute);
        for d in labels(&pruned) {
            assert!(brute_feasible.contains(&d), "{d}");
        }
    }
}

#[test]
fn output_is_identical_at_any_thread_count() {
    let (_dir, path) = space("threads", SPACE);
    for format in ["json", "text"] {
        let args = ["optimize", path.as_str(), "--method", "halving", "--format", format];
        let one = stagesim(&args, Some("1"));
        let two = stagesim(&args, Some("2"));
        assert_eq!(one.status.code(), Some(0), "{}", String::from_utf8_lossy(&one.stderr));
        assert_eq!(String::from_utf8_lossy(&one.stdout), String::from_utf8_lossy(&two.stdout), "{format}");
    }
}

#[test]
fn the_winner_is_written_as_a_scenario_and_none_feasible_exits_1() {
    let (dir, path) = space("out", SPACE);
    let out = dir.path("winner.toml");
    let v = json(&["optimize", &path, "--out", &out, "--format", "json"]);
    let model = stagesim::load_scenario(&out).unwrap_or_else(|e| panic!("{e}"));
    let app = model.components.iter().find(|c| c.name == "app").unwrap();
    let text = dir.read("winner.toml");
    for kv in v["winner"]["values"].as_array().unwrap() {
        let line =
            format!("{} = {}", kv["key"].as_str().unwrap().rsplit('.').next().unwrap(), kv["value"].as_str().unwrap());
        assert!(text.contains(&line), "{line} in\n{text}");
    }
    assert_eq!(app.name, "app");
    let (_dir2, none) = space("none", &SPACE.replace("p(99) < 40ms", "p(99) < 1ms"));
    let r = stagesim(&["optimize", &none], None);
    assert_eq!(r.status.code(), Some(1), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stdout).contains("no design meets every constraint"));
}

/// Runs a broken space; returns stderr after checking the exit code.
fn refused(tag: &str, text: &str, code: i32) -> String {
    let (_dir, path) = space(tag, text);
    let r = stagesim(&["optimize", &path], None);
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    assert_eq!(r.status.code(), Some(code), "{tag}: {err}");
    err
}

#[test]
fn bad_space_files_are_refused_at_their_line_and_column() {
    let e = refused("unknown", &SPACE.replace("[search]", "[search]\nrounds = 3"), 3);
    assert!(e.contains("unknown field `rounds`") && e.contains("space.toml:"), "{e}");
    let e = refused("type", &SPACE.replace("\"m5.xlarge\"]", "\"m5.hughe\"]"), 3);
    assert!(e.contains("space.toml:7:") && e.contains("m5.hughe"), "{e}");
    let e = refused("key", &SPACE.replace("components.app.instances", "components.ap.instances"), 3);
    assert!(e.contains("space.toml:10:") && e.contains("there is no `ap`"), "{e}");
    let e = refused("constraint", &SPACE.replace("p(99) < 40ms", "p(99) < 40 parsecs"), 3);
    assert!(e.contains("space.toml:15:"), "{e}");
    let e = refused("replay", &SPACE.replace("\"1300/s\"", "\"lots\""), 3);
    assert!(e.contains("space.toml:") && e.contains("replay `spike`"), "{e}");
    let e = refused("scenario", &SPACE.replace("base.toml", "nope.toml"), 3);
    assert!(e.contains("space.toml:3:") && e.contains("nope.toml"), "{e}");
    let e = refused("monotone", &SPACE.replace("\"m5.xlarge\"]", "\"m5.xlarge\"]\nmonotone = true"), 3);
    assert!(e.contains("space.toml:8:") && e.contains("monotone"), "{e}");
    let e = refused("syntax", "[space\n", 3);
    assert!(e.contains("space.toml:1:"), "{e}");
}

#[test]
fn the_shipped_space_is_valid() {
    let path = format!("{}/spaces/recipeshare.toml", env!("CARGO_MANIFEST_DIR"));
    let space = stagesim::optimize::space::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((space.designs, space.replays.len()), (54, 3));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("#:schema ../models/schema/space.schema.json\n"));
    let doc = serde_json::to_value(toml::from_str::<toml::Value>(&text).unwrap()).unwrap();
    let schema = stagesim::schema::by_name("space").unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let problems: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(problems.is_empty(), "{problems:#?}");
}
