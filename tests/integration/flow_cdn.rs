//! `kind = "cdn"` and `kind = "object_storage"`: edges near the users cut the static-asset
//! latency of far-away users and the origin's egress; usage is priced per GB and request.

use crate::flow_support::{edit, extra, rejects, run_text};
use stagesim::prices::Prices;

/// Users on both sides of the Atlantic fetch 200 KiB photos straight from a bucket in us-east.
const DIRECT: &str = r#"[scenario]
name = "photos without a CDN"
duration = "2m"
warmup = "20s"
region = "us-east"

[load]
rate = "500/s"

[sizes]
default = "200KiB"

[keys]
count = 100000

[users]
count = 100000
regions = { us-east = 0.5, eu-west = 0.5 }

[components.photos]
kind = "object_storage"
first_byte_time = "20ms"
throughput = "100MB/s"
stored = "500GiB"
"#;

fn with_cdn() -> String {
    let cdn = "[components.cdn]\nkind = \"cdn\"\norigin = \"photos\"\ncapacity = 20000\n\n[components.photos]";
    edit(DIRECT, "[components.photos]", cdn)
}

#[test]
fn a_cdn_cuts_latency_for_far_users_and_origin_egress() {
    let direct = run_text(DIRECT, Some(5));
    let cdn = run_text(&with_cdn(), Some(5));
    let eu = |s: &stagesim::Summary| s.regions["eu-west"].latency_s.clone();
    let us = |s: &stagesim::Summary| s.regions["us-east"].latency_s.clone();
    // Without a CDN, a user in eu-west pays the Atlantic both ways (RTT 80 ms) on top of the
    // bucket's 20 ms + 2 ms transfer; a user in us-east only the 1 ms in-region RTT.
    let transfer = 204_800.0 / 100e6;
    assert!((eu(&direct).p50 - (0.080 + 0.020 + transfer)).abs() < 0.002, "{}", eu(&direct).p50);
    assert!((us(&direct).p50 - (0.001 + 0.020 + transfer)).abs() < 0.002, "{}", us(&direct).p50);
    // With an edge in eu-west, most photos are hits served 1 ms RTT + 1 ms edge time away.
    let hit_ratio = extra(&cdn, "cdn", "hit_ratio");
    assert!(hit_ratio > 0.6, "hit ratio {hit_ratio}");
    assert!((eu(&cdn).p50 - 0.002).abs() < 0.0005, "eu P50 with a CDN {}", eu(&cdn).p50);
    assert!(eu(&cdn).mean < 0.5 * eu(&direct).mean, "{} vs {}", eu(&cdn).mean, eu(&direct).mean);
    // A miss in eu-west crosses to the bucket and back: the tail is still transatlantic.
    assert!(eu(&cdn).p99 > 0.1, "{}", eu(&cdn).p99);
    // Origin egress: every photo without a CDN, only misses with one.
    let direct_egress = direct.components["photos"].egress_bytes as f64;
    let origin_fetch = extra(&cdn, "cdn", "origin_fetch_bytes");
    assert!(direct_egress > 0.0 && cdn.components["photos"].egress_bytes == 0);
    let miss_share = 1.0 - hit_ratio;
    assert!((origin_fetch / direct_egress - miss_share).abs() < 0.05, "{origin_fetch} / {direct_egress}");
    assert!(extra(&cdn, "photos", "gets") < 0.4 * extra(&direct, "photos", "gets"));
}

#[test]
fn usage_is_priced_per_gb_and_request_and_extrapolated_to_a_month() {
    let p = Prices::shipped();
    let gib = (1u64 << 30) as f64;
    let month_s = 730.0 * 3600.0;
    let direct = run_text(DIRECT, Some(6));
    let s = direct.measured_s;
    let photos = &direct.components["photos"];
    // Tiered schedules on the month's volume (the bucket is the only user of each).
    let expect = p.internet_egress.usd(photos.egress_bytes as f64 / gib * month_s / s)
        + p.storage_get.usd(extra(&direct, "photos", "gets") / 1e3 * month_s / s)
        + p.storage.usd(500.0);
    assert!((photos.usage_usd_per_month - expect).abs() < 1e-6 * expect, "{} vs {expect}", photos.usage_usd_per_month);
    assert_eq!(photos.cost_usd_per_month, photos.usage_usd_per_month, "a bucket has no instances");
    assert!((direct.cost.usage_usd_per_month - photos.usage_usd_per_month).abs() < 1e-9);
    assert!((direct.cost.usd_per_month - direct.cost.usd_per_hour * 730.0).abs() < 1e-6);
    // 500/s x 200 KiB is ~244 TiB a month: about 16,500 USD of internet egress at EC2's tiers
    // (22,000 at the first tier's price).
    assert!((15_000.0..19_000.0).contains(&photos.usage_usd_per_month), "{}", photos.usage_usd_per_month);
    let cdn = run_text(&with_cdn(), Some(6));
    let c = &cdn.components["cdn"];
    let m = month_s / cdn.measured_s;
    let expect = p.cdn_egress.usd(extra(&cdn, "cdn", "edge_egress_bytes") / gib * m)
        + p.cdn_requests.usd(extra(&cdn, "cdn", "requests") / 1e4 * m)
        + p.cdn_origin_fetch.usd(extra(&cdn, "cdn", "origin_fetch_bytes") / gib * m);
    assert!((c.usage_usd_per_month - expect).abs() < 1e-6 * expect, "{} vs {expect}", c.usage_usd_per_month);
    // The edges' bytes are the CDN's, not internet egress on top.
    assert_eq!(c.egress_bytes as f64, extra(&cdn, "cdn", "edge_egress_bytes"));
}

#[test]
fn object_storage_latency_grows_with_object_size() {
    let small = run_text(&edit(DIRECT, "default = \"200KiB\"", "default = \"10KiB\""), Some(1));
    let large = run_text(&edit(DIRECT, "default = \"200KiB\"", "default = \"20MB\""), Some(1));
    // first byte + size / throughput: 20 ms + 0.1 ms, and 20 ms + 200 ms.
    let us = |s: &stagesim::Summary| s.regions["us-east"].latency_s.p50;
    assert!((us(&small) - (0.001 + 0.020 + 10_240.0 / 100e6)).abs() < 0.0005, "{}", us(&small));
    assert!((us(&large) - (0.001 + 0.020 + 0.2)).abs() < 0.003, "{}", us(&large));
}

#[test]
fn cdn_and_object_storage_keys_are_validated() {
    let text = with_cdn();
    rejects(
        &edit(&text, "origin = \"photos\"", "origin = \"photo\""),
        "components.cdn.origin",
        "origin = \"photo\"",
        10,
        "no component named `photo`",
        "`photos`",
    );
    rejects(
        &edit(&text, "capacity = 20000", "capacity = 0"),
        "components.cdn.capacity",
        "capacity = 0",
        12,
        "out of range",
        "objects per edge",
    );
    rejects(
        &edit(&text, "capacity = 20000", "capacity = 20000\nregions = [\"us-east\", \"eu-wset\"]"),
        "components.cdn.regions.1",
        "regions = [",
        23,
        "unknown region `eu-wset`",
        "`eu-west`",
    );
    rejects(
        &edit(&text, "capacity = 20000", "capacity = 20000\ncache_classes = [\"images\"]"),
        "components.cdn.cache_classes.0",
        "cache_classes",
        18,
        "not a request class",
        "default",
    );
    rejects(
        &edit(&text, "capacity = 20000", "capacity = 20000\nregion = \"eu-west\""),
        "components.cdn.region",
        "region = \"eu-west\"",
        10,
        "has no `region`",
        "remove `region`",
    );
    rejects(
        &edit(DIRECT, "throughput = \"100MB/s\"", "throughput = \"100MB\""),
        "components.photos.throughput",
        "throughput = ",
        14,
        "needs a time unit",
        "90MB/s",
    );
    rejects(
        &edit(DIRECT, "default = \"200KiB\"", "image = \"200KiB\""),
        "sizes.image",
        "image = \"200KiB\"",
        9,
        "`image` is not a request class",
        "default",
    );
    // A CDN is what browsers reach first: it must be the entry.
    let behind = edit(
        &text,
        "[components.cdn]",
        "[components.web]\nkind = \"service\"\nservice_time = \"1ms\"\ncalls = [\"cdn\"]\n\n[components.cdn]",
    );
    rejects(&behind, "components.cdn.kind", "kind = \"cdn\"", 8, "is not the entry", "entry = \"cdn\"");
}
