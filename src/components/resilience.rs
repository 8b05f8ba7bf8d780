//! Resilience of a service's downstream calls: retries with exponential backoff and jitter,
//! a circuit breaker and a bulkhead per (instance, target), as resilience4j, Polly or Envoy
//! apply them in the caller.
//!
//! - Retries: a failed call (error, rejection or timeout) is sent again up to `retries`
//!   times, after a delay drawn uniformly in `[0, min(backoff_max, backoff * 2^n))` ("full
//!   jitter") from the caller's own random stream. A call is not retried when the breaker or
//!   the bulkhead refuses it.
//! - Circuit breaker: over the last `window` calls to a target (once `min_calls` have been
//!   seen), a share of failures of at least `failure_ratio` opens it; while open, calls fail
//!   fast (`breaker_rejections`). After `reset_timeout` it lets `half_open_calls` probes
//!   through: all succeed and it closes, one fails and it opens again.
//! - Bulkhead: at most `bulkhead` calls from one instance to one target outstanding; beyond,
//!   calls fail fast (`bulkhead_rejections`). A call's slot frees when it answers or times out.
//!
//! Calls refused by the breaker or the bulkhead end as `Outcome::Rejected` at once.

use crate::engine::calls::{CallId, Op};
use crate::engine::Ctx;
use crate::model::CompId;
use crate::rng::SimRng;
use crate::units::Nanos;
use crate::validate::Resolver;
use rand::RngExt;
use serde::Deserialize;

/// Summary fields this part adds to its kind's (see the kinds' `DOCS`).
pub const METRICS: &[(&str, &str)] = &[
    ("retries", "downstream calls sent again after a failure"),
    ("breaker_rejections", "calls failed fast by an open circuit breaker"),
    ("breaker_opens", "times a circuit breaker opened"),
    ("breaker_open_s", "time breakers spent open, summed over targets and instances, in seconds"),
    ("bulkhead_rejections", "calls failed fast by the bulkhead"),
];

/// `breaker = { failure_ratio = 0.5, window = 20, reset_timeout = "5s" }`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakerInput {
    /// Share of failed calls in the window that opens the breaker (default 0.5).
    pub failure_ratio: Option<f64>,
    /// Calls the breaker remembers per target (default 20, at most 256).
    pub window: Option<u32>,
    /// Calls it must have seen before it may open (default: the window).
    pub min_calls: Option<u32>,
    /// How long it stays open before letting probes through (default "5s").
    #[schemars(with = "Option<crate::schema::Duration>")]
    pub reset_timeout: Option<String>,
    /// Probes let through when half open (default 1).
    pub half_open_calls: Option<u32>,
}

pub const MAX_WINDOW: u32 = 256;
pub const MAX_RETRIES: u32 = 20;

#[derive(Clone, Debug)]
pub struct BreakerSpec {
    pub failure_ratio: f64,
    pub window: u32,
    pub min_calls: u32,
    pub reset_timeout: Nanos,
    pub half_open_calls: u32,
}

#[derive(Clone, Debug)]
pub struct ResilienceSpec {
    pub retries: u32,
    pub backoff: Nanos,
    pub backoff_max: Nanos,
    pub breaker: Option<BreakerSpec>,
    pub bulkhead: Option<u32>,
}

/// The resilience keys of a service, as written.
pub struct ResilienceKeys<'a> {
    pub retries: Option<u32>,
    pub backoff: &'a Option<String>,
    pub backoff_max: &'a Option<String>,
    pub breaker: &'a Option<BreakerInput>,
    pub bulkhead: Option<u32>,
}

/// Validates the keys; `None` when the service uses none of them (no cost on its calls).
pub fn validate(name: &str, k: &ResilienceKeys, r: &mut Resolver) -> Option<ResilienceSpec> {
    let at = |key: &'static str| ["components", name, key];
    let none = k.retries.is_none() && k.breaker.is_none() && k.bulkhead.is_none();
    if none && (k.backoff.is_some() || k.backoff_max.is_some()) {
        r.problem(&at("backoff"), "`backoff` needs `retries`", "add `retries = 3`, or remove the backoff");
    }
    if none {
        return None;
    }
    let retries = k.retries.unwrap_or(0);
    if retries > MAX_RETRIES {
        r.problem(&at("retries"), format!("`retries` must be at most {MAX_RETRIES}"), "2 or 3 is typical");
    }
    let backoff = r.duration(&at("backoff"), k.backoff.as_deref().unwrap_or("50ms")).unwrap_or(0);
    let backoff_max = r.duration(&at("backoff_max"), k.backoff_max.as_deref().unwrap_or("1s")).unwrap_or(0);
    if backoff_max < backoff {
        r.problem(&at("backoff_max"), "`backoff_max` must not be below `backoff`", "for example \"1s\"");
    }
    if k.bulkhead == Some(0) {
        r.problem(&at("bulkhead"), "`bulkhead` must be at least 1", "the calls one instance may have open to a target");
    }
    let breaker = k.breaker.as_ref().and_then(|b| breaker(name, b, r));
    Some(ResilienceSpec { retries: retries.min(MAX_RETRIES), backoff, backoff_max, breaker, bulkhead: k.bulkhead })
}

fn breaker(name: &str, b: &BreakerInput, r: &mut Resolver) -> Option<BreakerSpec> {
    let at = |key: &'static str| ["components", name, "breaker", key];
    let failure_ratio = b.failure_ratio.unwrap_or(0.5);
    if !(failure_ratio > 0.0 && failure_ratio <= 1.0) {
        r.problem(&at("failure_ratio"), "`failure_ratio` must be in (0, 1]", "0.5 opens at half the calls failing");
    }
    let window = b.window.unwrap_or(20);
    if window == 0 || window > MAX_WINDOW {
        r.problem(&at("window"), format!("`window` must be from 1 to {MAX_WINDOW} calls"), "20 is typical");
    }
    let window = window.clamp(1, MAX_WINDOW);
    let min_calls = b.min_calls.unwrap_or(window);
    if min_calls == 0 || min_calls > window {
        r.problem(&at("min_calls"), "`min_calls` must be from 1 to the `window`", "leave it out to use the window");
    }
    let half_open_calls = b.half_open_calls.unwrap_or(1);
    if half_open_calls == 0 || half_open_calls > window {
        r.problem(&at("half_open_calls"), "`half_open_calls` must be from 1 to the `window`", "1 probe is typical");
    }
    let reset_timeout = r.duration(&at("reset_timeout"), b.reset_timeout.as_deref().unwrap_or("5s"))?;
    if reset_timeout == 0 {
        r.problem(&at("reset_timeout"), "`reset_timeout` must be greater than zero", "for example \"5s\"");
    }
    Some(BreakerSpec {
        failure_ratio,
        window,
        min_calls: min_calls.clamp(1, window),
        reset_timeout,
        half_open_calls: half_open_calls.clamp(1, window),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Closed,
    Open { since: Nanos },
    HalfOpen { probes: u32, succeeded: u32 },
}

/// One breaker: its state and a ring of the last `window` outcomes (true = failed).
#[derive(Clone, Debug)]
struct Breaker {
    state: State,
    ring: Vec<bool>,
    next: usize,
    seen: u32,
    failures: u32,
    /// How far the current open period is already counted in `Counters::open_ns`.
    counted_to: Nanos,
}

impl Breaker {
    fn new(window: u32) -> Self {
        Breaker {
            state: State::Closed,
            ring: vec![false; window as usize],
            next: 0,
            seen: 0,
            failures: 0,
            counted_to: 0,
        }
    }

    fn open(&mut self, now: Nanos) {
        self.state = State::Open { since: now };
        self.counted_to = now;
    }

    /// Adds the open time in `[counted_to, min(upto, end of the open period))`, from `from`.
    fn count_open(&mut self, upto: Nanos, reset: Nanos, from: Nanos, open_ns: &mut u128) {
        if let State::Open { since } = self.state {
            let end = upto.min(since + reset);
            let start = self.counted_to.max(from);
            if end > start {
                *open_ns += u128::from(end - start);
            }
            self.counted_to = self.counted_to.max(end);
        }
    }

    fn clear(&mut self) {
        self.ring.iter_mut().for_each(|f| *f = false);
        self.next = 0;
        self.seen = 0;
        self.failures = 0;
    }
}

/// Why a call was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Breaker,
    Bulkhead,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    pub retries: u64,
    pub breaker_rejections: u64,
    pub bulkhead_rejections: u64,
    pub breaker_opens: u64,
    /// Breaker-nanoseconds open since `since` (summed over instances and targets).
    pub open_ns: u128,
    pub since: Nanos,
}

pub struct Resilience {
    spec: ResilienceSpec,
    /// Target index of each component id this service calls (u16::MAX: not a target).
    slot_of: Vec<u16>,
    targets: usize,
    /// Per (instance, target): calls outstanding and the breaker.
    outstanding: Vec<u32>,
    breakers: Vec<Breaker>,
    pub c: Counters,
}

impl Resilience {
    pub fn new(spec: &ResilienceSpec, targets: &[CompId], instances: u32) -> Self {
        let max = targets.iter().copied().max().map_or(0, |m| m as usize + 1);
        let mut slot_of = vec![u16::MAX; max];
        for (i, t) in targets.iter().enumerate() {
            slot_of[*t as usize] = i as u16;
        }
        let n = targets.len() * instances as usize;
        let window = spec.breaker.as_ref().map_or(0, |b| b.window);
        Resilience {
            spec: spec.clone(),
            slot_of,
            targets: targets.len(),
            outstanding: vec![0; n],
            breakers: if spec.breaker.is_some() { vec![Breaker::new(window); n] } else { Vec::new() },
            c: Counters::default(),
        }
    }

    fn index(&self, instance: u16, target: CompId) -> usize {
        instance as usize * self.targets + self.slot_of[target as usize] as usize
    }

    /// Sends a call from `parent` (on `instance`) to `target` if the breaker and the bulkhead
    /// let it, `after` nanoseconds from now; the child carries `attempt`.
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &mut self,
        ctx: &mut Ctx,
        parent: CallId,
        instance: u16,
        target: (CompId, Op),
        timeout: Option<Nanos>,
        attempt: u8,
        after: Nanos,
    ) -> Result<Option<CallId>, Refusal> {
        let i = self.index(instance, target.0);
        if let Some(b) = &self.spec.bulkhead {
            if self.outstanding[i] >= *b {
                self.c.bulkhead_rejections += 1;
                return Err(Refusal::Bulkhead);
            }
        }
        if !self.breaker_permits(i, ctx.now) {
            self.c.breaker_rejections += 1;
            return Err(Refusal::Breaker);
        }
        let sent = ctx.call_out_after(parent, target.0, target.1, crate::engine::calls::NO_INSTANCE, timeout, after);
        if let Some(child) = sent {
            ctx.calls.get_mut(child).attempt = attempt;
            self.outstanding[i] += 1;
        }
        Ok(sent)
    }

    fn breaker_permits(&mut self, i: usize, now: Nanos) -> bool {
        let Some(spec) = &self.spec.breaker else { return true };
        let b = &mut self.breakers[i];
        match b.state {
            State::Closed => true,
            State::Open { since } if now >= since + spec.reset_timeout => {
                b.count_open(now, spec.reset_timeout, self.c.since, &mut self.c.open_ns);
                b.state = State::HalfOpen { probes: 1, succeeded: 0 };
                true
            }
            State::Open { .. } => false,
            State::HalfOpen { probes, succeeded } if probes < spec.half_open_calls => {
                b.state = State::HalfOpen { probes: probes + 1, succeeded };
                true
            }
            State::HalfOpen { .. } => false,
        }
    }

    /// A sent call answered (or timed out): frees its bulkhead slot and tells the breaker.
    pub fn answered(&mut self, instance: u16, target: CompId, ok: bool, now: Nanos) {
        let i = self.index(instance, target);
        self.outstanding[i] -= 1;
        let Some(spec) = &self.spec.breaker else { return };
        let b = &mut self.breakers[i];
        match b.state {
            State::Closed => {
                let old = std::mem::replace(&mut b.ring[b.next], !ok);
                b.next = (b.next + 1) % b.ring.len();
                b.failures = b.failures + u32::from(!ok) - u32::from(old && b.seen >= spec.window);
                b.seen = (b.seen + 1).min(spec.window);
                if b.seen >= spec.min_calls && f64::from(b.failures) >= spec.failure_ratio * f64::from(b.seen) {
                    b.open(now);
                    b.clear();
                    self.c.breaker_opens += 1;
                }
            }
            State::HalfOpen { probes, succeeded } if ok => {
                if succeeded + 1 >= spec.half_open_calls {
                    b.state = State::Closed;
                    b.clear();
                } else {
                    b.state = State::HalfOpen { probes, succeeded: succeeded + 1 };
                }
            }
            State::HalfOpen { .. } => {
                b.open(now);
                self.c.breaker_opens += 1;
            }
            // A call sent before the breaker opened: it no longer counts.
            State::Open { .. } => {}
        }
    }

    /// Whether a failed attempt may be tried again, and after how long.
    pub fn retry_delay(&self, attempt: u8, rng: &mut SimRng) -> Option<Nanos> {
        if u32::from(attempt) >= self.spec.retries {
            return None;
        }
        let cap = self.spec.backoff.saturating_mul(1 << u32::from(attempt).min(40)).min(self.spec.backoff_max);
        Some(if cap == 0 { 0 } else { rng.random_range(0..cap) })
    }

    /// Brings the open time up to `now` (for statistics).
    pub fn sync(&mut self, now: Nanos) {
        let Some(spec) = &self.spec.breaker else { return };
        for b in &mut self.breakers {
            b.count_open(now, spec.reset_timeout, self.c.since, &mut self.c.open_ns);
        }
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        self.c = Counters { since: now, ..Counters::default() };
    }

    pub fn report(&self, extra: &mut std::collections::BTreeMap<String, f64>) {
        extra.insert("retries".into(), self.c.retries as f64);
        extra.insert("breaker_rejections".into(), self.c.breaker_rejections as f64);
        extra.insert("breaker_opens".into(), self.c.breaker_opens as f64);
        extra.insert("breaker_open_s".into(), self.c.open_ns as f64 / 1e9);
        extra.insert("bulkhead_rejections".into(), self.c.bulkhead_rejections as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ResilienceSpec {
        let breaker =
            BreakerSpec { failure_ratio: 0.5, window: 4, min_calls: 4, reset_timeout: 100, half_open_calls: 1 };
        ResilienceSpec { retries: 2, backoff: 10, backoff_max: 25, breaker: Some(breaker), bulkhead: Some(2) }
    }

    /// Counts a call as sent (as `send` does) and answers it.
    fn call(r: &mut Resilience, ok: bool, now: Nanos) {
        assert!(r.breaker_permits(0, now), "the breaker should let a call through at {now}");
        r.outstanding[0] += 1;
        r.answered(0, 7, ok, now);
    }

    #[test]
    fn breaker_opens_fails_fast_probes_and_closes() {
        let mut r = Resilience::new(&spec(), &[7], 1);
        call(&mut r, true, 0);
        call(&mut r, false, 1);
        call(&mut r, true, 2);
        assert_eq!(r.breakers[0].state, State::Closed, "3 calls: below min_calls");
        call(&mut r, false, 3); // 2 failures in 4: ratio 0.5
        assert_eq!(r.breakers[0].state, State::Open { since: 3 });
        assert!(!r.breaker_permits(0, 50), "open: fails fast");
        assert!(r.breaker_permits(0, 103), "half open after the reset timeout");
        assert!(!r.breaker_permits(0, 104), "one probe at a time");
        r.outstanding[0] += 1;
        r.answered(0, 7, true, 110);
        assert_eq!(r.breakers[0].state, State::Closed);
        r.sync(200);
        assert_eq!(r.c.open_ns, 100, "open from 3 to 103");
        assert_eq!(r.c.breaker_opens, 1);
    }

    #[test]
    fn a_failed_probe_opens_again_and_the_window_slides() {
        let mut r = Resilience::new(&spec(), &[7], 1);
        for t in 0..4 {
            call(&mut r, t % 2 == 0, t); // ok, fail, ok, fail: opens at the 4th
        }
        assert!(r.breaker_permits(0, 103));
        r.outstanding[0] += 1;
        r.answered(0, 7, false, 105);
        assert_eq!(r.breakers[0].state, State::Open { since: 105 });
        // The window holds only the last 4 outcomes: 1 failure in 4 after 4 successes.
        let mut r = Resilience::new(&spec(), &[7], 1);
        call(&mut r, false, 0);
        for t in 1..8 {
            call(&mut r, true, t);
        }
        call(&mut r, false, 8);
        assert_eq!(r.breakers[0].state, State::Closed);
        assert_eq!(r.breakers[0].failures, 1);
    }

    #[test]
    fn backoff_is_jittered_exponential_and_capped() {
        let r = Resilience::new(&spec(), &[7], 1);
        let mut rng = crate::rng::stream(1, "test");
        for _ in 0..100 {
            assert!(r.retry_delay(0, &mut rng).unwrap() < 10);
            assert!(r.retry_delay(1, &mut rng).unwrap() < 20);
        }
        assert_eq!(r.retry_delay(2, &mut rng), None, "two retries, then no more");
        let long = ResilienceSpec { retries: 9, ..spec() };
        let r = Resilience::new(&long, &[7], 1);
        assert!((0..100).all(|_| r.retry_delay(8, &mut rng).unwrap() < 25), "capped at backoff_max");
    }
}
