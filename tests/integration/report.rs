//! Journey reports: the files are written, and the HTML renders in a real headless browser.

use stagesim::journey::{load_journey, run::run_journey};
use std::process::Command;

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| std::path::Path::new(p).exists())
}

#[test]
fn journey_extends_and_writes_its_report() {
    let j = load_journey(&fixture("small-journey.toml")).unwrap();
    assert_eq!(j.stages.len(), 2);
    assert_eq!(j.stages[1].model.components.len(), 2, "the second stage extends the first");
    let s = run_journey(&j, &|| {});
    let (one, two) = (&s.stages[0], &s.stages[1]);
    // One server of 2 cores at 5 ms tops out below 400/s; two servers near twice that.
    let (c1, c2) = (one.capacity_per_s.unwrap(), two.capacity_per_s.unwrap());
    assert!(c1 < 400.0 && c2 > 1.6 * c1, "capacities {c1} and {c2}");
    assert!(one.points[2].latency_s_p99 > two.points[2].latency_s_p99);
    assert_eq!(one.bottleneck.as_ref().unwrap().component, "app");
    let dir = std::env::temp_dir().join(format!("stagesim-report-{}", std::process::id()));
    stagesim::report::files::write_journey(dir.to_str().unwrap(), &s).unwrap();
    for f in ["summary.json", "report.md", "report.html"] {
        assert!(dir.join(f).metadata().unwrap().len() > 500, "{f}");
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.matches("<svg").count() >= 4, "charts are inline SVG");
    assert!(!html.contains("src=\"http"), "self-contained");
    // A phone lays it out at its own width, and every chart has an accessible name.
    assert!(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    for svg in html.split("<svg").skip(1) {
        let open_end = svg.find('>').unwrap();
        assert!(svg[open_end..].starts_with("><title>"), "an SVG without a title: <svg{}", &svg[..open_end + 40]);
    }
    assert!(html.contains("role=\"img\"><title>Utilization</title>"));
    // The heat map uses viridis (colour-blind safe) rather than a red-to-green ramp: its
    // cells' fills are colours of that map and none is the old ramp's.
    let heat = html.split("<title>Utilization</title>").nth(1).unwrap().split("</svg>").next().unwrap();
    let viridis: Vec<String> = (0..=1000)
        .map(|k| stagesim::report::charts::viridis(f64::from(k) / 1000.0))
        .map(|c| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2))
        .collect();
    let cells: Vec<&str> = heat
        .split("<rect")
        .skip(1)
        .filter_map(|r| r.split("fill=\"").nth(1).map(|f| &f[..7]))
        .filter(|f| *f != "#FFFFFF")
        .collect();
    assert!(!cells.is_empty(), "the heat map has cells");
    assert!(cells.iter().all(|c| viridis.iter().any(|v| v == c)), "cells off the viridis map: {cells:?}");
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert_eq!(md.matches("```mermaid\nflowchart LR\n").count(), 2, "a diagram per stage:\n{md}");
    assert!(md.contains("### Stage 2: Two servers behind a balancer"), "{md}");
    render_in_browser(&dir.join("report.html"));
}

/// Loads the page in headless Chromium and checks the DOM it built: the charts are there
/// and have their axes' text. CI installs Chromium (see .ci/run); elsewhere it is required
/// only when CI is set.
fn render_in_browser(page: &std::path::Path) {
    let Some(bin) = chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI must have Chromium (.ci/run installs it)");
        eprintln!("chromium not installed: browser check skipped outside CI");
        return;
    };
    let profile = std::env::temp_dir().join(format!("stagesim-chromium-{}", std::process::id()));
    let out = Command::new(bin)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("<svg"), "the browser built the SVG charts");
    assert!(dom.contains("P99 latency vs offered load") && dom.contains("requests/s"), "chart text rendered");
    assert!(dom.contains("Two servers behind a balancer"), "stage table rendered");
    assert!(dom.contains("<title>Utilization</title>"), "the SVG titles survive the browser's parser");
}
