//! Memory does not grow with simulated time: a simulated week runs in the same peak memory
//! as an hour. Each run happens in a fresh process (this test binary, running only the
//! ignored `memory_child` test), so that its peak resident set (VmHWM, Linux) is its own.
//! Not a timed test: it compares memory, and only memory.

use std::process::Command;

/// Time features all at once, at a rate that keeps a simulated week to a few seconds:
/// diurnal traffic with a weekly growth and a spike, an autoscaled pool behind a sticky,
/// health-checking balancer, and a crash.
const SCENARIO: &str = r#"[scenario]
name = "memory over time"
duration = "1h"
seed = 3

[load]
rate = "5/s"
timeout = "10s"

[[load.shapes]]
kind = "diurnal"
peak_hour = 20
peak_to_trough = 4

[[load.shapes]]
kind = "growth"
growth = "10%/week"

[[load.shapes]]
kind = "spike"
start = "30m"
ramp_up = "5m"
multiplier = 10
hold = "10m"
decay = "10m"

[users]
count = 100_000

[components.lb]
kind = "load_balancer"
policy = "sticky"
backends = "app"
health_check = { interval = "10s", failures = 3 }

[components.app]
kind = "service"
instance_type = "t3.medium"
service_time = "exp(mean = 20ms)"
calls = ["db.read"]
timeout = "2s"

[components.app.autoscale]
min = 2
max = 10
scale_up_at = 0.7
scale_down_at = 0.3

[components.db]
kind = "database"
read_time = "exp(mean = 2ms)"

[[faults]]
at = "20m"
kind = "instance_crash"
target = "app"
instance = 1
restart_after = "5m"
"#;

fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("a number")
}

#[test]
#[ignore = "run in a child process by a_simulated_week_uses_the_memory_of_an_hour"]
fn memory_child() {
    let hours: u64 = std::env::var("STAGESIM_MEMORY_HOURS").expect("set by the parent").parse().unwrap();
    let mut model = stagesim::parse_scenario("memory.toml", SCENARIO).unwrap();
    model.duration = hours * 3_600_000_000_000;
    let s = stagesim::run(&model);
    println!("MEMORY {hours} {} {} {}", s.requests.arrived, s.windows.len(), peak_kib());
}

/// (requests, windows, peak KiB) of a run of `hours` simulated hours, in a fresh process.
fn child(hours: u64) -> (u64, u64, u64) {
    let me = std::env::current_exe().unwrap();
    let out = Command::new(me)
        .args(["memory::memory_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env("STAGESIM_MEMORY_HOURS", hours.to_string())
        .output()
        .expect("the test binary runs");
    let text = String::from_utf8_lossy(&out.stdout);
    // libtest prints the test's name on the same line, before what the test prints.
    let line = text.lines().find_map(|l| l.split_once("MEMORY ")).unwrap_or_else(|| panic!("child output:\n{text}")).1;
    let f: Vec<u64> = line.split_whitespace().skip(1).take(3).map(|x| x.parse().unwrap()).collect();
    (f[0], f[1], f[2])
}

#[test]
fn a_simulated_week_uses_the_memory_of_an_hour() {
    let (hour_requests, hour_windows, hour_kib) = child(1);
    let (week_requests, week_windows, week_kib) = child(168);
    println!(
        "1 h: {hour_requests} requests, peak {hour_kib} KiB; 168 h: {week_requests} requests, peak {week_kib} KiB"
    );
    assert!(week_requests > 30 * hour_requests, "{week_requests} vs {hour_requests} requests");
    assert!(hour_windows <= 1_001 && week_windows <= 1_001, "{hour_windows} and {week_windows} windows");
    // 10% covers allocator noise; anything kept per request or per event would add
    // megabytes over three million requests.
    assert!(
        (week_kib as f64) <= 1.10 * hour_kib as f64,
        "peak memory {week_kib} KiB for a week vs {hour_kib} KiB for an hour"
    );
}
