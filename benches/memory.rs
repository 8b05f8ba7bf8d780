//! Peak memory must not grow with simulated duration: runs the same scenario for 1 and 24
//! simulated hours, each in a fresh process, and compares peak resident memory (VmHWM).
//! Target: within 10% of each other. Run: `cargo bench --bench memory` (Linux only).

use std::process::Command;

fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("a number")
}

fn child(hours: u64) {
    let path = format!("{}/scenarios/queueing/mm1.toml", env!("CARGO_MANIFEST_DIR"));
    let mut model = stagesim::load_scenario(&path).expect("shipped scenario");
    model.duration = hours * 3_600_000_000_000;
    let s = stagesim::run(&model);
    println!("{} {} {}", hours, s.requests.completed, peak_kib());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        return child(args[pos + 1].parse().expect("hours"));
    }
    let me = std::env::current_exe().expect("own path");
    let mut peaks = Vec::new();
    for hours in [1u64, 24] {
        let out = Command::new(&me).args(["--child", &hours.to_string()]).output().expect("child runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<u64> = text.split_whitespace().filter_map(|f| f.parse().ok()).collect();
        println!("memory/mm1 {hours:>2}h simulated: {:>10} requests, peak RSS {} KiB", fields[1], fields[2]);
        peaks.push(fields[2] as f64);
    }
    let ratio = peaks[1] / peaks[0];
    println!("memory/mm1 peak ratio 24h/1h = {ratio:.3} (target <= 1.10)");
    assert!(ratio <= 1.10, "memory grows with simulated duration");
}
