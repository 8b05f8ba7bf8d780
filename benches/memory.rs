//! Peak memory must not grow with simulated duration: runs the same scenario for a short and
//! a long simulated time, each in a fresh process, and compares peak resident memory (VmHWM).
//! Target: within 10% of each other. Run: `cargo bench --bench memory` (Linux only).
//!
//! Two scenarios: M/M/1 (1 h vs 24 h) and the time-shaped growth scenario, a daily cycle with
//! 10% weekly growth (1 h vs a week).

use std::process::Command;

const CASES: &[(&str, &str, [u64; 2])] =
    &[("mm1", "scenarios/queueing/mm1.toml", [1, 24]), ("growth", "scenarios/time/growth.toml", [1, 168])];

fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("a number")
}

fn child(path: &str, hours: u64) {
    let path = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let mut model = stagesim::load_scenario(&path).expect("shipped scenario");
    model.duration = hours * 3_600_000_000_000;
    model.warmup = model.warmup.min(model.duration / 2);
    let s = stagesim::run(&model);
    println!("{} {} {}", hours, s.requests.completed, peak_kib());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        return child(&args[pos + 1], args[pos + 2].parse().expect("hours"));
    }
    let me = std::env::current_exe().expect("own path");
    for (name, path, hours) in CASES {
        let mut peaks = Vec::new();
        for h in hours {
            let out = Command::new(&me).args(["--child", path, &h.to_string()]).output().expect("child runs");
            let text = String::from_utf8_lossy(&out.stdout);
            let fields: Vec<u64> = text.split_whitespace().filter_map(|f| f.parse().ok()).collect();
            println!("memory/{name} {h:>3}h simulated: {:>10} requests, peak RSS {} KiB", fields[1], fields[2]);
            peaks.push(fields[2] as f64);
        }
        let ratio = peaks[1] / peaks[0];
        println!("memory/{name} peak ratio {}h/{}h = {ratio:.3} (target <= 1.10)", hours[1], hours[0]);
        assert!(ratio <= 1.10, "memory grows with simulated duration");
    }
}
