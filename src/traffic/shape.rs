//! Rate shapes as functions of simulated time (seconds), each with an upper bound over any
//! interval: thinning draws candidates at a piecewise-constant envelope built from these
//! bounds, so a bound must never be below the function, and should be tight for efficiency.
//!
//! A shape is either a *rate* (requests per second: stages, a replayed trace, a constant
//! rate) or a dimensionless *factor* that scales one (diurnal, spike, growth, a constant
//! factor). Both are evaluated by the same `Factor` type; the difference is in how
//! `traffic::build` combines them.

pub const HOUR_S: f64 = 3_600.0;

#[derive(Clone, Debug)]
pub enum Factor {
    Constant(f64),
    Piecewise(Piecewise),
    Diurnal(Diurnal),
    Spike(Spike),
    /// exp(per_s * t): compounding growth (or decline) from 1 at time zero.
    Growth {
        per_s: f64,
    },
}

impl Factor {
    #[inline]
    pub fn at(&self, t: f64) -> f64 {
        match self {
            Factor::Constant(c) => *c,
            Factor::Piecewise(p) => p.at(t),
            Factor::Diurnal(d) => d.at(t),
            Factor::Spike(s) => s.at(t),
            Factor::Growth { per_s } => (per_s * t).exp(),
        }
    }

    /// An upper bound of the shape over `[a, b]` (exact for every shape here).
    pub fn max_over(&self, a: f64, b: f64) -> f64 {
        match self {
            Factor::Constant(c) => *c,
            Factor::Piecewise(p) => p.max_over(a, b),
            Factor::Diurnal(d) => d.max_over(a, b),
            Factor::Spike(s) => s.max_over(a, b),
            // Monotone: the maximum is at an end.
            Factor::Growth { .. } => self.at(a).max(self.at(b)),
        }
    }
}

/// Values at knots joined by straight lines (`step = false`) or held until the next knot;
/// the first value holds before the first knot and the last after the last.
#[derive(Clone, Debug)]
pub struct Piecewise {
    pub t: Vec<f64>,
    pub v: Vec<f64>,
    pub step: bool,
}

impl Piecewise {
    #[inline]
    pub fn at(&self, x: f64) -> f64 {
        let n = self.t.len();
        if x <= self.t[0] {
            return self.v[0];
        }
        if x >= self.t[n - 1] {
            return self.v[n - 1];
        }
        let i = self.t.partition_point(|ti| *ti <= x) - 1;
        if self.step {
            return self.v[i];
        }
        let (t0, t1) = (self.t[i], self.t[i + 1]);
        let f = (x - t0) / (t1 - t0);
        self.v[i] + (self.v[i + 1] - self.v[i]) * f
    }

    fn max_over(&self, a: f64, b: f64) -> f64 {
        let mut m = self.at(a).max(self.at(b));
        let first = self.t.partition_point(|ti| *ti <= a);
        for k in first..self.t.len() {
            if self.t[k] >= b {
                break;
            }
            m = m.max(self.v[k]);
        }
        m
    }
}

/// The 24-hour curve of one day, with mean 1 over the day.
#[derive(Clone, Debug)]
pub enum DayCurve {
    /// 1 + amp cos(2 pi (h - peak) / 24): peak_to_trough = (1 + amp) / (1 - amp).
    Cosine { amp: f64, peak_hour: f64 },
    /// Hourly levels at the middle of each hour, joined by straight lines (mean 1).
    Hourly(Box<[f64; 24]>),
}

impl DayCurve {
    #[inline]
    pub fn at(&self, hour: f64) -> f64 {
        match self {
            DayCurve::Cosine { amp, peak_hour } => {
                1.0 + amp * (std::f64::consts::TAU * (hour - peak_hour) / 24.0).cos()
            }
            DayCurve::Hourly(w) => {
                let x = (hour - 0.5).rem_euclid(24.0);
                let i = (x as usize).min(23);
                let f = x - i as f64;
                w[i] * (1.0 - f) + w[(i + 1) % 24] * f
            }
        }
    }

    /// Maximum over the hours `[a, b]` (not reduced modulo 24).
    pub fn max_over(&self, a: f64, b: f64) -> f64 {
        match self {
            DayCurve::Cosine { amp, peak_hour } => {
                // One maximum per period: either a peak lies inside, or the maximum is at an end.
                let j = ((a - peak_hour) / 24.0).ceil();
                if b - a >= 24.0 || peak_hour + 24.0 * j <= b {
                    1.0 + amp
                } else {
                    self.at(a).max(self.at(b))
                }
            }
            DayCurve::Hourly(w) => {
                if b - a >= 24.0 {
                    return w.iter().copied().fold(0.0, f64::max);
                }
                let mut m = self.at(a).max(self.at(b));
                let mut knot = (a - 0.5).ceil() + 0.5;
                while knot < b {
                    m = m.max(self.at(knot));
                    knot += 1.0;
                }
                m
            }
        }
    }
}

/// A daily cycle. With user regions in different time zones, the curve is the share-weighted
/// sum of each region's curve at its local hour, so the mean over a day stays 1.
#[derive(Clone, Debug)]
pub struct Diurnal {
    pub curve: DayCurve,
    /// UTC hour of day at simulated time zero.
    pub start_hour: f64,
    /// (share, UTC offset in hours) per user region, in the order of `Model::users.regions`;
    /// one entry `(1, 0)` when the curve is not per region.
    pub regions: Vec<(f64, f64)>,
}

impl Diurnal {
    #[inline]
    fn hour(&self, t: f64, offset: f64) -> f64 {
        self.start_hour + offset + t / HOUR_S
    }

    #[inline]
    pub fn at(&self, t: f64) -> f64 {
        self.regions.iter().map(|(share, off)| share * self.curve.at(self.hour(t, *off))).sum()
    }

    fn max_over(&self, a: f64, b: f64) -> f64 {
        self.regions
            .iter()
            .map(|(share, off)| share * self.curve.max_over(self.hour(a, *off), self.hour(b, *off)))
            .sum()
    }

    /// Each region's part of the curve at `t` (weights for drawing a request's region).
    pub fn region_weights(&self, t: f64, out: &mut [f64]) {
        for (o, (share, off)) in out.iter_mut().zip(&self.regions) {
            *o = share * self.curve.at(self.hour(t, *off));
        }
    }
}

/// A viral spike: 1 until `start`, a straight ramp to `multiplier` over `ramp_up`, held for
/// `hold`, then the extra traffic halves every `half_life` (0: it stops at once).
#[derive(Clone, Debug)]
pub struct Spike {
    pub start: f64,
    pub ramp_up: f64,
    pub multiplier: f64,
    pub hold: f64,
    pub half_life: f64,
}

impl Spike {
    #[inline]
    pub fn at(&self, t: f64) -> f64 {
        let extra = self.multiplier - 1.0;
        let mut x = t - self.start;
        if x < 0.0 {
            return 1.0;
        }
        if x < self.ramp_up {
            return 1.0 + extra * x / self.ramp_up;
        }
        x -= self.ramp_up;
        if x <= self.hold {
            return self.multiplier;
        }
        if self.half_life <= 0.0 {
            return 1.0;
        }
        1.0 + extra * (-(x - self.hold) / self.half_life * std::f64::consts::LN_2).exp()
    }

    fn max_over(&self, a: f64, b: f64) -> f64 {
        // Rises, holds, then decays: the plateau if it meets [a, b], else an end.
        let top = self.start + self.ramp_up;
        if a <= top + self.hold && b >= top {
            self.multiplier
        } else {
            self.at(a).max(self.at(b))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_over_day(f: impl Fn(f64) -> f64) -> f64 {
        let n = 86_400;
        (0..n).map(|i| f(i as f64 + 0.5)).sum::<f64>() / n as f64
    }

    /// The bound must hold at every point of many random intervals.
    fn check_bound(f: &Factor, horizon: f64) {
        for k in 0..2_000 {
            let a = (k as f64 * 97.3) % horizon;
            let len = [1.0, 30.0, 600.0, 7_200.0, 90_000.0][k % 5];
            let b = a + len;
            let m = f.max_over(a, b);
            for i in 0..=20 {
                let t = a + (b - a) * i as f64 / 20.0;
                assert!(f.at(t) <= m * (1.0 + 1e-12) + 1e-12, "{f:?} at {t}: {} > bound {m} on [{a}, {b}]", f.at(t));
            }
        }
    }

    #[test]
    fn diurnal_cosine_has_mean_one_and_the_asked_ratio() {
        let amp = (4.0 - 1.0) / (4.0 + 1.0);
        let d =
            Diurnal { curve: DayCurve::Cosine { amp, peak_hour: 20.0 }, start_hour: 0.0, regions: vec![(1.0, 0.0)] };
        assert!((mean_over_day(|t| d.at(t)) - 1.0).abs() < 1e-9);
        assert!((d.at(20.0 * HOUR_S) / d.at(8.0 * HOUR_S) - 4.0).abs() < 1e-9);
        check_bound(&Factor::Diurnal(d), 3.0 * 86_400.0);
    }

    #[test]
    fn diurnal_regions_shift_by_their_offsets() {
        let curve = DayCurve::Cosine { amp: 0.5, peak_hour: 20.0 };
        let d = Diurnal { curve, start_hour: 0.0, regions: vec![(0.5, -5.0), (0.5, 1.0)] };
        assert!((mean_over_day(|t| d.at(t)) - 1.0).abs() < 1e-9);
        let mut w = [0.0; 2];
        d.region_weights(19.0 * HOUR_S, &mut w); // 20:00 in UTC+1, 14:00 in UTC-5
        assert!((w[1] - 0.75).abs() < 1e-12 && w[0] < w[1]);
        check_bound(&Factor::Diurnal(d), 3.0 * 86_400.0);
    }

    #[test]
    fn hourly_weights_interpolate_and_keep_mean_one() {
        let mut w = [0.5; 24];
        w[12] = 3.0;
        let mean = w.iter().sum::<f64>() / 24.0;
        let norm: Vec<f64> = w.iter().map(|x| x / mean).collect();
        let curve = DayCurve::Hourly(Box::new(norm.clone().try_into().unwrap()));
        assert!((curve.at(12.5) - norm[12]).abs() < 1e-12);
        assert!((curve.at(12.0) - (norm[11] + norm[12]) / 2.0).abs() < 1e-12);
        let d = Diurnal { curve, start_hour: 6.0, regions: vec![(1.0, 0.0)] };
        assert!((mean_over_day(|t| d.at(t)) - 1.0).abs() < 1e-9);
        check_bound(&Factor::Diurnal(d), 3.0 * 86_400.0);
    }

    #[test]
    fn spike_ramps_holds_and_halves() {
        let s = Spike { start: 100.0, ramp_up: 50.0, multiplier: 10.0, hold: 60.0, half_life: 30.0 };
        assert_eq!(s.at(99.0), 1.0);
        assert!((s.at(125.0) - 5.5).abs() < 1e-12);
        assert_eq!(s.at(200.0), 10.0);
        assert!((s.at(240.0) - 5.5).abs() < 1e-9, "{}", s.at(240.0));
        check_bound(&Factor::Spike(s.clone()), 1_000.0);
        let sudden = Spike { ramp_up: 0.0, half_life: 0.0, ..s };
        assert_eq!(sudden.at(100.0), 10.0);
        assert_eq!(sudden.at(161.0), 1.0);
        check_bound(&Factor::Spike(sudden), 1_000.0);
    }

    #[test]
    fn growth_compounds() {
        let week = 7.0 * 86_400.0;
        let g = Factor::Growth { per_s: 1.1f64.ln() / week };
        assert!((g.at(week) - 1.1).abs() < 1e-12);
        assert!((g.at(2.0 * week) - 1.21).abs() < 1e-12);
        check_bound(&g, 4.0 * week);
    }

    #[test]
    fn piecewise_linear_and_step() {
        let p = Piecewise { t: vec![0.0, 60.0, 120.0], v: vec![0.0, 500.0, 500.0], step: false };
        assert_eq!(p.at(30.0), 250.0);
        assert_eq!(p.at(500.0), 500.0);
        check_bound(&Factor::Piecewise(p), 300.0);
        let s = Piecewise { t: vec![0.0, 10.0, 20.0], v: vec![5.0, 50.0, 1.0], step: true };
        assert_eq!(s.at(15.0), 50.0);
        assert_eq!(s.at(20.0), 1.0);
        assert_eq!(s.max_over(0.0, 9.0), 5.0);
        check_bound(&Factor::Piecewise(s), 40.0);
    }
}
