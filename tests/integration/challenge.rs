//! `stagesim challenge`: the six shipped challenges grade their reference designs as the
//! challenge files say (bad fails, good passes, mediocre as written, case by case), each case
//! fails when the good design loses the mechanism the case teaches, and a broken challenge
//! file gets located errors.
//!
//! Every case runs 20 simulated seconds with one replication, the challenges' own setting.

use crate::scratch::Scratch;
use stagesim::challenge::{self, Challenge, GradeOptions, Verdict};
use stagesim::check::evaluate::Outcome;
use stagesim::Error;
use std::process::Command;

const CHALLENGES: &[&str] = &["url-shortener", "news-feed", "chat", "rate-limiter", "video-upload", "flash-sale"];

fn path(name: &str, file: &str) -> String {
    format!("{}/scenarios/challenges/{name}/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn load(name: &str) -> Challenge {
    challenge::load(&path(name, "challenge.toml")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn grade(ch: &Challenge, design: &str, text: &str) -> Verdict {
    challenge::grade(ch, design, text, &GradeOptions::default()).unwrap_or_else(|e| panic!("{design}: {e}"))
}

fn stagesim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stagesim")).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap()
}

#[test]
fn challenge_six_are_shipped_each_with_bad_mediocre_and_good_references() {
    for name in CHALLENGES {
        let ch = load(name);
        let designs: Vec<&str> = ch.references.iter().map(|r| r.design.as_str()).collect();
        assert_eq!(designs, ["bad.toml", "mediocre.toml", "good.toml"], "{name}");
        assert!(ch.cases.len() >= 3, "{name}: {} cases", ch.cases.len());
        assert!(ch.references[0].expect == Outcome::Fail && ch.references[2].expect == Outcome::Pass, "{name}");
        assert!(!ch.starting_design.is_empty() && !ch.brief.is_empty(), "{name}");
    }
}

#[test]
fn challenge_every_reference_gets_its_expected_verdict_case_by_case() {
    for name in CHALLENGES {
        let ch = load(name);
        for r in &ch.references {
            let text = std::fs::read_to_string(&r.path).unwrap();
            let v = grade(&ch, &r.design, &text);
            let shown = challenge::render_text(&v);
            assert_eq!(v.status, r.expect, "{name}/{}:\n{shown}", r.design);
            for (case, want) in &r.cases {
                let got = v.cases.iter().find(|c| &c.name == case).unwrap().status;
                assert_eq!(got, *want, "{name}/{} case `{case}`:\n{shown}", r.design);
            }
            for c in v.cases.iter().filter(|c| c.status == Outcome::Fail) {
                assert!(!c.hints.is_empty(), "{name}/{} case `{}` fails without a hint", r.design, c.name);
            }
        }
    }
}

#[test]
fn challenge_command_exits_1_on_bad_and_0_on_good_with_junit_and_json() {
    let dir = Scratch::new("challenge", "cli");
    for name in CHALLENGES {
        let file = format!("scenarios/challenges/{name}/challenge.toml");
        let bad = stagesim(&[
            "challenge",
            &file,
            &format!("scenarios/challenges/{name}/bad.toml"),
            "--junit",
            &dir.path("bad.xml"),
        ]);
        assert_eq!(bad.status.code(), Some(1), "{name}: {}", String::from_utf8_lossy(&bad.stderr));
        let text = String::from_utf8(bad.stdout).unwrap();
        assert!(text.contains("FAIL case") && text.contains("hint: "), "{name}:\n{text}");
        let junit = std::fs::read_to_string(dir.path("bad.xml")).unwrap();
        assert!(junit.contains("<testsuites") && junit.contains("<failure"), "{name}:\n{junit}");
        let good = stagesim(&["challenge", &file, &format!("scenarios/challenges/{name}/good.toml"), "--json"]);
        assert_eq!(good.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&good.stderr));
        let v: serde_json::Value = serde_json::from_slice(&good.stdout).unwrap();
        assert_eq!(v["status"], "pass", "{name}");
        assert!(v["cases"].as_array().unwrap().iter().all(|c| c["status"] == "pass"), "{name}");
    }
}

/// The good design of `name` with each `(from, to)` applied (each `from` exactly once), and
/// the components `remove` removed with their links (as a journey stage's `remove`).
fn without(name: &str, edits: &[(&str, &str)], remove: &[&str]) -> String {
    let mut text = std::fs::read_to_string(path(name, "good.toml")).unwrap();
    for (from, to) in edits {
        assert_eq!(text.matches(from).count(), 1, "{name}: `{from}` must occur once in good.toml");
        text = text.replacen(from, to, 1);
    }
    if remove.is_empty() {
        return text;
    }
    let mut doc: toml::Table = toml::from_str(&text).unwrap();
    let names: Vec<String> = remove.iter().map(|s| s.to_string()).collect();
    assert!(stagesim::journey::merge::remove_components(&mut doc, &names).is_empty(), "{name}: {remove:?}");
    toml::to_string(&doc).unwrap()
}

/// The case `case` of `name` fails on the good design with `edits` (and passes without them).
fn fails_without(name: &str, case: &str, edits: &[(&str, &str)]) {
    fails_without_removing(name, case, edits, &[]);
}

fn fails_without_removing(name: &str, case: &str, edits: &[(&str, &str)], remove: &[&str]) {
    let mut ch = load(name);
    ch.cases.retain(|c| c.name == case);
    assert_eq!(ch.cases.len(), 1, "{name}: no case `{case}`");
    let v = grade(&ch, "good.toml (mechanism removed)", &without(name, edits, remove));
    assert_eq!(
        v.cases[0].status,
        Outcome::Fail,
        "{name} `{case}` passes without its mechanism:\n{}",
        challenge::render_text(&v)
    );
}

const CACHE_URL: &str = "redirect = [\"cache.read\"]";
const ONE_INSTANCE: (&str, &str) = (
    "[components.app]\nkind = \"service\"\ninstance_type = \"c5.xlarge\"\ninstances = ",
    "[components.app]\nkind = \"service\"\ninstance_type = \"c5.xlarge\"\ninstances = 1 #",
);

#[test]
fn challenge_url_shortener_cases_fail_without_their_mechanism() {
    let n = "url-shortener";
    fails_without_removing(n, "normal day", &[(CACHE_URL, "redirect = [\"db.read\"]")], &["cache"]);
    fails_without(n, "viral link", &[("replicas = 2", "replicas = 1")]);
    fails_without(n, "cache flush", &[("replicas = 2\nreplication_lag = \"exp(mean = 20ms)\"", "")]);
    fails_without(n, "lost instance", &[ONE_INSTANCE]);
}

const QUEUE_FANOUT: &str =
    "kind = \"queue\"\nack_time = \"exp(mean = 2ms)\"\ncapacity = 100_000\nworkers = 64\nwork_time =";

#[test]
fn challenge_news_feed_cases_fail_without_their_mechanism() {
    let n = "news-feed";
    fails_without_removing(
        n,
        "normal day",
        &[("read_feed = [\"cache.read\"]", "read_feed = [\"db.read\"]")],
        &["cache"],
    );
    fails_without(n, "celebrity storm", &[(QUEUE_FANOUT, "kind = \"service\"\nservice_time =")]);
    fails_without(n, "cold timelines", &[("replicas = 1\nreplication_lag = \"exp(mean = 20ms)\"", "")]);
}

#[test]
fn challenge_chat_cases_fail_without_their_mechanism() {
    let n = "chat";
    fails_without(
        n,
        "normal day",
        &[("kind = \"shards\"\nshards = 6\nstrategy = \"consistent_hash\"", "kind = \"database\"")],
    );
    fails_without(n, "evening peak", &[("instance_type = \"db.r5.xlarge\"", "instance_type = \"db.r5.large\"")]);
    fails_without(n, "lost chat server", &[ONE_INSTANCE]);
}

const GATEWAY: &str = "[components.gateway]\nkind = \"gateway\"\ninstance_type = \"m5.large\"\nbackends = \"lb\"\nrate_limit = \"2.5k/s\"\nburst = 200\nservers = 4\nauth_time = \"exp(mean = 0.2ms)\"\n";

#[test]
fn challenge_rate_limiter_cases_fail_without_their_mechanism() {
    let n = "rate-limiter";
    let small = ("instance_type = \"c5.xlarge\"\ninstances = 3", "instance_type = \"m5.large\"\ninstances = 1");
    fails_without(n, "normal day", &[small]);
    fails_without(n, "flood", &[(GATEWAY, "")]);
    fails_without(n, "lost instance", &[ONE_INSTANCE]);
}

const TRANSCODE_QUEUE: &str =
    "kind = \"queue\"\nack_time = \"exp(mean = 2ms)\"\ncapacity = 100_000\nworkers = 80\nwork_time =";

#[test]
fn challenge_video_upload_cases_fail_without_their_mechanism() {
    let n = "video-upload";
    fails_without(n, "normal day", &[(TRANSCODE_QUEUE, "kind = \"service\"\nservice_time =")]);
    fails_without(n, "upload burst", &[("workers = 80", "workers = 24")]);
    fails_without(n, "lost instance", &[ONE_INSTANCE]);
}

const ORDER_QUEUE: &str =
    "kind = \"queue\"\nack_time = \"exp(mean = 2ms)\"\ncapacity = 200_000\nworkers = 16\nwork_time =";

#[test]
fn challenge_flash_sale_cases_fail_without_their_mechanism() {
    let n = "flash-sale";
    fails_without_removing(n, "normal day", &[("view = [\"cache.read\"]", "view = [\"db.read\"]")], &["cache"]);
    fails_without(n, "the sale", &[(ORDER_QUEUE, "kind = \"service\"\nservice_time =")]);
    fails_without(n, "lost instance", &[ONE_INSTANCE]);
}

fn diagnostics(e: Error) -> Vec<stagesim::diag::Diagnostic> {
    match e {
        Error::Invalid(d) => d,
        other => panic!("expected located diagnostics, got {other}"),
    }
}

#[test]
fn challenge_a_broken_file_gets_located_errors() {
    let dir = Scratch::new("challenge", "bad");
    let good = std::fs::read_to_string(path("url-shortener", "challenge.toml")).unwrap();
    for design in ["bad.toml", "mediocre.toml", "good.toml"] {
        std::fs::copy(path("url-shortener", design), dir.path(design)).unwrap();
    }
    let cases = [
        ("seed = 7", "seed = 7\ncolour = \"red\"", "unknown field `colour`"),
        ("latency = [\"p(99) < 50ms\"]", "latency = [\"p(99) < 50\"]", "no unit"),
        (
            "description = \"10k redirects/s.\"",
            "description = \"10k redirects/s.\"\nfautls = []",
            "unknown field `fautls`",
        ),
        ("kind = \"database\"\nnode = \"replica\"", "kind = \"databse\"\nnode = \"replica\"", "unknown kind `databse`"),
        ("duration = \"20s\"", "duration = \"20 parsecs\"", "duration"),
        ("design = \"good.toml\"", "design = \"missing.toml\"", "no file"),
    ];
    for (from, to, want) in cases {
        assert_eq!(good.matches(from).count(), 1, "`{from}`");
        let text = good.replacen(from, to, 1);
        let file = dir.write("challenge.toml", &text);
        let diags = diagnostics(challenge::load(&file).unwrap_err());
        let d = diags.iter().find(|d| d.message.contains(want)).unwrap_or_else(|| panic!("{want}: {diags:#?}"));
        let line =
            text.lines().position(|l| to.lines().any(|t| l == t && !from.lines().any(|f| f == t))).map(|i| i + 1);
        assert!(d.line > 0 && d.column > 0, "{want}: {d:?}");
        if let Some(line) = line {
            assert_eq!(d.line, line, "{want}: {d:?}");
        }
    }
    let out =
        stagesim(&["challenge", &dir.write("c.toml", &good.replacen("seed = 7", "seed = 7\ncolour = 1", 1)), "x.toml"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("c.toml:"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn challenge_a_design_that_renames_what_the_cases_strike_is_refused_at_its_place() {
    let ch = load("url-shortener");
    let text = std::fs::read_to_string(path("url-shortener", "bad.toml"))
        .unwrap()
        .replace("components.app", "components.web")
        .replace("\"app\"", "\"web\"");
    let diags = diagnostics(challenge::grade(&ch, "renamed.toml", &text, &GradeOptions::default()).unwrap_err());
    assert!(diags.iter().any(|d| d.message.contains("`app`") && d.file == "renamed.toml"), "{diags:#?}");
}

#[test]
fn challenge_verdicts_are_deterministic() {
    let ch = load("chat");
    let text = std::fs::read_to_string(path("chat", "mediocre.toml")).unwrap();
    let a = serde_json::to_string(&grade(&ch, "m.toml", &text)).unwrap();
    let b = serde_json::to_string(&grade(&ch, "m.toml", &text)).unwrap();
    assert_eq!(a, b);
}

/// The slow tier: the good references still pass, and the bad still fail, judged on the 95%
/// interval of five replications (`--replications 5`, as `check` judges) with `--strict`.
#[test]
#[ignore = "slow tier"]
fn slow_challenge_references_hold_on_five_replications_strictly() {
    let opts = GradeOptions { replications: Some(5), strict: true, ..Default::default() };
    for name in CHALLENGES {
        let ch = load(name);
        for r in ch.references.iter().filter(|r| r.design != "mediocre.toml") {
            let text = std::fs::read_to_string(&r.path).unwrap();
            let v = challenge::grade(&ch, &r.design, &text, &opts).unwrap();
            assert_eq!(v.status, r.expect, "{name}/{}:\n{}", r.design, challenge::render_text(&v));
        }
    }
}
