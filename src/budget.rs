//! The event budget: a lower bound of the events a run needs, checked against
//! `[limits] max_events` before anything runs, so a run that could only stop at the limit
//! (minutes of work for a partial result) is refused at once with what to shorten.
//!
//! The bound counts, per arriving request, its `Arrival` event and, for every call it is
//! certain to make, the call's `Deliver` and `Reply` events: the entry component, and the
//! components behind the balancers and geo-DNS in front of it that forward every call
//! (no own queue, no health check). A component that may refuse a call (a full queue, a
//! token bucket, a cache hit) ends the chain. With faults (lost messages, cut links) only
//! the arrival counts. The expected arrivals are lowered by six standard deviations of
//! their Poisson count, so the bound holds for every seed in practice. It assumes requests
//! are admitted: a run already rejecting at `max_in_flight` needs fewer events.

use crate::model::{CompId, Model};
use crate::traffic::Arrivals;
use crate::units::{human_secs, ns_to_secs};

/// Why a run cannot finish within `max_events`, with the numbers to fix it.
#[derive(Clone, Debug, PartialEq)]
pub struct OverBudget {
    pub events_needed: f64,
    pub max_events: u64,
    pub rate_per_s: f64,
    pub duration_s: f64,
    pub events_per_request: f64,
}

impl OverBudget {
    /// What is wrong, in one sentence.
    pub fn message(&self) -> String {
        format!(
            "this run needs at least {:.3e} events ({:.0} requests/s for {} at {} events each), above `max_events` = {}: it could only stop at the limit",
            self.events_needed,
            self.rate_per_s,
            human_secs(self.duration_s),
            self.events_per_request,
            self.max_events
        )
    }

    /// What to change: the duration or rate that fits, or the limit that would.
    pub fn help(&self) -> String {
        let fits = self.max_events as f64 / self.events_needed;
        format!(
            "shorten `duration` to about {}, lower the rate to about {:.0}/s, or raise `[limits] max_events` to at least {:.0}",
            human_secs(self.duration_s * fits),
            self.rate_per_s * fits,
            self.events_needed.ceil()
        )
    }
}

/// The lower bound of the events a run of `model` needs (zero for a closed model, whose
/// users pace themselves).
pub fn events_lower_bound(model: &Model) -> f64 {
    let expected = expected_arrivals(model);
    (expected - 6.0 * expected.sqrt()).max(0.0) * events_per_request(model)
}

/// The mean number of arrivals over the run's duration.
fn expected_arrivals(model: &Model) -> f64 {
    let secs = ns_to_secs(model.duration);
    // A shaped load follows its curve whatever `rate_per_s` says (the curve's mean over the
    // file's duration): integrate it over the duration this run has.
    match &model.load.arrivals {
        Arrivals::Closed { .. } => 0.0,
        Arrivals::Shaped(curve) => curve.integral(0.0, secs),
        Arrivals::Poisson => model.load.rate_per_s * secs,
    }
}

fn events_per_request(model: &Model) -> f64 {
    if model.faults.is_empty() {
        1.0 + 2.0 * certain_calls(model, model.load.entry, 0)
    } else {
        1.0
    }
}

/// Checks a model's event budget (after any command-line override).
pub fn check(model: &Model) -> Result<(), OverBudget> {
    let needed = events_lower_bound(model);
    if needed > model.limits.max_events as f64 {
        return Err(OverBudget {
            events_needed: needed,
            max_events: model.limits.max_events,
            rate_per_s: expected_arrivals(model) / ns_to_secs(model.duration),
            duration_s: ns_to_secs(model.duration),
            events_per_request: events_per_request(model),
        });
    }
    Ok(())
}

/// Calls a request reaching `comp` is certain to make, `comp`'s own included.
fn certain_calls(model: &Model, comp: CompId, depth: usize) -> f64 {
    // The call graph is acyclic (validated); the depth guard only bounds a malformed model.
    if depth > model.components.len() {
        return 1.0;
    }
    let next = model.components[comp as usize]
        .spec
        .certain_next()
        .iter()
        .map(|t| certain_calls(model, *t, depth + 1))
        .fold(f64::INFINITY, f64::min);
    1.0 + if next.is_finite() { next } else { 0.0 }
}

/// The budget check after a command-line override (`--duration`, `--load`): a usage error
/// naming the option, since the file alone was within budget.
pub fn check_override(model: &Model, option: &str) -> Result<(), crate::diag::Error> {
    check(model).map_err(|b| {
        crate::diag::Error::Usage(format!(
            "{option}: {}\n  help: {}",
            b.message(),
            b.help().replace("shorten `duration`", "shorten the run")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_names_what_fits() {
        let b = OverBudget {
            events_needed: 4e9,
            max_events: 2_000_000_000,
            rate_per_s: 1e6,
            duration_s: 600.0,
            events_per_request: 5.0,
        };
        assert!(b.message().contains("4.000e9 events"), "{}", b.message());
        let help = b.help();
        assert!(help.contains("about 5.0m") && help.contains("500000/s") && help.contains("4000000000"), "{help}");
    }
}
