//! The whole bill (issue 12, section 4): instances plus usage at tiered list prices, priced on
//! the scenario's pooled monthly volume, with per-component shares that sum to the total.
//! Every expected figure here is recomputed by hand from a run's own counts and the providers'
//! published tiers written out below (not read from models/prices.toml), so a wrong price file,
//! a flat price where a tier applies, or a usage left off the bill fails.

use stagesim::journey::{load_journey, run::at_rate};
use stagesim::summary::Summary;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
const MONTH_S: f64 = 730.0 * 3600.0;

/// Tiered price of `volume` units: `tiers` are (cumulative end, price), the last end infinite.
fn tiered(volume: f64, tiers: &[(f64, f64)]) -> f64 {
    let (mut from, mut usd) = (0.0, 0.0);
    for (end, price) in tiers {
        usd += (volume.min(*end) - from).max(0.0) * price;
        from = *end;
    }
    usd
}

const CLOUDFRONT: [(f64, f64); 7] = [
    (10_240.0, 0.085),
    (51_200.0, 0.080),
    (153_600.0, 0.060),
    (512_000.0, 0.040),
    (1_048_576.0, 0.030),
    (5_242_880.0, 0.025),
    (f64::INFINITY, 0.020),
];
const EC2_EGRESS: [(f64, f64); 4] = [(10_240.0, 0.09), (51_200.0, 0.085), (153_600.0, 0.07), (f64::INFINITY, 0.05)];

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{what}: {a} vs {b}");
}

fn x(s: &Summary, comp: &str, key: &str) -> f64 {
    s.components[comp].extra[key]
}

/// RecipeShare's stage 7 (a CDN for photos) at the journey's check load, shortened to 20 s:
/// its bill is instance-hours at their prices, plus the CDN's edge bytes at CloudFront's tiers
/// and its requests, plus S3's GB-months and requests; the CDN's usage is most of it (the
/// journey's cost column showed "+0 USD/month" for this stage before usage was billed).
#[test]
fn recipeshare_cdn_stage_bill_recomputed_from_its_components() {
    let path = format!("{}/scenarios/recipeshare/journey.toml", env!("CARGO_MANIFEST_DIR"));
    let j = load_journey(&path).unwrap_or_else(|e| panic!("{e}"));
    let stage = j.stages.iter().find(|s| s.name.contains("stage 6: a CDN")).expect("the CDN stage");
    let rate = j.check_rate.expect("RecipeShare states the load its bill is priced at");
    let mut m = at_rate(&j, &stage.model, rate);
    m.duration = 20_000_000_000;
    m.warmup = 5_000_000_000;
    m.replications = 1;
    let s = stagesim::run(&m);
    let month = MONTH_S / s.measured_s;

    let compute: f64 =
        m.components.iter().map(|c| f64::from(c.cost.instances) * c.cost.usd_per_hour_each * 730.0).sum();
    let cdn_gb = x(&s, "cdn", "edge_egress_bytes") / GIB * month;
    let cdn_egress = tiered(cdn_gb, &CLOUDFRONT);
    let cdn_requests = x(&s, "cdn", "requests") / 1e4 * month * 0.01;
    let stored_gb = x(&s, "photos", "stored_bytes") / GIB;
    let storage = tiered(stored_gb, &[(51_200.0, 0.023), (512_000.0, 0.022), (f64::INFINITY, 0.021)]);
    let s3_requests = (x(&s, "photos", "gets") * 0.0004 + x(&s, "photos", "puts") * 0.005) / 1e3 * month;
    // The CDN is the entry: no component sends bytes to the internet but its edges.
    assert!(s.components.values().all(|c| c.kind == "cdn" || c.egress_bytes == 0));
    assert_eq!(s.cost.inter_region_bytes, 0, "no [call_sizes] in RecipeShare");

    let b = &s.cost.bill;
    close(b.compute_usd_per_month, compute, "compute");
    close(b.storage_usd_per_month, storage, "storage");
    close(b.transfer_usd_per_month, cdn_egress, "transfer: the CDN's edges at CloudFront's tiers");
    close(b.requests_usd_per_month, cdn_requests + s3_requests, "requests");
    close(s.cost.usd_per_month, compute + storage + cdn_egress + cdn_requests + s3_requests, "the whole bill");
    // The CDN's own share, and the shares summing to the total.
    let cdn = &s.components["cdn"];
    close(cdn.usage_usd_per_month, cdn_egress + cdn_requests, "the CDN's usage");
    close(s.components.values().map(|c| c.cost_usd_per_month).sum::<f64>(), s.cost.usd_per_month, "shares");
    assert!(cdn_gb > 153_600.0, "{cdn_gb:.0} GB a month: past CloudFront's third tier at {rate}/s");
    assert!(cdn.usage_usd_per_month > 10_000.0 && cdn.usage_usd_per_month > 0.5 * s.cost.usd_per_month);
    // The first tier's price alone would overstate the edges' bill.
    assert!(cdn_gb * 0.085 > 1.2 * cdn_egress);
}

/// One service sending `size` to users at `rate`: its internet egress priced exactly across
/// EC2's first two tiers (10 TB at 0.09, the rest at 0.085).
#[test]
fn egress_across_two_tiers_is_priced_tier_by_tier() {
    let text = r#"[scenario]
name = "two tiers"
duration = "20s"
seed = 3
[load]
rate = "200/s"
[sizes]
default = "40KiB"
[components.web]
kind = "service"
cores = 16
service_time = "1ms"
"#;
    let s = stagesim::run(&stagesim::parse_scenario("tiers.toml", text).unwrap());
    let gb = s.components["web"].egress_bytes as f64 / GIB * MONTH_S / s.measured_s;
    assert!((10_240.0..51_200.0).contains(&gb), "{gb:.0} GB a month spans the first two tiers");
    let by_hand = 10_240.0 * 0.09 + (gb - 10_240.0) * 0.085;
    close(tiered(gb, &EC2_EGRESS), by_hand, "the helper");
    close(s.cost.bill.transfer_usd_per_month, by_hand, "egress");
    close(s.components["web"].usage_usd_per_month, by_hand, "the web's share");
    assert!(gb * 0.09 > s.cost.bill.transfer_usd_per_month, "a flat first-tier price overstates it");
}

fn two_regions(extra: &str) -> String {
    format!(
        r#"[scenario]
name = "inter-region"
duration = "20s"
seed = 5
region = "us-east"
[load]
rate = "100/s"
[requests]
read = 0.8
write = 0.2
[components.app]
kind = "service"
instance_type = "m5.large"
instances = 2
service_time = "1ms"
calls = {{ read = ["db.read"], write = ["db.write"] }}
[components.db]
kind = "database"
region = "eu-west"
connections = 100
read_time = "1ms"
write_time = "2ms"
{extra}"#
    )
}

/// Calls from us-east to a database in eu-west: the request bytes (billed to the app, which
/// sends them) and the responses (to the database) at 0.02 USD/GB; without `[call_sizes]` the
/// bill says the calls carried no bytes.
#[test]
fn bytes_that_cross_regions_are_priced_at_the_inter_region_rate() {
    let sizes = "[call_sizes]\n\"db.read\" = { request = \"1KiB\", response = \"16KiB\" }\n\"db.write\" = { request = \"8KiB\", response = \"100B\" }\n";
    let s = stagesim::run(&stagesim::parse_scenario("xr.toml", &two_regions(sizes)).unwrap());
    let (app, db) = (&s.components["app"], &s.components["db"]);
    let (reads, writes) = (db.extra["reads"], db.extra["writes"]);
    // Requests are counted when sent, responses when answered: the measured windows see the
    // calls within them, less the few in flight at either edge.
    let sent = app.inter_region_bytes as f64;
    assert!((sent - (reads * 1024.0 + writes * 8192.0)).abs() < 0.01 * sent, "app sent {sent}");
    let answered = db.inter_region_bytes as f64;
    assert!((answered - (reads * 16384.0 + writes * 100.0)).abs() < 0.01 * answered, "db answered {answered}");
    let usd = (sent + answered) / GIB * MONTH_S / s.measured_s * 0.02;
    close(s.cost.bill.transfer_usd_per_month, usd, "inter-region transfer");
    close(app.bill.transfer_usd_per_month, sent / GIB * MONTH_S / s.measured_s * 0.02, "the app's share");
    assert!(s.cost.notes.is_empty());

    let none = stagesim::run(&stagesim::parse_scenario("xr.toml", &two_regions("")).unwrap());
    assert_eq!((none.cost.inter_region_bytes, none.cost.bill.transfer_usd_per_month), (0, 0.0));
    assert!(none.cost.notes[0].contains("no request or response sizes"), "{:?}", none.cost.notes);
}

/// A `replica_of` database in another region bills its replication stream: each write
/// committed on the primary crosses with the primary's write request size.
#[test]
fn cross_region_replication_bills_its_write_stream() {
    let text = two_regions(
        "[components.db_us]\nkind = \"database\"\nregion = \"us-east\"\nreplica_of = \"db\"\nconnections = 100\nread_time = \"1ms\"\n\
         [call_sizes]\n\"db.write\" = { request = \"4KiB\" }\n",
    )
    .replace("read = [\"db.read\"]", "read = [\"db_us.read\"]");
    let s = stagesim::run(&stagesim::parse_scenario("repl.toml", &text).unwrap());
    let writes = s.components["db"].extra["writes"];
    let shipped = s.components["db_us"].inter_region_bytes as f64;
    assert!(writes > 0.0 && (shipped - writes * 4096.0).abs() <= 0.01 * shipped, "{shipped} for {writes} writes");
    assert!(s.components["db_us"].bill.transfer_usd_per_month > 0.0);
}

/// `pricing` on instances: spot and reserved at their published discounts, shown against the
/// on-demand compute; spot refused on a managed database.
#[test]
fn spot_and_reserved_prices_discount_compute() {
    let with = |pricing: &str| {
        let text = two_regions("").replace("instances = 2\n", &format!("instances = 2\npricing = \"{pricing}\"\n"));
        stagesim::run(&stagesim::parse_scenario("p.toml", &text).unwrap_or_else(|e| panic!("{e}")))
    };
    let m5 = 0.096 * 2.0 * 730.0;
    for (p, off) in [("on_demand", 0.0), ("spot", 0.65), ("reserved_1y", 0.37), ("savings_plan_1y", 0.28)] {
        let s = with(p);
        close(s.components["app"].bill.compute_usd_per_month, m5 * (1.0 - off), p);
        close(s.cost.compute_on_demand_usd_per_month - s.cost.bill.compute_usd_per_month, m5 * off, p);
    }
    let spot_db = two_regions("")
        .replace("connections = 100\n", "connections = 100\ninstance_type = \"db.r5.large\"\npricing = \"spot\"\n");
    let err = stagesim::parse_scenario("p.toml", &spot_db).unwrap_err().to_string();
    assert!(err.contains("`spot` is for stateless instances") && err.contains("components.db.pricing"), "{err}");
    let typo = two_regions("").replace("instances = 2\n", "instances = 2\npricing = \"spott\"\n");
    let err = stagesim::parse_scenario("p.toml", &typo).unwrap_err().to_string();
    assert!(err.contains("did you mean `spot`"), "{err}");
}
