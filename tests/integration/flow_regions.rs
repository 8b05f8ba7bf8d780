//! Regions: users pay the round trip between their region and the one serving them; a
//! geo-DNS sends each user to the nearest region that is up; components in different regions
//! pay the inter-region latency on every call.

use crate::flow_support::{edit, extra, rejects, run_text};
use stagesim::Summary;

/// One region: users in us-east and eu-west all reach the stack in us-east.
const ONE_REGION: &str = r#"[scenario]
name = "one region"
duration = "2m"
warmup = "10s"
region = "us-east"

[load]
rate = "400/s"

[users]
count = 100000
regions = { us-east = 0.5, eu-west = 0.5 }

[components.lb_us]
kind = "load_balancer"
backends = "app_us"

[components.app_us]
kind = "service"
instances = 2
cores = 4
service_time = "exp(mean = 5ms)"
"#;

/// The same stack again in eu-west, and a geo-DNS in front of both.
fn two_regions() -> String {
    let dns = "[components.dns]\nkind = \"geo_dns\"\ntargets = [\"lb_us\", \"lb_eu\"]\n\n[components.lb_us]";
    let eu = "\n[components.lb_eu]\nkind = \"load_balancer\"\nregion = \"eu-west\"\nbackends = \"app_eu\"\n\n\
              [components.app_eu]\nkind = \"service\"\nregion = \"eu-west\"\ninstances = 2\ncores = 4\n\
              service_time = \"exp(mean = 5ms)\"\n";
    edit(ONE_REGION, "[components.lb_us]", dns) + eu
}

fn mean(s: &Summary, region: &str) -> f64 {
    s.regions[region].latency_s.mean
}

#[test]
fn eu_users_pay_the_atlantic_without_an_eu_region() {
    let one = run_text(ONE_REGION, Some(9));
    let two = run_text(&two_regions(), Some(9));
    // us-east <-> eu-west RTT is 80 ms and in-region 1 ms (models/regions.toml): without an EU
    // region, EU users wait 79 ms more than US users for the same work. Tolerance 2 ms: the
    // two groups' queueing means differ by sampling noise only (~20,000 requests each).
    let gap = mean(&one, "eu-west") - mean(&one, "us-east");
    assert!((gap - 0.079).abs() < 0.002, "EU - US with one region: {gap}");
    // With an EU region behind geo-DNS, they are as close to theirs as US users are.
    let gap2 = mean(&two, "eu-west") - mean(&two, "us-east");
    assert!(gap2.abs() < 0.002, "EU - US with two regions: {gap2}");
    let saved = mean(&one, "eu-west") - mean(&two, "eu-west");
    assert!((saved - 0.079).abs() < 0.003, "an EU region saves EU users {saved}");
    // Each user went to the region of its own: every EU request to lb_eu, every US one to lb_us.
    assert_eq!(extra(&two, "dns", "routed_to_lb_eu"), two.regions["eu-west"].requests.arrived as f64);
    assert_eq!(extra(&two, "dns", "routed_to_lb_us"), two.regions["us-east"].requests.arrived as f64);
}

#[test]
fn geo_dns_picks_the_nearest_region_that_is_up() {
    // Targets in us-east and eu-central; users in eu-west (20 ms from eu-central, 80 from
    // us-east) and ap-northeast (145 ms from us-east, 237 from eu-central).
    let text = two_regions()
        .replace("regions = { us-east = 0.5, eu-west = 0.5 }", "regions = { eu-west = 0.6, ap-northeast = 0.4 }")
        .replace("region = \"eu-west\"", "region = \"eu-central\"");
    let s = run_text(&text, Some(4));
    assert_eq!(extra(&s, "dns", "routed_to_lb_eu"), s.regions["eu-west"].requests.arrived as f64);
    assert_eq!(extra(&s, "dns", "routed_to_lb_us"), s.regions["ap-northeast"].requests.arrived as f64);
    assert!((mean(&s, "ap-northeast") - mean(&s, "eu-west") - (0.145 - 0.020)).abs() < 0.003);
    // The EU target down: everyone goes to us-east.
    let down = run_text(
        &edit(&text, "targets = [\"lb_us\", \"lb_eu\"]", "targets = [\"lb_us\", \"lb_eu\"]\ndown = [\"lb_eu\"]"),
        Some(4),
    );
    assert_eq!(extra(&down, "dns", "routed_to_lb_eu"), 0.0);
    assert_eq!(extra(&down, "dns", "targets_up"), 1.0);
    assert_eq!(down.requests.completed, down.requests.arrived);
    assert!((mean(&down, "eu-west") - mean(&s, "eu-west") - (0.080 - 0.020)).abs() < 0.003);
}

#[test]
fn calls_between_regions_pay_the_round_trip_unless_a_link_says_otherwise() {
    // An app in us-east reading a database placed in eu-west: 80 ms more per request.
    let local = edit(
        ONE_REGION,
        "service_time = \"exp(mean = 5ms)\"",
        "service_time = \"exp(mean = 5ms)\"\ncalls = [\"db.read\"]",
    ) + "\n[components.db]\nkind = \"database\"\nread_time = \"2ms\"\n";
    let far = local.replace("read_time = \"2ms\"", "region = \"eu-west\"\nread_time = \"2ms\"");
    let (a, b) = (run_text(&local, Some(2)), run_text(&far, Some(2)));
    let added = mean(&b, "us-east") - mean(&a, "us-east");
    assert!((added - 0.080).abs() < 0.002, "a call across the Atlantic adds {added}");
    let linked = far.clone() + "\n[[links]]\nbetween = [\"app_us\", \"db\"]\nlatency = \"10ms\"\n";
    let c = run_text(&linked, Some(2));
    let added = mean(&c, "us-east") - mean(&a, "us-east");
    assert!((added - 0.020).abs() < 0.002, "an explicit link wins: {added}");
}

#[test]
fn region_keys_are_validated() {
    rejects(
        &edit(ONE_REGION, "backends = \"app_us\"", "backends = \"app_us\"\nregion = \"eu-wset\""),
        "components.lb_us.region",
        "region = \"eu-wset\"",
        10,
        "unknown region `eu-wset`",
        "`eu-west`",
    );
    rejects(
        &edit(ONE_REGION, "eu-west = 0.5", "mars = 0.5"),
        "users.regions.mars",
        "mars = 0.5",
        35,
        "unknown region `mars`",
        "models/regions.toml",
    );
    rejects(
        &edit(ONE_REGION, "region = \"us-east\"", "region = \"us-esat\""),
        "scenario.region",
        "region = \"us-esat\"",
        10,
        "unknown region",
        "`us-east`",
    );
    let two = two_regions();
    rejects(
        &edit(&two, "targets = [\"lb_us\", \"lb_eu\"]", "targets = [\"lb_us\", \"lb_us\"]"),
        "components.dns.targets.1",
        "targets = ",
        21,
        "listed twice",
        "once",
    );
    rejects(
        &edit(&two, "targets = [\"lb_us\", \"lb_eu\"]", "targets = [\"lb_us\", \"lb_eu\"]\ndown = [\"lb_de\"]"),
        "components.dns.down.0",
        "down = ",
        9,
        "not one of the targets",
        "lb_us, lb_eu",
    );
    rejects(
        &edit(&two, "regions = { us-east = 0.5, eu-west = 0.5 }\n", ""),
        "components.dns.kind",
        "kind = \"geo_dns\"",
        8,
        "names no regions",
        "[users] regions",
    );
    rejects(
        &edit(&two, "kind = \"geo_dns\"", "kind = \"geo_dns\"\nregion = \"ap-northeast\""),
        "components.dns.region",
        "region = \"ap-northeast\"",
        10,
        "has no `region`",
        "remove `region`",
    );
}
