//! Serde types that mirror the scenario TOML, section by section.
//!
//! These hold what the file says, as written (durations and rates are still strings); the
//! `validate` module turns them into the engine's `Model`. Every struct denies unknown keys.
//! Component tables are deserialized per kind, in `components/`, once their `kind` is known.

pub mod calls;
pub mod shapes;

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// The run: its name, simulated duration, warm-up, seed.
    pub scenario: ScenarioSection,
    /// The offered load: a rate, daily users or concurrent users, shaped over time.
    pub load: LoadSection,
    /// Request classes and their shares of the traffic; one class `default` if absent.
    #[serde(default)]
    pub requests: BTreeMap<String, f64>,
    /// The key space requests touch, and its popularity.
    pub keys: Option<KeysSection>,
    /// Who sends the requests: how many users, and from which regions.
    pub users: Option<UsersSection>,
    /// Bounds on the run; hitting one is reported in the output.
    #[serde(default)]
    pub limits: LimitsSection,
    /// The components by name (`[components.app]`); each `kind` takes its own keys.
    // Read per kind in a second pass (see `components::parse_component`).
    #[serde(default)]
    #[schemars(with = "crate::schema::Components")]
    pub components: BTreeMap<String, serde::de::IgnoredAny>,
    /// Network latency between two components (zero where no link is given).
    #[serde(default)]
    pub links: Vec<LinkInput>,
    /// What the model promises, k6 style, judged by `stagesim check`.
    // Read with spans in a second pass (see `check::thresholds::parse`).
    #[schemars(with = "Option<crate::schema::Thresholds>")]
    pub thresholds: Option<serde::de::IgnoredAny>,
    /// Response size per request class (`image = "200KiB"`): the bytes sent to the user,
    /// counted as egress, and what object storage and CDN edges transfer.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, crate::schema::Size>")]
    pub sizes: BTreeMap<String, String>,
    /// Bytes of the calls to a component (`db = { request = "2KiB", response = "8KiB" }`) or
    /// to one of its operations (`"photos.read" = { response = "250KiB" }`); default 0. They
    /// bill inter-region transfer where a call crosses regions, and a `replica_of` database's
    /// replication stream (its primary's write request size per write).
    #[serde(default)]
    pub call_sizes: BTreeMap<String, CallSizeInput>,
    /// Faults on a schedule: crashes, outages, link faults, lag spikes, cache flushes,
    /// failovers.
    #[serde(default)]
    #[schemars(with = "Vec<crate::schema::Fault>")]
    pub faults: Vec<crate::faults::FaultInput>,
}

/// The bytes of one call: what the caller sends and what the callee answers.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallSizeInput {
    /// Bytes the caller sends (default 0).
    #[schemars(with = "Option<crate::schema::Size>")]
    pub request: Option<String>,
    /// Bytes the callee answers (default 0).
    #[schemars(with = "Option<crate::schema::Size>")]
    pub response: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSection {
    /// The scenario's name in reports.
    pub name: String,
    /// What the scenario models, shown in reports.
    #[serde(default)]
    pub description: String,
    /// Simulated time during which requests arrive.
    #[schemars(with = "crate::schema::Duration")]
    pub duration: String,
    /// Time at the start whose requests are left out of the statistics: a duration, or
    /// "auto" to detect it (MSER-5 over the windows of a pilot run). Default: none.
    #[schemars(with = "Option<crate::schema::DurationOrAuto>")]
    pub warmup: Option<String>,
    /// Seed of every random stream (default 1): the same seed gives the same output.
    #[schemars(extend("default" = 1))]
    pub seed: Option<u64>,
    /// Width of a time-series window (default "1s"; at most 1000 windows are kept).
    #[schemars(with = "Option<crate::schema::Duration>", extend("default" = "1s"))]
    pub window: Option<String>,
    /// How long in-flight requests may run on after arrivals stop (default "1m").
    #[schemars(with = "Option<crate::schema::Duration>", extend("default" = "1m"))]
    pub drain: Option<String>,
    /// Independent runs with derived seeds, summarised with confidence intervals (default 1).
    #[schemars(extend("default" = 1))]
    pub replications: Option<u32>,
    /// Where components without a `region` run (models/regions.toml); default: the region
    /// with the largest share of users.
    pub region: Option<String>,
}

/// The offered load: one of `rate`, `daily_active_users` with `requests_per_user_per_day`
/// (open models, optionally shaped over time, see `shapes`), or `concurrent_users` with
/// `think_time` (a closed model).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadSection {
    /// Poisson arrivals at this mean rate (the level the shapes scale).
    #[schemars(with = "Option<crate::schema::Rate>")]
    pub rate: Option<String>,
    /// The component user requests enter; by default the one nothing else calls.
    pub entry: Option<String>,
    /// The client gives up after this long and counts the request as timed out (default:
    /// never).
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub timeout: Option<String>,
    /// With `requests_per_user_per_day`: a mean rate of users x requests / 86400 s, shaped
    /// by the curve like `rate`. Without `[users]`, also the number of distinct users.
    pub daily_active_users: Option<u64>,
    /// Requests each daily active user sends per day, with `daily_active_users`.
    pub requests_per_user_per_day: Option<f64>,
    /// A closed model: this many users, each sending its next request `think_time` after
    /// the previous one ended (completed, failed or timed out at the client).
    pub concurrent_users: Option<u32>,
    /// A closed model's pause between a user's requests: a distribution.
    #[schemars(with = "Option<crate::schema::Distribution>")]
    pub think_time: Option<String>,
    /// How `shapes` combine: "product" (default: the level times every shape) or "sum".
    #[schemars(extend("enum" = ["product", "sum"], "default" = "product"))]
    pub combine: Option<String>,
    /// One shape; or several as `[[load.shapes]]`.
    pub shape: Option<shapes::ShapeInput>,
    /// Several shapes, combined by `combine`.
    #[serde(default)]
    pub shapes: Vec<shapes::ShapeInput>,
}

impl LoadSection {
    /// Every shape with its key path (`shape` or `shapes.N`).
    pub fn all_shapes(&self) -> Vec<(Vec<String>, &shapes::ShapeInput)> {
        let mut out: Vec<(Vec<String>, &shapes::ShapeInput)> = Vec::new();
        if let Some(s) = &self.shape {
            out.push((vec!["load".into(), "shape".into()], s));
        }
        for (i, s) in self.shapes.iter().enumerate() {
            out.push((vec!["load".into(), "shapes".into(), i.to_string()], s));
        }
        out
    }
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// Requests in the system at once; arrivals beyond are rejected and reported.
    #[schemars(extend("default" = crate::model::Limits::default().max_in_flight))]
    pub max_in_flight: Option<u32>,
    /// Calls (hops) alive at once across all requests.
    #[schemars(extend("default" = crate::model::Limits::default().max_calls))]
    pub max_calls: Option<u32>,
    /// Events processed in one run; the run stops and reports when it is reached.
    #[schemars(extend("default" = crate::model::Limits::default().max_events))]
    pub max_events: Option<u64>,
    /// Default bound for every queue that does not set its own.
    #[schemars(extend("default" = crate::model::Limits::default().max_queue))]
    pub max_queue: Option<u32>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// The two components the link joins (either may call the other).
    pub between: [String; 2],
    /// One-way latency; a call and its reply each pay it.
    #[schemars(with = "crate::schema::Duration")]
    pub latency: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeysSection {
    /// Distinct keys requests touch; key 0 is the most popular.
    pub count: u64,
    /// `"zipf"` (default) or `"uniform"`.
    #[schemars(extend("enum" = ["zipf", "uniform"], "default" = "zipf"))]
    pub popularity: Option<String>,
    /// Zipf exponent s (default 1.0): P(rank k) is proportional to 1 / k^s.
    #[schemars(extend("default" = 1.0))]
    pub zipf_exponent: Option<f64>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UsersSection {
    /// Distinct users; each request comes from one of them.
    pub count: u64,
    /// Share of users per region; a user always comes from the same region.
    #[serde(default)]
    pub regions: BTreeMap<String, f64>,
    /// Classes sent by users of their own (`{ scraper = 1 }`: one client sends every request
    /// of the class), with ids after the `count` ordinary users.
    #[serde(default)]
    pub dedicated: BTreeMap<String, u64>,
}
