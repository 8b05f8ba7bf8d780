//! The files of a journey report: `summary.json`, `report.md` and a self-contained
//! `report.html` with inline SVG charts.

use super::charts;
use crate::check::evaluate::Outcome;
use crate::journey::run::{JourneySummary, StageSummary};
use crate::units::human_secs;
use std::fmt::Write;

/// The report's files, by name.
pub fn journey_files(j: &JourneySummary) -> Vec<(String, Vec<u8>)> {
    vec![
        ("summary.json".into(), (serde_json::to_string_pretty(j).expect("serializes") + "\n").into_bytes()),
        ("report.md".into(), markdown(j).into_bytes()),
        ("report.html".into(), html(j).into_bytes()),
    ]
}

/// Whether a file in a report directory is one a journey report writes (or wrote in an
/// earlier version): only such a directory is replaced.
pub fn is_report_file(name: &str) -> bool {
    matches!(name, "summary.json" | "report.md" | "report.html") || name.ends_with(".svg")
}

/// Writes the report into `dir`, replacing a previous report there as a whole
/// (`output_file::write_set`): a reader never sees files of two runs side by side.
pub fn write_journey(dir: &str, j: &JourneySummary) -> Result<(), crate::diag::Error> {
    crate::output_file::write_set(dir, &journey_files(j), &is_report_file)
}

fn cap(s: &StageSummary) -> String {
    s.capacity_per_s.map_or("-".into(), |c| format!("{c:.0}/s"))
}

fn users(u: Option<f64>) -> String {
    u.map_or("-".into(), |u| format!("{u:.0}"))
}

fn change(s: &StageSummary) -> String {
    let Some(c) = &s.change else { return String::new() };
    let mut out = Vec::new();
    if let Some(r) = c.capacity_ratio {
        out.push(format!("capacity x{r:.2}"));
    }
    out.push(format!("cost {:+.0} USD/month", c.cost_usd_per_month_delta));
    out.join(", ")
}

/// The bill table's header and rows (already formatted): per stage its parts, total and change.
pub fn bill_rows(j: &JourneySummary) -> (String, Vec<[String; 8]>) {
    let title = format!("The bill at {:.0}/s ({}), USD/month", j.bill_rate_per_s, j.bill_load);
    let rows = j
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let b = &s.bill.parts;
            let on_demand = if s.bill.compute_on_demand_usd_per_month > b.compute_usd_per_month + 0.005 {
                format!(" ({:.0} on demand)", s.bill.compute_on_demand_usd_per_month)
            } else {
                String::new()
            };
            [
                (i + 1).to_string(),
                s.name.clone(),
                format!("{:.0}{on_demand}", b.compute_usd_per_month),
                format!("{:.0}", b.storage_usd_per_month),
                format!("{:.0}", b.transfer_usd_per_month),
                format!("{:.0}", b.requests_usd_per_month),
                format!("{:.0}", s.cost_usd_per_month),
                s.change.as_ref().map_or(String::new(), |c| format!("{:+.0}", c.cost_usd_per_month_delta)),
            ]
        })
        .collect();
    (title, rows)
}

const BILL_HEAD: [&str; 8] = ["#", "stage", "compute", "storage", "transfer", "requests", "total", "change"];

fn bill_md(j: &JourneySummary, o: &mut String) {
    let (title, rows) = bill_rows(j);
    let _ = writeln!(o, "## {title}\n\n| {} |\n|{}", BILL_HEAD.join(" | "), "---|".repeat(BILL_HEAD.len()));
    for r in rows {
        let _ = writeln!(o, "| {} |", r.join(" | "));
    }
    let _ = writeln!(
        o,
        "\nCompute is instances at their pricing option; usage (storage, transfer, requests) at tiered list prices \
         (models/prices.toml) on the stage's monthly volume at this load.\n"
    );
    let mut notes: Vec<&String> = j.stages.iter().flat_map(|s| &s.bill.notes).collect();
    notes.dedup();
    for n in notes {
        let _ = writeln!(o, "Note: {n}.\n");
    }
}

/// The stage table in Markdown.
pub fn markdown(j: &JourneySummary) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n\n{}\n", j.journey, j.description);
    let _ = writeln!(
        o,
        "Criteria: P99 <= {}, error ratio <= {:.2}%. Each point: {} replication(s) of {} simulated, seed {}; every stage sees the same requests.\n",
        human_secs(j.criteria.latency_s_p99_max),
        j.criteria.error_ratio_max * 100.0,
        j.replications,
        human_secs(j.point_duration_s),
        j.seed
    );
    let mut head = format!(
        "| # | stage | capacity | users at capacity | bill USD/month @ {:.0}/s | USD per M req |",
        j.bill_rate_per_s
    );
    let mut rule = String::from("|---|---|---|---|---|---|");
    for r in &j.rates_per_s {
        let _ = write!(head, " p99 @ {r:.0}/s |");
        rule.push_str("---|");
    }
    let _ = writeln!(o, "{head} change |\n{rule}---|");
    for (i, s) in j.stages.iter().enumerate() {
        let per_m = s.cost_usd_per_million_requests.map_or("-".into(), |c| format!("{c:.3}"));
        let mut row = format!(
            "| {} | {} | {} | {} | {:.0} | {per_m} |",
            i + 1,
            s.name,
            cap(s),
            users(s.capacity_users),
            s.cost_usd_per_month
        );
        for p in &s.points {
            let mark = if p.meets_criteria { "" } else { " ✗" };
            let _ = write!(row, " {}{mark} |", human_secs(p.latency_s_p99));
        }
        let _ = writeln!(o, "{row} {} |", change(s));
    }
    let _ = writeln!(o, "\n✗ = misses the criteria at that load.\n");
    bill_md(j, &mut o);
    gates_md(j, &mut o);
    claims_md(j, &mut o);
    let _ = writeln!(o, "## Bottlenecks\n");
    for (i, s) in j.stages.iter().enumerate() {
        if let Some(b) = &s.bottleneck {
            let _ = writeln!(o, "{}. **{}** — {} Relieved by {}.", i + 1, s.name, b.sentence, b.relieved_by);
        }
    }
    architectures_md(j, &mut o);
    o
}

/// Each stage's architecture as a Mermaid block, which GitHub and GitLab render as a diagram.
fn architectures_md(j: &JourneySummary, o: &mut String) {
    if j.stages.iter().all(|s| s.mermaid.is_empty()) {
        return;
    }
    let _ = writeln!(o, "\n## Architectures\n");
    for (i, s) in j.stages.iter().enumerate().filter(|(_, s)| !s.mermaid.is_empty()) {
        let _ = writeln!(o, "### Stage {}: {}\n\n```mermaid\n{}```\n", i + 1, s.name, s.mermaid);
    }
}

fn verdict_line(v: &crate::journey::claims::Verdict) -> String {
    let fmt = |x: Option<f64>| x.map_or("n/a".to_string(), |x| format!("{x:.4}"));
    let tail = if v.holds { "holds" } else { "**the simulation disagrees with the article here**" };
    let note = if v.note.is_empty() { String::new() } else { format!(": {}", v.note) };
    format!(
        "stage {}: \"{}\" ({}) — `{}`: {} vs {} — {tail}{note}",
        v.stage,
        v.says,
        v.source,
        v.check,
        fmt(v.value),
        fmt(v.bound)
    )
}

fn claims_md(j: &JourneySummary, o: &mut String) {
    if j.claims.is_empty() {
        return;
    }
    let _ = writeln!(o, "## Claims from the articles\n");
    for v in &j.claims {
        let mark = if v.holds { "✓" } else { "✗" };
        let _ = writeln!(o, "- {mark} {}", verdict_line(v));
    }
    let _ = writeln!(o);
}

fn criteria_line(c: &crate::journey::run::CriteriaSummary) -> String {
    format!(
        "P99 <= {}, error ratio <= {:.2}% (its own `[stages.capacity]`)",
        human_secs(c.latency_s_p99_max),
        c.error_ratio_max * 100.0
    )
}

/// Stage criteria of their own, and each stage's threshold verdicts at the check load.
fn gates_md(j: &JourneySummary, o: &mut String) {
    for (i, s) in j.stages.iter().enumerate() {
        if let Some(c) = &s.criteria {
            let _ = writeln!(o, "Stage {} criteria: {}.\n", i + 1, criteria_line(c));
        }
    }
    if j.stages.iter().all(|s| s.check.is_none()) {
        return;
    }
    let _ = writeln!(o, "## Thresholds\n");
    for (i, s) in j.stages.iter().enumerate() {
        let Some(g) = &s.check else { continue };
        let _ = writeln!(
            o,
            "### Stage {}: {} — {} at {:.0}/s ({} replications)\n",
            i + 1,
            s.name,
            g.status.label(),
            g.rate_per_s,
            g.replications
        );
        let _ = writeln!(o, "| threshold | measured (mean ± 95% CI) | verdict |\n|---|---|---|");
        for t in &g.thresholds {
            let mark = match t.outcome {
                Outcome::Pass => "✓ pass",
                Outcome::Fail => "✗ fail",
                Outcome::Inconclusive => "? inconclusive",
            };
            let _ = writeln!(o, "| `{}` | {} | {mark} |", t.name.replace('|', "\\|"), t.message.replace('|', "\\|"));
        }
        let _ = writeln!(o);
    }
}

fn gates_html(j: &JourneySummary, o: &mut String) {
    for (i, s) in j.stages.iter().enumerate() {
        if let Some(c) = &s.criteria {
            let _ = writeln!(o, "<p>Stage {} criteria: {}.</p>", i + 1, escape(&criteria_line(c).replace('`', "")));
        }
    }
    if j.stages.iter().all(|s| s.check.is_none()) {
        return;
    }
    let _ = writeln!(o, "<h2>Thresholds</h2>");
    for (i, s) in j.stages.iter().enumerate() {
        let Some(g) = &s.check else { continue };
        let _ = writeln!(
            o,
            "<h3>Stage {}: {} — {} at {:.0}/s ({} replications)</h3><table><tr><th>threshold</th><th>measured (mean ± 95% CI)</th><th>verdict</th></tr>",
            i + 1,
            escape(&s.name),
            g.status.label(),
            g.rate_per_s,
            g.replications
        );
        for t in &g.thresholds {
            let class = if t.outcome == Outcome::Pass { "" } else { " class=\"miss\"" };
            let _ = writeln!(
                o,
                "<tr><td style=\"text-align:left\">{}</td><td>{}</td><td{class}>{}</td></tr>",
                escape(&t.name),
                escape(&t.message),
                t.outcome.label()
            );
        }
        let _ = writeln!(o, "</table>");
    }
}

/// Gives an inline SVG a `<title>` (its accessible name, read by screen readers and shown on
/// hover) and `role="img"`: plotters writes neither.
fn titled(svg: &str, title: &str) -> String {
    let Some(end) = svg.find("<svg").and_then(|i| svg[i..].find('>').map(|e| i + e)) else {
        return svg.to_string();
    };
    if svg[..end].ends_with('/') {
        return svg.to_string();
    }
    format!("{} role=\"img\"><title>{}</title>{}", &svg[..end], escape(title), &svg[end + 1..])
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A self-contained HTML page: tables and inline SVG charts, no external assets.
pub fn html(j: &JourneySummary) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>\n<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 8px;color:#222}}table{{border-collapse:collapse;font-size:13px;display:block;overflow-x:auto;max-width:100%}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}td:nth-child(2){{text-align:left}}.miss{{color:#c00}}figure{{margin:1em 0}}svg{{max-width:100%;height:auto}}</style></head><body>\n",
        escape(&j.journey)
    );
    let _ = writeln!(o, "<h1>{}</h1><p>{}</p>", escape(&j.journey), escape(&j.description));
    let _ = writeln!(
        o,
        "<h2>Stages</h2><table><tr><th>#</th><th>stage</th><th>capacity</th><th>users</th><th>USD/month</th>"
    );
    for r in &j.rates_per_s {
        let _ = write!(o, "<th>p99 @ {r:.0}/s</th>");
    }
    let _ = writeln!(o, "<th>bottleneck</th></tr>");
    for (i, s) in j.stages.iter().enumerate() {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0}</td>",
            i + 1,
            escape(&s.name),
            cap(s),
            users(s.capacity_users),
            s.cost_usd_per_month
        );
        for p in &s.points {
            let class = if p.meets_criteria { "" } else { " class=\"miss\"" };
            let _ = write!(o, "<td{class}>{}</td>", human_secs(p.latency_s_p99));
        }
        let b =
            s.bottleneck.as_ref().map_or(String::new(), |b| format!("{} Relieved by {}.", b.sentence, b.relieved_by));
        let _ = writeln!(o, "<td style=\"text-align:left\">{}</td></tr>", escape(&b));
    }
    let _ = writeln!(o, "</table>");
    let (title, rows) = bill_rows(j);
    let _ = write!(o, "<h2>{}</h2><table><tr>", escape(&title));
    for h in BILL_HEAD {
        let _ = write!(o, "<th>{h}</th>");
    }
    let _ = writeln!(o, "</tr>");
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| format!("<td>{}</td>", escape(c))).collect();
        let _ = writeln!(o, "<tr>{}</tr>", cells.concat());
    }
    let _ = writeln!(o, "</table>");
    gates_html(j, &mut o);
    if !j.claims.is_empty() {
        let _ = writeln!(o, "<h2>Claims from the articles</h2><ul>");
        for v in &j.claims {
            let (mark, class) = if v.holds { ("✓", "") } else { ("✗", " class=\"miss\"") };
            let _ = writeln!(o, "<li{class}>{mark} {}</li>", escape(&verdict_line(v).replace("**", "")));
        }
        let _ = writeln!(o, "</ul>");
    }
    for (title, svg) in [
        ("Latency versus load", charts::latency_vs_load(j)),
        ("Capacity and cost", charts::capacity_and_cost(j)),
        ("Utilization", charts::utilization_map(j)),
    ] {
        let _ = writeln!(o, "<h2>{title}</h2><figure>{}</figure>", titled(&svg, title));
    }
    if let Some(ts) = &j.timeseries {
        let _ = writeln!(o, "<h2>Time series: {} at {:.0}/s</h2>", escape(&ts.stage), ts.rate_per_s);
        for (name, svg) in charts::timeseries(j) {
            let _ = writeln!(o, "<figure>{}</figure>", titled(&svg, &name));
        }
    }
    o.push_str("</body></html>\n");
    o
}
