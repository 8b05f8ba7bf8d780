//! Plans, shards and merges through the real binary: a plan run in N shards and merged prints
//! (and writes) byte for byte what the unsharded command does, for N = 1, 3 and 7, directly
//! (`--shard`), from a plan file (`plan` + `work`), in rounds (check's replication doubling),
//! and through the shipped GNU parallel recipe; missing, duplicated and foreign parts are
//! errors naming the file. The cluster recipes pass shellcheck and parse as what their engine
//! reads.

use crate::scratch::Scratch;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_stagesim");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SWEEP: [&str; 12] = [
    "sweep",
    "scenarios/queueing/mm1.toml",
    "--key",
    "load.rate",
    "--from",
    "200/s",
    "--to",
    "800/s",
    "--step",
    "200/s",
    "--replications",
    "3",
];

fn run(args: &[&str]) -> Output {
    Command::new(BIN).current_dir(ROOT).arg("--quiet").args(args).env_remove("GITHUB_ACTIONS").output().unwrap()
}

fn ok(out: &Output, code: i32) -> String {
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(code), "stdout:\n{stdout}\nstderr:\n{stderr}");
    stdout.into_owned()
}

fn with(base: &[&str], more: &[&str]) -> Vec<String> {
    base.iter().chain(more).map(|s| s.to_string()).collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Runs `args` as N shards (`--shard i/N --part`), merges, and returns the merge's stdout.
fn sharded(dir: &Scratch, args: &[String], n: u32, code: i32) -> String {
    let mut parts = Vec::new();
    for i in 1..=n {
        let part = dir.path(&format!("part-{n}-{i}.json"));
        let shard = format!("{i}/{n}");
        let a = with(&strs(args), &["--shard", &shard, "--part", &part]);
        assert_eq!(ok(&run(&strs(&a)), 0), "", "a part goes to --part, not stdout");
        parts.push(part);
    }
    // Parts merge in any order.
    parts.reverse();
    ok(&run(&with(&["merge"], &strs(&parts)).iter().map(String::as_str).collect::<Vec<_>>()), code)
}

#[test]
fn a_sharded_sweep_merges_to_the_bytes_of_one_process() {
    let dir = Scratch::new("plan", "sweep");
    let out_one = dir.path("one");
    let single = ok(&run(&strs(&with(&SWEEP, &["--out", &out_one]))), 0);
    assert!(single.contains("load.rate"), "{single}");
    let json = ok(&run(&strs(&with(&SWEEP, &["--format", "json"]))), 0);
    for n in [1, 3, 7] {
        let out_n = dir.path(&format!("out-{n}"));
        assert_eq!(sharded(&dir, &with(&SWEEP, &["--out", &out_n]), n, 0), single, "text, {n} shards");
        for f in ["sweep.json", "hockey-stick.svg", "report.html"] {
            let (a, b) = (dir.read(&format!("one/{f}")), dir.read(&format!("out-{n}/{f}")));
            assert!(a == b, "{f} differs with {n} shards");
        }
        assert_eq!(sharded(&dir, &with(&SWEEP, &["--format", "json"]), n, 0), json, "JSON, {n} shards");
    }
    // From a plan file: `plan`, then `work` per shard, then `merge`.
    let plan_args = with(&strs(&with(&["plan"], &SWEEP)), &["--format", "json"]);
    let plan = dir.write("plan.json", &ok(&run(&strs(&plan_args)), 0));
    let parts: Vec<String> = (1..=3)
        .map(|i| {
            let part = dir.path(&format!("work-{i}.json"));
            ok(&run(&["work", &plan, "--shard", &format!("{i}/3"), "--part", &part]), 0);
            part
        })
        .collect();
    assert_eq!(ok(&run(&strs(&with(&["merge"], &strs(&parts)))), 0), json);
    // Every item is seeded from the scenario's seed and its replication only: the same seed
    // at every point.
    let p: serde_json::Value = serde_json::from_str(&dir.read("plan.json")).unwrap();
    let seeds: Vec<(u64, u64)> = p["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|it| (it["id"]["replication"].as_u64().unwrap(), it["seed"].as_u64().unwrap()))
        .collect();
    assert_eq!(seeds.len(), 4 * 3);
    for (r, s) in &seeds {
        assert_eq!(*s, seeds[*r as usize].1, "replication {r} has one seed at every point");
    }
}

#[test]
fn missing_duplicated_and_foreign_parts_are_errors_naming_them() {
    let dir = Scratch::new("plan", "errors");
    let part = |args: &[&str], name: &str, shard: &str| {
        let p = dir.path(name);
        ok(&run(&strs(&with(args, &["--shard", shard, "--part", &p]))), 0);
        p
    };
    let a1 = part(&SWEEP, "a1.json", "1/2");
    let a2 = part(&SWEEP, "a2.json", "2/2");
    let b2 =
        part(&with(&SWEEP, &["--format", "json"]).iter().map(String::as_str).collect::<Vec<_>>(), "b2.json", "2/2");
    let err = |args: &[&str]| {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        stderr
    };
    let e = err(&["merge", &a1]);
    assert!(e.contains("missing part(s): shard 2/2"), "{e}");
    let e = err(&["merge", &a1, &a2, &a2]);
    assert!(e.contains("a2.json: shard 2/2 is there twice"), "{e}");
    let e = err(&["merge", &a1, &b2]);
    assert!(e.contains("b2.json: a part of another plan"), "{e}");
    let junk = dir.write("junk.json", "{\"hello\": 1}");
    let e = err(&["merge", &junk]);
    assert!(e.contains("junk.json: not a stagesim part"), "{e}");
    for bad in ["0/3", "4/3", "three"] {
        let e = err(&strs(&with(&SWEEP, &["--shard", bad])));
        assert!(e.contains("--shard"), "{e}");
    }
    let e = err(&strs(&with(&SWEEP, &["--shard", "env"])));
    assert!(e.contains("JOB_COMPLETION_INDEX") && e.contains("SLURM_ARRAY_TASK_ID"), "{e}");
    let e = err(&["work", &dir.write("plan.json", "{}")]);
    assert!(e.contains("--shard"), "{e}");
}

#[test]
fn an_inconclusive_check_runs_in_rounds_and_merges_to_the_unsharded_verdict() {
    let dir = Scratch::new("plan", "rounds");
    // A limit at the 20-replication mean of p(99): inconclusive at 5 and 10 replications
    // (see check.rs), so the check doubles to 10, then 20: three rounds.
    let text = std::fs::read_to_string(format!("{ROOT}/scenarios/ci/capacity.toml")).unwrap();
    let file = dir.write("capacity.toml", &text);
    let base = ["check", &file, "--duration", "60s", "--max-replications", "20", "--format", "json"];
    let probe = ok(&run(&strs(&with(&base, &["--replications", "20"]))), 0);
    let r: serde_json::Value = serde_json::from_str(&probe).unwrap();
    let mean = r["scenarios"][0]["metrics"]["latency.p(99)"]["mean"].as_f64().unwrap();
    std::fs::write(&file, text.replace("\"p(99) < 80ms\"", &format!("\"p(99) < {}ns\"", (mean * 1e9).round())))
        .unwrap();
    let single_junit = dir.path("single.xml");
    let single = ok(&run(&strs(&with(&base, &["--junit", &single_junit]))), 0);
    assert!(single.contains("\"batches\": [\n        5,\n        10,\n        20\n      ]"), "{single}");
    for n in [1, 3, 7] {
        let junit = dir.path(&format!("junit-{n}.xml"));
        let args = with(&base, &["--junit", &junit]);
        let mut round = 1;
        let mut parts: Vec<String> = Vec::new();
        for i in 1..=n {
            let p = dir.path(&format!("r{n}-1-{i}.json"));
            ok(&run(&strs(&with(&strs(&args), &["--shard", &format!("{i}/{n}"), "--part", &p]))), 0);
            parts.push(p);
        }
        let merged = loop {
            let next = dir.path(&format!("plan-{n}-{}.json", round + 1));
            let out = run(&strs(&with(
                &with(&["merge"], &strs(&parts)).iter().map(String::as_str).collect::<Vec<_>>(),
                &["--next-plan", &next],
            )));
            if out.status.code() != Some(6) {
                break ok(&out, 0);
            }
            round += 1;
            parts = (1..=n)
                .map(|i| {
                    let p = dir.path(&format!("r{n}-{round}-{i}.json"));
                    ok(&run(&["work", &next, "--shard", &format!("{i}/{n}"), "--part", &p]), 0);
                    p
                })
                .collect();
        };
        assert_eq!(round, 3, "rounds of 5, 5 and 10 replications ({n} shards)");
        assert_eq!(merged, single, "{n} shards");
        assert_eq!(dir.read(&format!("junit-{n}.xml")), dir.read("single.xml"), "JUnit, {n} shards");
    }
}

#[test]
fn the_gnu_parallel_recipe_gives_the_single_process_bytes() {
    let dir = Scratch::new("plan", "parallel");
    let single = ok(&run(&strs(&with(&SWEEP, &["--format", "json"]))), 0);
    for n in ["1", "3", "7"] {
        let work = dir.path(&format!("work-{n}"));
        let out = Command::new("bash")
            .current_dir(ROOT)
            .arg("examples/cluster/parallel.sh")
            .args([n, &work])
            .args(SWEEP)
            .args(["--format", "json"])
            .env("STAGESIM", BIN)
            .output()
            .expect("bash runs (GNU parallel is installed by .ci/run)");
        assert_eq!(ok(&out, 0), single, "{n} shards through GNU parallel");
    }
}

#[test]
fn the_cluster_recipes_pass_shellcheck_and_parse_as_their_engines_read_them() {
    let scripts = [
        "examples/cluster/parallel.sh",
        "examples/cluster/slurm/shards.sbatch",
        "examples/cluster/slurm/merge.sbatch",
        "examples/cluster/slurm/submit.sh",
    ];
    let out = Command::new("shellcheck").current_dir(ROOT).args(["--shell", "bash"]).args(scripts).output();
    let out = out.expect("shellcheck runs (installed by .ci/run)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    // YAML through PyYAML (python3-yaml, installed by .ci/run): the fields each engine needs.
    let check = r#"
import sys, yaml
docs = list(yaml.safe_load_all(open("examples/cluster/kubernetes/stagesim.yaml")))
jobs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Job"}
assert all(d["apiVersion"] == "batch/v1" for d in jobs.values())
shards = jobs["stagesim-shards"]["spec"]
assert shards["completionMode"] == "Indexed", shards
assert shards["completions"] == shards["parallelism"] == 7
c = shards["template"]["spec"]["containers"][0]
env = {e["name"]: e.get("value") for e in c["env"]}
assert env["STAGESIM_SHARD_COUNT"] == "7", env
assert "--shard env" in " ".join(c["args"]), c["args"]
assert shards["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")
assert any(v.get("persistentVolumeClaim") for v in shards["template"]["spec"]["volumes"])
assert " merge " in " ".join(jobs["stagesim-merge"]["spec"]["template"]["spec"]["containers"][0]["args"])
assert any(d["kind"] == "PersistentVolumeClaim" for d in docs)
gh = yaml.safe_load(open("examples/cluster/github/stagesim-shards.yml"))
m = gh["jobs"]["shard"]["strategy"]["matrix"]["shard"]
assert m == list(range(1, 8)), m
assert gh["jobs"]["merge"]["needs"] == "shard"
gl = yaml.safe_load(open("examples/cluster/gitlab/stagesim.gitlab-ci.yml"))
assert gl["stagesim-shard"]["parallel"] == 7
assert gl["stagesim-merge"]["needs"] == ["stagesim-shard"]
print("ok")
"#;
    let out = Command::new("python3").current_dir(ROOT).args(["-c", check]).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}
