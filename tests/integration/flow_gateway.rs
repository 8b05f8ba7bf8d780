//! `kind = "gateway"`: per-client rate limiting keeps a scraper from raising everyone's P99;
//! the global limit caps admitted traffic; authentication is a queueing station (its price).

use crate::flow_support::{edit, extra, rejects, run_text};
use crate::queueing::erlang_c;

/// Ten ordinary users sending 10/s each, and one scraper sending 20 times that (200/s), in
/// front of an app that serves 250/s: without a per-client limit the app is overloaded.
const SCRAPED: &str = r#"[scenario]
name = "scraper behind a gateway"
duration = "2m"
warmup = "20s"

[load]
rate = "300/s"

[requests]
normal = 0.3333333333333333
scraper = 0.6666666666666667

[users]
count = 10
dedicated = { scraper = 1 }

[components.gateway]
kind = "gateway"
backends = "app"
per_client_limit = "20/s"

[components.app]
kind = "service"
cores = 2
max_in_flight = 1000
queue = 5000
service_time = "exp(mean = 8ms)"
"#;

fn p99(s: &stagesim::Summary, class: &str) -> f64 {
    s.classes[class].latency_s.p99
}

#[test]
fn a_per_client_limit_keeps_a_scraper_from_raising_the_others_p99() {
    let limited = run_text(SCRAPED, Some(11));
    let unlimited = run_text(&edit(SCRAPED, "per_client_limit = \"20/s\"\n", ""), Some(11));
    // Without the scraper at all: the ordinary users alone (the app at utilization 0.4).
    let alone = run_text(
        &edit(SCRAPED, "normal = 0.3333333333333333\nscraper = 0.6666666666666667", "normal = 1.0")
            .replace("rate = \"300/s\"", "rate = \"100/s\"")
            .replace("dedicated = { scraper = 1 }", ""),
        Some(11),
    );
    // Unlimited, 300/s into 250/s: the queue grows all run and the normal P99 goes to seconds.
    assert!(p99(&unlimited, "normal") > 2.0, "unlimited: {}", p99(&unlimited, "normal"));
    // Limited, the scraper gets 20/s (utilization 0.48 instead of 0.4): the others' P99 stays
    // within 25% of what it is without any scraper.
    let (with, without) = (p99(&limited, "normal"), p99(&alone, "normal"));
    assert!(with < 1.25 * without, "normal P99 {with} with a limited scraper vs {without} alone");
    // The scraper's excess is answered 429 and counted; ordinary users are not limited.
    let scraper = &limited.classes["scraper"].requests;
    let rejected = extra(&limited, "gateway", "rejected_client_limit");
    assert_eq!(rejected, scraper.rejected as f64);
    assert_eq!(limited.classes["normal"].requests.rejected, 0);
    let admitted_rate = scraper.completed as f64 / limited.measured_s;
    assert!((admitted_rate - 20.0).abs() < 1.0, "the scraper is held to 20/s: {admitted_rate}");
    assert_eq!(extra(&limited, "gateway", "rejected_rate_limited"), rejected);
}

#[test]
fn the_global_limit_caps_admitted_traffic() {
    let text = edit(SCRAPED, "per_client_limit = \"20/s\"", "rate_limit = \"150/s\"\nburst = 10");
    let s = run_text(&text, Some(12));
    let admitted = extra(&s, "gateway", "admitted") / s.measured_s;
    assert!((admitted - 150.0).abs() < 3.0, "admitted {admitted}/s");
    assert_eq!(extra(&s, "gateway", "rejected_global_limit"), s.requests.rejected as f64);
    // Both classes lose their share: the global bucket does not know who is abusive.
    assert!(s.classes["normal"].requests.rejected > 1000);
}

/// Authentication on 2 servers, exp(mean = 1 ms), at 1500/s: an M/M/2 station at 0.75, in
/// front of a backend with a constant 1 ms.
const AUTH: &str = r#"[scenario]
name = "authentication cost"
duration = "2m"
warmup = "10s"

[load]
rate = "1500/s"

[components.gateway]
kind = "gateway"
backends = "app"
auth_time = "exp(mean = 1ms)"
servers = 2

[components.app]
kind = "service"
cores = 64
service_time = "1ms"
"#;

#[test]
fn authentication_costs_an_mmc_station() {
    let (c, lambda, mu) = (2, 1500.0, 1000.0);
    let theory = 1.0 / mu + erlang_c(c, lambda / mu) / (f64::from(c) * mu - lambda) + 0.001;
    let runs: Vec<f64> = (0..6).map(|i| run_text(AUTH, Some(40 + i)).latency_s.mean).collect();
    let (mean, sd) = stagesim::stats::mean_sd(&runs);
    // 3 standard errors over 6 replications plus 1% (warm-up bias), as the queueing tests.
    let tol = 3.0 * sd / 6f64.sqrt() + 0.01 * theory;
    assert!((mean - theory).abs() < tol, "mean latency {mean} vs M/M/2 + backend {theory} (tol {tol})");
    let s = run_text(AUTH, Some(40));
    let g = &s.components["gateway"];
    assert!((g.utilization - 0.75).abs() < 0.02, "auth servers at {}", g.utilization);
    assert!((g.wait_probability - erlang_c(c, lambda / mu)).abs() < 0.02);
}

#[test]
fn gateway_keys_are_validated() {
    rejects(
        &edit(SCRAPED, "per_client_limit = \"20/s\"", "per_client_limit = \"20\""),
        "components.gateway.per_client_limit",
        "per_client_limit",
        20,
        "needs a time unit",
        "20/s",
    );
    rejects(
        &edit(SCRAPED, "per_client_limit = \"20/s\"", "burst = 5"),
        "components.gateway.burst",
        "burst = 5",
        9,
        "needs a rate limit",
        "add the limit",
    );
    rejects(
        &edit(SCRAPED, "per_client_limit = \"20/s\"", "per_client_limit = \"20/s\"\nper_client_burst = 0"),
        "components.gateway.per_client_burst",
        "per_client_burst = 0",
        20,
        "at least 1",
        "no burst",
    );
    rejects(
        &edit(SCRAPED, "per_client_limit = \"20/s\"", "servers = 4"),
        "components.gateway.auth_time",
        "[components.gateway]",
        1,
        "need an `auth_time`",
        "auth_time = ",
    );
    rejects(
        &edit(SCRAPED, "dedicated = { scraper = 1 }", "dedicated = { scrapers = 1 }"),
        "users.dedicated.scrapers",
        "dedicated = ",
        26,
        "not a request class",
        "normal, scraper",
    );
    rejects(
        &edit(SCRAPED, "backends = \"app\"", "backends = \"ap\""),
        "components.gateway.backends",
        "backends = \"ap\"",
        12,
        "no component named `ap`",
        "`app`",
    );
}
