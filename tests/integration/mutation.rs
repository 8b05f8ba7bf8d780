//! A stable-toolchain mutation fuzzer for the loader, with the shipped scenarios as its corpus.
//!
//! Each mutant (a flipped byte, a lost or doubled line, an extreme number, a strange unit
//! string, a stray key, a truncation) must either load, and then run within its limits with
//! its requests conserved, or be refused with located diagnostics. A panic anywhere is a
//! failure. Mutants are drawn from fixed seeds, so a failure names a seed that reproduces it.

use crate::swarm::Gen;
use stagesim::runner::{apply, RunOptions};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// Values a careless or hostile edit puts where a number or a unit string was.
const NUMBERS: &[&str] =
    &["0", "-1", "1e30", "1e-30", "18446744073709551615", "4294967296", "1e308", "nan", "inf", "-0.0", "0.5", "3"];
const STRINGS: &[&str] = &[
    "\"\"",
    "\"0ms\"",
    "\"1ns\"",
    "\"1e9s\"",
    "\"1e300/s\"",
    "\"-5ms\"",
    "\"exp(mean = 0ms)\"",
    "\"lognormal(mean = 1ms, cv = 1e9)\"",
    "\"pareto(mean = 1ms, shape = 1)\"",
    "\"10k rps\"",
    "\"1h30m\"",
    "\"é\"",
    "\"app\"",
    "\"db.read\"",
    "\"zipf\"",
];
const KEYS: &[&str] =
    &["instances", "queue", "timeout", "rate", "kind", "capacity", "replicas", "colour", "max_events"];

fn corpus() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "toml")
                && !p.ends_with("journey.toml")
                && !p.ends_with("challenge.toml")
            {
                let text = std::fs::read_to_string(&p).unwrap();
                out.push((p.to_string_lossy().into_owned(), text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"), &mut out);
    out.retain(|(p, _)| !p.contains("/ci/journey/"));
    out
}

/// Replaces the `n`-th token of a kind (a number, or a quoted string) with `with`.
fn replace_token(text: &str, g: &mut Gen, quoted: bool, with: &str) -> String {
    let mut spans = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if quoted && b[i] == b'"' {
            let end = text[i + 1..].find('"').map(|e| i + 1 + e + 1);
            if let Some(end) = end {
                spans.push(i..end);
                i = end;
                continue;
            }
        } else if !quoted && b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let end =
                text[i..].find(|c: char| !(c.is_ascii_digit() || c == '_' || c == '.')).map_or(b.len(), |e| i + e);
            spans.push(i..end);
            i = end;
            continue;
        }
        i += 1;
    }
    if spans.is_empty() {
        return text.to_string();
    }
    let s = spans[g.int(0, spans.len() as u64 - 1) as usize].clone();
    format!("{}{with}{}", &text[..s.start], &text[s.end..])
}

fn mutate(text: &str, g: &mut Gen) -> Vec<u8> {
    let lines: Vec<&str> = text.lines().collect();
    let line = g.int(0, lines.len().max(1) as u64 - 1) as usize;
    let joined = |ls: Vec<&str>| ls.join("\n").into_bytes();
    match g.int(0, 7) {
        0 => {
            let mut b = text.as_bytes().to_vec();
            let at = g.int(0, b.len() as u64 - 1) as usize;
            b[at] = g.int(0, 255) as u8;
            b
        }
        1 => joined(lines.iter().enumerate().filter(|(i, _)| *i != line).map(|(_, l)| *l).collect()),
        2 => {
            let mut ls = lines.clone();
            ls.insert(line, lines[line]);
            joined(ls)
        }
        3 => {
            let n = g.pick(NUMBERS);
            replace_token(text, g, false, n).into_bytes()
        }
        4 => {
            let s = g.pick(STRINGS);
            replace_token(text, g, true, s).into_bytes()
        }
        5 => text.as_bytes()[..g.int(0, text.len() as u64) as usize].to_vec(),
        6 => {
            let mut ls: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            let value = if g.chance(0.5) { g.pick(NUMBERS) } else { g.pick(STRINGS) };
            ls.insert(line, format!("{} = {value}", g.pick(KEYS)));
            ls.join("\n").into_bytes()
        }
        _ => {
            let mut ls = lines.clone();
            let other = g.int(0, lines.len().max(1) as u64 - 1) as usize;
            ls.swap(line, other);
            joined(ls)
        }
    }
}

fn try_mutant(file: &str, bytes: &[u8], seed: u64) {
    // The loader takes text; bytes that are not UTF-8 are the file reader's to refuse.
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let outcome = catch_unwind(AssertUnwindSafe(|| match stagesim::parse_scenario(file, text) {
        Ok(model) => {
            let mut m = apply(&model, &RunOptions { duration_ns: Some(2_000_000_000), ..Default::default() });
            // Bounded work per mutant: a limit hit is a reported outcome, which is fine here.
            m.limits.max_events = m.limits.max_events.min(300_000);
            m.replications = 1;
            let s = stagesim::run(&m);
            let r = &s.requests;
            assert_eq!(r.arrived, r.completed + r.failed + r.rejected + r.timed_out + r.in_flight, "conservation");
        }
        Err(stagesim::Error::Invalid(diags)) => {
            assert!(!diags.is_empty(), "an invalid scenario names at least one problem");
            for d in diags {
                assert!(d.line >= 1 && d.column >= 1 && !d.message.is_empty(), "located: {d}");
            }
        }
        // A mutated trace path may name a file that does not exist: that is an I/O error.
        Err(_) => {}
    }));
    if let Err(e) = outcome {
        let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
        panic!("mutant seed {seed} of {file} panicked: {msg:?}\n---\n{text}");
    }
}

fn fuzz(seeds: std::ops::Range<u64>) {
    let corpus = corpus();
    assert!(corpus.len() > 20, "corpus: {}", corpus.len());
    let trace = std::env::var_os("STAGESIM_FUZZ_TRACE").is_some();
    for seed in seeds {
        let mut g = Gen::new(seed ^ 0x5EED_F022);
        let (file, text) = &corpus[g.int(0, corpus.len() as u64 - 1) as usize];
        let mut bytes = mutate(text, &mut g);
        // Stacked mutations reach states a single edit does not.
        for _ in 0..g.int(0, 2) {
            let t = String::from_utf8_lossy(&bytes).into_owned();
            bytes = mutate(&t, &mut g);
        }
        if trace {
            // A hang names no seed by itself: STAGESIM_FUZZ_TRACE=1 prints each before it runs.
            eprintln!("mutant seed {seed} of {file}:\n{}", String::from_utf8_lossy(&bytes));
        }
        try_mutant(file, &bytes, seed);
    }
}

#[test]
fn mutated_scenarios_never_panic() {
    fuzz(0..300);
}

#[test]
#[ignore = "slow tier"]
fn slow_mutated_scenarios_never_panic() {
    fuzz(300..5300);
}
