//! `[load.shape]` / `[[load.shapes]]`: how the arrival rate changes over time.
//!
//! ```toml
//! [load]
//! rate = "800/s"          # the mean level the factor shapes scale
//! combine = "product"     # default; or "sum"
//!
//! [[load.shapes]]         # a day: mean 1, four times busier at 20:00 than at 08:00
//! kind = "diurnal"
//! peak_hour = 20
//! peak_to_trough = 4
//!
//! [[load.shapes]]         # a viral spike at 13:00 whose extra traffic is 95% reads
//! kind = "spike"
//! start = "13h"
//! ramp_up = "10m"
//! multiplier = 10
//! hold = "30m"
//! decay = "20m"
//! mix = { browse = 0.95, upload = 0.05 }
//! ```
//!
//! Kinds and their keys (a key of another kind is an error):
//! - `constant`: `rate = "200/s"` (a rate) or `factor = 1.5` (a factor).
//! - `stages` (a rate, as k6 stages): `stages = [{ duration = "2m", target = "500/s" }, ...]`,
//!   each a straight ramp from the previous target (from `from`, default 0) to its own over
//!   its duration; equal targets hold. After the last stage the last target holds.
//! - `diurnal` (a factor with mean 1 over a day): `peak_hour` (local, 0-24) and
//!   `peak_to_trough` (>= 1) for a smooth cosine day, or `weights` (24 hourly levels, at the
//!   middle of each hour, joined by straight lines; normalised to mean 1). `start_hour` is
//!   the UTC hour at simulated time zero (default 0). `utc_offsets = { us-east = -5,
//!   eu-west = 1 }` gives each `[users]` region its own local day: the curve is then the
//!   share-weighted sum of the regions' curves, and a request's region follows who is awake.
//! - `spike` (a factor): 1 until `start`, a straight ramp to `multiplier` over `ramp_up`,
//!   held for `hold`, after which the extra traffic halves every `decay` (`"0s"`: it stops).
//! - `growth` (a factor): `growth = "10%/week"` compounds from 1 at time zero: after one
//!   week x1.1, after two x1.21. Periods: day, week, month (30 days), year (365 days).
//!   Negative growth (`"-5%/week"`) declines the same way.
//! - `replay` (a rate): `file = "trace.csv"`, read relative to the scenario file: lines of
//!   `time,rate` (time in seconds or with a unit, "90s"; rate per second or "800/s"), times
//!   increasing, an optional header line, `#` comments. `interpolate = "linear"` (default)
//!   or `"step"`; `scale` multiplies every rate. Before the first and after the last point
//!   the nearest rate holds.
//!
//! `combine = "product"`: rate = level x every shape, where the level is `rate` (or
//! `daily_active_users` x `requests_per_user_per_day`), or the one rate shape (stages,
//! replay, constant rate) when there is one. A factor shape that never goes below 1 (spike,
//! non-negative growth, constant factor >= 1) may carry a `mix`: the traffic it adds above
//! x1 has that mix, the rest the `[requests]` shares.
//! `combine = "sum"`: rate = the sum of the shapes, a factor shape counting as level x
//! factor; each shape may carry its own `mix`.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShapeInput {
    /// The shape's kind; each takes the keys marked with its name.
    #[schemars(extend("enum" = ["constant", "stages", "diurnal", "spike", "growth", "replay"]))]
    pub kind: String,
    /// constant: a rate.
    #[schemars(with = "Option<crate::schema::Rate>")]
    pub rate: Option<String>,
    /// constant: a factor.
    pub factor: Option<f64>,
    /// stages: the rate before the first stage (default "0/s").
    #[schemars(with = "Option<crate::schema::RateOrZero>", extend("default" = "0/s"))]
    pub from: Option<String>,
    /// stages: ramps and holds, k6 style: each a straight ramp from the previous target to
    /// its own over its duration.
    pub stages: Option<Vec<StageInput>>,
    /// diurnal: local hour of the peak (0-24).
    pub peak_hour: Option<f64>,
    /// diurnal: peak rate / trough rate (>= 1).
    pub peak_to_trough: Option<f64>,
    /// diurnal: 24 hourly levels instead of peak_hour and peak_to_trough.
    pub weights: Option<Vec<f64>>,
    /// diurnal: UTC hour of day at simulated time zero (default 0).
    #[schemars(extend("default" = 0.0))]
    pub start_hour: Option<f64>,
    /// diurnal: UTC offset in hours per user region.
    pub utc_offsets: Option<BTreeMap<String, f64>>,
    /// spike: when the ramp starts.
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub start: Option<String>,
    /// spike: how long the ramp to the peak takes.
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub ramp_up: Option<String>,
    /// spike: peak rate / rate without the spike.
    pub multiplier: Option<f64>,
    /// spike: how long the peak lasts.
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub hold: Option<String>,
    /// spike: half-life of the extra traffic after the peak ("0s": it stops at once).
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub decay: Option<String>,
    /// growth: compounding from 1 at time zero, "10%/week".
    #[schemars(with = "Option<crate::schema::Growth>")]
    pub growth: Option<String>,
    /// replay: a CSV of `time,rate` lines, relative to the scenario file.
    pub file: Option<String>,
    /// replay: multiplies every rate of the trace.
    pub scale: Option<f64>,
    /// replay: "linear" (default) or "step".
    #[schemars(extend("enum" = ["linear", "step"], "default" = "linear"))]
    pub interpolate: Option<String>,
    /// The request class shares of the traffic this shape adds (default: `[requests]`).
    pub mix: Option<BTreeMap<String, f64>>,
    /// replay: the trace as (seconds, requests per second), filled in by the loader.
    #[serde(skip)]
    pub trace: Option<Vec<(f64, f64)>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    /// How long the ramp to `target` takes.
    #[schemars(with = "crate::schema::Duration")]
    pub duration: String,
    /// The rate at the end of the ramp.
    #[schemars(with = "crate::schema::RateOrZero")]
    pub target: String,
}
