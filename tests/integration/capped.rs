//! Running the `stagesim` binary under a memory cap and a time guard, for the slow tier's
//! reliability cases: a case that regresses fails its assertion instead of swapping the
//! machine or hanging CI.
//!
//! Slow-tier tests are `#[ignore = "slow tier"]` and their names start with `slow_`;
//! `.ci/run` runs them with `cargo test --release -- --ignored slow_`.

use std::process::Command;

/// What a capped run did.
pub struct Capped {
    /// The exit code; `None` when a signal ended the process (an abort under the cap).
    pub code: Option<i32>,
    /// True when the time guard stopped the process.
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `stagesim ARGS` with at most `mem_mib` MiB of address space and `secs` seconds of
/// wall time.
pub fn run_capped(args: &[&str], mem_mib: u64, secs: u64) -> Capped {
    let bin = env!("CARGO_BIN_EXE_stagesim");
    // `timeout` exits 124 when its guard fires (128 + N when signal N ended the run, 134 for an abort); ulimit -v counts KiB.
    let script = format!("ulimit -v {}; exec timeout -k 5 {secs} \"$0\" \"$@\"", mem_mib * 1024);
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(bin)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("sh runs");
    let code = out.status.code();
    Capped {
        code,
        timed_out: code == Some(124),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
#[ignore = "slow tier"]
fn slow_capped_runs_report_the_exit_code() {
    let ok = run_capped(&["validate", "scenarios/queueing/mm1.toml"], 512, 60);
    assert_eq!(ok.code, Some(0), "{}", ok.stderr);
    assert!(ok.stdout.contains("ok"), "{}", ok.stdout);
    assert!(!ok.timed_out);
}
