//! `[components.NAME.autoscale]`: a service pool that adds and removes instances by a metric.
//!
//! ```toml
//! [components.app.autoscale]
//! metric = "cpu"          # or "queue_depth", "requests_per_instance"
//! min = 2
//! max = 20
//! scale_up_at = 0.7
//! scale_down_at = 0.3
//! up_cooldown = "3m"
//! down_cooldown = "10m"
//! warmup = "2m"
//! step = 1
//! interval = "30s"
//! ```
//!
//! Every `interval` the metric is averaged over that interval across the serving instances:
//! `cpu` is the busy share of their cores (0-1); `queue_depth` the mean number of calls
//! waiting (for a thread or a core) per instance; `requests_per_instance` the calls received
//! per second per instance.
//!
//! Scale up aggressively: when the metric is above `scale_up_at` and `up_cooldown` has passed
//! since the last scale-up, add enough instances to bring it back to `scale_up_at` if the
//! load spread evenly (`ceil(serving x metric / scale_up_at)`, counting those already warming),
//! and at least `step`. A new instance costs money from its start but takes no traffic and
//! adds no capacity until `warmup` has passed (a balancer adds it then, after its next
//! successful health check if it has health checks).
//!
//! Scale down conservatively: when the metric is below `scale_down_at`, nothing is warming,
//! `down_cooldown` has passed since the last action of either kind, and removing `step`
//! instances would not push the metric over `scale_up_at`, drain `step` instances: balancers
//! stop sending to them at once, they finish what they hold, then stop (and stop costing).
//!
//! The pool never has fewer than `min` or more than `max` instances (warming, serving,
//! draining or crashed); `instances` (default `min`) is how many serve at the start. The
//! summary's cost uses the time-average of provisioned instances over the measured period.

use crate::units::Nanos;
use crate::validate::Resolver;
use serde::Deserialize;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoscaleInput {
    /// "cpu" (default), "queue_depth" or "requests_per_instance".
    pub metric: Option<String>,
    /// Fewest instances.
    pub min: u32,
    /// Most instances.
    pub max: u32,
    /// Metric value above which instances are added (cpu: utilization 0-1).
    pub scale_up_at: f64,
    /// Metric value below which instances are removed.
    pub scale_down_at: f64,
    /// Default "3m".
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub up_cooldown: Option<String>,
    /// Default "10m".
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub down_cooldown: Option<String>,
    /// Default "2m".
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub warmup: Option<String>,
    /// Instances added at least, and removed, per action (default 1).
    pub step: Option<u32>,
    /// Evaluation period (default "30s").
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub interval: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Cpu,
    QueueDepth,
    RequestsPerInstance,
}

#[derive(Clone, Debug)]
pub struct AutoscaleSpec {
    pub metric: Metric,
    pub min: u32,
    pub max: u32,
    pub up_at: f64,
    pub down_at: f64,
    pub up_cooldown: Nanos,
    pub down_cooldown: Nanos,
    pub warmup: Nanos,
    pub step: u32,
    pub interval: Nanos,
}

impl AutoscaleInput {
    pub fn validate(&self, name: &str, r: &mut Resolver, max_instances: u32) -> Option<AutoscaleSpec> {
        let at = |k: &'static str| ["components", name, "autoscale", k];
        let metric = match self.metric.as_deref().unwrap_or("cpu") {
            "cpu" => Metric::Cpu,
            "queue_depth" => Metric::QueueDepth,
            "requests_per_instance" => Metric::RequestsPerInstance,
            other => {
                r.problem(
                    &at("metric"),
                    format!("unknown autoscaling metric `{other}`"),
                    "use \"cpu\", \"queue_depth\" or \"requests_per_instance\"",
                );
                return None;
            }
        };
        let mut ok = true;
        if self.min == 0 || self.min > self.max {
            r.problem(&at("min"), "`min` must be at least 1 and at most `max`", "for example min = 2, max = 20");
            ok = false;
        }
        if self.max > max_instances {
            r.problem(
                &at("max"),
                format!("`max` is above the {max_instances} instances a pool may have"),
                "lower `max`",
            );
            ok = false;
        }
        let finite = self.scale_up_at.is_finite() && self.scale_down_at.is_finite();
        if !finite || self.scale_down_at < 0.0 || self.scale_down_at >= self.scale_up_at {
            r.problem(
                &at("scale_down_at"),
                "`scale_down_at` must be zero or more and below `scale_up_at`",
                "for example scale_up_at = 0.7 and scale_down_at = 0.3: the gap prevents flapping",
            );
            ok = false;
        }
        if metric == Metric::Cpu && !(self.scale_up_at > 0.0 && self.scale_up_at <= 1.0) {
            r.problem(
                &at("scale_up_at"),
                "a cpu threshold is a fraction of the cores, above 0 and at most 1",
                "for example 0.7",
            );
            ok = false;
        }
        let dur = |r: &mut Resolver, k: &'static str, v: &Option<String>, default: Nanos| match v {
            Some(t) => r.duration(&at(k), t),
            None => Some(default),
        };
        let up_cooldown = dur(r, "up_cooldown", &self.up_cooldown, 180_000_000_000);
        let down_cooldown = dur(r, "down_cooldown", &self.down_cooldown, 600_000_000_000);
        let warmup = dur(r, "warmup", &self.warmup, 120_000_000_000);
        let interval = match &self.interval {
            Some(t) => r.interval(&at("interval"), t),
            None => Some(30_000_000_000),
        };
        let step = r.count(&at("step"), self.step, 1);
        ok.then_some(AutoscaleSpec {
            metric,
            min: self.min,
            max: self.max,
            up_at: self.scale_up_at,
            down_at: self.scale_down_at,
            up_cooldown: up_cooldown?,
            down_cooldown: down_cooldown?,
            warmup: warmup?,
            step,
            interval: interval?,
        })
    }
}

/// The pool as the autoscaler sees it at an evaluation.
#[derive(Clone, Copy, Debug)]
pub struct PoolView {
    pub serving: u32,
    pub warming: u32,
    /// Warming, serving, draining or crashed: what counts against `max` and costs money.
    pub provisioned: u32,
    /// The metric over the last interval.
    pub metric: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Hold,
    Add(u32),
    Remove(u32),
}

/// When the autoscaler last acted, and what it has done.
#[derive(Clone, Debug, Default)]
pub struct Autoscaler {
    last_up: Option<Nanos>,
    last_action: Option<Nanos>,
    pub ups: u64,
    pub downs: u64,
}

impl Autoscaler {
    pub fn decide(&mut self, spec: &AutoscaleSpec, now: Nanos, v: PoolView) -> Decision {
        let since = |t: Option<Nanos>| t.map_or(u64::MAX, |t| now - t);
        let m = v.metric;
        if m > spec.up_at && since(self.last_up) >= spec.up_cooldown && v.provisioned < spec.max {
            let wanted = (f64::from(v.serving.max(1)) * m / spec.up_at).ceil() as u32;
            let more = wanted.saturating_sub(v.serving + v.warming).max(spec.step);
            let add = more.min(spec.max - v.provisioned);
            self.last_up = Some(now);
            self.last_action = Some(now);
            self.ups += 1;
            return Decision::Add(add);
        }
        let after = v.serving.saturating_sub(spec.step);
        let quiet = m < spec.down_at && v.warming == 0 && since(self.last_action) >= spec.down_cooldown;
        if quiet && v.provisioned > spec.min && after > 0 {
            let remove = spec.step.min(v.provisioned - spec.min).min(v.serving - 1);
            let projected = m * f64::from(v.serving) / f64::from(v.serving - remove);
            if remove > 0 && projected < spec.up_at {
                self.last_action = Some(now);
                self.downs += 1;
                return Decision::Remove(remove);
            }
        }
        Decision::Hold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article() -> AutoscaleSpec {
        AutoscaleSpec {
            metric: Metric::Cpu,
            min: 2,
            max: 20,
            up_at: 0.7,
            down_at: 0.3,
            up_cooldown: 180_000_000_000,
            down_cooldown: 600_000_000_000,
            warmup: 120_000_000_000,
            step: 1,
            interval: 30_000_000_000,
        }
    }

    const MIN: Nanos = 60_000_000_000;

    #[test]
    fn scales_up_in_proportion_and_respects_the_cooldown() {
        let spec = article();
        let mut a = Autoscaler::default();
        let v = PoolView { serving: 4, warming: 0, provisioned: 4, metric: 1.0 };
        assert_eq!(a.decide(&spec, MIN, v), Decision::Add(2)); // ceil(4 / 0.7) = 6
        assert_eq!(a.decide(&spec, 2 * MIN, v), Decision::Hold); // cooldown
        let v = PoolView { serving: 19, warming: 0, provisioned: 19, metric: 1.0 };
        assert_eq!(a.decide(&spec, 5 * MIN, v), Decision::Add(1)); // capped at max
        let full = PoolView { provisioned: 20, ..v };
        assert_eq!(a.decide(&spec, 9 * MIN, full), Decision::Hold);
    }

    #[test]
    fn scales_down_one_step_after_a_quiet_cooldown() {
        let spec = article();
        let mut a = Autoscaler::default();
        let v = PoolView { serving: 6, warming: 0, provisioned: 6, metric: 0.2 };
        assert_eq!(a.decide(&spec, MIN, v), Decision::Remove(1));
        assert_eq!(a.decide(&spec, 5 * MIN, v), Decision::Hold); // 10 minutes between steps
        assert_eq!(a.decide(&spec, 11 * MIN, v), Decision::Remove(1));
        let at_min = PoolView { serving: 2, provisioned: 2, ..v };
        assert_eq!(a.decide(&spec, 30 * MIN, at_min), Decision::Hold);
        // 3 instances at 0.29: two would run at 0.435 < 0.7, so one may go; at 0.5 it would
        // not be quiet enough to start with.
        let v = PoolView { serving: 3, warming: 0, provisioned: 3, metric: 0.29 };
        assert_eq!(a.decide(&spec, 45 * MIN, v), Decision::Remove(1));
    }
}
