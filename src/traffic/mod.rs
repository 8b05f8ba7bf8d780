//! The traffic source: an open model (Poisson arrivals, at a constant rate or following a
//! rate curve) or a closed one (users who think between requests); request classes by share
//! (or by the mix of the part of the curve an arrival belongs to), and for each request the
//! key it touches and the user (and region) who sends it.
//!
//! Arrival times and classes come from the "traffic" stream; keys and users from streams of
//! their own, drawn only when the scenario uses them; think times from "think". So neither
//! the components of a design nor whether it needs keys changes the arrivals: two designs see
//! the same requests.

pub mod build;
pub mod curve;
mod kinds;
pub mod shape;
pub mod trace;

use crate::dist::Dist;
use crate::model::{Keys, Model};
use crate::rng::{mix64, stream, SimRng};
use crate::units::{secs_to_ns, Nanos, NS_PER_S};
pub use build::Arrivals;
use curve::{Curve, Thinning};
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
    /// Per class: the range of users of its own, if any (`[users] dedicated`).
    dedicated: Vec<Option<(u64, u64)>>,
    /// Arrivals stop at this time.
    pub end: Nanos,
    /// Set when arrivals follow a rate curve rather than a constant rate.
    shaped: Option<Box<Shaped>>,
    /// A closed model's think time, from the "think" stream.
    think: Option<(Dist, SimRng)>,
    /// Poisson at a constant rate: the hot path, checked once per arrival.
    constant: bool,
}

/// A rate curve, its thinning state and scratch space for regional draws.
struct Shaped {
    curve: Curve,
    thinning: Thinning,
    /// Each region's part of the rate at the arrival's time.
    region_weights: Vec<f64>,
}

/// Thinning segments: a thousandth of the run, between one second and one minute, so that
/// the envelope follows ramps closely whatever the duration.
fn segment_ns(duration: Nanos) -> Nanos {
    (duration / 2_000).clamp(1_000_000_000, 60_000_000_000)
}

/// Tries to find a user of a wanted region before settling for the last one drawn: with
/// region shares of 1% or more, (0.99)^4096 makes a miss practically impossible.
const REGION_TRIES: u32 = 4_096;

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
        let shaped = match &model.load.arrivals {
            Arrivals::Shaped(curve) => Some(Box::new(Shaped {
                curve: curve.clone(),
                thinning: Thinning::new(segment_ns(model.duration)),
                region_weights: vec![0.0; model.users.regions.len()],
            })),
            Arrivals::Poisson | Arrivals::Closed { .. } => None,
        };
        let think = match &model.load.arrivals {
            Arrivals::Closed { think, .. } => Some((think.clone(), stream(seed, "think"))),
            Arrivals::Poisson | Arrivals::Shaped(_) => None,
        };
        Source {
            mean_gap_s: 1.0 / model.load.rate_per_s.max(1e-300),
            cdf: cumulative(model.classes.iter().map(|c| c.share)),
            rng: stream(seed, "traffic"),
            keys,
            key_rng: stream(seed, "keys"),
            users: if model.draws_users { model.users.count } else { 0 },
            user_rng: stream(seed, "users"),
            region_cdf: cumulative(model.users.regions.iter().map(|(_, s)| *s)),
            dedicated: model.users.dedicated.clone(),
            end: model.duration,
            constant: shaped.is_none() && think.is_none(),
            shaped,
            think,
        }
    }

    /// The time of the next arrival after `now`, or `None` once arrivals have stopped.
    #[inline]
    pub fn next_after(&mut self, now: Nanos) -> Option<Nanos> {
        if !self.constant {
            return self.next_shaped(now);
        }
        let gap: f64 = Exp1.sample(&mut self.rng);
        // At least one nanosecond apart: time is integer, and equal times would make the
        // order of simultaneous arrivals depend on nothing but insertion.
        let t = now + secs_to_ns(gap * self.mean_gap_s).max(1);
        (t < self.end).then_some(t)
    }

    /// The next arrival on a rate curve; none in a closed model (users send their own).
    fn next_shaped(&mut self, now: Nanos) -> Option<Nanos> {
        let sh = self.shaped.as_mut()?;
        sh.thinning.next_after(now, self.end, &mut sh.curve, &mut self.rng)
    }

    /// Class, key, user and region of the next request.
    #[inline]
    pub fn draw(&mut self) -> Draw {
        if !self.constant {
            return self.draw_shaped();
        }
        let class = if self.cdf.len() == 1 { 0 } else { pick(&self.cdf, unit(self.rng.next_u64())) };
        let key = match &self.keys {
            KeyDraw::None => 0,
            KeyDraw::Uniform(n) => self.key_rng.next_u64() % n,
            KeyDraw::Zipf(z) => z.sample(&mut self.key_rng) as u64 - 1,
        };
        let (user, region) = if self.users == 0 {
            (0, 0)
        } else {
            let user = self.user_for(class);
            // A user's region is a function of the user, so it never changes between requests.
            (user as u32, pick(&self.region_cdf, unit(mix64(user ^ 0x5eed))))
        };
        Draw { class, key, user, region }
    }

    /// A user for a request of `class`: from the class's own users if it has some.
    #[inline]
    fn user_for(&mut self, class: u8) -> u64 {
        match self.dedicated.get(class as usize) {
            Some(Some((first, n))) => first + self.user_rng.next_u64() % n,
            _ => self.user_rng.next_u64() % self.users,
        }
    }

    #[inline]
    fn draw_key(&mut self) -> u64 {
        match &self.keys {
            KeyDraw::None => 0,
            KeyDraw::Uniform(n) => self.key_rng.next_u64() % n,
            KeyDraw::Zipf(z) => z.sample(&mut self.key_rng) as u64 - 1,
        }
    }

    #[inline]
    fn region_of(&self, user: u64) -> u8 {
        pick(&self.region_cdf, unit(mix64(user ^ 0x5eed)))
    }

    /// An arrival on a rate curve: its part (by the parts' rates at its time) decides the
    /// class mix and, for a diurnal curve per region, the region.
    fn draw_shaped(&mut self) -> Draw {
        let Some(sh) = self.shaped.as_mut() else { return self.draw_for_user(0) };
        let part = if sh.curve.parts.len() == 1 { 0 } else { sh.curve.pick_part(unit(self.rng.next_u64())) };
        let p = &sh.curve.parts[part];
        let cdf = p.mix.as_deref().unwrap_or(&self.cdf);
        let class = if cdf.len() == 1 { 0 } else { pick(cdf, unit(self.rng.next_u64())) };
        let wanted = match p.regional {
            Some(i) if self.users > 0 => match &p.factors[i].0 {
                shape::Factor::Diurnal(d) => {
                    // The time of this arrival: the thinning evaluated the curve there last.
                    d.region_weights(sh.curve.last_t(), &mut sh.region_weights);
                    let total: f64 = sh.region_weights.iter().sum();
                    let mut x = unit(self.user_rng.next_u64()) * total;
                    let mut k = sh.region_weights.len() - 1;
                    for (j, w) in sh.region_weights.iter().enumerate() {
                        if x < *w {
                            k = j;
                            break;
                        }
                        x -= w;
                    }
                    Some(k as u8)
                }
                _ => None,
            },
            _ => None,
        };
        let key = self.draw_key();
        let (user, region) = match (self.users, wanted) {
            (0, _) => (0, 0),
            (_, None) => {
                let user = self.user_for(class);
                (user as u32, self.region_of(user))
            }
            (_, Some(want)) => {
                let mut found = (0, 0);
                for _ in 0..REGION_TRIES {
                    let user = self.user_for(class);
                    found = (user as u32, self.region_of(user));
                    if found.1 == want {
                        break;
                    }
                }
                found
            }
        };
        Draw { class, key, user, region }
    }

    /// A closed model's request from `user`: class and key drawn as for any request, the
    /// region the user's own.
    pub fn draw_for_user(&mut self, user: u32) -> Draw {
        let class = if self.cdf.len() == 1 { 0 } else { pick(&self.cdf, unit(self.rng.next_u64())) };
        let key = self.draw_key();
        Draw { class, key, user, region: self.region_of(u64::from(user)) }
    }

    /// A closed-model user's pause before its next request.
    pub fn think(&mut self) -> Nanos {
        match self.think.as_mut() {
            Some((d, rng)) => d.sample(rng),
            None => 0,
        }
    }

    /// The rate at `t` (requests per second) for reporting: the curve's, or the constant one.
    pub fn rate_at(&self, t: Nanos) -> f64 {
        match &self.shaped {
            Some(sh) => sh.curve.rate(t as f64 / NS_PER_S),
            None if self.think.is_some() => 0.0,
            None => 1.0 / self.mean_gap_s,
        }
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
