//! CI outputs checked by their real consumers: the JUnit file against Jenkins' `junit-10.xsd`
//! with `xmllint`, the OpenMetrics file with `promtool check metrics` and by a real
//! Pushgateway on loopback; GitHub's annotation cap; Mermaid ids that no component name can
//! break; tables that keep their columns with a 30-character name.
//!
//! `.ci/run` installs the tools (Debian's libxml2-utils, prometheus, prometheus-pushgateway)
//! and extracts the schema; outside CI a missing tool skips its check with a message.

use stagesim::check::{check, junit, openmetrics, CheckOptions};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CAPACITY: &str = "scenarios/ci/capacity.toml";
const JOURNEY: &str = "scenarios/ci/journey/journey.toml";
const KEYWORDS: &str = "tests/fixtures/keyword-names.toml";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A check of `files` (relative to the crate root, which is the tests' working directory).
fn report(files: &[&str], duration_s: u64) -> stagesim::check::Report {
    let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
    let opts = CheckOptions { duration_ns: Some(duration_s * 1_000_000_000), ..Default::default() };
    check(&files, &opts).unwrap_or_else(|e| panic!("{e}")).0
}

/// The path of a tool, or None (a failure under CI, which installs it: see .ci/run).
fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI must have `{name}` (.ci/run installs it)");
        eprintln!("`{name}` not installed: its check is skipped outside CI");
    }
    found
}

/// Scratch file in the temp directory, unique to this process and test.
fn scratch(name: &str, content: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("stagesim-ci-{}-{name}", std::process::id()));
    std::fs::write(&p, content).unwrap();
    p
}

/// `(classname, name)` of every test case.
fn case_keys(xml: &str) -> Vec<(String, String)> {
    let attr = |line: &str, key: &str| {
        let at = line.find(&format!(" {key}=\"")).unwrap_or_else(|| panic!("no {key} in {line}")) + key.len() + 3;
        line[at..at + line[at..].find('"').unwrap()].to_string()
    };
    xml.lines()
        .filter(|l| l.trim_start().starts_with("<testcase "))
        .map(|l| (attr(l, "classname"), attr(l, "name")))
        .collect()
}

#[test]
fn junit_cases_are_unique_timed_and_valid_against_junit_10_xsd() {
    let xml = junit::render(&report(&[CAPACITY, JOURNEY], 30));
    let keys = case_keys(&xml);
    assert_eq!(keys.len(), 21, "8 + 8 + 3 + 2 thresholds:\n{xml}");
    let unique: BTreeSet<_> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "duplicate (classname, name) pairs:\n{xml}");
    assert!(keys.iter().any(|(c, _)| c == "scenarios/ci/journey/journey.toml#1 Three app servers"), "{keys:?}");
    // Every element a reader takes a duration from has one, and the numbers add up:
    // 30 simulated seconds x 5 replications per suite, 4 suites.
    for tag in ["<testsuites ", "<testsuite ", "<testcase "] {
        for l in xml.lines().filter(|l| l.trim_start().starts_with(tag)) {
            assert!(l.contains(" time=\""), "no time on {l}");
        }
    }
    assert!(
        xml.contains("<testsuites name=\"stagesim check\" tests=\"21\" failures=\"0\" errors=\"0\" time=\"600.000\">")
    );
    assert!(xml.contains("skipped=\"0\" time=\"150.000\">"), "{xml}");
    validate_junit(&xml);
}

/// `xmllint --schema junit-10.xsd`: the schema is the Jenkins xUnit plugin's, as pytest ships
/// it in its source distribution (`.ci/run` extracts it to target/ci-tools/junit-10.xsd,
/// or set STAGESIM_JUNIT_XSD). That version has no `file` and `line` on test cases, which
/// GitLab and most readers take: only those two attributes are stripped before validating.
fn validate_junit(xml: &str) {
    let Some(xmllint) = tool("xmllint") else { return };
    let xsd = std::env::var_os("STAGESIM_JUNIT_XSD")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/ci-tools/junit-10.xsd"));
    if !xsd.is_file() {
        assert!(std::env::var_os("CI").is_none(), "CI must have {} (.ci/run extracts it)", xsd.display());
        eprintln!("{} missing: schema validation skipped outside CI", xsd.display());
        return;
    }
    let stripped: String = xml
        .lines()
        .map(|l| {
            if !l.trim_start().starts_with("<testcase ") {
                return format!("{l}\n");
            }
            let mut l = l.to_string();
            for key in [" file=\"", " line=\""] {
                if let Some(at) = l.find(key) {
                    let end = at + key.len() + l[at + key.len()..].find('"').unwrap() + 1;
                    l.replace_range(at..end, "");
                }
            }
            format!("{l}\n")
        })
        .collect();
    assert_eq!(stripped.matches(" file=\"").count(), 0);
    let file = scratch("junit.xml", &stripped);
    let out = Command::new(xmllint).arg("--noout").arg("--schema").arg(&xsd).arg(&file).output().unwrap();
    let _ = std::fs::remove_file(&file);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "xmllint rejects the JUnit file:\n{said}\n{stripped}");
}

#[test]
fn openmetrics_passes_promtool_and_the_pushgateway() {
    let text = openmetrics::render(&report(&[CAPACITY, JOURNEY, KEYWORDS], 20));
    assert!(text.ends_with("# EOF\n"));
    for old in ["stateset", "_latency_s_", "_per_s{", "stagesim_errors_rate", "stagesim_cost_monthly_usd"] {
        assert!(!text.contains(old), "`{old}` is an old name or type:\n{text}");
    }
    for new in [
        "stagesim_component_latency_seconds{scenario=\"scenarios/ci/capacity.toml\",component=\"db\",stat=\"p99\",estimate=\"mean\"}",
        "# UNIT stagesim_component_utilization_ratio ratio",
        "stagesim_errors_ratio{",
        "stagesim_throughput_per_second{",
        "stagesim_cost_usd_per_month{",
        "stagesim_threshold_verdict{scenario=\"scenarios/ci/capacity.toml\",threshold=\"errors rate < 0.1%\",verdict=\"pass\"} 1",
    ] {
        assert!(text.contains(new), "missing `{new}`:\n{text}");
    }
    if let Some(promtool) = tool("promtool") {
        let mut child = Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && said.trim().is_empty(), "promtool check metrics:\n{said}");
    }
    if let Some(bin) = tool("prometheus-pushgateway") {
        push_to_a_real_pushgateway(&bin, &text);
    }
}

/// A Pushgateway we started: killed (by its own handle) when the test ends, even on panic.
struct Gateway(Child);

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.0 request on loopback; returns the status code and the body.
fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let code = answer.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, answer.split_once("\r\n\r\n").map_or(String::new(), |(_, b)| b.to_string()))
}

fn push_to_a_real_pushgateway(bin: &Path, text: &str) {
    // A free port: bind to port 0 on loopback, read it, release it.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(bin)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the Pushgateway starts");
    let _gateway = Gateway(child);
    // Readiness, not speed: the bound only keeps a broken install from hanging the suite.
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(60), "the Pushgateway never listened on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (code, body) = http(port, "POST", "/metrics/job/stagesim", text);
    assert_eq!(code, 200, "the Pushgateway rejected the file: {body}");
    let (code, scraped) = http(port, "GET", "/metrics", "");
    assert_eq!(code, 200);
    let kept = scraped.lines().filter(|l| l.starts_with("stagesim_component_latency_seconds{")).count();
    assert_eq!(kept, text.lines().filter(|l| l.starts_with("stagesim_component_latency_seconds{")).count());
    assert!(scraped.contains("job=\"stagesim\""), "{scraped}");
    assert!(scraped.contains("stagesim_threshold_verdict{"), "the verdicts were kept");
}

#[test]
fn mermaid_ids_survive_keyword_names_and_a_component_called_users() {
    let model = stagesim::load_scenario(root().join(KEYWORDS).to_str().unwrap()).unwrap();
    let graph = stagesim::report::graph::mermaid(&model);
    const KEYWORDS_OF_MERMAID: &[&str] = &[
        "graph",
        "flowchart",
        "subgraph",
        "end",
        "style",
        "class",
        "classDef",
        "click",
        "linkStyle",
        "call",
        "href",
        "callback",
        "default",
        "direction",
        "interpolate",
        "users",
    ];
    let mut lines = graph.lines();
    assert_eq!(lines.next(), Some("flowchart LR"));
    let (mut nodes, mut edges) = (Vec::new(), Vec::new());
    for l in lines.map(str::trim) {
        if let Some((a, b)) = l.split_once(" --> ") {
            edges.push((a.to_string(), b.to_string()));
        } else {
            // `ID["label"]` or `ID((label))`: the id is everything before the shape.
            let at = l.find(['[', '(']).unwrap_or_else(|| panic!("not a node: {l}"));
            nodes.push((l[..at].to_string(), l[at..].to_string()));
        }
    }
    let ids: BTreeSet<&str> = nodes.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids.len(), nodes.len(), "node ids are unique:\n{graph}");
    assert_eq!(nodes.len(), model.components.len() + 1, "every component and the client:\n{graph}");
    for id in &ids {
        assert!(!KEYWORDS_OF_MERMAID.iter().any(|k| k.eq_ignore_ascii_case(id)), "`{id}` is a keyword:\n{graph}");
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "`{id}`: only letters and digits");
        assert!(!id.starts_with(['o', 'x']), "`{id}`: `--> o`/`--> x` read as edge ends");
    }
    for c in &model.components {
        let labelled = nodes.iter().filter(|(_, shape)| shape.starts_with(&format!("[\"{}<br/>", c.name))).count();
        assert_eq!(labelled, 1, "`{}` has its own node with its real name:\n{graph}", c.name);
    }
    assert!(nodes.iter().any(|(_, shape)| shape == "((users))"), "the client keeps its label");
    for (a, b) in &edges {
        assert!(ids.contains(a.as_str()) && ids.contains(b.as_str()), "edge {a} --> {b} to an undeclared node");
    }
    assert_eq!(edges.len(), model.edges().len() + 1, "{graph}");
    let dot = stagesim::report::graph::dot(&model);
    assert!(dot.contains("\"(users)\" [shape=circle, label=\"users\"];") && dot.contains("\"users\" [shape=box"));
}

/// The column where `word` starts in the header line that begins with `first`.
fn columns_line_up(table: &str, first: &str, names: &[&str]) {
    let header = table.lines().find(|l| l.starts_with(first)).unwrap_or_else(|| panic!("no `{first}` in:\n{table}"));
    let rows: Vec<&str> = table.lines().filter(|l| names.iter().any(|n| l.starts_with(&format!("{n} ")))).collect();
    assert_eq!(rows.len(), names.len(), "{table}");
    // The second column starts at the same place in the header and every row, after a space.
    let col = header[first.len()..].find(|c: char| c != ' ').unwrap() + first.len();
    for r in &rows {
        assert_eq!(&r[col - 1..col], " ", "row out of line with the header:\n{header}\n{r}");
        assert_ne!(&r[col..col + 1], " ", "row out of line with the header:\n{header}\n{r}");
    }
}

#[test]
fn tables_keep_their_columns_with_a_30_character_name() {
    let model = stagesim::load_scenario(root().join(KEYWORDS).to_str().unwrap()).unwrap();
    let names: Vec<&str> = model.components.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains(&"recipe_image_thumbnail_service") && "recipe_image_thumbnail_service".len() == 30);
    let s = stagesim::run(&model);
    columns_line_up(&stagesim::report::text::render(&s), "component", &names);
    let e = stagesim::explain::explain(&model, Some(&s));
    columns_line_up(&stagesim::report::explain_text::render(&e), "component", &names);
    // The check table: the message column starts at the same place on every line.
    let text = stagesim::check::text::render(&report(&[KEYWORDS], 10));
    let messages: BTreeSet<usize> = text
        .lines()
        .filter(|l| l.starts_with("  PASS"))
        .map(|l| l.find("p(99)=").or_else(|| l.find("utilization=")).unwrap())
        .collect();
    assert_eq!(messages.len(), 1, "messages out of line:\n{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("  PASS")).count(), 2, "{text}");
}

#[test]
fn annotations_stop_at_githubs_cap_and_count_the_rest() {
    // Twelve thresholds no run can meet: GitHub would show ten of their errors.
    let limits = [
        "latency = [\"p(50) < 1us\", \"p(90) < 1us\", \"p(95) < 1us\", \"p(99) < 1us\", \"p(99.9) < 1us\", \"max < 1us\", \"avg < 1us\"]",
        "errors = [\"rate > 50%\"]",
        "throughput = [\"rate > 1000000/s\"]",
        "cost = [\"monthly_usd > 1000000\", \"hourly_usd > 1000000\"]",
        "components.app.utilization = \"< 0.0001\"",
    ];
    let one = std::fs::read_to_string(root().join("tests/fixtures/stage-one.toml")).unwrap();
    let file = scratch("twelve.toml", &format!("{one}\n[thresholds]\n{}\n", limits.join("\n")));
    let summary = std::env::temp_dir().join(format!("stagesim-ci-{}-summary.md", std::process::id()));
    let _ = std::fs::remove_file(&summary);
    let out = Command::new(env!("CARGO_BIN_EXE_stagesim"))
        .args(["check", file.to_str().unwrap(), "--duration", "5s"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("::error ")).count(), 10, "{stderr}");
    let notice: Vec<&str> = stderr.lines().filter(|l| l.starts_with("::notice ")).collect();
    assert_eq!(notice.len(), 1, "{stderr}");
    assert!(notice[0].contains("::2 more errors not annotated (GitHub shows 10 of each level per step)"), "{stderr}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("**Note:** 2 more errors not annotated"), "{md}");
    assert_eq!(md.matches("| ❌ fail |").count(), 12, "the summary lists every verdict:\n{md}");
    assert!(md.contains("```mermaid\nflowchart LR\n    client((users))\n    c0[\"app<br/>service\"]"), "{md}");
    let _ = std::fs::remove_file(&summary);
    let _ = std::fs::remove_file(&file);
}
