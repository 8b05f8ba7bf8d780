//! The traffic source: an open model with Poisson arrivals, request classes by share, and
//! for each request the key it touches and the user (and region) who sends it.
//!
//! Arrival times and classes come from the "traffic" stream; keys and users from streams of
//! their own, drawn only when the scenario uses them. So neither the components of a design
//! nor whether it needs keys changes the arrivals: two designs see the same requests.

use crate::model::{Keys, Model};
use crate::rng::{mix64, stream, SimRng};
use crate::units::{secs_to_ns, Nanos};
use rand::Rng;
use rand_distr::{Distribution, Exp1, Zipf};

/// What the source draws for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Draw {
    pub class: u8,
    pub key: u64,
    pub user: u32,
    pub region: u8,
}

enum KeyDraw {
    None,
    Uniform(u64),
    Zipf(Zipf<f64>),
}

pub struct Source {
    mean_gap_s: f64,
    /// Cumulative class shares, the last forced to 1.
    cdf: Vec<f64>,
    rng: SimRng,
    keys: KeyDraw,
    key_rng: SimRng,
    users: u64,
    user_rng: SimRng,
    region_cdf: Vec<f64>,
    /// Per class: the range of users of its own, if any.
    dedicated: Vec<Option<(u64, u64)>>,
    /// Arrivals stop at this time.
    pub end: Nanos,
}

fn cumulative(shares: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    let mut cdf: Vec<f64> = shares
        .map(|s| {
            acc += s;
            acc
        })
        .collect();
    if let Some(last) = cdf.last_mut() {
        *last = 1.0;
    }
    cdf
}

/// A uniform draw in [0, 1) from 53 random bits.
#[inline]
pub fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

impl Source {
    pub fn new(model: &Model, seed: u64) -> Self {
        let keys = match (model.draws_keys, model.keys) {
            (false, _) => KeyDraw::None,
            (true, Keys::Uniform { count }) => KeyDraw::Uniform(count),
            (true, Keys::Zipf { count, exponent }) => {
                KeyDraw::Zipf(Zipf::new(count as f64, exponent).expect("validated key space"))
            }
        };
        Source {
            mean_gap_s: 1.0 / model.load.rate_per_s,
            cdf: cumulative(model.classes.iter().map(|c| c.share)),
            rng: stream(seed, "traffic"),
            keys,
            key_rng: stream(seed, "keys"),
            users: if model.draws_users { model.users.count } else { 0 },
            user_rng: stream(seed, "users"),
            region_cdf: cumulative(model.users.regions.iter().map(|(_, s)| *s)),
            dedicated: model.users.dedicated.clone(),
            end: model.duration,
        }
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

    /// Class, key, user and region of the next request.
    #[inline]
    pub fn draw(&mut self) -> Draw {
        let class = if self.cdf.len() == 1 { 0 } else { pick(&self.cdf, unit(self.rng.next_u64())) };
        let key = match &self.keys {
            KeyDraw::None => 0,
            KeyDraw::Uniform(n) => self.key_rng.next_u64() % n,
            KeyDraw::Zipf(z) => z.sample(&mut self.key_rng) as u64 - 1,
        };
        let (user, region) = if self.users == 0 {
            (0, 0)
        } else {
            let user = match self.dedicated.get(class as usize) {
                Some(Some((first, n))) => first + self.user_rng.next_u64() % n,
                _ => self.user_rng.next_u64() % self.users,
            };
            // A user's region is a function of the user, so it never changes between requests.
            (user as u32, pick(&self.region_cdf, unit(mix64(user ^ 0x5eed))))
        };
        Draw { class, key, user, region }
    }
}

#[inline]
fn pick(cdf: &[f64], u: f64) -> u8 {
    cdf.iter().position(|c| u < *c).unwrap_or(cdf.len() - 1) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_by_cumulative_share() {
        let cdf = cumulative([0.9, 0.1].into_iter());
        assert_eq!(pick(&cdf, 0.0), 0);
        assert_eq!(pick(&cdf, 0.899), 0);
        assert_eq!(pick(&cdf, 0.95), 1);
        assert_eq!(pick(&cdf, 0.999_999), 1);
    }
}
