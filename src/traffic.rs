//! The traffic source: an open model with Poisson arrivals and request classes by share.
//!
//! It draws only from its own stream ("traffic"), so the arrival times and classes of a
//! scenario do not depend on its components: two designs see the same requests.

use crate::model::Model;
use crate::rng::{stream, SimRng};
use crate::units::{secs_to_ns, Nanos};
use rand::Rng;
use rand_distr::{Distribution, Exp1};

pub struct Source {
    mean_gap_s: f64,
    /// Cumulative class shares, the last forced to 1.
    cdf: Vec<f64>,
    rng: SimRng,
    /// Arrivals stop at this time.
    pub end: Nanos,
}

impl Source {
    pub fn new(model: &Model, seed: u64) -> Self {
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = model
            .classes
            .iter()
            .map(|c| {
                acc += c.share;
                acc
            })
            .collect();
        if let Some(last) = cdf.last_mut() {
            *last = 1.0;
        }
        Source { mean_gap_s: 1.0 / model.load.rate_per_s, cdf, rng: stream(seed, "traffic"), end: model.duration }
    }

    /// The time of the next arrival after `now`, or `None` once arrivals have stopped.
    #[inline]
    pub fn next_after(&mut self, now: Nanos) -> Option<Nanos> {
        let gap: f64 = Exp1.sample(&mut self.rng);
        // At least one nanosecond apart: time is integer, and equal times would make the
        // order of simultaneous arrivals depend on nothing but insertion.
        let t = now + secs_to_ns(gap * self.mean_gap_s).max(1);
        (t < self.end).then_some(t)
    }

    #[inline]
    pub fn draw_class(&mut self) -> u8 {
        if self.cdf.len() == 1 {
            return 0;
        }
        let u: f64 = (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        self.cdf.iter().position(|c| u < *c).unwrap_or(self.cdf.len() - 1) as u8
    }
}
