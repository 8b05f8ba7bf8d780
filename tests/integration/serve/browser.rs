//! The playground in a real headless Chromium, driven through ChromeDriver (WebDriver) as a
//! person uses it: move the instance slider with the arrow keys, pin a design, press a fault
//! button, type a mistake. Assertions are on what the page shows, never on timings (waits poll
//! the page with a generous deadline). CI installs Chromium and ChromeDriver (.ci/run); where
//! neither is installed and CI is not set, the test says so and passes.
//! `STAGESIM_SCREENSHOTS=DIR` saves a screenshot of each view (the README's come from here).

use super::{http, Server, STAGE3};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    child: Child,
    port: u16,
    session: String,
    profile: PathBuf,
}

impl Driver {
    fn start() -> Option<Driver> {
        if !(std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists()) {
            assert!(std::env::var_os("CI").is_none(), "CI must have chromium and chromedriver (.ci/run installs them)");
            eprintln!("chromium or chromedriver not installed: browser test skipped outside CI");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = std::env::temp_dir().join(format!("stagesim-serve-chromium-{}", std::process::id()));
        let mut d = Driver { child, port, session: String::new(), profile };
        let started = Instant::now();
        while d.raw("GET", "/status", "").0 != 200 {
            assert!(started.elapsed() < Duration::from_secs(30), "chromedriver did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1500,1900",
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", d.profile.display()));
        let caps = json!({ "capabilities": { "alwaysMatch": { "goog:chromeOptions": { "binary": CHROMIUM, "args": args } } } });
        let (code, body) = d.raw("POST", "/session", &caps.to_string());
        assert_eq!(code, 200, "new session: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        d.session = v["value"]["sessionId"].as_str().unwrap().to_string();
        Some(d)
    }

    fn raw(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        http(self.port, method, path, &[("Host".into(), format!("127.0.0.1:{}", self.port))], body)
    }

    /// A WebDriver command on the session; its `value`.
    fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let body = if method == "GET" { String::new() } else { body.to_string() };
        let (code, text) = self.raw(method, &format!("/session/{}{path}", self.session), &body);
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(code, 200, "{method} {path}: {text}");
        v["value"].clone()
    }

    fn find(&self, css: &str) -> Option<String> {
        let (code, text) = self.raw(
            "POST",
            &format!("/session/{}/element", self.session),
            &json!({ "using": "css selector", "value": css }).to_string(),
        );
        let v: Value = serde_json::from_str(&text).ok()?;
        (code == 200).then(|| v["value"][ELEMENT].as_str().map(String::from))?
    }

    fn text(&self, css: &str) -> String {
        let Some(e) = self.find(css) else { return String::new() };
        self.cmd("GET", &format!("/element/{e}/text"), Value::Null).as_str().unwrap_or("").to_string()
    }

    fn attr(&self, css: &str, name: &str) -> Option<String> {
        let e = self.find(css)?;
        self.cmd("GET", &format!("/element/{e}/attribute/{name}"), Value::Null).as_str().map(String::from)
    }

    fn keys(&self, css: &str, keys: &str) {
        let e = self.find(css).unwrap_or_else(|| panic!("no {css}"));
        self.cmd("POST", &format!("/element/{e}/value"), json!({ "text": keys }));
    }

    fn click(&self, css: &str) {
        let e = self.find(css).unwrap_or_else(|| panic!("no {css}"));
        self.cmd("POST", &format!("/element/{e}/click"), json!({}));
    }

    fn wait(&self, what: &str, ok: impl Fn(&Driver) -> bool) {
        let started = Instant::now();
        while !ok(self) {
            let status = self.text("#status");
            assert!(started.elapsed() < Duration::from_secs(180), "waited too long for {what} (status: {status})");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Saves the page as `name` under `$STAGESIM_SCREENSHOTS`, when it is set.
    fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("STAGESIM_SCREENSHOTS") else { return };
        let b64 = self.cmd("GET", "/screenshot", Value::Null);
        let png = base64(b64.as_str().unwrap());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(PathBuf::from(dir).join(name), png).unwrap();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.raw("DELETE", &format!("/session/{}", self.session), "");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn base64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = s.bytes().filter(|c| !matches!(c, b'=' | b'\n' | b'\r')).collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= u32::from(val(c)) << (18 - 6 * i);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// The P99 the page shows, in milliseconds.
fn p99_ms(d: &Driver) -> f64 {
    let t = d.text("#p99");
    t.trim_end_matches(" ms").parse().unwrap_or_else(|_| panic!("P99 shown as {t:?}"))
}

fn shown(d: &Driver, instances: u32) -> bool {
    d.text("#command").contains(&format!("components.app.instances={instances}"))
        && d.text("#status").starts_with("updated")
}

#[test]
fn serve_in_a_browser_the_instance_slider_moves_p99_and_the_bottleneck() {
    let server = Server::start(STAGE3);
    let Some(d) = Driver::start() else { return };
    d.cmd("POST", "/url", json!({ "url": server.url() }));
    d.wait("the first run", |d| !matches!(d.text("#run-count").as_str(), "0" | ""));
    let (p99_3, hot_3) = (p99_ms(&d), d.attr("#diagram .node.bottleneck", "data-component"));
    assert_eq!(hot_3.as_deref(), Some("app"), "three instances: the app servers are the bottleneck");
    assert!(d.text("#bottleneck").contains("`app`"), "{}", d.text("#bottleneck"));
    d.screenshot("01-stage3.png");

    let slider = "input[data-key='components.app.instances']";
    d.keys(slider, "\u{E012}\u{E012}"); // two presses of the left arrow: 3 -> 1
    d.wait("the run with one instance", |d| shown(d, 1));
    let (p99_1, hot_1) = (p99_ms(&d), d.attr("#diagram .node.bottleneck", "data-component"));
    assert!(p99_1 > 5.0 * p99_3, "one instance: P99 {p99_1} ms against {p99_3} ms with three");
    assert!(!d.text("#errors").starts_with("0.0%"), "one instance drops requests: {}", d.text("#errors"));
    assert_eq!(hot_1.as_deref(), Some("app"));
    d.screenshot("02-one-instance.png");

    d.click("#pin");
    d.keys(slider, &"\u{E014}".repeat(5)); // five presses of the right arrow: 1 -> 6
    d.wait("the run with six instances", |d| shown(d, 6));
    let (p99_6, hot_6) = (p99_ms(&d), d.attr("#diagram .node.bottleneck", "data-component"));
    assert!(p99_6 < p99_1 / 5.0, "six instances: P99 {p99_6} ms against {p99_1} ms with one");
    assert_eq!(hot_6.as_deref(), Some("db"), "with six app servers the database is the busiest");
    assert!(d.text("#bottleneck").contains("`db`"), "{}", d.text("#bottleneck"));
    let compare = d.text("#compare");
    assert!(compare.contains("components.app.instances=1") && compare.contains("db"), "{compare}");
    d.screenshot("03-six-instances-against-one.png");

    d.click("#faults button[data-fault='crash']");
    d.wait("the crash's run", |d| d.text("#fault-list").contains("instance_crash app"));
    assert!(d.find("#charts figure[data-name='p99 latency (ms)'] svg").is_some(), "the time series are drawn");
    d.screenshot("04-crash-an-instance.png");

    d.keys("#editor", "\n[components.app\n");
    d.wait("the located error", |d| d.text("#diagnostics").contains(&format!("{STAGE3}:")));
    let diags = d.text("#diagnostics");
    assert!(diags.contains(STAGE3), "the error names the file and line: {diags}");
    assert!(d.find("#gutter .bad").is_some(), "the line is marked in the gutter");
    assert!(d.text("#status").contains("errors"), "{}", d.text("#status"));
    d.screenshot("05-located-error.png");
}
