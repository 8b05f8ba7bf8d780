//! Service-time and latency distributions, parsed from strings such as
//! `"lognormal(mean = 6ms, cv = 1.0)"` and sampled in integer nanoseconds.

use crate::units::{parse_duration, secs_to_ns, Nanos, NS_PER_S};
use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Pareto, Weibull};

/// A non-negative random duration. Means and parameters are kept in seconds.
#[derive(Clone, Debug)]
pub enum Dist {
    Constant(Nanos),
    Exp(Exp<f64>, f64),
    LogNormal(LogNormal<f64>, f64, f64),
    Uniform(Nanos, Nanos),
    Gamma(Gamma<f64>, f64, f64),
    Weibull(Weibull<f64>, f64, f64),
    /// Pareto with scale (minimum, seconds) and shape alpha.
    Pareto(Pareto<f64>, f64, f64),
}

impl Dist {
    pub fn constant_secs(s: f64) -> Dist {
        Dist::Constant(secs_to_ns(s))
    }

    pub fn exp_mean_secs(mean: f64) -> Dist {
        Dist::Exp(Exp::new(1.0 / mean).expect("positive mean"), mean)
    }

    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Nanos {
        let secs = match self {
            Dist::Constant(ns) => return *ns,
            Dist::Uniform(lo, hi) => {
                if hi <= lo {
                    return *lo;
                }
                let span = hi - lo;
                return lo + (rng.next_u64() % (span + 1));
            }
            Dist::Exp(d, _) => d.sample(rng),
            Dist::LogNormal(d, _, _) => d.sample(rng),
            Dist::Gamma(d, _, _) => d.sample(rng),
            Dist::Weibull(d, _, _) => d.sample(rng),
            Dist::Pareto(d, _, _) => d.sample(rng),
        };
        secs_to_ns(secs)
    }

    /// The mean in seconds (infinite for a Pareto with shape <= 1).
    pub fn mean_secs(&self) -> f64 {
        match self {
            Dist::Constant(ns) => *ns as f64 / NS_PER_S,
            Dist::Uniform(lo, hi) => (*lo + *hi) as f64 / 2.0 / NS_PER_S,
            Dist::Exp(_, m) | Dist::LogNormal(_, m, _) | Dist::Gamma(_, m, _) => *m,
            Dist::Weibull(_, scale, shape) => scale * gamma_fn(1.0 + 1.0 / shape),
            Dist::Pareto(_, scale, shape) => {
                if *shape <= 1.0 {
                    f64::INFINITY
                } else {
                    scale * shape / (shape - 1.0)
                }
            }
        }
    }

    pub fn is_zero(&self) -> bool {
        matches!(self, Dist::Constant(0))
    }

    /// Parses `"5ms"` (a constant) or `name(arg = value, ...)`.
    pub fn parse(text: &str) -> Result<Dist, String> {
        let t = text.trim();
        let Some(open) = t.find('(') else {
            return parse_duration(t).map(Dist::Constant).map_err(|e| {
                format!("{e}; a distribution is a duration (\"5ms\") or for example \"exp(mean = 5ms)\"")
            });
        };
        if !t.ends_with(')') {
            return Err(format!("`{t}` is missing its closing parenthesis"));
        }
        let name = t[..open].trim();
        let args = Args::parse(&t[open + 1..t.len() - 1])?;
        let dist = match name {
            "constant" | "const" => Dist::Constant(args.duration("value")?),
            "exp" | "exponential" => {
                let mean = args.secs("mean")?;
                Dist::Exp(Exp::new(1.0 / mean).map_err(|e| e.to_string())?, mean)
            }
            "lognormal" => {
                let (mean, cv) = (args.secs("mean")?, args.positive("cv")?);
                let d = LogNormal::from_mean_cv(mean, cv).map_err(|e| format!("lognormal: {e}"))?;
                Dist::LogNormal(d, mean, cv)
            }
            "uniform" => {
                let (lo, hi) = (args.duration("min")?, args.duration("max")?);
                if hi < lo {
                    return Err("uniform: `max` must not be below `min`".into());
                }
                Dist::Uniform(lo, hi)
            }
            "gamma" => {
                let (mean, cv) = (args.secs("mean")?, args.positive("cv")?);
                let shape = 1.0 / (cv * cv);
                let d = Gamma::new(shape, mean / shape).map_err(|e| format!("gamma: {e}"))?;
                Dist::Gamma(d, mean, cv)
            }
            "weibull" => {
                let shape = args.positive("shape")?;
                let scale = match args.get("scale") {
                    Some(_) => args.secs("scale")?,
                    None => args.secs("mean")? / gamma_fn(1.0 + 1.0 / shape),
                };
                Dist::Weibull(Weibull::new(scale, shape).map_err(|e| format!("weibull: {e}"))?, scale, shape)
            }
            "pareto" => {
                let shape = args.positive("shape")?;
                let scale = match args.get("scale") {
                    Some(_) => args.secs("scale")?,
                    None if shape > 1.0 => args.secs("mean")? * (shape - 1.0) / shape,
                    None => return Err("pareto: with shape <= 1 the mean is infinite; give `scale` instead".into()),
                };
                Dist::Pareto(Pareto::new(scale, shape).map_err(|e| format!("pareto: {e}"))?, scale, shape)
            }
            other => {
                return Err(format!(
                    "unknown distribution `{other}`: use constant, exp, lognormal, uniform, gamma, weibull or pareto"
                ))
            }
        };
        args.check_all_used(name)?;
        Ok(dist)
    }
}

/// `key = value` pairs inside a distribution's parentheses.
struct Args<'a> {
    pairs: Vec<(&'a str, &'a str)>,
    used: std::cell::RefCell<Vec<&'a str>>,
}

impl<'a> Args<'a> {
    fn parse(inner: &'a str) -> Result<Self, String> {
        let mut pairs = Vec::new();
        for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or(("value", part));
            pairs.push((k.trim(), v.trim()));
        }
        Ok(Args { pairs, used: Default::default() })
    }
    fn get(&self, key: &str) -> Option<&'a str> {
        let v = self.pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        if v.is_some() {
            self.used.borrow_mut().push(self.pairs.iter().find(|(k, _)| *k == key).unwrap().0);
        }
        v
    }
    fn need(&self, key: &str) -> Result<&'a str, String> {
        self.get(key).ok_or_else(|| format!("missing argument `{key} = ...`"))
    }
    fn duration(&self, key: &str) -> Result<Nanos, String> {
        parse_duration(self.need(key)?).map_err(|e| format!("`{key}`: {e}"))
    }
    fn secs(&self, key: &str) -> Result<f64, String> {
        let ns = self.duration(key)?;
        if ns == 0 {
            return Err(format!("`{key}` must be greater than zero"));
        }
        Ok(ns as f64 / NS_PER_S)
    }
    fn positive(&self, key: &str) -> Result<f64, String> {
        let v: f64 = self.need(key)?.parse().map_err(|_| format!("`{key}` must be a number"))?;
        if !(v.is_finite() && v > 0.0) {
            return Err(format!("`{key}` must be greater than zero"));
        }
        Ok(v)
    }
    fn check_all_used(&self, name: &str) -> Result<(), String> {
        let used = self.used.borrow();
        match self.pairs.iter().find(|(k, _)| !used.contains(k)) {
            Some((k, _)) => Err(format!("`{name}` takes no argument `{k}`")),
            None => Ok(()),
        }
    }
}

/// The gamma function for positive arguments (Lanczos approximation, g = 7), accurate to
/// about 1e-13: enough to turn a Weibull mean into its scale.
pub fn gamma_fn(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma_fn(1.0 - x));
    }
    let x = x - 1.0;
    let t = x + G + 0.5;
    let sum = C[1..].iter().enumerate().fold(C[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::Xoshiro256PlusPlus;
    use rand::SeedableRng;

    fn sample_mean(d: &Dist, n: usize) -> f64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        (0..n).map(|_| d.sample(&mut rng) as f64 / NS_PER_S).sum::<f64>() / n as f64
    }

    #[test]
    fn parses_every_kind_and_means_match() {
        for (text, mean) in [
            ("5ms", 0.005),
            ("constant(5ms)", 0.005),
            ("exp(mean = 2ms)", 0.002),
            ("lognormal(mean = 6ms, cv = 1.0)", 0.006),
            ("uniform(min = 1ms, max = 3ms)", 0.002),
            ("gamma(mean = 4ms, cv = 0.5)", 0.004),
            ("weibull(mean = 4ms, shape = 1.5)", 0.004),
            ("pareto(mean = 4ms, shape = 3)", 0.004),
        ] {
            let d = Dist::parse(text).unwrap();
            assert!((d.mean_secs() - mean).abs() < 1e-9 * mean.max(1.0), "{text}");
            let m = sample_mean(&d, 200_000);
            // Pareto(3) has a finite but large variance: allow 3%; the others 1.5%.
            assert!((m - mean).abs() / mean < 0.03, "{text}: sample mean {m}");
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert!(Dist::parse("exp(mean = 0ms)").is_err());
        assert!(Dist::parse("exp(rate = 3)").unwrap_err().contains("missing argument `mean"));
        assert!(Dist::parse("lognormal(mean = 2ms, cv = 1, skew = 2)").unwrap_err().contains("skew"));
        assert!(Dist::parse("zipf(s = 1)").unwrap_err().contains("unknown distribution"));
        assert!(Dist::parse("exp(mean = 2ms").unwrap_err().contains("parenthesis"));
        assert!(Dist::parse("pareto(mean = 2ms, shape = 1)").is_err());
    }

    #[test]
    fn gamma_function() {
        assert!((gamma_fn(5.0) - 24.0).abs() < 1e-9);
        assert!((gamma_fn(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-12);
    }
}
