//! `stagesim serve`: the playground's server as a browser and an attacker see it. The server is
//! started on an ephemeral port and always killed when the test ends (the guard's `Drop`).
//! The requests are written by hand on a TcpStream: the refusal tests need to send a wrong
//! Host header, which an HTTP client library would not let through.

mod browser;

use crate::scratch::Scratch;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const STAGE3: &str = "scenarios/recipeshare/03-load-balancer.toml";

/// A running `stagesim serve`, killed on drop.
pub struct Server {
    child: Child,
    pub port: u16,
    pub token: String,
}

impl Server {
    pub fn start(file: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stagesim"))
            .args(["serve", file, "--port", "0"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("stagesim serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| {
            let _ = child.kill();
            panic!("no address printed: {line:?}")
        });
        let rest = url.strip_prefix("http://127.0.0.1:").expect("bound to 127.0.0.1");
        let (port, token) = rest.split_once("/?token=").unwrap();
        Server { port: port.parse().unwrap(), token: token.to_string(), child }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/?token={}", self.port, self.token)
    }

    /// A request with our Host and token unless `headers` says otherwise.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
        let mut all: Vec<(String, String)> = vec![("Host".into(), format!("127.0.0.1:{}", self.port))];
        all.retain(|(k, _)| !headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(k)));
        all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        http(self.port, method, path, &all, body)
    }

    pub fn post(&self, path: &str, body: &serde_json::Value) -> serde_json::Value {
        let (code, text) = self.request("POST", path, &[("X-Stagesim-Token", &self.token)], &body.to_string());
        assert_eq!(code, 200, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 exchange on a fresh connection; the status and the body (status 0: nothing
/// listens there).
pub fn http(port: u16, method: &str, path: &str, headers: &[(String, String)], body: &str) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return (0, String::new()) };
    s.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    // Read until the body announced by Content-Length is in (some servers keep the socket).
    loop {
        let n = s.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = complete(&raw) {
            raw.truncate(end);
            break;
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, body.to_string())
}

fn complete(raw: &[u8]) -> Option<usize> {
    let text = String::from_utf8_lossy(raw);
    let head_end = text.find("\r\n\r\n")? + 4;
    let len = text[..head_end].lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse::<usize>().ok())?
    })?;
    (raw.len() >= head_end + len).then_some(head_end + len)
}

fn stage3() -> String {
    std::fs::read_to_string(format!("{}/{STAGE3}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn serve_refuses_requests_without_the_token_or_from_another_host_or_page() {
    let s = Server::start(STAGE3);
    let page = format!("/?token={}", s.token);
    let (code, body) = s.request("GET", &page, &[], "");
    assert_eq!(code, 200);
    assert!(body.contains("stagesim playground") && body.contains(&s.token));
    let (code, body) = s.request("GET", "/", &[], "");
    assert_eq!((code, body.contains("token")), (403, true), "{body}");
    let (code, _) = s.request("GET", "/?token=0123456789abcdef0123456789abcdef", &[], "");
    assert_eq!(code, 403, "a wrong token");
    // DNS rebinding: the right port and token under another name.
    let (code, body) = s.request("GET", &page, &[("Host", &format!("evil.example:{}", s.port))], "");
    assert_eq!((code, body.contains("Host")), (403, true), "{body}");
    let (code, body) = s.request("GET", &page, &[("Origin", "http://evil.example")], "");
    assert_eq!((code, body.contains("own page")), (403, true), "{body}");
    let ours = format!("http://127.0.0.1:{}", s.port);
    assert_eq!(s.request("GET", &page, &[("Origin", &ours)], "").0, 200);
    // The API needs the token too.
    let (code, _) = s.request("POST", "/api/state", &[], "{\"text\":\"\"}");
    assert_eq!(code, 403);
    let state = s.post("/api/state", &serde_json::json!({ "text": "" }));
    assert_eq!(state["text"], stage3());
}

#[test]
fn serve_places_errors_as_the_command_line_does_and_refuses_files_outside_its_folder() {
    let dir = Scratch::new("serve", "errors");
    let bad = "[scenario]\nname = \"x\"\nduration = \"1m\"\n[load]\nrat = \"10/s\"\n";
    let file = dir.write("bad.toml", bad);
    let s = Server::start(&file);
    let v = s.post("/api/validate", &serde_json::json!({ "text": bad }));
    assert_eq!(v["ok"], false);
    let d = &v["diagnostics"][0];
    assert_eq!((d["line"].as_u64(), d["column"].as_u64(), d["key"].as_str()), (Some(5), Some(1), Some("load.rat")));
    let cli = Command::new(env!("CARGO_BIN_EXE_stagesim")).args(["validate", &file]).output().unwrap();
    let stderr = String::from_utf8_lossy(&cli.stderr);
    assert!(stderr.contains(d["rendered"].as_str().unwrap()), "the same diagnostic as `validate`:\n{stderr}\n{d}");
    // A syntax error is located too, and nothing runs.
    let r = s.post("/api/run", &serde_json::json!({ "text": "[load\nrate = 1" }));
    assert_eq!(r["status"], "invalid");
    assert_eq!(r["validated"]["diagnostics"][0]["line"], 1);
    // A trace outside the folder is refused at its place; one inside is read.
    let outside = format!("{}\n[[load.shapes]]\nkind = \"replay\"\nfile = \"../elsewhere.csv\"\n", stage3());
    let v = s.post("/api/validate", &serde_json::json!({ "text": outside }));
    let d = &v["diagnostics"][0];
    assert!(d["message"].as_str().unwrap().contains("outside the folder"), "{v}");
    assert_eq!(d["key"], "load.shapes.file");
    let v = s.post("/api/validate", &serde_json::json!({ "text": outside.replace("../elsewhere.csv", "/etc/passwd") }));
    assert!(v["diagnostics"][0]["message"].as_str().unwrap().contains("outside the folder"), "{v}");
}

#[test]
fn serve_runs_the_same_summary_as_stagesim_run() {
    let s = Server::start(STAGE3);
    let sets = ["components.app.instances=2", "load.rate=600/s"];
    let r =
        s.post("/api/run", &serde_json::json!({ "text": stage3(), "sets": sets, "duration": "20s", "client": "t" }));
    assert_eq!(r["status"], "done", "{r}");
    let cli = Command::new(env!("CARGO_BIN_EXE_stagesim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", STAGE3, "--format", "json", "--duration", "20s", "--quiet"])
        .args(sets.iter().flat_map(|s| ["--set", s]))
        .output()
        .unwrap();
    let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(r["summary"], cli, "the page's summary is the command line's");
    assert!(r["command"].as_str().unwrap().contains("--set components.app.instances=2"));
    let diagram = r["diagram"].as_str().unwrap();
    let hot = r["bottleneck"]["component"].as_str().unwrap();
    assert!(diagram.contains(&format!("class=\"node bottleneck\" data-component=\"{hot}\"")), "{diagram}");
    assert!(r["charts"].as_array().unwrap().iter().any(|c| c[0] == "p99 latency (ms)"));
    // An override with a mistake is placed on the command line, as `run --set` places it.
    let r = s.post("/api/run", &serde_json::json!({ "text": stage3(), "sets": ["components.ap.instances=2"] }));
    let d = &r["validated"]["diagnostics"][0];
    assert_eq!(d["file"], "command line");
    assert!(d["help"].as_str().unwrap().contains("app"), "{d}");
}

#[test]
fn serve_cancels_a_superseded_run_and_keeps_answering_meanwhile() {
    let s = std::sync::Arc::new(Server::start(STAGE3));
    // Ten simulated hours: far longer than the test lets it run.
    let long =
        serde_json::json!({ "text": stage3().replace("duration = \"10m\"", "duration = \"10h\""), "client": "page" });
    let first = {
        let s = s.clone();
        std::thread::spawn(move || s.post("/api/run", &long))
    };
    let short = serde_json::json!({ "text": stage3(), "duration": "5s", "client": "page" });
    let started = Instant::now();
    // Each short run supersedes the page's current run; one of them lands after the long
    // run has started, and cancels it.
    while !first.is_finished() {
        assert!(started.elapsed() < Duration::from_secs(120), "the long run was never cancelled");
        let v = s.post("/api/validate", &serde_json::json!({ "text": stage3() }));
        assert_eq!(v["ok"], true, "validation answers while a run is going");
        // A short run sent before the long one reached the server is itself superseded by it.
        let r = s.post("/api/run", &short);
        assert!(r["status"] == "done" || r["status"] == "cancelled", "{}", r["status"]);
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = first.join().unwrap();
    assert_eq!(r["status"], "cancelled", "{}", r["status"]);
    assert!(r["summary"].is_null(), "a cancelled run shows no numbers");
    // With nothing left to supersede it, a short run finishes.
    let r = s.post("/api/run", &short);
    assert_eq!(r["status"], "done");
}

#[test]
fn serve_fault_buttons_append_to_the_text() {
    let s = Server::start(STAGE3);
    let r = s.post("/api/fault", &serde_json::json!({ "text": stage3(), "fault": "crash", "duration": "1m" }));
    let text = r["text"].as_str().unwrap();
    assert!(text.starts_with(&stage3()) && text.contains("kind = \"instance_crash\""));
    let run = s.post("/api/run", &serde_json::json!({ "text": text, "duration": "1m" }));
    assert_eq!(run["summary"]["faults"][0]["kind"], "instance_crash", "{}", run["summary"]["faults"]);
    let r = s.post("/api/fault", &serde_json::json!({ "text": stage3(), "fault": "flush" }));
    assert!(r["error"].as_str().unwrap().contains("no cache"));
}
