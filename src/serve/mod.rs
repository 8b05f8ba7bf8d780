//! `stagesim serve`: the playground, a local web page over the library.
//!
//! A thin layer: tiny_http parses HTTP; every request gets its own thread (at most
//! `MAX_CONNECTIONS` at once, above which a request is answered 503 at once), so a long run
//! never blocks the page's validation or a newer run. The page (`page.html`, `page.js`,
//! `page.css`, embedded with `include_str!`, no network needed) posts the editor's text and
//! the controls' overrides; `api` validates and runs them with the same code as `stagesim run`
//! and returns the same `Summary` JSON, with the diagram and charts rendered from it. A newer
//! run from the same page raises the older one's cancel flag, which the engine's window hook
//! reads (`run`). `guard` refuses requests from anywhere but our own page and scenarios that
//! name files outside the folder the server was started for.

pub mod api;
pub mod charts;
pub mod controls;
pub mod diagram;
pub mod faults;
pub mod guard;
pub mod run;

use crate::diag::Error;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Requests handled at once; more are refused with 503 rather than queued without bound.
pub const MAX_CONNECTIONS: usize = 32;
/// The largest request body: far above any scenario a person types.
pub const MAX_BODY_BYTES: u64 = 2 << 20;
/// Pages whose latest run is remembered (for cancelling it); the oldest is forgotten first.
const MAX_CLIENTS: usize = 64;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The scenario to open (default: an empty page). Files it names must lie in its folder.
    pub file: Option<String>,
    /// The port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
}

/// What the server knows: the file it was started for, its folder, the token, the runs.
pub struct Session {
    /// The scenario's name in diagnostics (as given on the command line).
    pub file: String,
    /// The scenario's folder (relative paths in it resolve here) and the folder files must
    /// stay in.
    pub dir: PathBuf,
    pub root: PathBuf,
    pub text: String,
    pub token: String,
    pub port: u16,
    /// The cancel flag of each page's latest run, by the page's id, in arrival order.
    runs: Mutex<Vec<(String, Arc<AtomicBool>)>>,
    live: AtomicUsize,
}

impl Session {
    /// A new run for `client`: raises the flag of its previous run, if still going.
    pub fn supersede(&self, client: &str) -> Arc<AtomicBool> {
        let flag = api::new_flag();
        let mut runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = runs.iter().position(|(c, _)| c == client) {
            api::raise(&runs.remove(i).1);
        }
        if runs.len() >= MAX_CLIENTS {
            runs.remove(0);
        }
        runs.push((client.to_string(), flag.clone()));
        flag
    }

    /// A run is over: forget its flag unless a newer run replaced it.
    pub fn finished(&self, client: &str, flag: &Arc<AtomicBool>) {
        let mut runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        runs.retain(|(c, f)| !(c == client && Arc::ptr_eq(f, flag)));
    }
}

/// The session for `file` (or the current folder, with an empty scenario).
pub fn session(file: Option<&str>, port: u16) -> Result<Session, Error> {
    let (name, text, dir) = match file {
        Some(f) => {
            let text = crate::load::read_input(f, "scenario")?;
            let dir = std::path::Path::new(f).parent().map(|p| p.to_path_buf()).unwrap_or_default();
            (f.to_string(), text, dir)
        }
        None => ("scenario.toml".to_string(), crate::init::Template::LoadBalancer.text().to_string(), PathBuf::new()),
    };
    let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
    let token = guard::new_token().map_err(|e| Error::Usage(format!("cannot read the OS random source: {e}")))?;
    Ok(Session {
        file: name,
        root: dir.clone(),
        dir,
        text,
        token,
        port,
        runs: Mutex::new(Vec::new()),
        live: AtomicUsize::new(0),
    })
}

/// The command: serves until SIGINT or SIGTERM.
pub fn main(a: &ServeArgs) -> Result<String, Error> {
    let server = tiny_http::Server::http(("127.0.0.1", a.port))
        .map_err(|e| Error::Usage(format!("cannot listen on 127.0.0.1:{}: {e}", a.port)))?;
    let port = server.server_addr().to_ip().map_or(a.port, |s| s.port());
    let s = Arc::new(session(a.file.as_deref(), port)?);
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "stagesim playground: http://127.0.0.1:{port}/?token={}", s.token);
        let _ = writeln!(out, "(only this address, with its token, opens it; Ctrl-C stops the server)");
        let _ = out.flush();
    }
    while !crate::progress::stop_requested() {
        let request = match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => return Err(Error::Usage(format!("the server stopped: {e}"))),
        };
        if s.live.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            s.live.fetch_sub(1, Ordering::SeqCst);
            let _ = request.respond(text(503, "busy: too many requests at once, try again"));
            continue;
        }
        let s = s.clone();
        std::thread::spawn(move || {
            handle(&s, request);
            s.live.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok("stagesim playground stopped\n".into())
}

type Response = tiny_http::Response<std::io::Cursor<Vec<u8>>>;

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("ASCII header")
}

fn with_headers(r: Response, content_type: &str) -> Response {
    // A length, never chunks: every body is in memory already.
    r.with_chunked_threshold(usize::MAX)
        .with_header(header("Content-Type", content_type))
        .with_header(header("Cache-Control", "no-store"))
        .with_header(header("X-Content-Type-Options", "nosniff"))
        .with_header(header("Referrer-Policy", "no-referrer"))
        .with_header(header("X-Frame-Options", "DENY"))
}

fn text(code: u16, body: &str) -> Response {
    with_headers(Response::from_string(body).with_status_code(code), "text/plain; charset=utf-8")
}

fn json(value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_string(value).expect("serializes");
    with_headers(Response::from_string(body), "application/json")
}

fn header_value<'a>(r: &'a tiny_http::Request, name: &'static str) -> Option<&'a str> {
    r.headers().iter().find(|h| h.field.equiv(name)).map(|h| h.value.as_str())
}

/// Why a request is refused, if it is: the Host, the Origin, then the token.
pub fn refusal(s: &Session, host: Option<&str>, origin: Option<&str>, token: Option<&str>) -> Option<&'static str> {
    if !guard::host_ok(host, s.port) {
        Some("refused: the Host header must be 127.0.0.1 or localhost with this server's port")
    } else if !guard::origin_ok(origin, s.port) {
        Some("refused: requests must come from the playground's own page")
    } else if !token.is_some_and(|t| guard::same_token(t, &s.token)) {
        Some("refused: open the address the server printed, with its token")
    } else {
        None
    }
}

fn handle(s: &Session, mut rq: tiny_http::Request) {
    let url = rq.url().to_string();
    let token = guard::token_of(header_value(&rq, "X-Stagesim-Token"), &url);
    if let Some(why) = refusal(s, header_value(&rq, "Host"), header_value(&rq, "Origin"), token) {
        let _ = rq.respond(text(403, why));
        return;
    }
    let path = url.split('?').next().unwrap_or("");
    let response = match (rq.method(), path) {
        (tiny_http::Method::Get, "/") => page(s),
        (tiny_http::Method::Post, api_path) => match body(&mut rq) {
            Ok(design) => route(s, api_path, &design),
            Err(why) => text(400, &why),
        },
        _ => text(404, "not found"),
    };
    let _ = rq.respond(response);
}

fn body(rq: &mut tiny_http::Request) -> Result<api::Design, String> {
    let mut raw = Vec::new();
    rq.as_reader()
        .take(MAX_BODY_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| format!("cannot read the request: {e}"))?;
    if raw.len() as u64 > MAX_BODY_BYTES {
        return Err(format!("the request is over {} MiB", MAX_BODY_BYTES >> 20));
    }
    serde_json::from_slice(&raw).map_err(|e| format!("not a design: {e}"))
}

fn route(s: &Session, path: &str, d: &api::Design) -> Response {
    match path {
        "/api/state" => json(&serde_json::json!({
            "file": s.file,
            "text": s.text,
            "controls": controls::controls(&s.text),
        })),
        "/api/validate" => json(&api::validate(s, d)),
        "/api/run" => json(&api::run_design(s, d)),
        "/api/fault" => {
            let Ok(model) = api::model_of(s, d) else {
                return json(&serde_json::json!({ "error": "fix the scenario's errors first" }));
            };
            match faults::add(&model, &d.text, d.fault.as_deref().unwrap_or("")) {
                Ok(t) => json(&serde_json::json!({ "text": t })),
                Err(e) => json(&serde_json::json!({ "error": e })),
            }
        }
        _ => text(404, "not found"),
    }
}

/// The page, with its script and style inlined and the token in a meta tag (the script sends
/// it with every request).
fn page(s: &Session) -> Response {
    let html = include_str!("page.html")
        .replace("{{TOKEN}}", &s.token)
        .replace("{{STYLE}}", include_str!("page.css"))
        .replace("{{SCRIPT}}", include_str!("page.js"));
    with_headers(Response::from_string(html), "text/html; charset=utf-8").with_header(header(
        "Content-Security-Policy",
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'",
    ))
}
